//! Cases: intake, lists, detail with timeline, and every lifecycle action.

use axum::extract::State;
use axum::http::StatusCode;
use minsheng_app::service::{ActionRequest, AfterIntake, CaseDetail, CaseList, ListView};
use minsheng_domain::case::{CaseState, CaseType, Channel, Citizen, Intake, Place, Urgency};
use minsheng_domain::lifecycle::Action;
use minsheng_domain::value::{Address, CaseText, Note, PersonName, PhoneNumber, Title};
use minsheng_domain::{DomainError, ErrorCode};
use minsheng_store::CaseFilter;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ApiResult, bad_body};
use crate::extract::{Authed, Json, Path, Query};

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CitizenInput {
    pub name: Option<PersonName>,
    pub phone: Option<PhoneNumber>,
    pub caller_number: Option<PhoneNumber>,
    #[serde(default)]
    pub confidential: bool,
    #[serde(default)]
    pub anonymous: bool,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PlaceInput {
    pub address: Option<Address>,
    pub division_unit_id: Option<i64>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// A new case as the operator's form or an integration sends it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCaseRequest {
    pub channel: Channel,
    pub case_type: CaseType,
    pub title: Title,
    pub text: CaseText,
    #[serde(default = "normal")]
    pub urgency: Urgency,
    #[serde(default)]
    pub citizen: CitizenInput,
    #[serde(default)]
    pub place: PlaceInput,
    pub catalogue_item: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub external_id: Option<String>,
    /// `forward` (default) hands the case to the dispatch pool at once; `stay` leaves it with
    /// the operator (to answer on the spot).
    #[serde(default)]
    pub after: AfterIntake,
    /// Ids of files uploaded before by the same user (`POST /api/attachments`), at most 9.
    #[serde(default)]
    pub attachments: Vec<String>,
}

fn normal() -> Urgency {
    Urgency::Normal
}

fn short_text(field: &str, value: &Option<String>, max: usize) -> Result<(), ApiError> {
    if let Some(v) = value
        && (v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control))
    {
        return Err(ApiError(DomainError::invalid(field, format!("应为 1 至 {max} 个字符"), format!("must be 1 to {max} characters"))));
    }
    Ok(())
}

/// Take in a case (受理).
#[utoipa::path(post, path = "/api/cases", tag = "cases", request_body = CreateCaseRequest,
    responses((status = 201, description = "the case as this actor sees it"), (status = 400, description = "invalid input"), (status = 403, description = "role may not take in cases")))]
pub async fn create(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Json(mut req): Json<CreateCaseRequest>,
) -> ApiResult<(StatusCode, Json<CaseDetail>)> {
    let after = req.after;
    let files = std::mem::take(&mut req.attachments);
    let mut intake = intake_of(req)?;
    intake.attachments = state.app.attachment_refs(&actor, &files).await?;
    let detail = state.app.create_case(&actor, intake, after).await?;
    Ok((StatusCode::CREATED, Json(detail)))
}

/// The intake a request describes (shared by creation and the routing preview).
fn intake_of(req: CreateCaseRequest) -> ApiResult<Intake> {
    short_text("catalogue_item", &req.catalogue_item, 64)?;
    short_text("external_id", &req.external_id, 128)?;
    let intake = Intake {
        channel: req.channel,
        case_type: req.case_type,
        title: req.title,
        text: req.text,
        urgency: req.urgency,
        citizen: Citizen {
            name: req.citizen.name,
            phone: req.citizen.phone,
            caller_number: req.citizen.caller_number,
            confidential: req.citizen.confidential,
            anonymous: req.citizen.anonymous,
            ..Default::default()
        },
        place: Place {
            address: req.place.address,
            division_unit_id: req.place.division_unit_id,
            latitude: req.place.latitude,
            longitude: req.place.longitude,
        },
        catalogue_item: req.catalogue_item,
        catalogue_version: None,
        tags: req.tags,
        external_id: req.external_id,
        attachments: Vec::new(),
    };
    Ok(intake)
}

/// 派单建议 for a draft: the same body as creating a case; nothing is stored. Without an item,
/// the classifier's top 3 proposals come with it and the routing follows the top one.
#[utoipa::path(post, path = "/api/cases/preview", tag = "cases", request_body = CreateCaseRequest, responses((status = 200, description = "the routing proposal")))]
pub async fn preview(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Json(req): Json<CreateCaseRequest>,
) -> ApiResult<Json<minsheng_app::routing::IntakePreview>> {
    let intake = intake_of(req)?;
    Ok(Json(state.app.preview_intake(&actor, &intake).await?))
}

