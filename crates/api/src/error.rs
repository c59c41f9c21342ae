//! The error table of the API: every refusal is JSON `{"error": {code, message_zh, message_en,
//! details}}` with an HTTP status chosen by its stable code. Never a stack trace.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use minsheng_domain::{DomainError, ErrorCode};

/// The HTTP status of each error code. One table, documented in the OpenAPI description.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidInput => StatusCode::BAD_REQUEST,
        ErrorCode::InvalidState => StatusCode::CONFLICT,
        ErrorCode::RoleForbidden | ErrorCode::UnitForbidden | ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::RuleViolation => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::VersionConflict | ErrorCode::AlreadyExists => StatusCode::CONFLICT,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

#[derive(Debug)]
pub struct ApiError(pub DomainError);

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        ApiError(e)
    }
}

impl From<minsheng_store::StoreError> for ApiError {
    fn from(e: minsheng_store::StoreError) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(self.0.code);
        metrics::counter!("minsheng_http_errors_total", "code" => self.0.code.as_str()).increment(1);
        (
            status,
            Json(serde_json::json!({ "error": {
                "code": self.0.code.as_str(),
                "message_zh": self.0.message_zh,
                "message_en": self.0.message_en,
                "details": self.0.details,
            }})),
        )
            .into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Turns serde's message about a bad body into our error. Serde's text is English; the Chinese
/// message says the same in general terms and the details keep serde's precise position.
pub fn bad_body(detail: String) -> ApiError {
    // Strip our own error's debug prefix when a value type refused the input.
    let detail = detail.replace("InvalidInput: ", "");
    ApiError(
        DomainError::new(ErrorCode::InvalidInput, format!("请求数据无效：{detail}"), format!("invalid request body: {detail}"))
            .with_details(serde_json::json!({ "reason": detail })),
    )
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError(DomainError::new(ErrorCode::PayloadTooLarge, "请求体过大", "request body too large"));
        }
        match r {
            JsonRejection::MissingJsonContentType(_) => ApiError(DomainError::new(
                ErrorCode::InvalidInput,
                "请求须为 JSON（Content-Type: application/json）",
                "the body must be JSON (Content-Type: application/json)",
            )),
            other => bad_body(other.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        let detail = r.body_text();
        ApiError(DomainError::new(
            ErrorCode::InvalidInput,
            format!("查询参数无效：{detail}"),
            format!("invalid query parameters: {detail}"),
        ))
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        let detail = r.body_text();
        ApiError(DomainError::new(ErrorCode::InvalidInput, format!("路径参数无效：{detail}"), format!("invalid path parameter: {detail}")))
    }
}
