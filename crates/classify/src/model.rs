//! Training, saving, loading and applying the classifier: TF-IDF features → one-vs-rest SVM → temperature-scaled softmax.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::calibrate::{fit_temperature, softmax};
use crate::error::{Error, Result};
use crate::eval::Evaluation;
use crate::features::{FeatureConfig, TermCounts, Vectorizer, count_terms};
use crate::groups::{assign_folds, near_duplicate_groups};
use crate::linear::{LinearScorer, SvmParams, train_ovr};
use crate::text::{Document, TOKENIZER_VERSION, tokens_with};

/// Version of the model file layout; bumped whenever a saved model would be read differently.
pub const FORMAT_VERSION: u32 = 1;

/// A labelled document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    pub doc: Document,
    pub label: String,
}

impl Example {
    pub fn raw(text: impl Into<String>, label: impl Into<String>) -> Self {
        Self { doc: Document::raw(text), label: label.into() }
    }

    pub fn segmented(tokens: impl Into<String>, label: impl Into<String>) -> Self {
        Self { doc: Document::segmented(tokens), label: label.into() }
    }
}

/// Everything that shapes training. The defaults are the best setting found by grouped 5-fold
/// cross-validation on the govmsg training data (see EVALUATION.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainOptions {
    pub features: FeatureConfig,
    pub svm: SvmParams,
    /// Folds of the internal cross-validation whose out-of-fold scores fit the softmax
    /// temperature (and give the evaluation stored in the model). Below 2: no calibration,
    /// temperature 1.
    pub calibration_folds: usize,
    /// Overlap coefficient of character bigrams from which two messages count as copies of one
    /// another and stay in the same fold.
    pub duplicate_threshold: f64,
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            features: FeatureConfig::default(),
            svm: SvmParams::default(),
            calibration_folds: 5,
            duplicate_threshold: 0.4,
            seed: 20_200_601,
        }
    }
}

impl TrainOptions {
    fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::InvalidOption(m.to_owned()));
        if !(self.svm.c > 0.0 && self.svm.c.is_finite()) {
            return bad("svm.c must be a positive number");
        }
        if self.svm.tolerance.is_nan() || self.svm.tolerance <= 0.0 || self.svm.max_epochs == 0 {
            return bad("svm.tolerance must be positive and svm.max_epochs at least 1");
        }
        if self.features.char_ngram_min > self.features.char_ngram_max || self.features.char_ngram_max > 8 {
            return bad("char n-gram lengths must satisfy min <= max <= 8 (0 0 disables them)");
        }
        if !(0.0..=1.0).contains(&self.duplicate_threshold) {
            return bad("duplicate_threshold must lie in [0, 1]");
        }
        Ok(())
    }
}

/// What the model knows about its own training, stored in the model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    pub examples: usize,
    /// Examples left after merging near-duplicates (the unit of cross-validation).
    pub distinct_messages: usize,
    pub features: usize,
    pub label_counts: Vec<(String, usize)>,
    pub train_seconds: f64,
    /// Folds of the internal, grouped cross-validation; `None` if it could not run.
    pub cv_folds: Option<usize>,
    /// Out-of-fold evaluation of that cross-validation, with calibrated probabilities.
    pub cv: Option<Evaluation>,
}

/// A trained classifier.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    format_version: u32,
    tokenizer: String,
    labels: Vec<String>,
    options: TrainOptions,
    temperature: f64,
    summary: TrainingSummary,
    vectorizer: Vectorizer,
    scorer: LinearScorer,
}

/// Just the header fields, to reject an incompatible file with a clear message.
#[derive(Deserialize)]
struct Header {
    format_version: u32,
    tokenizer: String,
}

