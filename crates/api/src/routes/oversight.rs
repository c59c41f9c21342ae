//! Oversight (督办与考核): live figures with their formulas, monthly rankings and exports; the
//! metric settings; staff notifications (催办, 领办, 周报); the duty roster; the weekly digest.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use minsheng_app::metrics::{MetricsReport, MetricsRequest, Rankings, report_csv, report_xlsx};
use minsheng_app::notify::{Digest, china_date, parse_day};
use minsheng_domain::escalation::EscalationRules;
use minsheng_domain::metrics::{MetricDef, ScoreRules};
use minsheng_domain::{DomainError, ErrorCode};
use minsheng_store::{DutyRecord, Notice};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Authed, Json, Path, Query};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MetricsParams {
    /// First day (YYYY-MM-DD, China time); default the first of this month.
    pub from: Option<String>,
    /// The day after the last; default tomorrow.
    pub to: Option<String>,
    /// unit, unit_tree, level, category, channel, case_type, day, week, month (default unit).
    pub by: Option<String>,
    /// Only this unit's subtree.
    pub unit: Option<i64>,
    /// json (default), csv or xlsx.
    pub format: Option<String>,
}

/// The figures for a period, grouped, each with its formula; CSV or XLSX with `format`.
#[utoipa::path(get, path = "/api/metrics", tag = "oversight", params(MetricsParams), responses((status = 200, description = "the report")))]
pub async fn metrics(State(state): State<AppState>, Authed(actor): Authed, Query(p): Query<MetricsParams>) -> ApiResult<Response> {
    let today = china_date(state.app.clock.now());
    let req = MetricsRequest::parse(p.from.as_deref(), p.to.as_deref(), p.by.as_deref(), p.unit, today)?;
    let started = std::time::Instant::now();
    let report = state.app.metrics_report(&actor, &req).await?;
    metrics::histogram!("minsheng_metrics_seconds").record(started.elapsed().as_secs_f64());
    export(report, p.format.as_deref())
}

fn export(report: MetricsReport, format: Option<&str>) -> ApiResult<Response> {
    let name = format!("minsheng-metrics-{}-{}", report.from, report.to);
    match format.unwrap_or("json") {
        "json" => Ok(Json(report).into_response()),
        "csv" => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.csv\"")),
            ],
            report_csv(&report)?,
        )
            .into_response()),
        "xlsx" => Ok((
            [
                (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.xlsx\"")),
            ],
            report_xlsx(&report)?,
        )
            .into_response()),
        other => Err(DomainError::invalid(
            "format",
            format!("不支持的格式：{other}（json、csv、xlsx）"),
            format!("unknown format: {other} (json, csv, xlsx)"),
        )
        .into()),
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RankingParams {
    /// YYYY-MM; default this month.
    pub month: Option<String>,
}

/// 月度排名: units ranked by score within each level.
#[utoipa::path(get, path = "/api/metrics/rankings", tag = "oversight", params(RankingParams), responses((status = 200, description = "rankings")))]
pub async fn rankings(State(state): State<AppState>, Authed(actor): Authed, Query(p): Query<RankingParams>) -> ApiResult<Json<Rankings>> {
    let month = p.month.unwrap_or_else(|| china_date(state.app.clock.now()).format("%Y-%m").to_string());
    Ok(Json(state.app.monthly_rankings(&actor, &month).await?))
}

/// The metric definitions in force (formulas over counted facts).
#[utoipa::path(get, path = "/api/settings/metrics", tag = "oversight", responses((status = 200, description = "definitions")))]
pub async fn definitions(State(state): State<AppState>, Authed(_actor): Authed) -> ApiResult<Json<Vec<MetricDef>>> {
    Ok(Json(state.app.metric_definitions().await?))
}

