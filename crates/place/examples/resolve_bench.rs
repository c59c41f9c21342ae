//! Micro-benchmark of `Gazetteer::resolve` on a 200-character citizen message.
//!
//! `cargo run --release -p minsheng-place --example resolve_bench` prints the median time per call
//! over many batches (a batch's mean, so timer resolution does not dominate), plus the 10th and 90th
//! percentiles of the batches.

use minsheng_place::Gazetteer;
use std::hint::black_box;
use std::time::Instant;

const BATCHES: usize = 2_000;
const CALLS_PER_BATCH: usize = 50;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let gazetteer = Gazetteer::from_csv(include_str!("../../app/data/haikou_divisions.csv"))?;
    let mut text: String = "市民来电反映：本人住在海口市龙华区金贸街道玉沙社区某小区，楼下新开的烧烤店每天营业到凌晨两点，\
        油烟直接排向居民楼，噪音也很大，老人孩子无法休息。多次与店家沟通无果，也打过物业电话，物业表示无权处理。\
        希望相关部门尽快到现场核实，依法处理油烟和噪音扰民问题，还居民一个安静的生活环境。另外小区门口的路灯坏了很久，\
        晚上出行很不方便，也请一并处理，谢谢。"
        .chars()
        .collect();
    while text.chars().count() < 200 {
        text.push_str("谢谢");
    }
    let text: String = text.chars().take(200).collect();

    let check = gazetteer.resolve(&text);
    println!("text: {} characters; {}", text.chars().count(), check.explain_zh());

    for _ in 0..200 {
        black_box(gazetteer.resolve(black_box(&text)));
    }
    let mut per_call_ns: Vec<f64> = Vec::with_capacity(BATCHES);
    for _ in 0..BATCHES {
        let start = Instant::now();
        for _ in 0..CALLS_PER_BATCH {
            black_box(gazetteer.resolve(black_box(&text)));
        }
        per_call_ns.push(start.elapsed().as_nanos() as f64 / CALLS_PER_BATCH as f64);
    }
    per_call_ns.sort_by(f64::total_cmp);
    let pick = |q: f64| per_call_ns[((per_call_ns.len() - 1) as f64 * q) as usize];
    println!(
        "resolve, 200 chars: median {:.0} ns (p10 {:.0} ns, p90 {:.0} ns) over {} calls",
        pick(0.5),
        pick(0.1),
        pick(0.9),
        BATCHES * CALLS_PER_BATCH
    );
    Ok(())
}
