//! The crate's error type (聚类错误): every failure names the file and line it comes from, in Chinese
//! and in English, with a stable code the CLI and the API can map without parsing messages.

use std::path::PathBuf;

/// A failure while reading reports or writing results.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("无法读写文件 {path}：{source} / cannot read or write {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },

    #[error("{path} 不是有效的 CSV（第 {line} 行）：{message} / {path} is not valid CSV (line {line}): {message}")]
    BadCsv { path: PathBuf, line: u64, message: String },

    #[error("{path} 缺少列 `{column}`（已有列：{found}） / {path} has no `{column}` column (columns found: {found})")]
    MissingColumn { path: PathBuf, column: &'static str, found: String },

    #[error(
        "{path} 第 {line} 行的时间无法识别：`{value}`（应为 2019/2/28 11:25:05 或 RFC 3339） / {path}, line {line}: unreadable time `{value}` (expected 2019/2/28 11:25:05 or RFC 3339)"
    )]
    BadTime { path: PathBuf, line: u64, value: String },

    #[error(
        "{path} 第 {line} 行的 `{column}` 不是非负整数：`{value}` / {path}, line {line}: `{column}` is not a non-negative integer: `{value}`"
    )]
    BadNumber { path: PathBuf, line: u64, column: &'static str, value: String },

    #[error("{path} 第 {line} 行缺少 `{column}` 的值 / {path}, line {line}: `{column}` is empty")]
    EmptyValue { path: PathBuf, line: u64, column: &'static str },

    #[error("无法写出 JSON：{0} / cannot write JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl ClusterError {
    /// A stable machine-readable code; messages may be reworded, codes may not.
    pub fn code(&self) -> &'static str {
        match self {
            ClusterError::Io { .. } => "cluster_io",
            ClusterError::BadCsv { .. } => "cluster_bad_csv",
            ClusterError::MissingColumn { .. } => "cluster_missing_column",
            ClusterError::BadTime { .. } => "cluster_bad_time",
            ClusterError::BadNumber { .. } => "cluster_bad_number",
            ClusterError::EmptyValue { .. } => "cluster_empty_value",
            ClusterError::Json(_) => "cluster_json",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_carry_both_languages_and_codes_are_distinct() {
        let errors = [
            ClusterError::Io { path: "a.csv".into(), source: std::io::Error::other("gone") },
            ClusterError::BadCsv { path: "a.csv".into(), line: 3, message: "x".into() },
            ClusterError::MissingColumn { path: "a.csv".into(), column: "time", found: "msg_id".into() },
            ClusterError::BadTime { path: "a.csv".into(), line: 2, value: "昨天".into() },
            ClusterError::BadNumber { path: "a.csv".into(), line: 2, column: "likes", value: "-1".into() },
            ClusterError::EmptyValue { path: "a.csv".into(), line: 2, column: "msg_id" },
        ];
        let mut codes: Vec<&str> = errors.iter().map(ClusterError::code).collect();
        for e in &errors {
            let text = e.to_string();
            assert!(text.contains(" / "), "{text}");
            assert!(text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "no Chinese in {text}");
            assert!(text.contains("a.csv"), "{text}");
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errors.len());
    }
}