/// 并单建议 for a case: other open cases probably about the same matter, with the reasons.
#[utoipa::path(get, path = "/api/cases/{key}/similar", tag = "cases", params(("key" = String, Path, description = "case id or number")),
    responses((status = 200, description = "similar open cases")))]
pub async fn similar(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Path(key): Path<String>,
) -> ApiResult<Json<Vec<minsheng_app::similar::SimilarCase>>> {
    let case = state.app.visible_case(&actor, &key).await?;
    Ok(Json(state.app.similar_open_cases(&actor, &case.intake, Some(case.id), 10).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// `visible` (default): every case this user may see; `inbox`: cases the user's unit holds now.
    pub view: Option<String>,
    /// Comma-separated states, e.g. `dispatched,handling`.
    pub state: Option<String>,
    /// Lead unit id.
    pub unit: Option<i64>,
    /// Comma-separated case types.
    #[serde(rename = "type")]
    pub case_type: Option<String>,
    /// Comma-separated channels.
    pub channel: Option<String>,
    /// Comma-separated urgencies.
    pub urgency: Option<String>,
    /// Received at or after (RFC 3339, or milliseconds since the epoch).
    pub from: Option<String>,
    /// Received before (RFC 3339, or milliseconds).
    pub to: Option<String>,
    /// Title or text contains.
    pub q: Option<String>,
    /// The citizen's phone number (caller history).
    pub phone: Option<String>,
    /// `yellow`: a running clock is past its yellow line (预警) or overdue; `red`: overdue (超时).
    pub warning: Option<String>,
    /// `yellow`: under supervision (督办); `red`: red-card supervision.
    pub supervision: Option<String>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 20).
    pub limit: Option<u32>,
}

fn list_of<T>(field: &str, raw: &Option<String>, parse: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, ApiError> {
    let Some(raw) = raw else { return Ok(vec![]) };
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| parse(s).ok_or_else(|| ApiError(DomainError::invalid(field, format!("未知取值「{s}」"), format!("unknown value '{s}'")))))
        .collect()
}

pub(crate) fn parse_time(field: &str, raw: &Option<String>) -> Result<Option<i64>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    if let Ok(ms) = raw.parse::<i64>() {
        return Ok(Some(ms));
    }
    chrono::DateTime::parse_from_rfc3339(raw).map(|t| Some(t.timestamp_millis())).map_err(|_| {
        ApiError(DomainError::invalid(
            field,
            "时间格式应为 RFC 3339（如 2026-11-22T08:00:00+08:00）",
            "expected RFC 3339, e.g. 2026-11-22T08:00:00+08:00",
        ))
    })
}

/// List cases with filters and cursor pagination (newest first).
#[utoipa::path(get, path = "/api/cases", tag = "cases", params(ListParams), responses((status = 200, description = "`{items, next_cursor}`")))]
pub async fn list(State(state): State<AppState>, Authed(actor): Authed, Query(p): Query<ListParams>) -> ApiResult<Json<CaseList>> {
    let view = match p.view.as_deref() {
        None | Some("visible") => ListView::Visible,
        Some("inbox") => ListView::Inbox,
        Some(other) => {
            return Err(ApiError(DomainError::invalid("view", format!("未知视图「{other}」"), format!("unknown view '{other}'"))));
        }
    };
    let phone = match &p.phone {
        Some(raw) => Some(PhoneNumber::parse(raw)?.as_str().to_string()),
        None => None,
    };
    let filter = CaseFilter {
        states: list_of("state", &p.state, CaseState::parse)?,
        lead_unit_id: p.unit,
        case_types: list_of("type", &p.case_type, CaseType::parse)?,
        channels: list_of("channel", &p.channel, Channel::parse)?,
        urgencies: list_of("urgency", &p.urgency, Urgency::parse)?,
        from: parse_time("from", &p.from)?,
        to: parse_time("to", &p.to)?,
        text: p.q.filter(|q| !q.trim().is_empty()),
        phone,
        warning: match p.warning.as_deref() {
            None | Some("") => None,
            Some("yellow") => Some(minsheng_domain::deadline::Light::Yellow),
            Some("red") => Some(minsheng_domain::deadline::Light::Red),
            Some(other) => {
                return Err(ApiError(DomainError::invalid(
                    "warning",
                    format!("未知取值「{other}」（yellow、red）"),
                    format!("unknown value '{other}' (yellow, red)"),
                )));
            }
        },
        supervision: match p.supervision.as_deref() {
            None | Some("") => None,
            Some("yellow") => Some(minsheng_domain::case::Supervision::Yellow),
            Some("red") => Some(minsheng_domain::case::Supervision::Red),
            Some(other) => {
                return Err(ApiError(DomainError::invalid(
                    "supervision",
                    format!("未知取值「{other}」（yellow、red）"),
                    format!("unknown value '{other}' (yellow, red)"),
                )));
            }
        },
        ..Default::default()
    };
    let list = state.app.list_cases(&actor, view, filter, p.cursor.as_deref(), p.limit.unwrap_or(20)).await?;
    Ok(Json(list))
}

