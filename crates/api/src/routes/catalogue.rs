//! The responsibility catalogue (职责清单): read any version, search it, and — administrators —
//! save a new version from JSON or CSV, with every version kept and listed.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use minsheng_app::catalogue::{SavedCatalogue, catalogue_from_csv, catalogue_to_csv};
use minsheng_domain::DomainError;
use minsheng_domain::catalogue::{Catalogue, CatalogueItem};
use minsheng_store::CatalogueVersion;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Authed, Json, Query};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VersionParams {
    /// A saved version; default the one in force.
    pub version: Option<i64>,
    /// json (default) or csv.
    pub format: Option<String>,
}

/// A version of the catalogue (any staff member), as JSON or CSV.
#[utoipa::path(get, path = "/api/catalogue", tag = "catalogue", params(VersionParams), responses((status = 200, description = "the catalogue")))]
pub async fn get(State(state): State<AppState>, Authed(_actor): Authed, Query(p): Query<VersionParams>) -> ApiResult<Response> {
    let cat = match p.version {
        None => (*state.app.current_catalogue().await?).clone(),
        v => state.app.catalogue_version(v).await?,
    };
    if cat.version == 0 {
        return Err(DomainError::not_found("职责清单", "catalogue").into());
    }
    match p.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(cat).into_response()),
        "csv" => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"catalogue-v{}.csv\"", cat.version)),
            ],
            catalogue_to_csv(&cat)?,
        )
            .into_response()),
        other => Err(DomainError::invalid(
            "format",
            format!("不支持的格式：{other}（json、csv）"),
            format!("unknown format: {other} (json, csv)"),
        )
        .into()),
    }
}

/// Every saved version, newest first: who saved it, when, why, how many items.
#[utoipa::path(get, path = "/api/catalogue/versions", tag = "catalogue", responses((status = 200, description = "versions")))]
pub async fn versions(State(state): State<AppState>, Authed(_actor): Authed) -> ApiResult<Json<Vec<CatalogueVersion>>> {
    Ok(Json(state.app.catalogue_versions().await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveRequest {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<CatalogueItem>,
    pub note: Option<String>,
}

/// Saves a new version from JSON (administrators).
#[utoipa::path(put, path = "/api/catalogue", tag = "catalogue", request_body = SaveRequest, responses((status = 200, description = "saved")))]
pub async fn save(State(state): State<AppState>, Authed(actor): Authed, Json(r): Json<SaveRequest>) -> ApiResult<Json<SavedCatalogue>> {
    Ok(Json(state.app.save_catalogue(&actor, r.items, r.note.as_deref()).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    pub note: Option<String>,
}

/// Saves a new version from a CSV body (the export's columns; administrators).
#[utoipa::path(post, path = "/api/catalogue/import", tag = "catalogue", params(ImportParams), responses((status = 200, description = "saved")))]
pub async fn import_csv(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Query(p): Query<ImportParams>,
    body: String,
) -> ApiResult<Json<SavedCatalogue>> {
    let items = catalogue_from_csv(&body)?;
    Ok(Json(state.app.save_catalogue(&actor, items, p.note.as_deref()).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    pub q: String,
    pub limit: Option<usize>,
}

#[derive(Serialize)]
pub struct SearchHit {
    pub code: String,
    pub name: String,
    pub path: String,
    pub score: f32,
}

/// Items whose name or keywords occur in the text (a keyword lookup for operators).
#[utoipa::path(get, path = "/api/catalogue/search", tag = "catalogue", params(SearchParams), responses((status = 200, description = "items")))]
pub async fn search(
    State(state): State<AppState>,
    Authed(_actor): Authed,
    Query(p): Query<SearchParams>,
) -> ApiResult<Json<Vec<SearchHit>>> {
    if p.q.chars().count() > 2000 {
        return Err(DomainError::invalid("q", "查询文本最长 2000 字", "q is at most 2,000 characters").into());
    }
    let cat: std::sync::Arc<Catalogue> = state.app.current_catalogue().await?;
    let hits = cat
        .search(&p.q, p.limit.unwrap_or(10).clamp(1, 50))
        .into_iter()
        .map(|(i, score)| SearchHit { code: i.code.clone(), name: i.name.clone(), path: cat.path_name(&i.code), score })
        .collect();
    Ok(Json(hits))
}
