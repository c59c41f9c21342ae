//! Classifies Chinese citizen messages into the board's level-1 categories (issue 4).
//!
//! Pipeline: jieba segmentation with a domain dictionary and stop list ([`text`]) → word
//! unigrams, title-region ("lead") words, character n-grams (optionally word bigrams) with
//! sublinear TF-IDF ([`features`]) →
//! one-vs-rest linear SVM by dual coordinate descent ([`linear`]) → softmax with a temperature
//! fitted on out-of-fold scores, so confidences are probabilities ([`calibrate`]).
//! Cross-validation keeps near-duplicate messages in one fold ([`groups`]). Measured figures and
//! the variants tried are in `EVALUATION.md`.

pub mod calibrate;
mod data;
mod error;
mod eval;
pub mod features;
pub mod groups;
pub mod linear;
mod model;
pub mod text;

pub use data::{dedup_exact, predict_csv, read_labelled_csv, read_labelled_text, read_unlabelled_csv};
pub use error::{Error, Result};
pub use eval::{Evaluation, LabelMetrics};
pub use features::FeatureConfig;
pub use linear::SvmParams;
pub use model::{
    CrossValidation, Example, FORMAT_VERSION, Model, TrainOptions, TrainingSummary, cross_validate, cross_validate_detailed, evaluate,
    train,
};
pub use text::{Document, TOKENIZER_VERSION, TextForm};

/// The labelled messages the classifier starts from (level-1 labels), shipped with the program:
/// `data/train_raw.csv` and `data/train_segmented.csv` (see `data/README.md` for their source).
pub fn base_examples() -> Result<Vec<Example>> {
    let mut out = read_labelled_text(include_str!("../data/train_raw.csv"), "train_raw.csv")?;
    out.extend(read_labelled_text(include_str!("../data/train_segmented.csv"), "train_segmented.csv")?);
    Ok(out)
}
