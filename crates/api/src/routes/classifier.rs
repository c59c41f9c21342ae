//! 智能分类: the models with their evaluations, the settings of automatic dispatch, retraining
//! (one call) and activating a version; reading is for staff, changing for administrators.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use minsheng_app::classifier::{ClassifierSettings, RetrainOptions, TrainingStatus};
use minsheng_store::ModelInfo;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Authed, Json};

#[derive(Serialize)]
pub struct ClassifierOverview {
    pub settings: ClassifierSettings,
    /// Newest first, each with its cross-validated evaluation; one is active.
    pub models: Vec<ModelInfo>,
    pub training: TrainingStatus,
}

/// The classifier: settings, models and the state of retraining (any staff member).
#[utoipa::path(get, path = "/api/classifier", tag = "classifier", responses((status = 200, description = "settings and models")))]
pub async fn overview(State(state): State<AppState>, Authed(_actor): Authed) -> ApiResult<Json<ClassifierOverview>> {
    Ok(Json(ClassifierOverview {
        settings: state.app.classifier_settings().await?,
        models: state.app.models().await?,
        training: state.app.training_status()?,
    }))
}

/// Changes the classifier settings (administrators).
#[utoipa::path(put, path = "/api/settings/classifier", tag = "classifier", request_body = ClassifierSettings,
    responses((status = 200, description = "saved"), (status = 400, description = "out of range"), (status = 403, description = "not an administrator")))]
pub async fn set_settings(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Json(settings): Json<ClassifierSettings>,
) -> ApiResult<Json<ClassifierSettings>> {
    state.app.set_classifier_settings(&actor, settings).await?;
    Ok(Json(state.app.classifier_settings().await?))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct RetrainRequest {
    /// Also learn from the shipped base data (default: the setting).
    pub include_base: Option<bool>,
    /// Make the new model active when trained (default true).
    pub activate: Option<bool>,
    pub note: Option<String>,
}

/// Retrains from the platform's history in the background (administrators); poll
/// `GET /api/classifier` for the outcome.
#[utoipa::path(post, path = "/api/classifier/retrain", tag = "classifier", request_body = RetrainRequest,
    responses((status = 202, description = "training started"), (status = 403, description = "not an administrator"), (status = 422, description = "already training")))]
pub async fn retrain(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Json(req): Json<RetrainRequest>,
) -> ApiResult<(StatusCode, Json<TrainingStatus>)> {
    if req.note.as_ref().is_some_and(|n| n.chars().count() > 200) {
        return Err(minsheng_domain::DomainError::invalid("note", "说明最多 200 字", "at most 200 characters").into());
    }
    let options = RetrainOptions { include_base: req.include_base, activate: req.activate.unwrap_or(true), note: req.note, train: None };
    Ok((StatusCode::ACCEPTED, Json(state.app.start_retrain(&actor, options)?)))
}

/// Makes a saved model the active one (administrators).
#[utoipa::path(post, path = "/api/classifier/models/{version}/activate", tag = "classifier",
    params(("version" = i64, Path, description = "model version")),
    responses((status = 200, description = "active"), (status = 404, description = "no such version")))]
pub async fn activate(State(state): State<AppState>, Authed(actor): Authed, Path(version): Path<i64>) -> ApiResult<Json<Vec<ModelInfo>>> {
    state.app.activate_model(&actor, version).await?;
    Ok(Json(state.app.models().await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyRequest {
    #[serde(default)]
    pub title: String,
    pub text: String,
}

/// The classifier's top 3 catalogue items for a text (any staff member); `null` without a model.
#[utoipa::path(post, path = "/api/classify", tag = "classifier", request_body = ClassifyRequest,
    responses((status = 200, description = "proposals")))]
pub async fn classify(
    State(state): State<AppState>,
    Authed(_actor): Authed,
    Json(req): Json<ClassifyRequest>,
) -> ApiResult<Json<Option<minsheng_domain::case::Classification>>> {
    if req.text.chars().count() + req.title.chars().count() > 5000 {
        return Err(minsheng_domain::DomainError::invalid("text", "文本最多 5000 字", "at most 5000 characters").into());
    }
    Ok(Json(state.app.classify(&req.title, &req.text).await?))
}
