//! Precision and recall of the duplicate score (查重评估) against hand-labelled pairs.
//!
//! The labelled file (`data/duplicate_pairs.csv`) is a stratified sample: each pair carries its
//! stratum and the stratum's size in the population of all pairs within 30 days. Two readings are
//! computed: on the sample as it is (what the regression test checks), and weighted back to the
//! population by stratum size / pairs drawn (Horvitz–Thompson), which is what a user of the system
//! would see.

use std::collections::HashMap;
use std::path::Path;

use crate::error::ClusterError;

/// One hand-labelled pair (人工标注样本).
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledPair {
    pub a: String,
    pub b: String,
    pub duplicate: bool,
    pub note: String,
    pub stratum: String,
    pub stratum_size: u64,
}

/// Reads `msg_id_a,msg_id_b,label,note,stratum,stratum_size[,...]`.
pub fn read_labelled_pairs(path: &Path) -> Result<Vec<LabelledPair>, ClusterError> {
    let bad = |line: u64, message: String| ClusterError::BadCsv { path: path.to_owned(), line, message };
    let mut reader = csv::Reader::from_path(path).map_err(|e| bad(0, e.to_string()))?;
    let headers = reader.headers().map_err(|e| bad(1, e.to_string()))?.clone();
    let column = |name: &'static str| {
        headers.iter().position(|h| h == name).ok_or_else(|| ClusterError::MissingColumn {
            path: path.to_owned(),
            column: name,
            found: headers.iter().collect::<Vec<_>>().join(", "),
        })
    };
    let (a, b, label, note, stratum, size) =
        (column("msg_id_a")?, column("msg_id_b")?, column("label")?, column("note")?, column("stratum")?, column("stratum_size")?);
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| bad(e.position().map_or(0, |p| p.line()), e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        let duplicate = match field(label) {
            "1" => true,
            "0" => false,
            other => return Err(bad(line, format!("label must be 0 or 1, found `{other}`"))),
        };
        let stratum_size = field(size).parse().map_err(|_| bad(line, format!("bad stratum_size `{}`", field(size))))?;
        out.push(LabelledPair {
            a: field(a).to_owned(),
            b: field(b).to_owned(),
            duplicate,
            note: field(note).to_owned(),
            stratum: field(stratum).to_owned(),
            stratum_size,
        });
    }
    Ok(out)
}

/// Precision (查准率), recall (查全率) and F1 at one threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrecisionRecall {
    pub threshold: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Pairs (or weighted pairs) proposed.
    pub proposed: f64,
}

/// A scored labelled pair and its weight (1 for the sample as drawn).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub score: f64,
    pub duplicate: bool,
    pub weight: f64,
}

/// Precision and recall of "score ≥ threshold" over weighted pairs.
pub fn precision_recall(pairs: &[Scored], threshold: f64) -> PrecisionRecall {
    let (mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0);
    for p in pairs {
        match (p.score >= threshold, p.duplicate) {
            (true, true) => tp += p.weight,
            (true, false) => fp += p.weight,
            (false, true) => fn_ += p.weight,
            (false, false) => {}
        }
    }
    let precision = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
    let recall = if tp + fn_ > 0.0 { tp / (tp + fn_) } else { 0.0 };
    let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
    PrecisionRecall { threshold, precision, recall, f1, proposed: tp + fp }
}

/// Population weight of each labelled pair: stratum size / pairs drawn from the stratum.
pub fn stratum_weights(pairs: &[LabelledPair]) -> Vec<f64> {
    let mut drawn: HashMap<&str, u64> = HashMap::new();
    for p in pairs {
        *drawn.entry(p.stratum.as_str()).or_insert(0) += 1;
    }
    pairs.iter().map(|p| p.stratum_size as f64 / drawn.get(p.stratum.as_str()).copied().unwrap_or(1).max(1) as f64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_weights_combine_as_expected() {
        let pairs = [
            Scored { score: 0.9, duplicate: true, weight: 1.0 },
            Scored { score: 0.6, duplicate: false, weight: 1.0 },
            Scored { score: 0.3, duplicate: true, weight: 3.0 },
            Scored { score: 0.1, duplicate: false, weight: 10.0 },
        ];
        let m = precision_recall(&pairs, 0.5);
        assert_eq!((m.precision, m.recall, m.proposed), (0.5, 0.25, 2.0));
        let all = precision_recall(&pairs, 0.0);
        assert_eq!(all.recall, 1.0);
        assert!(all.precision < 0.3);
        assert_eq!(precision_recall(&pairs, 2.0).f1, 0.0);
    }

    #[test]
    fn weights_undo_the_stratified_draw() {
        let pair = |stratum: &str, size| LabelledPair {
            a: "1".into(),
            b: "2".into(),
            duplicate: true,
            note: String::new(),
            stratum: stratum.into(),
            stratum_size: size,
        };
        let w = stratum_weights(&[pair("hi", 10), pair("hi", 10), pair("lo", 900)]);
        assert_eq!(w, vec![5.0, 5.0, 900.0]);
    }
}
