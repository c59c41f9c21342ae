//! The crate's error type: every failure a caller can meet, with a message a person can act on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },

    #[error("{path}: malformed CSV: {source}")]
    Csv { path: PathBuf, source: csv::Error },

    #[error("{path}: no `label` column (columns found: {found})")]
    NoLabelColumn { path: PathBuf, found: String },

    #[error("{path}: no text column: expected `text`, `title` and/or `detail`, or `tokens` (columns found: {found})")]
    NoTextColumn { path: PathBuf, found: String },

    #[error("{path}, line {line}: the label is empty")]
    MissingLabel { path: PathBuf, line: u64 },

    #[error("no training examples")]
    NoExamples,

    #[error("training needs at least two distinct labels, found {found}")]
    TooFewLabels { found: usize },

    #[error(
        "cross-validation needs 2 or more folds and at least as many distinct messages as folds (folds: {folds}, distinct messages: {groups})"
    )]
    BadFolds { folds: usize, groups: usize },

    #[error("invalid training option: {0}")]
    InvalidOption(String),

    #[error("model file {path}: {source}")]
    ModelFormat { path: PathBuf, source: serde_json::Error },

    #[error("model file {path} has format version {found}; this build reads version {expected}: retrain the model")]
    ModelVersion { path: PathBuf, found: u32, expected: u32 },

    #[error("model file {path} was trained with tokenizer `{found}`, this build has `{expected}`: retrain the model")]
    TokenizerMismatch { path: PathBuf, found: String, expected: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
