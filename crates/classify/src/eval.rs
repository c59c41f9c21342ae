//! Measuring a classifier: accuracy, macro-F1, per-label precision/recall/F1, calibration error, log-loss.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::calibrate::expected_calibration_error;

/// Precision, recall and F1 of one label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelMetrics {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Number of examples whose true label this is.
    pub support: usize,
}

/// How well predictions match the truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub examples: usize,
    pub accuracy: f64,
    /// Unweighted mean F1 over the labels that occur in the truth or the predictions.
    pub macro_f1: f64,
    /// Expected calibration error of the top label's confidence (10 bins).
    pub ece: f64,
    /// Mean negative log-probability of the true label.
    pub log_loss: f64,
    pub per_label: Vec<LabelMetrics>,
    /// Label order of the confusion matrix rows (truth) and columns (prediction).
    pub labels: Vec<String>,
    pub confusion: Vec<Vec<usize>>,
}

impl Evaluation {
    /// Scores predictions (each a full distribution, best first) against true labels.
    /// `labels` fixes the order of the table; labels met only in the data are appended.
    pub fn from_predictions(labels: &[String], truth: &[String], predictions: &[Vec<(String, f64)>]) -> Self {
        let mut names: Vec<String> = labels.to_vec();
        let index = |name: &str, names: &mut Vec<String>| match names.iter().position(|l| l == name) {
            Some(i) => i,
            None => {
                names.push(name.to_owned());
                names.len() - 1
            }
        };
        let mut pairs = Vec::with_capacity(truth.len());
        let mut confidence = Vec::with_capacity(truth.len());
        let mut correct = Vec::with_capacity(truth.len());
        let mut log_loss = 0.0;
        for (t, p) in truth.iter().zip(predictions) {
            let (top, conf) = p.first().map_or(("", 0.0), |(l, c)| (l.as_str(), *c));
            let ti = index(t, &mut names);
            let pi = index(top, &mut names);
            pairs.push((ti, pi));
            confidence.push(conf);
            correct.push(ti == pi);
            let p_true = p.iter().find(|(l, _)| l == t).map_or(0.0, |x| x.1);
            log_loss -= p_true.max(1e-15).ln();
        }
        let k = names.len();
        let mut confusion = vec![vec![0usize; k]; k];
        for &(t, p) in &pairs {
            confusion[t][p] += 1;
        }
        let n = pairs.len();
        let hits = correct.iter().filter(|&&c| c).count();
        let mut per_label = Vec::new();
        let mut f1_sum = 0.0;
        let mut f1_count = 0usize;
        for (i, name) in names.iter().enumerate() {
            let tp = confusion[i][i] as f64;
            let support: usize = confusion[i].iter().sum();
            let predicted: usize = confusion.iter().map(|row| row[i]).sum();
            // The empty name stands for "no prediction": it counts as an error, not as a label.
            if name.is_empty() || (support == 0 && predicted == 0) {
                continue;
            }
            let precision = if predicted > 0 { tp / predicted as f64 } else { 0.0 };
            let recall = if support > 0 { tp / support as f64 } else { 0.0 };
            let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
            f1_sum += f1;
            f1_count += 1;
            per_label.push(LabelMetrics { label: name.clone(), precision, recall, f1, support });
        }
        Self {
            examples: n,
            accuracy: if n > 0 { hits as f64 / n as f64 } else { 0.0 },
            macro_f1: if f1_count > 0 { f1_sum / f1_count as f64 } else { 0.0 },
            ece: expected_calibration_error(&confidence, &correct, 10),
            log_loss: if n > 0 { log_loss / n as f64 } else { 0.0 },
            per_label,
            labels: names,
            confusion,
        }
    }
}

/// Display width of a string in a terminal: CJK characters take two columns.
fn width(s: &str) -> usize {
    s.chars().map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 }).sum()
}

fn pad(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

impl fmt::Display for Evaluation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "examples {}   accuracy {:.4}   macro-F1 {:.4}   ECE {:.4}   log-loss {:.4}",
            self.examples, self.accuracy, self.macro_f1, self.ece, self.log_loss
        )?;
        let lw = self.per_label.iter().map(|m| width(&m.label)).max().unwrap_or(5).max(5);
        writeln!(f, "{}  precision  recall      F1  support", pad("label", lw))?;
        for m in &self.per_label {
            writeln!(f, "{}  {:>9.4}  {:>6.4}  {:>6.4}  {:>7}", pad(&m.label, lw), m.precision, m.recall, m.f1, m.support)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(label: &str, conf: f64, other: &str) -> Vec<(String, f64)> {
        vec![(label.to_owned(), conf), (other.to_owned(), 1.0 - conf)]
    }

    #[test]
    fn metrics_match_hand_computation() {
        let labels = vec!["a".to_owned(), "b".to_owned()];
        let truth: Vec<String> = ["a", "a", "b", "b"].iter().map(|s| s.to_string()).collect();
        let preds = vec![p("a", 0.9, "b"), p("b", 0.6, "a"), p("b", 0.8, "a"), p("b", 0.7, "a")];
        let e = Evaluation::from_predictions(&labels, &truth, &preds);
        assert!((e.accuracy - 0.75).abs() < 1e-12);
        // a: P 1, R 0.5, F1 2/3; b: P 2/3, R 1, F1 0.8
        assert!((e.macro_f1 - (2.0 / 3.0 + 0.8) / 2.0).abs() < 1e-12);
        assert_eq!(e.confusion, vec![vec![1, 1], vec![0, 2]]);
        let table = e.to_string();
        assert!(table.contains("macro-F1 0.7333"), "{table}");
        assert!(table.lines().count() == 4, "{table}");
    }
}
