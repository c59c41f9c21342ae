//! Errors of the calendar: one type whose every value explains itself in Chinese and in English,
//! so that the CLI and the HTTP API can show an administrator exactly which line of an imported
//! calendar is wrong.

/// What kind of problem it is, for callers that react differently (e.g. HTTP status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The text is not valid JSON or does not have the shape of a year file.
    Json,
    /// A year file breaks a rule: a date outside its year, a date listed twice, a date both a
    /// holiday and a make-up workday, a malformed time.
    InvalidData,
    /// Two year files for the same year were given at once.
    DuplicateYear,
    /// The calendar has no data for the requested year.
    YearMissing,
    /// A command-line argument (a time, a limit) is malformed or out of range.
    InvalidInput,
}

/// A calendar error (日历错误) with a message in each language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("{message_zh} / {message_en}")]
pub struct Error {
    pub kind: ErrorKind,
    pub message_zh: String,
    pub message_en: String,
}

impl Error {
    pub fn new(kind: ErrorKind, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Error { kind, message_zh: zh.into(), message_en: en.into() }
    }

    pub(crate) fn invalid_data(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidData, zh, en)
    }

    pub(crate) fn invalid_input(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, zh, en)
    }

    pub(crate) fn year_missing(year: i32) -> Self {
        Error::new(ErrorKind::YearMissing, format!("日历中没有 {year} 年的数据"), format!("the calendar has no data for {year}"))
    }
}