/// One case by id or number, with its timeline and the actions open to this user now.
#[utoipa::path(get, path = "/api/cases/{key}", tag = "cases", params(("key" = String, Path, description = "case id or number")),
    responses((status = 200, description = "`{case, citizen, timeline, actions}`"), (status = 404, description = "no such case, or not visible to you")))]
pub async fn detail(State(state): State<AppState>, Authed(actor): Authed, Path(key): Path<String>) -> ApiResult<Json<CaseDetail>> {
    Ok(Json(state.app.case_detail(&actor, &key).await?))
}

/// Splits an action body into the version the client saw, the note, and the action's own fields.
pub(crate) fn parse_action(
    action: &str,
    body: serde_json::Value,
    needs_version: bool,
) -> Result<(i64, Option<Note>, ActionRequest), ApiError> {
    let Some(parsed) = Action::parse(action) else {
        return Err(ApiError(DomainError::new(ErrorCode::NotFound, format!("未知操作「{action}」"), format!("unknown action '{action}'"))));
    };
    let serde_json::Value::Object(mut obj) = body else {
        return Err(bad_body("the body must be a JSON object".into()));
    };
    let version = match obj.remove("version") {
        Some(serde_json::Value::Number(n)) => {
            n.as_i64().ok_or_else(|| ApiError(DomainError::invalid("version", "应为整数", "must be an integer")))?
        }
        Some(_) => return Err(ApiError(DomainError::invalid("version", "应为整数", "must be an integer"))),
        None if needs_version => {
            return Err(ApiError(DomainError::invalid("version", "须提供所见的工单版本号", "the case version you saw is required")));
        }
        None => 0,
    };
    let note = match obj.remove("note") {
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => None,
        Some(serde_json::Value::String(s)) => Some(Note::parse(&s)?),
        Some(serde_json::Value::Null) | None => None,
        Some(_) => return Err(ApiError(DomainError::invalid("note", "应为字符串", "must be a string"))),
    };
    obj.insert("action".into(), serde_json::Value::String(parsed.as_str().into()));
    let request: ActionRequest = serde_json::from_value(serde_json::Value::Object(obj)).map_err(|e| bad_body(e.to_string()))?;
    Ok((version, note, request))
}

/// Take an action on a case. The body holds `version` (the case version you saw), an optional
/// `note` (the reason; required for some actions) and the action's own fields — see the table in
/// the API description.
#[utoipa::path(post, path = "/api/cases/{key}/actions/{action}", tag = "cases",
    params(("key" = String, Path, description = "case id or number"), ("action" = String, Path, description = "one of the actions in the table above")),
    request_body(content = Object, description = "`{\"version\": 3, \"note\": \"…\", …action fields}`"),
    responses((status = 200, description = "the case after the action"), (status = 409, description = "wrong state or version conflict"),
        (status = 403, description = "role or unit not allowed"), (status = 422, description = "a rule from practice forbids it"), (status = 404, description = "no such case")))]
pub async fn act(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Path((key, action)): Path<(String, String)>,
    Json(body): Json<serde_json::Value>,
) -> ApiResult<Json<CaseDetail>> {
    let (version, note, request) = parse_action(&action, body, true)?;
    Ok(Json(state.app.act(&actor, &key, version, request, note).await?))
}

/// 工单检索: ranked full-text search over case text, replies and addresses with the filters,
/// within what the user may see (centre roles: the city; unit roles: their subtree).
#[utoipa::path(get, path = "/api/search", tag = "cases", params(minsheng_app::search::SearchRequest),
    responses((status = 200, description = "ranked hits with highlighted snippets"), (status = 400, description = "bad search")))]
pub async fn search(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Query(req): Query<minsheng_app::search::SearchRequest>,
) -> ApiResult<Json<minsheng_app::search::SearchResponse>> {
    Ok(Json(state.app.search_cases(&actor, req).await?))
}
