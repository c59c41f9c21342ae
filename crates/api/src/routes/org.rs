//! The organisation: units (any staff member may read the tree), users and API keys
//! (administrators).

use axum::extract::State;
use axum::http::StatusCode;
use minsheng_app::auth::CreatedApiKey;
use minsheng_domain::org::{Role, UnitKind};
use minsheng_store::{ApiKeyRecord, NewUnit, UnitRecord, UserRecord};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Authed, Json, Path};

/// The unit tree, ordered by path (parents before children).
#[utoipa::path(get, path = "/api/units", tag = "organisation", responses((status = 200, description = "every unit")))]
pub async fn units(State(state): State<AppState>, Authed(_actor): Authed) -> ApiResult<Json<Vec<UnitRecord>>> {
    Ok(Json(state.app.units().await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUnitRequest {
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<i64>,
    pub division_code: Option<String>,
    pub department_type: Option<String>,
}

#[utoipa::path(post, path = "/api/units", tag = "organisation", request_body = NewUnitRequest, responses((status = 201, description = "the unit")))]
pub async fn add_unit(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Json(r): Json<NewUnitRequest>,
) -> ApiResult<(StatusCode, Json<UnitRecord>)> {
    let unit = state
        .app
        .add_unit(
            &actor,
            NewUnit {
                code: r.code,
                name: r.name,
                kind: r.kind,
                parent_id: r.parent_id,
                division_code: r.division_code,
                department_type: r.department_type,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(unit)))
}

#[utoipa::path(get, path = "/api/users", tag = "organisation", responses((status = 200, description = "every user (administrators)")))]
pub async fn users(State(state): State<AppState>, Authed(actor): Authed) -> ApiResult<Json<Vec<UserRecord>>> {
    Ok(Json(state.app.users(&actor).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    pub login: String,
    pub name: String,
    pub role: Role,
    pub unit_id: Option<i64>,
    pub password: String,
}

#[utoipa::path(post, path = "/api/users", tag = "organisation", request_body = NewUserRequest, responses((status = 201, description = "the user")))]
pub async fn add_user(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Json(r): Json<NewUserRequest>,
) -> ApiResult<(StatusCode, Json<UserRecord>)> {
    let user = state.app.add_user(&actor, &r.login, &r.name, r.role, r.unit_id, &r.password).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    pub password: String,
}

#[utoipa::path(post, path = "/api/users/{login}/password", tag = "organisation", request_body = PasswordRequest, responses((status = 204, description = "password reset")))]
pub async fn reset_password(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Path(login): Path<String>,
    Json(r): Json<PasswordRequest>,
) -> ApiResult<StatusCode> {
    state.app.reset_password(&actor, &login, &r.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKeyRequest {
    pub name: String,
    pub role: Role,
    pub unit_id: Option<i64>,
}

#[utoipa::path(get, path = "/api/apikeys", tag = "organisation", responses((status = 200, description = "API keys (never their secrets)")))]
pub async fn api_keys(State(state): State<AppState>, Authed(actor): Authed) -> ApiResult<Json<Vec<ApiKeyRecord>>> {
    Ok(Json(state.app.list_api_keys(&actor).await?))
}

/// Creates an API key; the response holds the key, shown this once only.
#[utoipa::path(post, path = "/api/apikeys", tag = "organisation", request_body = NewApiKeyRequest, responses((status = 201, description = "`{record, key}`")))]
pub async fn add_api_key(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Json(r): Json<NewApiKeyRequest>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    Ok((StatusCode::CREATED, Json(state.app.create_api_key(&actor, &r.name, r.role, r.unit_id).await?)))
}

#[utoipa::path(delete, path = "/api/apikeys/{id}", tag = "organisation", responses((status = 204, description = "revoked"), (status = 404, description = "no such live key")))]
pub async fn revoke_api_key(State(state): State<AppState>, Authed(actor): Authed, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    state.app.revoke_api_key(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
