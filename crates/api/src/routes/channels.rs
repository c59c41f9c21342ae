//! The public report door (网站 / 手机上报), the SMS gateway's webhook, the citizen across channels
//! (来电弹屏, 恶意重复标记) and the citizens' notice templates.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use minsheng_app::channels::{InboundOutcome, PublicReceipt, PublicReport};
use minsheng_app::citizens::{CitizenHistory, FlagRequest, FlagView};
use minsheng_app::outbox::{PLACEHOLDERS, Templates};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Authed, ClientIp, Json, Path};

/// A citizen's report from the public page, without login. Limited per IP and per phone.
#[utoipa::path(post, path = "/api/public/cases", tag = "public", request_body = PublicReport,
    responses((status = 201, description = "the case number and the tracking link", body = PublicReceipt),
        (status = 400, description = "invalid input"), (status = 429, description = "too many reports (rate_limited)")))]
pub async fn report(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(report): Json<PublicReport>,
) -> ApiResult<(StatusCode, Json<PublicReceipt>)> {
    Ok((StatusCode::CREATED, Json(state.app.submit_public(&ip, report).await?)))
}

/// The SMS gateway's webhook: a citizen's message to the hotline number, signed (see
/// `minsheng_app::sms`). Answers what became of it.
#[utoipa::path(post, path = "/api/channels/sms/inbound", tag = "channels",
    request_body(content = String, content_type = "application/json", description = "`{\"id\": \"gateway id\", \"from\": \"13800138000\", \"to\": \"12345\", \"text\": \"…\"}`"),
    responses((status = 200, description = "created / added / rated / repeated, with the case number"),
        (status = 401, description = "bad signature, stale timestamp or replayed nonce"), (status = 400, description = "malformed message")))]
pub async fn sms_inbound(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult<Json<InboundOutcome>> {
    let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let outcome = state
        .app
        .receive_sms(
            &state.app.settings.sms,
            &h(minsheng_app::sms::TIMESTAMP_HEADER),
            &h(minsheng_app::sms::NONCE_HEADER),
            &h(minsheng_app::sms::SIGNATURE_HEADER),
            &body,
        )
        .await?;
    Ok(Json(outcome))
}

/// 来电弹屏: a citizen's cases by phone number, with the flag.
#[utoipa::path(get, path = "/api/citizens/{phone}", tag = "citizens", responses((status = 200, description = "the history")))]
pub async fn history(State(state): State<AppState>, Authed(actor): Authed, Path(phone): Path<String>) -> ApiResult<Json<CitizenHistory>> {
    Ok(Json(state.app.citizen_history(&actor, &phone).await?))
}

/// Sets or clears the 恶意重复诉求 flag of a phone number.
#[utoipa::path(put, path = "/api/citizens/{phone}/flag", tag = "citizens", responses((status = 200, description = "the flag")))]
pub async fn set_flag(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Path(phone): Path<String>,
    Json(req): Json<FlagRequest>,
) -> ApiResult<Json<FlagView>> {
    Ok(Json(state.app.set_citizen_flag(&actor, &phone, req).await?))
}

/// The same, by a case's citizen (staff never need the unmasked number).
#[utoipa::path(put, path = "/api/cases/{key}/citizen-flag", tag = "citizens", responses((status = 200, description = "the flag")))]
pub async fn set_case_flag(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Path(key): Path<String>,
    Json(req): Json<FlagRequest>,
) -> ApiResult<Json<FlagView>> {
    Ok(Json(state.app.set_case_citizen_flag(&actor, &key, req).await?))
}

/// The 恶意重复名单.
#[utoipa::path(get, path = "/api/citizen-flags", tag = "citizens", responses((status = 200, description = "the flags")))]
pub async fn flags(State(state): State<AppState>, Authed(actor): Authed) -> ApiResult<Json<Vec<FlagView>>> {
    Ok(Json(state.app.citizen_flags(&actor).await?))
}

#[derive(Serialize)]
pub struct TemplatesView {
    pub templates: BTreeMap<String, String>,
    pub defaults: BTreeMap<String, String>,
    pub placeholders: Vec<&'static str>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplatesRequest {
    pub templates: BTreeMap<String, String>,
}

fn templates_view(t: Templates) -> TemplatesView {
    TemplatesView { templates: t.0, defaults: Templates::default().0, placeholders: PLACEHOLDERS.to_vec() }
}

/// The citizens' notice templates in force, the defaults and the placeholders.
#[utoipa::path(get, path = "/api/settings/notice-templates", tag = "channels", responses((status = 200, description = "templates")))]
pub async fn templates(State(state): State<AppState>, Authed(actor): Authed) -> ApiResult<Json<TemplatesView>> {
    if !matches!(actor.role, minsheng_domain::org::Role::Admin | minsheng_domain::org::Role::Supervisor) {
        return Err(minsheng_domain::DomainError::new(
            minsheng_domain::ErrorCode::Forbidden,
            "无权查看通知模板",
            "you may not see the templates",
        )
        .into());
    }
    Ok(Json(templates_view(state.app.notice_templates().await?)))
}

/// Changes some templates (administrators); the others keep their text.
#[utoipa::path(put, path = "/api/settings/notice-templates", tag = "channels", responses((status = 200, description = "templates")))]
pub async fn set_templates(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Json(req): Json<TemplatesRequest>,
) -> ApiResult<Json<TemplatesView>> {
    let mut current = state.app.notice_templates().await?.0;
    let defaults = Templates::default().0;
    current.retain(|k, v| defaults.get(k) != Some(v));
    current.extend(req.templates);
    Ok(Json(templates_view(state.app.set_notice_templates(&actor, current).await?)))
}
