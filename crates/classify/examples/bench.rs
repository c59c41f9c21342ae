//! Training time, model size, load time, and one-core prediction latency and throughput (EVALUATION.md).
//!
//! cargo run --release --example bench -p minsheng-classify -- [DATA_DIR] [runs=5] [model=PATH]
//!
//! Trains the shipped configuration on both training files `runs` times, then classifies every
//! raw message one at a time (single thread) `runs` times; prints medians.

use std::time::Instant;

use minsheng_classify::{Example, Model, TextForm, TrainOptions, dedup_exact, read_labelled_csv, train};

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n == 0 {
        0.0
    } else if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn percentile(mut xs: Vec<f64>, p: f64) -> f64 {
    xs.sort_by(f64::total_cmp);
    let i = ((xs.len() as f64 - 1.0) * p).round() as usize;
    xs.get(i).copied().unwrap_or(0.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut dir = "/work/shared/data/govmsg".to_owned();
    let mut runs = 5usize;
    let mut model_path = std::env::temp_dir().join("minsheng-classify-bench-model.json");
    for arg in std::env::args().skip(1) {
        match arg.split_once('=') {
            Some(("runs", v)) => runs = v.parse()?,
            Some(("model", v)) => model_path = v.into(),
            _ => dir = arg,
        }
    }
    let mut examples: Vec<Example> = read_labelled_csv(format!("{dir}/train_raw.csv"))?;
    examples.extend(read_labelled_csv(format!("{dir}/train_segmented.csv"))?);
    let examples = dedup_exact(examples);
    let options = TrainOptions::default();

    let mut train_secs = Vec::new();
    let mut model = None;
    for _ in 0..runs {
        let start = Instant::now();
        let m = train(&examples, &options)?;
        train_secs.push(start.elapsed().as_secs_f64());
        model = Some(m);
    }
    let model = model.ok_or("runs must be at least 1")?;
    model.save(&model_path)?;
    let size = std::fs::metadata(&model_path)?.len();
    let mut load_secs = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let _ = Model::load(&model_path)?;
        load_secs.push(start.elapsed().as_secs_f64());
    }
    let model = Model::load(&model_path)?;

    let texts: Vec<&str> = examples.iter().filter(|e| e.doc.form == TextForm::Raw).map(|e| e.doc.text.as_str()).collect();
    let mean_chars = texts.iter().map(|t| t.chars().count()).sum::<usize>() as f64 / texts.len().max(1) as f64;
    let mut throughput = Vec::new();
    let mut latencies_us = Vec::new();
    let mut checksum = 0.0;
    for _ in 0..runs {
        let start = Instant::now();
        for t in &texts {
            let one = Instant::now();
            let ranked = model.predict(t);
            latencies_us.push(one.elapsed().as_secs_f64() * 1e6);
            checksum += ranked.first().map_or(0.0, |r| r.1);
        }
        throughput.push(texts.len() as f64 / start.elapsed().as_secs_f64());
    }
    let s = model.summary();
    println!("training examples {} ({} distinct after near-duplicate merge), {} features", s.examples, s.distinct_messages, s.features);
    if let Some(cv) = &s.cv {
        println!(
            "embedded internal {}-fold CV: macro-F1 {:.4}, accuracy {:.4}, ECE {:.4}",
            s.cv_folds.unwrap_or(0),
            cv.macro_f1,
            cv.accuracy,
            cv.ece
        );
    }
    println!("temperature {:.4}", model.temperature());
    println!(
        "training time: median {:.2} s over {runs} runs ({:?})",
        median(train_secs.clone()),
        train_secs.iter().map(|x| format!("{x:.2}")).collect::<Vec<_>>()
    );
    println!("model file: {:.1} MB ({})", size as f64 / 1e6, model_path.display());
    println!("load time: median {:.3} s", median(load_secs));
    println!(
        "prediction, one thread, {} raw messages (mean {mean_chars:.0} chars): median throughput {:.0} msg/s; latency median {:.0} µs, p95 {:.0} µs, p99 {:.0} µs (checksum {checksum:.1})",
        texts.len(),
        median(throughput),
        median(latencies_us.clone()),
        percentile(latencies_us.clone(), 0.95),
        percentile(latencies_us, 0.99)
    );
    Ok(())
}