#[utoipa::path(put, path = "/api/settings/metrics", tag = "oversight", responses((status = 204, description = "saved")))]
pub async fn set_definitions(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Json(defs): Json<Vec<MetricDef>>,
) -> ApiResult<StatusCode> {
    state.app.set_metric_definitions(&actor, defs).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/settings/score", tag = "oversight", responses((status = 200, description = "score weights and deductions")))]
pub async fn score(State(state): State<AppState>, Authed(_actor): Authed) -> ApiResult<Json<ScoreRules>> {
    Ok(Json(state.app.score_rules().await?))
}

#[utoipa::path(put, path = "/api/settings/score", tag = "oversight", responses((status = 204, description = "saved")))]
pub async fn set_score(State(state): State<AppState>, Authed(actor): Authed, Json(rules): Json<ScoreRules>) -> ApiResult<StatusCode> {
    state.app.set_score_rules(&actor, rules).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The escalation ladder's thresholds (督办 and 领导领办 triggers).
#[utoipa::path(get, path = "/api/settings/escalation", tag = "oversight", responses((status = 200, description = "thresholds")))]
pub async fn escalation(State(state): State<AppState>, Authed(_actor): Authed) -> ApiResult<Json<EscalationRules>> {
    Ok(Json(state.app.escalation_rules()))
}

#[utoipa::path(put, path = "/api/settings/escalation", tag = "oversight", responses((status = 204, description = "saved")))]
pub async fn set_escalation(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Json(rules): Json<EscalationRules>,
) -> ApiResult<StatusCode> {
    state.app.set_escalation_rules(&actor, rules).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct NoticeParams {
    #[serde(default)]
    pub unread: bool,
    pub limit: Option<u32>,
}

/// The signed-in user's notifications (催办, 领导领办, 周报), newest first.
#[utoipa::path(get, path = "/api/notifications", tag = "oversight", params(NoticeParams), responses((status = 200, description = "notifications")))]
pub async fn notifications(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Query(p): Query<NoticeParams>,
) -> ApiResult<Json<Vec<Notice>>> {
    Ok(Json(state.app.my_notices(&actor, p.unread, p.limit.unwrap_or(50).clamp(1, 200)).await?))
}

#[utoipa::path(post, path = "/api/notifications/{id}/read", tag = "oversight", responses((status = 204, description = "marked read")))]
pub async fn mark_read(State(state): State<AppState>, Authed(actor): Authed, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    state.app.mark_read(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The delivery log of a case: every notification it caused and how delivery went.
#[utoipa::path(get, path = "/api/cases/{key}/notices", tag = "oversight", responses((status = 200, description = "notices")))]
pub async fn case_notices(State(state): State<AppState>, Authed(actor): Authed, Path(key): Path<String>) -> ApiResult<Json<Vec<Notice>>> {
    Ok(Json(state.app.case_notices(&actor, &key).await?))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DutyParams {
    pub from: String,
    pub to: String,
}

/// 值班表 for a range of days.
#[utoipa::path(get, path = "/api/duty", tag = "oversight", params(DutyParams), responses((status = 200, description = "roster")))]
pub async fn duty(State(state): State<AppState>, Authed(_actor): Authed, Query(p): Query<DutyParams>) -> ApiResult<Json<Vec<DutyRecord>>> {
    Ok(Json(state.app.duty(&p.from, &p.to).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DutyRequest {
    pub day: String,
    pub unit_id: i64,
    pub user_ids: Vec<i64>,
}

#[utoipa::path(put, path = "/api/duty", tag = "oversight", request_body = DutyRequest, responses((status = 204, description = "saved")))]
pub async fn set_duty(State(state): State<AppState>, Authed(actor): Authed, Json(r): Json<DutyRequest>) -> ApiResult<StatusCode> {
    if r.user_ids.len() > 20 {
        return Err(DomainError::invalid("user_ids", "每个单位每天最多 20 人值班", "at most 20 people per unit and day").into());
    }
    state.app.set_duty(&actor, &r.day, r.unit_id, &r.user_ids).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DigestParams {
    /// Any day of the week (YYYY-MM-DD); default last week.
    pub week: Option<String>,
}

fn digest_day(state: &AppState, week: Option<&str>) -> ApiResult<chrono::NaiveDate> {
    Ok(match week {
        Some(w) => parse_day("week", w)?,
        None => china_date(state.app.clock.now()) - chrono::Duration::days(7),
    })
}

fn centre_only(actor: &minsheng_domain::org::Actor) -> ApiResult<()> {
    use minsheng_domain::org::Role;
    if matches!(actor.role, Role::Supervisor | Role::Leader | Role::Admin | Role::UnitLeader | Role::Dispatcher) {
        Ok(())
    } else {
        Err(DomainError::new(ErrorCode::Forbidden, "无权查看不满意工单周报", "you may not see the digest").into())
    }
}

/// 不满意工单周报: the week's cases whose last rating was 不满意, by category.
#[utoipa::path(get, path = "/api/digest/unsatisfied", tag = "oversight", params(DigestParams), responses((status = 200, description = "digest")))]
pub async fn digest(State(state): State<AppState>, Authed(actor): Authed, Query(p): Query<DigestParams>) -> ApiResult<Json<Digest>> {
    centre_only(&actor)?;
    let day = digest_day(&state, p.week.as_deref())?;
    Ok(Json(state.app.unsatisfied_digest(day).await?))
}

/// Sends the digest to the leaders on duty that week (once each).
#[utoipa::path(post, path = "/api/digest/unsatisfied", tag = "oversight", params(DigestParams), responses((status = 200, description = "digest sent")))]
pub async fn send_digest(State(state): State<AppState>, Authed(actor): Authed, Query(p): Query<DigestParams>) -> ApiResult<Json<Digest>> {
    use minsheng_domain::org::Role;
    if !matches!(actor.role, Role::Supervisor | Role::Admin) {
        return Err(DomainError::new(
            ErrorCode::Forbidden,
            "仅督办员或管理员可以发送周报",
            "only supervisors and administrators send the digest",
        )
        .into());
    }
    let day = digest_day(&state, p.week.as_deref())?;
    Ok(Json(state.app.send_unsatisfied_digest(day).await?))
}
