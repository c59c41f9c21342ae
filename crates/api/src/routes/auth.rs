//! Sign-in and sign-out. Browsers get an HttpOnly cookie; API clients use the same token as a
//! bearer token.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Response};
use minsheng_app::auth::SESSION_TTL_MS;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Authed, Json, SESSION_COOKIE};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub user_id: Option<i64>,
    pub name: String,
    pub role: minsheng_domain::org::Role,
    pub role_label: String,
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
}

impl From<&minsheng_domain::org::Actor> for Me {
    fn from(a: &minsheng_domain::org::Actor) -> Self {
        Me {
            user_id: a.user_id,
            name: a.name.clone(),
            role: a.role,
            role_label: a.role.label_zh().to_string(),
            unit_id: a.unit.as_ref().map(|u| u.id),
            unit_name: a.unit.as_ref().map(|u| u.name.clone()),
        }
    }
}

/// Sign in with a password; returns a token and sets the session cookie.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, description = "signed in: `{token, user}`"), (status = 401, description = "wrong login or password")))]
pub async fn login(State(state): State<AppState>, Json(req): Json<LoginRequest>) -> ApiResult<Response> {
    let (token, user) = state.app.login(&req.login, &req.password).await?;
    let actor = state.app.actor_for_user(&user).await?;
    let cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}", SESSION_TTL_MS / 1000);
    Ok(([(SET_COOKIE, cookie)], axum::Json(serde_json::json!({ "token": token, "user": Me::from(&actor) }))).into_response())
}

/// Ends the session of the token presented (cookie or bearer).
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", responses((status = 204, description = "signed out")))]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let (mut parts, _) = axum::http::Request::new(()).into_parts();
    parts.headers = headers;
    if let Some(token) = crate::extract::credentials(&parts) {
        state.app.logout(&token).await?;
    }
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    Ok(([(SET_COOKIE, clear)], axum::http::StatusCode::NO_CONTENT).into_response())
}

/// Who am I.
#[utoipa::path(get, path = "/api/me", tag = "auth", responses((status = 200, body = Me), (status = 401, description = "not signed in")))]
pub async fn me(Authed(actor): Authed) -> Json<Me> {
    Json(Me::from(&actor))
}
