//! Draws the stratified samples of message pairs that were labelled by hand for EVALUATION.md.
//!
//! Population: every pair of messages in `messages_unlabelled.csv` reported within 30 days of each
//! other. Strata: bands of the duplicate score, and below the lowest band two more — pairs that share
//! at least two rare character 4-grams (in 2–10 messages of the file; where a missed duplicate would
//! hide) and all the rest. A fixed number of pairs is drawn at random (seeded) from each stratum and
//! the stratum sizes are written with them, so the sample can be weighted back to the population.
//!
//! `first`: the sample the weights, gate and threshold were chosen on, drawn with the scorer of that
//! time — the defaults without the text gate (`text_gate = 0`). `second`: a fresh sample drawn with
//! the final scorer after those choices, excluding the pairs of the first, labelled to check the
//! chosen threshold on data it was not chosen on. Which pairs fall in which stratum depends on the
//! code of the day (the place extractor has been refined since both draws), so a rerun draws other
//! pairs: the labelled file, with each pair's stratum, stratum size and score at drawing time, is the
//! record of what was drawn.
//!
//! ```sh
//! cargo run -p minsheng-cluster --release --example sample_pairs -- ../shared/data/govmsg/messages_unlabelled.csv first > first.csv
//! cargo run -p minsheng-cluster --release --example sample_pairs -- ../shared/data/govmsg/messages_unlabelled.csv second crates/cluster/data/duplicate_pairs.csv > second.csv
//! ```

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use minsheng_classify::linear::SplitMix64;
use minsheng_cluster::{Prepared, ScoreParams, Scorer, TermStats, read_reports_csv};

const WINDOW_MS: i64 = 30 * 24 * 3600 * 1000;

/// (name, lower bound, upper bound, pairs drawn)
type Band = (&'static str, f64, f64, usize);

const FIRST: &[Band] = &[
    ("s70", 0.70, 1.01, 40),
    ("s60", 0.60, 0.70, 35),
    ("s55", 0.55, 0.60, 35),
    ("s50", 0.50, 0.55, 35),
    ("s45", 0.45, 0.50, 35),
    ("s40", 0.40, 0.45, 35),
    ("s30", 0.30, 0.40, 35),
    ("s20", 0.20, 0.30, 30),
];
const FIRST_LOW: (usize, usize) = (35, 30);

const SECOND: &[Band] =
    &[("h55", 0.55, 1.01, 15), ("h45", 0.45, 0.55, 15), ("h40", 0.40, 0.45, 20), ("h35", 0.35, 0.40, 20), ("h20", 0.20, 0.35, 20)];
const SECOND_LOW: (usize, usize) = (15, 10);

fn grams(text: &str) -> HashSet<String> {
    let chars: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).collect();
    chars.windows(4).map(|w| w.iter().collect()).collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: sample_pairs messages_unlabelled.csv first|second [EXCLUDED_PAIRS.csv]";
    let mut args = std::env::args().skip(1);
    let input = PathBuf::from(args.next().ok_or(usage)?);
    let design = args.next().ok_or(usage)?;
    let (bands, (rare_drawn, random_drawn), params, seed, prefix) = match design.as_str() {
        "first" => (FIRST, FIRST_LOW, ScoreParams { text_gate: 0.0, ..ScoreParams::default() }, 20261122, ""),
        "second" => (SECOND, SECOND_LOW, ScoreParams::default(), 20261123, "h_"),
        _ => return Err(usage.into()),
    };
    let mut excluded: HashSet<(String, String)> = HashSet::new();
    if let Some(path) = args.next() {
        for row in csv::Reader::from_path(path)?.deserialize::<HashMap<String, String>>() {
            let row = row?;
            let (a, b) = (row["msg_id_a"].clone(), row["msg_id_b"].clone());
            excluded.insert((b.clone(), a.clone()));
            excluded.insert((a, b));
        }
    }

    let reports = read_reports_csv(&input)?;
    let scorer = Scorer::new(TermStats::builtin(), params);
    let prepared: Vec<Prepared> = reports.iter().map(|r| scorer.prepare(r)).collect();

    // Rare 4-grams: in 2 to 10 messages of the file.
    let sets: Vec<HashSet<String>> = reports.iter().map(|r| grams(&format!("{}{}", r.title, r.text))).collect();
    let mut df: HashMap<&str, usize> = HashMap::new();
    for s in &sets {
        for g in s {
            *df.entry(g.as_str()).or_insert(0) += 1;
        }
    }
    let rare: Vec<HashSet<&str>> =
        sets.iter().map(|s| s.iter().map(String::as_str).filter(|g| (2..=10).contains(&df[g])).collect()).collect();

    let rare_name = format!("{prefix}rare_shared");
    let random_name = format!("{prefix}random");
    let mut strata: HashMap<String, Vec<(usize, usize, f64)>> = HashMap::new();
    let mut total = 0usize;
    for i in 0..reports.len() {
        for j in i + 1..reports.len() {
            if (reports[i].at_ms - reports[j].at_ms).abs() > WINDOW_MS || excluded.contains(&(reports[i].id.clone(), reports[j].id.clone()))
            {
                continue;
            }
            total += 1;
            let score = scorer.score(&prepared[i], &prepared[j]).score;
            let name = match bands.iter().find(|(_, lo, hi, _)| score >= *lo && score < *hi) {
                Some((name, ..)) => (*name).to_owned(),
                None if rare[i].intersection(&rare[j]).count() >= 2 => rare_name.clone(),
                None => random_name.clone(),
            };
            strata.entry(name).or_default().push((i, j, score));
        }
    }
    let mut rng = SplitMix64::new(seed);
    let mut plan: Vec<(String, usize)> = bands.iter().map(|(n, _, _, k)| ((*n).to_owned(), *k)).collect();
    plan.push((rare_name, rare_drawn));
    plan.push((random_name, random_drawn));
    eprintln!("{total} pairs within 30 days");
    println!("msg_id_a,msg_id_b,stratum,stratum_size,sampled_score");
    for (name, k) in plan {
        let mut pairs = strata.remove(&name).unwrap_or_default();
        let size = pairs.len();
        rng.shuffle(&mut pairs);
        eprintln!("{name}: {size} pairs, {} drawn", k.min(size));
        for (i, j, score) in pairs.into_iter().take(k) {
            println!("{},{},{name},{size},{score:.4}", reports[i].id, reports[j].id);
        }
    }
    Ok(())
}
