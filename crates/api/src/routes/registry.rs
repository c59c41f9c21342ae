//! 人员库 and 知识库 over HTTP: the registry of mediators, legal aid and experts (read by staff,
//! kept by administrators, importable as CSV), the people proposed for a case, and the knowledge
//! base — ranked search, writing and review, and suggestions for the text of a new case.
//! Assigning a person to a case is a case action (`POST /api/cases/{key}/actions/assign_person`).

use axum::extract::State;
use axum::http::StatusCode;
use minsheng_app::knowledge::{ArticleDetail, ArticleFilter, ArticleInput, ArticleSuggestion, ArticleView};
use minsheng_app::people::{CasePeople, PeopleImport, PersonInput, PersonView};
use minsheng_domain::knowledge::{ArticleAction, ReviewState};
use minsheng_domain::people::PersonKind;
use minsheng_domain::{DomainError, ErrorCode};
use minsheng_store::PeopleQuery;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Authed, Json, Path, Query};

/// The largest registry file accepted (Haikou's whole registry is well under 1 MB).
pub const MAX_REGISTRY_BYTES: usize = 4 * 1024 * 1024;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PeopleParams {
    /// mediator, legal_aid, expert, judicial_officer
    pub kind: Option<String>,
    /// People with exactly this specialty (a tag such as 婚姻家庭, or a catalogue code).
    pub specialty: Option<String>,
    /// A unit path (`/1/4/`): people serving at or below it.
    pub area: Option<String>,
    pub active: Option<bool>,
}

/// The registry, filtered, with each person's open cases (staff).
#[utoipa::path(get, path = "/api/people", tag = "people", params(PeopleParams), responses((status = 200, description = "people with their load")))]
pub async fn people(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Query(p): Query<PeopleParams>,
) -> ApiResult<Json<Vec<PersonView>>> {
    let kind = match p.kind.as_deref().filter(|k| !k.is_empty()) {
        Some(k) => Some(PersonKind::parse_any(k).ok_or_else(|| {
            DomainError::invalid(
                "kind",
                format!("未知类别：{k}"),
                format!("unknown kind: {k} (mediator, legal_aid, expert, judicial_officer)"),
            )
        })?),
        None => None,
    };
    let query = PeopleQuery {
        kind,
        specialty: p.specialty.filter(|s| !s.trim().is_empty()),
        area_prefix: p.area.filter(|s| !s.trim().is_empty()),
        active: p.active,
    };
    Ok(Json(state.app.people(&actor, &query).await?))
}

/// Adds a person to the registry (administrators).
#[utoipa::path(post, path = "/api/people", tag = "people", request_body = PersonInput,
    responses((status = 201, description = "the person"), (status = 403, description = "not an administrator"), (status = 409, description = "same name in the same organisation")))]
pub async fn add_person(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Json(input): Json<PersonInput>,
) -> ApiResult<(StatusCode, Json<PersonView>)> {
    Ok((StatusCode::CREATED, Json(state.app.add_person(&actor, input).await?)))
}

#[utoipa::path(get, path = "/api/people/{id}", tag = "people", params(("id" = i64, Path)), responses((status = 200, description = "the person")))]
pub async fn person(State(state): State<AppState>, Authed(actor): Authed, Path(id): Path<i64>) -> ApiResult<Json<PersonView>> {
    Ok(Json(state.app.person(&actor, id).await?))
}

/// Rewrites a person (administrators).
#[utoipa::path(put, path = "/api/people/{id}", tag = "people", params(("id" = i64, Path)), request_body = PersonInput,
    responses((status = 200, description = "the person")))]
pub async fn edit_person(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<i64>,
    Json(input): Json<PersonInput>,
) -> ApiResult<Json<PersonView>> {
    Ok(Json(state.app.edit_person(&actor, id, input).await?))
}

/// Imports a registry file (CSV: name, kind, organisation, phone, specialties, areas, capacity,
/// active, note); rows are matched by name and organisation; all or nothing (administrators).
#[utoipa::path(post, path = "/api/people/import", tag = "people", request_body(content = String, content_type = "text/csv"),
    responses((status = 200, description = "how many were added and updated"), (status = 400, description = "every bad row with its line")))]
pub async fn import_people(State(state): State<AppState>, Authed(actor): Authed, body: String) -> ApiResult<Json<PeopleImport>> {
    Ok(Json(state.app.import_people_csv(&actor, &body).await?))
}

/// Who is on the case and the best-matched others, with scores and reasons.
#[utoipa::path(get, path = "/api/cases/{key}/people", tag = "people", params(("key" = String, Path, description = "case id or number")),
    responses((status = 200, description = "assigned people and proposals"), (status = 404, description = "no such case")))]
