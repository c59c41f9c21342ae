//! Extractors: JSON, query and path that refuse with our error format, and the authenticated
//! actor from a session cookie, a bearer token or an API key.

use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use minsheng_domain::org::Actor;
use minsheng_domain::{DomainError, ErrorCode};

use crate::AppState;
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "minsheng_session";

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// The credentials a request carries, in order of preference.
pub fn credentials(parts: &Parts) -> Option<String> {
    if let Some(auth) = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok())
        && let Some(token) = auth.strip_prefix("Bearer ").or_else(|| auth.strip_prefix("bearer "))
    {
        return Some(token.trim().to_string());
    }
    if let Some(key) = parts.headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(key.trim().to_string());
    }
    session_cookie(parts)
}

pub fn session_cookie(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

/// A signed-in actor. Handlers that take this are refused with 401 without credentials.
pub struct Authed(pub Actor);

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = credentials(parts) else {
            return Err(ApiError(DomainError::new(ErrorCode::Unauthenticated, "请先登录", "sign in first")));
        };
        let actor =
            if token.starts_with("msk_") { state.app.actor_for_api_key(&token).await? } else { state.app.actor_for_token(&token).await? };
        Ok(Authed(actor))
    }
}

/// The caller's address for the rate limits of the public doors: the connection's peer, or — only
/// behind a proxy the operator declared with `MINSHENG_TRUST_FORWARDED=1` — the first address of
/// `X-Forwarded-For`. Without either (a test router without connection info) it is `unknown`.
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        static TRUST: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        let trust = *TRUST.get_or_init(|| std::env::var("MINSHENG_TRUST_FORWARDED").is_ok_and(|v| v == "1"));
        if trust
            && let Some(first) = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|v| v.parse::<std::net::IpAddr>().is_ok())
        {
            return Ok(ClientIp(first.to_string()));
        }
        let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip().to_string());
        Ok(ClientIp(peer.unwrap_or_else(|| "unknown".into())))
    }
}
