//! The HTTP edge of minsheng: JSON API under `/api`, the OpenAPI document and a browsable API
//! page, health and Prometheus metrics. Handlers translate HTTP to use-case calls and back;
//! decisions live in `minsheng-app` and `minsheng-domain`.
//!
//! # Layout
//! - [`error`]: the error-code → HTTP status table and the JSON error body.
//! - [`extract`]: JSON/query/path extractors with our errors; the authenticated actor.
//! - [`routes`]: one module per area (auth, cases, track, org, meta, registry: people and knowledge).
//! - [`openapi`]: the OpenAPI document.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use minsheng_app::App;
use minsheng_domain::{DomainError, ErrorCode};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

pub mod error;
pub mod extract;
pub mod openapi;
pub mod routes;

/// Requests larger than this are refused with 413 before any parsing.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// The limit for a whole catalogue upload.
pub const MAX_CATALOGUE_BYTES: usize = 16 * 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub app: App,
}

/// The process-wide Prometheus recorder (a process can install only one).
pub fn prometheus() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok().map(|_| handle)
        })
        .as_ref()
}

/// The API only (tests, headless deployments).
pub fn router(app: App) -> Router {
    router_with_web(app, None)
}

/// The API plus the browser application's built files (`web/dist`), served at `/` so the one
/// server is all a deployment needs. Without them, `/` is a small page pointing at the API docs.
pub fn router_with_web(app: App, web_dir: Option<std::path::PathBuf>) -> Router {
    let _ = prometheus();
    let state = AppState { app };
    let api = Router::new()
        .route("/auth/login", post(routes::auth::login))
        .route("/auth/logout", post(routes::auth::logout))
        .route("/me", get(routes::auth::me))
        .route("/cases", get(routes::cases::list).post(routes::cases::create))
        .route("/cases/preview", post(routes::cases::preview))
        .route("/search", get(routes::cases::search))
        .route("/cases/{key}", get(routes::cases::detail))
        .route("/cases/{key}/actions/{action}", post(routes::cases::act))
        .route("/track/{number}", get(routes::track::track))
        .route("/track/{number}/actions/{action}", post(routes::track::citizen_act))
        .route("/public/stats", get(routes::track::public_stats))
        // 渠道: the public report door, the SMS webhook, citizens and their notice templates.
        .route("/public/cases", post(routes::channels::report))
        .route("/channels/sms/inbound", post(routes::channels::sms_inbound))
        .route("/citizens/{phone}", get(routes::channels::history))
        .route("/citizens/{phone}/flag", put(routes::channels::set_flag))
        .route("/cases/{key}/citizen-flag", put(routes::channels::set_case_flag))
        .route("/citizen-flags", get(routes::channels::flags))
        .route("/settings/notice-templates", get(routes::channels::templates).put(routes::channels::set_templates))
        // 附件: a file is larger than any JSON body; each upload route has its own limit.
        .route("/attachments", post(routes::attachments::upload).layer(DefaultBodyLimit::max(routes::attachments::MAX_UPLOAD_BODY_BYTES)))
        .route(
            "/public/attachments",
            post(routes::attachments::upload_public).layer(DefaultBodyLimit::max(routes::attachments::MAX_UPLOAD_BODY_BYTES)),
        )
        .route("/attachments/{id}", get(routes::attachments::download))
        .route("/attachments/{id}/thumbnail", get(routes::attachments::thumbnail))
        .route("/cases/{key}/attachments", get(routes::attachments::case_files))
        .route("/units", get(routes::org::units).post(routes::org::add_unit))
        .route("/users", get(routes::org::users).post(routes::org::add_user))
        .route("/users/{login}/password", post(routes::org::reset_password))
        .route("/apikeys", get(routes::org::api_keys).post(routes::org::add_api_key))
        .route("/apikeys/{id}", delete(routes::org::revoke_api_key))
        .route("/meta", get(routes::meta::meta))
        // A whole catalogue is larger than any other body (thousands of items with keywords).
        .route("/catalogue", get(routes::catalogue::get).put(routes::catalogue::save).layer(DefaultBodyLimit::max(MAX_CATALOGUE_BYTES)))
        .route("/catalogue/versions", get(routes::catalogue::versions))
        .route("/catalogue/import", post(routes::catalogue::import_csv).layer(DefaultBodyLimit::max(MAX_CATALOGUE_BYTES)))
        .route("/catalogue/search", get(routes::catalogue::search))
        .route("/classifier", get(routes::classifier::overview))
        .route("/settings/classifier", put(routes::classifier::set_settings))
        .route("/classifier/retrain", post(routes::classifier::retrain))
        .route("/classifier/models/{version}/activate", post(routes::classifier::activate))
        .route("/classify", post(routes::classifier::classify))
        .route("/grids", put(routes::places::upload_grids).layer(DefaultBodyLimit::max(MAX_CATALOGUE_BYTES)))
        .route("/metrics", get(routes::oversight::metrics))
        .route("/metrics/rankings", get(routes::oversight::rankings))
        .route("/settings/metrics", get(routes::oversight::definitions).put(routes::oversight::set_definitions))
        .route("/settings/score", get(routes::oversight::score).put(routes::oversight::set_score))
        .route("/settings/escalation", get(routes::oversight::escalation).put(routes::oversight::set_escalation))
        .route("/notifications", get(routes::oversight::notifications))
        .route("/notifications/{id}/read", post(routes::oversight::mark_read))
        .route("/cases/{key}/notices", get(routes::oversight::case_notices))
        .route("/cases/{key}/similar", get(routes::cases::similar))
        .route("/duty", get(routes::oversight::duty).put(routes::oversight::set_duty))
        .route("/digest/unsatisfied", get(routes::oversight::digest).post(routes::oversight::send_digest))
        // 人员库 and 知识库.
        .route("/people", get(routes::registry::people).post(routes::registry::add_person))
        .route("/people/import", post(routes::registry::import_people).layer(DefaultBodyLimit::max(routes::registry::MAX_REGISTRY_BYTES)))
        .route("/people/{id}", get(routes::registry::person).put(routes::registry::edit_person))
        .route("/cases/{key}/people", get(routes::registry::case_people))
        .route("/knowledge", get(routes::registry::articles).post(routes::registry::create_article))
        .route("/knowledge/suggest", post(routes::registry::suggest))
        .route("/knowledge/{id}", get(routes::registry::article).put(routes::registry::edit_article))
        .route("/knowledge/{id}/actions/{action}", post(routes::registry::review_article))
        .fallback(not_found);
    let base = Router::new()
        .merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi::build()))
        .nest("/api", api)
        // Open311 GeoReport v2 for third-party apps (its own formats and errors).
        .nest("/open311/v2", routes::open311::router())
        // 微信公众号: answers only when the server added its `Arc<WechatChannel>` extension.
        .route(routes::wechat::PATH, get(routes::wechat::verify).post(routes::wechat::receive))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text));
    let web = web_dir.filter(|d| d.join("index.html").is_file());
    let base = match web {
        Some(dir) => {
            let index = dir.join("index.html");
            let files = tower_http::services::ServeDir::new(dir).fallback(tower_http::services::ServeFile::new(index));
            base.fallback_service(tower::ServiceBuilder::new().layer(axum::middleware::from_fn(web_cache_headers)).service(files))
        }
        None => base.route("/", get(home)).fallback(not_found),
    };
    base.method_not_allowed_fallback(method_not_allowed)
        // gzip for clients that ask (the web bundle and the larger JSON lists shrink 3–4×).
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(axum::middleware::from_fn(track_metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        .layer(CatchPanicLayer::custom(|_| {
            // The panic message goes to the log, never to the client.
            tracing::error!("handler panicked");
            error::ApiError(DomainError::internal()).into_response()
        }))
        .with_state(state)
}

/// Vite names its built assets by content hash, so they never change under one name and may be
/// cached for good; every other file (index.html above all) must be revalidated, or a browser keeps
/// an old index that names assets a new release no longer has.
async fn web_cache_headers(req: Request, next: Next) -> Response {
    let immutable = req.uri().path().starts_with("/assets/");
    let mut response = next.run(req).await;
    let value = if immutable && response.status().is_success() { "public, max-age=31536000, immutable" } else { "no-cache" };
    response.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static(value));
    response
}

async fn not_found() -> Response {
    error::ApiError(DomainError::new(ErrorCode::NotFound, "没有这个地址", "no such address")).into_response()
}

async fn method_not_allowed() -> Response {
    let e = DomainError::new(ErrorCode::InvalidInput, "不支持此请求方法", "method not allowed");
    let mut r = error::ApiError(e).into_response();
    *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    r
}

async fn track_metrics(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let path = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("minsheng_http_requests_total", "method" => method.clone(), "path" => path.clone(), "status" => status).increment(1);
    metrics::histogram!("minsheng_http_request_duration_seconds", "method" => method, "path" => path).record(start.elapsed().as_secs_f64());
    response
}

/// Liveness and readiness: answers 200 when the database answers.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.app.store.count_cases().await {
        Ok(_) => (StatusCode::OK, axum::Json(serde_json::json!({ "status": "ok", "engine": state.app.store.engine() }))).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({ "status": "unavailable" }))).into_response()
        }
    }
}

async fn metrics_text() -> Response {
    match prometheus() {
        Some(h) => ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], h.render()).into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "metrics recorder unavailable").into_response(),
    }
}

async fn home() -> Html<&'static str> {
    Html(include_str!("home.html"))
}