pub async fn case_people(State(state): State<AppState>, Authed(actor): Authed, Path(key): Path<String>) -> ApiResult<Json<CasePeople>> {
    Ok(Json(state.app.case_people(&actor, &key).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct KnowledgeParams {
    /// Search text (at most 200 characters): results are ranked by relevance.
    pub q: Option<String>,
    /// A catalogue code: articles of it and below it.
    pub category: Option<String>,
    /// draft, pending_review, published, retired
    pub state: Option<String>,
    /// true: only articles valid today (published, within their dates); false: only the others.
    pub valid: Option<bool>,
    pub unit_id: Option<i64>,
    pub limit: Option<u32>,
}

/// Articles the user may see: ranked when `q` is given, else newest change first.
#[utoipa::path(get, path = "/api/knowledge", tag = "knowledge", params(KnowledgeParams), responses((status = 200, description = "articles")))]
pub async fn articles(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Query(p): Query<KnowledgeParams>,
) -> ApiResult<Json<Vec<ArticleView>>> {
    let review_state = match p.state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(ReviewState::parse(s).ok_or_else(|| {
            DomainError::invalid(
                "state",
                format!("未知状态：{s}"),
                format!("unknown state: {s} (draft, pending_review, published, retired)"),
            )
        })?),
        None => None,
    };
    let filter = ArticleFilter {
        q: p.q,
        category: p.category.filter(|c| !c.trim().is_empty()),
        state: review_state,
        valid: p.valid,
        unit_id: p.unit_id,
        limit: p.limit,
    };
    Ok(Json(state.app.articles(&actor, &filter).await?))
}

/// Writes a new article as a draft (administrators; unit staff for their own unit).
#[utoipa::path(post, path = "/api/knowledge", tag = "knowledge", request_body = ArticleInput,
    responses((status = 201, description = "the draft"), (status = 400, description = "a field is invalid"), (status = 403, description = "not a writer of this unit")))]
pub async fn create_article(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Json(input): Json<ArticleInput>,
) -> ApiResult<(StatusCode, Json<ArticleView>)> {
    Ok((StatusCode::CREATED, Json(state.app.create_article(&actor, input).await?)))
}

/// One article with its history.
#[utoipa::path(get, path = "/api/knowledge/{id}", tag = "knowledge", params(("id" = i64, Path)), responses((status = 200, description = "the article")))]
pub async fn article(State(state): State<AppState>, Authed(actor): Authed, Path(id): Path<i64>) -> ApiResult<Json<ArticleDetail>> {
    Ok(Json(state.app.article(&actor, id).await?))
}

/// An edit: the fields of a new article plus the version the writer saw.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditArticleRequest {
    pub version: i64,
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub unit_id: Option<i64>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub valid_to: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
}

/// Edits an article seen at `version` (a published one goes back to review); a stale version is
/// a `version_conflict` and changes nothing.
#[utoipa::path(put, path = "/api/knowledge/{id}", tag = "knowledge", params(("id" = i64, Path)), request_body = EditArticleRequest,
    responses((status = 200, description = "the article"), (status = 409, description = "someone changed it first")))]
pub async fn edit_article(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Path(id): Path<i64>,
    Json(r): Json<EditArticleRequest>,
) -> ApiResult<Json<ArticleView>> {
    let input = ArticleInput {
        title: r.title,
        body: r.body,
        category: r.category,
        unit_id: r.unit_id,
        keywords: r.keywords,
        valid_from: r.valid_from,
        valid_to: r.valid_to,
        source: r.source,
    };
    Ok(Json(state.app.edit_article(&actor, id, r.version, input).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub version: i64,
    /// Required to reject.
    #[serde(default)]
    pub note: Option<String>,
}

/// A review step: `submit` (writers), `publish`, `reject` (with a note), `retire` (reviewers).
#[utoipa::path(post, path = "/api/knowledge/{id}/actions/{action}", tag = "knowledge",
    params(("id" = i64, Path), ("action" = String, Path, description = "submit, publish, reject or retire")), request_body = ReviewRequest,
    responses((status = 200, description = "the article"), (status = 409, description = "wrong state or version conflict"), (status = 403, description = "role not allowed")))]
pub async fn review_article(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Path((id, action)): Path<(i64, String)>,
    Json(r): Json<ReviewRequest>,
) -> ApiResult<Json<ArticleView>> {
    let Some(action) = ArticleAction::parse(&action) else {
        return Err(ApiError(DomainError::new(
            ErrorCode::NotFound,
            format!("未知操作「{action}」（submit、publish、reject、retire）"),
            format!("unknown action '{action}' (submit, publish, reject, retire)"),
        )));
    };
    Ok(Json(state.app.review_article(&actor, id, r.version, action, r.note.as_deref()).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuggestRequest {
    /// The case text as typed so far (at most 5,000 characters).
    pub text: String,
}

/// The valid articles that best answer a case's text: at most five, with highlighted excerpts and
/// the whole answer (for 采用答复).
#[utoipa::path(post, path = "/api/knowledge/suggest", tag = "knowledge", request_body = SuggestRequest,
    responses((status = 200, description = "suggested articles")))]
pub async fn suggest(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Json(r): Json<SuggestRequest>,
) -> ApiResult<Json<Vec<ArticleSuggestion>>> {
    Ok(Json(state.app.suggest_articles(&actor, &r.text).await?))
}
