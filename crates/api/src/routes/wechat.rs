//! The WeChat official account's callback (微信公众号服务器地址): `GET /wechat/callback` answers
//! the URL verification, `POST /wechat/callback` takes the pushed messages. Outside `/api` and
//! without a bearer token: WeChat signs each request with the shared token instead.
//!
//! The channel is an [`axum::Extension`] of `Arc<WechatChannel>` that the server adds when the
//! configuration has a `[wechat]` section; without it the address answers 404, as if not there.
//! The protocol itself lives in `minsheng-wechat`; this module only speaks HTTP.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use minsheng_domain::{DomainError, ErrorCode};
pub use minsheng_wechat::{Answer, CallbackQuery, WechatChannel, WechatError, WechatSettings, WechatTemplateTransport};

use crate::AppState;
use crate::error::ApiError;

/// The callback's path.
pub const PATH: &str = "/wechat/callback";

fn not_configured() -> Response {
    ApiError(DomainError::new(ErrorCode::NotFound, "没有这个地址", "no such address")).into_response()
}

/// A refusal as the API's error body: 403 when the push is not authentic (signature, replay,
/// another account), 400 when it cannot be read. Logged, since WeChat never shows it to anyone.
fn refused(e: WechatError) -> Response {
    tracing::warn!(error = %e, "wechat callback refused");
    let code = if e.is_authentication() { ErrorCode::Forbidden } else { ErrorCode::InvalidInput };
    ApiError(DomainError::new(code, e.message_zh(), e.to_string())).into_response()
}

fn bad_query() -> Response {
    refused(WechatError::BadMessage("unreadable query string".into()))
}

/// URL verification: the echostr back when the signature is right.
pub async fn verify(
    State(state): State<AppState>,
    channel: Option<Extension<Arc<WechatChannel>>>,
    query: Result<Query<CallbackQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(Extension(channel)) = channel else { return not_configured() };
    let Ok(Query(q)) = query else { return bad_query() };
    match channel.verify_url(&q, state.app.clock.now()) {
        Ok(echo) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], echo).into_response(),
        Err(e) => refused(e),
    }
}

/// A pushed message: the passive reply (XML, encrypted in safe mode) or `success`.
pub async fn receive(
    State(state): State<AppState>,
    channel: Option<Extension<Arc<WechatChannel>>>,
    query: Result<Query<CallbackQuery>, axum::extract::rejection::QueryRejection>,
    body: Bytes,
) -> Response {
    let Some(Extension(channel)) = channel else { return not_configured() };
    let Ok(Query(q)) = query else { return bad_query() };
    match channel.answer(&state.app, &q, &body).await {
        Answer::Reply(text) if text == minsheng_wechat::callback::SUCCESS => {
            (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
        }
        Answer::Reply(xml) => (StatusCode::OK, [(header::CONTENT_TYPE, "application/xml; charset=utf-8")], xml).into_response(),
        Answer::Refused(e) => refused(e),
    }
}
