//! Grouped 5-fold cross-validation on the govmsg training files, as reported in EVALUATION.md.
//!
//! cargo run --release --example cv -p minsheng-classify -- [DATA_DIR] [key=value ...]
//! keys: c, balanced, bigrams, char_min, char_max, char_weight, min_df, sublinear, folds, dup, seed

use std::time::Instant;

use minsheng_classify::{Example, TextForm, TrainOptions, cross_validate_detailed, dedup_exact, read_labelled_csv};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut dir = "/work/shared/data/govmsg".to_owned();
    let mut options = TrainOptions::default();
    let mut folds = 5usize;
    let mut show_errors = 0usize;
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
            "sublinear" => options.features.sublinear_tf = v.parse()?,
            "cal" => options.calibration_folds = v.parse()?,
            "dup" => options.duplicate_threshold = v.parse()?,
            "seed" => options.seed = v.parse()?,
            "folds" => folds = v.parse()?,
            "show_errors" => show_errors = v.parse()?,
            _ => return Err(format!("unknown option {k}").into()),
        }
    }
    let mut examples: Vec<Example> = read_labelled_csv(format!("{dir}/train_raw.csv"))?;
    examples.extend(read_labelled_csv(format!("{dir}/train_segmented.csv"))?);
    let before = examples.len();
    let examples = dedup_exact(examples);
    println!("options: {}", serde_json::to_string(&options)?);
    let start = Instant::now();
    let cv = cross_validate_detailed(&examples, folds, &options)?;
    let secs = start.elapsed().as_secs_f64();
    let n_groups = cv.groups.iter().copied().max().map_or(0, |g| g + 1);
    println!(
        "{before} rows, {} after exact dedup, {n_groups} near-duplicate groups; {folds}-fold grouped CV in {secs:.1} s",
        examples.len()
    );
    println!("\n== all (raw + segmented) ==\n{}", cv.evaluation);
    for form in [TextForm::Raw, TextForm::Segmented] {
        let idx: Vec<usize> = (0..examples.len()).filter(|&i| examples[i].doc.form == form).collect();
        let truth: Vec<String> = idx.iter().map(|&i| examples[i].label.clone()).collect();
        let preds: Vec<_> = idx.iter().map(|&i| cv.predictions[i].clone()).collect();
        let e = minsheng_classify::Evaluation::from_predictions(&cv.evaluation.labels, &truth, &preds);
        println!("== {form:?} only ==\n{e}");
    }
    println!("SUMMARY macroF1_all={:.4} acc_all={:.4} ece_all={:.4}", cv.evaluation.macro_f1, cv.evaluation.accuracy, cv.evaluation.ece);
    Ok(())
}
