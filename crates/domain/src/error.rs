//! Refusals: one error type for the whole domain, each with a stable code and a message in Chinese
//! and English, so that every edge (HTTP, CLI, channels) can explain itself the same way.

use serde::Serialize;

/// The stable error codes of minsheng. Clients match on these strings; never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A field is missing, malformed, too long or otherwise invalid.
    InvalidInput,
    /// The action is not allowed in the case's current state.
    InvalidState,
    /// The actor's role may not take this action.
    RoleForbidden,
    /// The actor's unit is not the one that may act on this case now.
    UnitForbidden,
    /// A rule from practice forbids it (no pushing down, extension limit, ...).
    RuleViolation,
    /// Someone else changed the case first; reload and try again.
    VersionConflict,
    /// The thing does not exist, or the actor may not know that it exists.
    NotFound,
    /// Login failed or the credentials are missing or expired.
    Unauthenticated,
    /// The actor is known but this operation is outside what any of their roles allow.
    Forbidden,
    /// Something already exists with this key (a login name, a unit code).
    AlreadyExists,
    /// The request body is larger than allowed.
    PayloadTooLarge,
    /// Too many requests from one source.
    RateLimited,
    /// A failure of ours; details are in the server log, never in the response.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::InvalidState => "invalid_state",
            ErrorCode::RoleForbidden => "role_forbidden",
            ErrorCode::UnitForbidden => "unit_forbidden",
            ErrorCode::RuleViolation => "rule_violation",
            ErrorCode::VersionConflict => "version_conflict",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::AlreadyExists => "already_exists",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Internal => "internal",
        }
    }

    /// Every code, for the error table in the API documentation and for tests.
    pub const ALL: [ErrorCode; 13] = [
        ErrorCode::InvalidInput,
        ErrorCode::InvalidState,
        ErrorCode::RoleForbidden,
        ErrorCode::UnitForbidden,
        ErrorCode::RuleViolation,
        ErrorCode::VersionConflict,
        ErrorCode::NotFound,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::AlreadyExists,
        ErrorCode::PayloadTooLarge,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
    ];
}

/// A refusal: what went wrong, in both languages, and machine-readable details.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize)]
#[error("{code:?}: {message_en}")]
pub struct DomainError {
    pub code: ErrorCode,
    pub message_zh: String,
    pub message_en: String,
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
}

impl DomainError {
    pub fn new(code: ErrorCode, zh: impl Into<String>, en: impl Into<String>) -> Self {
        DomainError { code, message_zh: zh.into(), message_en: en.into(), details: serde_json::Value::Null }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }

    pub fn invalid(field: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        let zh = zh.into();
        let en = en.into();
        DomainError::new(ErrorCode::InvalidInput, format!("字段 {field}：{zh}"), format!("field {field}: {en}"))
            .with_details(serde_json::json!({ "field": field }))
    }

    pub fn not_found(what_zh: &str, what_en: &str) -> Self {
        DomainError::new(ErrorCode::NotFound, format!("{what_zh}不存在"), format!("{what_en} not found"))
    }

    pub fn internal() -> Self {
        DomainError::new(ErrorCode::Internal, "服务器内部错误，请稍后重试", "internal error, please retry later")
    }

    pub fn conflict(expected: i64, actual: i64) -> Self {
        DomainError::new(
            ErrorCode::VersionConflict,
            "工单已被他人修改，请刷新后重试",
            "the case was changed by someone else; reload and try again",
        )
        .with_details(serde_json::json!({ "expected_version": expected, "current_version": actual }))
    }
}

pub type DomainResult<T> = Result<T, DomainError>;