impl Model {
    /// Labels, in the model's internal order.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    pub fn options(&self) -> &TrainOptions {
        &self.options
    }

    pub fn summary(&self) -> &TrainingSummary {
        &self.summary
    }

    /// The softmax temperature fitted on out-of-fold scores.
    pub fn temperature(&self) -> f64 {
        self.temperature
    }

    /// Every label with its calibrated probability, most likely first (probabilities sum to 1).
    pub fn predict(&self, text: &str) -> Vec<(String, f64)> {
        self.predict_document(&Document::raw(text))
    }

    /// The `k` most likely labels with their calibrated probabilities (for a review queue).
    pub fn predict_top(&self, text: &str, k: usize) -> Vec<(String, f64)> {
        let mut ranked = self.predict(text);
        ranked.truncate(k);
        ranked
    }

    /// As [`Model::predict`], for a document in either form.
    pub fn predict_document(&self, doc: &Document) -> Vec<(String, f64)> {
        let counts = count_terms(&tokens_with(doc, self.vectorizer.config.resegment), &self.vectorizer.config);
        self.predict_counts(&counts)
    }

    fn predict_counts(&self, counts: &TermCounts) -> Vec<(String, f64)> {
        let scores = self.scorer.scores(&self.vectorizer.transform(counts));
        ranked(&self.labels, &softmax(&scores, self.temperature))
    }

    /// Writes the model as JSON.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let io = |source| Error::Io { path: path.to_owned(), source };
        let mut w = BufWriter::new(File::create(path).map_err(io)?);
        serde_json::to_writer(&mut w, self).map_err(|source| Error::ModelFormat { path: path.to_owned(), source })?;
        w.flush().map_err(io)
    }

    /// The model as JSON, as [`Model::save`] writes it (for keeping models in a database).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|source| Error::ModelFormat { path: PathBuf::from("<memory>"), source })
    }

    /// Reads a model from the JSON of [`Model::to_json`], with the checks of [`Model::load`].
    pub fn from_json(json: &str) -> Result<Self> {
        Self::from_bytes(json.as_bytes(), Path::new("<memory>"))
    }

    /// Reads a model written by [`Model::save`], checking its format and tokenizer versions.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let io = |source| Error::Io { path: path.to_owned(), source };
        let bytes = std::fs::read(path).map_err(io)?;
        Self::from_bytes(&bytes, path)
    }

    fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self> {
        let json = |source| Error::ModelFormat { path: path.to_owned(), source };
        let header: Header = serde_json::from_slice(bytes).map_err(json)?;
        if header.format_version != FORMAT_VERSION {
            return Err(Error::ModelVersion { path: path.to_owned(), found: header.format_version, expected: FORMAT_VERSION });
        }
        if header.tokenizer != TOKENIZER_VERSION {
            return Err(Error::TokenizerMismatch {
                path: path.to_owned(),
                found: header.tokenizer,
                expected: TOKENIZER_VERSION.to_owned(),
            });
        }
        let mut model: Model = serde_json::from_reader(BufReader::new(bytes)).map_err(json)?;
        model.vectorizer.rebuild_index();
        crate::text::warm_up();
        Ok(model)
    }
}

fn ranked(labels: &[String], probs: &[f64]) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = labels.iter().cloned().zip(probs.iter().copied()).collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// Examples reduced to what training works on: term counts, label indices and duplicate groups.
pub(crate) struct Prepared {
    pub labels: Vec<String>,
    pub counts: Vec<TermCounts>,
    pub y: Vec<usize>,
    pub groups: Vec<usize>,
}

pub(crate) fn prepare(examples: &[Example], options: &TrainOptions) -> Result<Prepared> {
    options.validate()?;
    if examples.is_empty() {
        return Err(Error::NoExamples);
    }
    let mut labels: Vec<String> = examples.iter().map(|e| e.label.clone()).collect();
    labels.sort();
    labels.dedup();
    if labels.len() < 2 {
        return Err(Error::TooFewLabels { found: labels.len() });
    }
    let toks: Vec<Vec<String>> = examples.iter().map(|e| tokens_with(&e.doc, options.features.resegment)).collect();
    let counts = toks.iter().map(|t| count_terms(t, &options.features)).collect();
    let y = examples.iter().map(|e| labels.binary_search(&e.label).unwrap_or(0)).collect();
    let groups = near_duplicate_groups(&toks, options.duplicate_threshold);
    Ok(Prepared { labels, counts, y, groups })
}

/// Vocabulary and SVM fitted on the given documents.
fn fit(counts: &[&TermCounts], y: &[usize], n_classes: usize, options: &TrainOptions) -> (Vectorizer, LinearScorer) {
    let vectorizer = Vectorizer::fit(counts, &options.features);
    let x: Vec<_> = counts.iter().map(|c| vectorizer.transform(c)).collect();
    let scorer = train_ovr(&x, y, n_classes, vectorizer.len(), &options.svm, options.seed);
    (vectorizer, scorer)
}

/// Out-of-fold decision values for the chosen rows (indices into `p`), or `None` when the rows
/// form fewer distinct groups than folds.
fn out_of_fold_scores(p: &Prepared, rows: &[usize], folds: usize, options: &TrainOptions) -> Option<Vec<Vec<f64>>> {
    let groups = compact(&rows.iter().map(|&i| p.groups[i]).collect::<Vec<_>>());
    let n_groups = groups.iter().copied().max().map_or(0, |g| g + 1);
    if folds < 2 || n_groups < folds {
        return None;
    }
    let y: Vec<usize> = rows.iter().map(|&i| p.y[i]).collect();
    let fold_of = assign_folds(&groups, &y, folds, options.seed.wrapping_add(1));
    let mut scores = vec![Vec::new(); rows.len()];
    for f in 0..folds {
        let (train, test): (Vec<usize>, Vec<usize>) = (0..rows.len()).partition(|&r| fold_of[r] != f);
        let counts: Vec<&TermCounts> = train.iter().map(|&r| &p.counts[rows[r]]).collect();
        let ty: Vec<usize> = train.iter().map(|&r| y[r]).collect();
        let (v, s) = fit(&counts, &ty, p.labels.len(), options);
        for &r in &test {
            scores[r] = s.scores(&v.transform(&p.counts[rows[r]]));
        }
    }
    Some(scores)
}

