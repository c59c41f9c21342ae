//! Grouped k-fold cross-validation on the govmsg training files, as reported in EVALUATION.md.
//!
//! cargo run --release --example cv -p minsheng-classify -- [DATA_DIR] [key=value ...]
//!
//! keys: folds (5), repeats (1: each repeat re-draws the fold assignment with seed+r),
//! c, balanced, tol, bigrams, char_min, char_max, char_weight, min_df, sublinear, lead, reseg,
//! cal (calibration folds; 0 skips calibration — faster, same argmax), dup, seed, show_errors.

use std::time::Instant;

use minsheng_classify::{Evaluation, Example, TextForm, TrainOptions, cross_validate_detailed, dedup_exact, read_labelled_csv};

fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len().max(1) as f64;
    let m = xs.iter().sum::<f64>() / n;
    let var = if xs.len() > 1 { xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
    (m, var.sqrt())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut dir = "/work/shared/data/govmsg".to_owned();
    let mut options = TrainOptions::default();
    let (mut folds, mut repeats, mut show_errors) = (5usize, 1u64, 0usize);
    for arg in std::env::args().skip(1) {
        let Some((k, v)) = arg.split_once('=') else {
            dir = arg;
            continue;
        };
        match k {
            "c" => options.svm.c = v.parse()?,
            "balanced" => options.svm.balanced = v.parse()?,
            "tol" => options.svm.tolerance = v.parse()?,
            "bigrams" => options.features.word_bigrams = v.parse()?,
            "char_min" => options.features.char_ngram_min = v.parse()?,
            "char_max" => options.features.char_ngram_max = v.parse()?,
            "char_weight" => options.features.char_weight = v.parse()?,
            "min_df" => options.features.min_df = v.parse()?,
            "lead" => options.features.lead_tokens = v.parse()?,
            "reseg" => options.features.resegment = v.parse()?,
            "sublinear" => options.features.sublinear_tf = v.parse()?,
            "cal" => options.calibration_folds = v.parse()?,
            "dup" => options.duplicate_threshold = v.parse()?,
            "seed" => options.seed = v.parse()?,
            "folds" => folds = v.parse()?,
            "repeats" => repeats = v.parse()?,
            "show_errors" => show_errors = v.parse()?,
            _ => return Err(format!("unknown option {k}").into()),
        }
    }
    let mut examples: Vec<Example> = read_labelled_csv(format!("{dir}/train_raw.csv"))?;
    examples.extend(read_labelled_csv(format!("{dir}/train_segmented.csv"))?);
    let before = examples.len();
    let examples = dedup_exact(examples);
    println!("options: {}", serde_json::to_string(&options)?);
    let (mut all, mut raw) = (Vec::new(), Vec::new());
    for r in 0..repeats {
        let opts = TrainOptions { seed: options.seed.wrapping_add(r), ..options.clone() };
        let start = Instant::now();
        let cv = cross_validate_detailed(&examples, folds, &opts)?;
        let secs = start.elapsed().as_secs_f64();
        let n_groups = cv.groups.iter().copied().max().map_or(0, |g| g + 1);
        let subset = |form: TextForm| {
            let idx: Vec<usize> = (0..examples.len()).filter(|&i| examples[i].doc.form == form).collect();
            let truth: Vec<String> = idx.iter().map(|&i| examples[i].label.clone()).collect();
            let preds: Vec<_> = idx.iter().map(|&i| cv.predictions[i].clone()).collect();
            Evaluation::from_predictions(&cv.evaluation.labels, &truth, &preds)
        };
        let (raw_e, seg_e) = (subset(TextForm::Raw), subset(TextForm::Segmented));
        if r == 0 {
            println!(
                "{before} rows, {} after exact dedup, {n_groups} near-duplicate groups; {folds}-fold grouped CV in {secs:.1} s",
                examples.len()
            );
            println!("\n== all (raw + segmented) ==\n{}", cv.evaluation);
            println!("== raw only ==\n{raw_e}");
            println!("== segmented only ==\n{seg_e}");
            let mut shown = 0;
            for (i, e) in examples.iter().enumerate() {
                let top = &cv.predictions[i][0];
                if shown < show_errors && e.doc.form == TextForm::Raw && top.0 != e.label {
                    shown += 1;
                    let text: String = e.doc.text.chars().take(90).collect();
                    println!("ERR true={} pred={} p={:.2} | {text}", e.label, top.0, top.1);
                }
            }
        }
        println!(
            "run seed={}: all macro-F1 {:.4} acc {:.4} ECE {:.4} | raw macro-F1 {:.4} acc {:.4} ECE {:.4} | {secs:.1} s",
            opts.seed, cv.evaluation.macro_f1, cv.evaluation.accuracy, cv.evaluation.ece, raw_e.macro_f1, raw_e.accuracy, raw_e.ece
        );
        all.push(cv.evaluation);
        raw.push(raw_e);
    }
    let stat = |es: &[Evaluation], f: fn(&Evaluation) -> f64| mean_sd(&es.iter().map(f).collect::<Vec<_>>());
    for (name, es) in [("all", &all), ("raw", &raw)] {
        let (f1, f1_sd) = stat(es, |e| e.macro_f1);
        let (acc, acc_sd) = stat(es, |e| e.accuracy);
        let (ece, ece_sd) = stat(es, |e| e.ece);
        println!(
            "SUMMARY {name}: macro-F1 {f1:.4} ± {f1_sd:.4}  accuracy {acc:.4} ± {acc_sd:.4}  ECE {ece:.4} ± {ece_sd:.4}  ({repeats} repeats)"
        );
    }
    Ok(())
}
