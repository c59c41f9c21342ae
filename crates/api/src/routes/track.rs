//! The citizen's tracking page API: case number plus the last four phone digits; no staff names,
//! no internal notes. Citizens may add information or withdraw from here.

use axum::extract::State;
use minsheng_app::service::PublicCase;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ClientIp, Json, Path, Query};
use crate::routes::cases::parse_action;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TrackParams {
    /// The last four digits of the phone number given at intake.
    pub phone4: String,
}

/// The citizen-visible timeline of a case.
#[utoipa::path(get, path = "/api/track/{number}", tag = "public", params(("number" = String, Path, description = "case number"), TrackParams),
    responses((status = 200, description = "the public timeline"), (status = 404, description = "no such case or the digits do not match")))]
pub async fn track(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(number): Path<String>,
    Query(p): Query<TrackParams>,
) -> ApiResult<Json<PublicCase>> {
    // Number and last four digits must not be guessable by trying.
    state.app.knock(minsheng_app::abuse::Door::TrackIp, &ip)?;
    Ok(Json(state.app.track(&number, &p.phone4).await?))
}

/// The citizen adds information (`add_info`, with `note`) or withdraws (`withdraw`). Body:
/// `{"phone4": "1234", "note": "…"}`.
#[utoipa::path(post, path = "/api/track/{number}/actions/{action}", tag = "public",
    params(("number" = String, Path, description = "case number"), ("action" = String, Path, description = "add_info or withdraw")),
    request_body(content = Object, description = "`{\"phone4\": \"1234\", \"note\": \"…\"}`"),
    responses((status = 200, description = "the public timeline after the action")))]
pub async fn citizen_act(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path((number, action)): Path<(String, String)>,
    Json(mut body): Json<serde_json::Value>,
) -> ApiResult<Json<PublicCase>> {
    state.app.knock(minsheng_app::abuse::Door::TrackIp, &ip)?;
    let phone4 = body.as_object_mut().and_then(|o| o.remove("phone4")).and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    let (_, note, request) = parse_action(&action, body, false)?;
    Ok(Json(state.app.citizen_act(&number, &phone4, request, note).await?))
}

/// 公开数据: each month's volume and headline rates over the last twelve months and this month's
/// busiest categories, city-wide, for anyone (no login; recomputed at most once a minute).
#[utoipa::path(get, path = "/api/public/stats", tag = "public", responses((status = 200, description = "city-wide figures")))]
pub async fn public_stats(State(state): State<AppState>) -> ApiResult<Json<minsheng_app::metrics::PublicStats>> {
    Ok(Json(state.app.public_stats().await?))
}
