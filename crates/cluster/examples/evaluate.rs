//! Precision and recall of the duplicate score on the hand-labelled pairs, as tables for EVALUATION.md.
//!
//! ```sh
//! cargo run -p minsheng-cluster --release --example evaluate -- ../shared/data/govmsg/messages_unlabelled.csv crates/cluster/data/duplicate_pairs.csv
//! ```

use std::collections::HashMap;
use std::path::PathBuf;

use minsheng_cluster::eval::{LabelledPair, Scored, precision_recall, read_labelled_pairs, stratum_weights};
use minsheng_cluster::{Prepared, Scorer, read_reports_csv};

const THRESHOLDS: &[f64] = &[0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60];

fn table(title: &str, pairs: &[LabelledPair], scores: &[f64], weighted: bool, chosen: f64) {
    let weights: Vec<f64> = if weighted { stratum_weights(pairs) } else { vec![1.0; pairs.len()] };
    let scored: Vec<Scored> =
        pairs.iter().zip(scores).zip(&weights).map(|((p, s), w)| Scored { score: *s, duplicate: p.duplicate, weight: *w }).collect();
    let dups = pairs.iter().filter(|p| p.duplicate).count();
    println!("\n**{title}** ({} pairs, {dups} duplicates{})\n", pairs.len(), if weighted { ", weighted to the population" } else { "" });
    println!("| threshold | precision | recall | F1 | proposed |");
    println!("|---|---|---|---|---|");
    for &t in THRESHOLDS {
        let m = precision_recall(&scored, t);
        let mark = if (t - chosen).abs() < 1e-9 { " ←" } else { "" };
        println!("| {t:.2}{mark} | {:.3} | {:.3} | {:.3} | {:.0} |", m.precision, m.recall, m.f1, m.proposed);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: evaluate messages_unlabelled.csv duplicate_pairs.csv";
    let messages = PathBuf::from(args.next().ok_or(usage)?);
    let labels = PathBuf::from(args.next().ok_or(usage)?);
    let reports = read_reports_csv(&messages)?;
    let scorer = Scorer::default();
    let prepared: HashMap<&str, Prepared> = reports.iter().map(|r| (r.id.as_str(), scorer.prepare(r))).collect();
    let pairs = read_labelled_pairs(&labels)?;
    let score = |p: &LabelledPair| -> Result<f64, String> {
        let a = prepared.get(p.a.as_str()).ok_or(format!("no message {}", p.a))?;
        let b = prepared.get(p.b.as_str()).ok_or(format!("no message {}", p.b))?;
        Ok(scorer.score(a, b).score)
    };
    let chosen = scorer.params().threshold;
    let (first, second): (Vec<LabelledPair>, Vec<LabelledPair>) = pairs.into_iter().partition(|p| !p.stratum.starts_with("h"));
    for (name, set) in [
        ("First sample (weights, gate and threshold chosen on it)", &first),
        ("Second sample (drawn and labelled after the choice)", &second),
    ] {
        let scores = set.iter().map(score).collect::<Result<Vec<_>, _>>()?;
        table(&format!("{name}, as drawn"), set, &scores, false, chosen);
        table(name, set, &scores, true, chosen);
    }
    let all: Vec<LabelledPair> = first.iter().chain(&second).cloned().collect();
    let scores = all.iter().map(score).collect::<Result<Vec<_>, _>>()?;
    table("Both samples, as drawn (what the regression test checks)", &all, &scores, false, chosen);

    // The two campaigns of the file supply most duplicate pairs; without them, the rest.
    let text: HashMap<&str, String> = reports.iter().map(|r| (r.id.as_str(), format!("{}{}", r.title, r.text))).collect();
    let campaign = |id: &str| {
        let t = text.get(id).map_or("", String::as_str);
        (t.contains("丽发") && (t.contains("搅拌") || t.contains("水泥厂")))
            || t.contains("伊景园")
            || t.contains("滨河苑")
            || t.contains("滨河院")
    };
    let (rest, rest_scores): (Vec<LabelledPair>, Vec<f64>) =
        all.iter().cloned().zip(scores).filter(|(p, _)| !(campaign(&p.a) && campaign(&p.b))).unzip();
    table(
        "Both samples without the pairs inside the two campaigns (丽发新城 batching plant, 伊景园滨河苑 parking), as drawn",
        &rest,
        &rest_scores,
        false,
        chosen,
    );
    Ok(())
}