/// Renumbers group ids to 0..k.
fn compact(ids: &[usize]) -> Vec<usize> {
    let mut map = std::collections::HashMap::new();
    ids.iter()
        .map(|&g| {
            let next = map.len();
            *map.entry(g).or_insert(next)
        })
        .collect()
}

/// Trains on the chosen rows of `p`: internal CV for the temperature, then the final fit on all rows.
pub(crate) fn train_rows(p: &Prepared, rows: &[usize], options: &TrainOptions) -> Model {
    let start = Instant::now();
    let n_classes = p.labels.len();
    let y: Vec<usize> = rows.iter().map(|&i| p.y[i]).collect();
    let (temperature, cv) = match out_of_fold_scores(p, rows, options.calibration_folds, options) {
        Some(scores) => {
            let t = fit_temperature(&scores, &y);
            let truth: Vec<String> = y.iter().map(|&c| p.labels[c].clone()).collect();
            let preds: Vec<_> = scores.iter().map(|s| ranked(&p.labels, &softmax(s, t))).collect();
            (t, Some(Evaluation::from_predictions(&p.labels, &truth, &preds)))
        }
        None => (1.0, None),
    };
    let counts: Vec<&TermCounts> = rows.iter().map(|&i| &p.counts[i]).collect();
    let (vectorizer, scorer) = fit(&counts, &y, n_classes, options);
    let mut label_counts: Vec<(String, usize)> = p.labels.iter().map(|l| (l.clone(), 0)).collect();
    for &c in &y {
        label_counts[c].1 += 1;
    }
    let distinct = compact(&rows.iter().map(|&i| p.groups[i]).collect::<Vec<_>>()).into_iter().max().map_or(0, |g| g + 1);
    Model {
        format_version: FORMAT_VERSION,
        tokenizer: TOKENIZER_VERSION.to_owned(),
        labels: p.labels.clone(),
        options: options.clone(),
        temperature,
        summary: TrainingSummary {
            examples: rows.len(),
            distinct_messages: distinct,
            features: vectorizer.len(),
            label_counts,
            train_seconds: start.elapsed().as_secs_f64(),
            cv_folds: cv.as_ref().map(|_| options.calibration_folds),
            cv,
        },
        vectorizer,
        scorer,
    }
}

/// Trains a classifier on labelled examples (raw or segmented, mixed freely).
pub fn train(examples: &[Example], options: &TrainOptions) -> Result<Model> {
    let start = Instant::now();
    let p = prepare(examples, options)?;
    let rows: Vec<usize> = (0..examples.len()).collect();
    let mut model = train_rows(&p, &rows, options);
    model.summary.train_seconds = start.elapsed().as_secs_f64();
    Ok(model)
}

/// Scores a model on labelled examples.
pub fn evaluate(model: &Model, examples: &[Example]) -> Evaluation {
    let truth: Vec<String> = examples.iter().map(|e| e.label.clone()).collect();
    let preds: Vec<_> = examples.iter().map(|e| model.predict_document(&e.doc)).collect();
    Evaluation::from_predictions(&model.labels, &truth, &preds)
}

/// Out-of-fold results of a grouped cross-validation.
#[derive(Debug, Clone)]
pub struct CrossValidation {
    pub evaluation: Evaluation,
    /// Fold of each example.
    pub folds: Vec<usize>,
    /// Near-duplicate group of each example.
    pub groups: Vec<usize>,
    /// Calibrated prediction of each example by the model that did not see its fold.
    pub predictions: Vec<Vec<(String, f64)>>,
}

/// Grouped, label-stratified k-fold cross-validation: near-duplicates stay in one fold, and each
/// fold's model is trained exactly as [`train`] would (vocabulary, idf and temperature fitted on
/// its training part only).
pub fn cross_validate_detailed(examples: &[Example], folds: usize, options: &TrainOptions) -> Result<CrossValidation> {
    let p = prepare(examples, options)?;
    let n_groups = p.groups.iter().copied().max().map_or(0, |g| g + 1);
    if folds < 2 || n_groups < folds {
        return Err(Error::BadFolds { folds, groups: n_groups });
    }
    let fold_of = assign_folds(&p.groups, &p.y, folds, options.seed);
    let mut predictions = vec![Vec::new(); examples.len()];
    for f in 0..folds {
        let (train, test): (Vec<usize>, Vec<usize>) = (0..examples.len()).partition(|&i| fold_of[i] != f);
        let model = train_rows(&p, &train, options);
        for i in test {
            predictions[i] = model.predict_counts(&p.counts[i]);
        }
    }
    let truth: Vec<String> = examples.iter().map(|e| e.label.clone()).collect();
    let evaluation = Evaluation::from_predictions(&p.labels, &truth, &predictions);
    Ok(CrossValidation { evaluation, folds: fold_of, groups: p.groups, predictions })
}

/// Grouped k-fold cross-validation; see [`cross_validate_detailed`].
pub fn cross_validate(examples: &[Example], folds: usize, options: &TrainOptions) -> Result<Evaluation> {
    cross_validate_detailed(examples, folds, options).map(|cv| cv.evaluation)
}
