//! Recurrence (回潮) on public data: the answered messages of `messages_with_replies.csv` as closed
//! cases (closed when the reply was published) against the new messages of `messages_unlabelled.csv`.
//!
//! ```sh
//! cargo run -p minsheng-cluster --release --example recurrence_demo -- ../shared/data/govmsg
//! ```

use std::collections::HashMap;
use std::path::PathBuf;

use minsheng_cluster::{RecurrenceParams, Report, parse_time, read_reports_csv, recurrences};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("usage: recurrence_demo GOVMSG_DIR")?);
    let mut closed: Vec<(Report, i64)> = Vec::new();
    for row in csv::Reader::from_path(dir.join("messages_with_replies.csv"))?.deserialize::<HashMap<String, String>>() {
        let row = row?;
        let (Some(at), Some(closed_at)) = (parse_time(&row["time"]), parse_time(&row["reply_time"])) else { continue };
        let mut r = Report::new(row["msg_id"].clone(), row["title"].clone(), row["detail"].clone(), at);
        r.reporter = Some(row["user"].clone());
        closed.push((r, closed_at));
    }
    let new = read_reports_csv(&dir.join("messages_unlabelled.csv"))?;
    let t = std::time::Instant::now();
    let flags = recurrences(&closed, &new, &RecurrenceParams::default());
    let titles: HashMap<&str, &str> = closed
        .iter()
        .map(|(r, _)| (r.id.as_str(), r.title.as_str()))
        .chain(new.iter().map(|r| (r.id.as_str(), r.title.as_str())))
        .collect();
    println!("{} closed cases, {} new reports, {} flags ({:.1?})\n", closed.len(), new.len(), flags.len(), t.elapsed());
    println!("| closed case | new report | after | score | reasons |");
    println!("|---|---|---|---|---|");
    for f in &flags {
        println!(
            "| {} {} | {} {} | {:.0} h | {:.2} | {} |",
            f.closed_id,
            titles.get(f.closed_id.as_str()).unwrap_or(&""),
            f.new_id,
            titles.get(f.new_id.as_str()).unwrap_or(&""),
            f.hours_after_close,
            f.score,
            f.reasons.join("；")
        );
    }
    Ok(())
}
