//! Prints the place phrases found in each message of a CSV export, to inspect the extractor.
//!
//! ```sh
//! cargo run -p minsheng-cluster --release --example places -- ../shared/data/govmsg/messages_unlabelled.csv 50
//! ```

use std::path::PathBuf;

use minsheng_cluster::{extract_places, read_reports_csv};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let input = PathBuf::from(args.next().ok_or("usage: places FILE.csv [N]")?);
    let n: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(50);
    for r in read_reports_csv(&input)?.iter().take(n) {
        let places = extract_places(&format!("{}。{}", r.title, r.text));
        let shown: Vec<String> = places.iter().map(|p| format!("{}[{:?}:{}]", p.text, p.level, p.core)).collect();
        println!("{} {}\n    {}", r.id, r.title, shown.join(" "));
    }
    Ok(())
}
