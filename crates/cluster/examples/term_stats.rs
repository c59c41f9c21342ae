//! Writes `data/term_stats.tsv`, the built-in document frequencies, from the other files of the
//! public 问政 board — never from `messages_unlabelled.csv`, on which duplicates are evaluated.
//!
//! ```sh
//! cargo run -p minsheng-cluster --release --example term_stats -- ../shared/data/govmsg crates/cluster/data/term_stats.tsv
//! ```

use std::io::Write as _;
use std::path::PathBuf;

use minsheng_cluster::features::count_terms_by_text;

/// Terms seen in fewer documents are left out: they would get nearly the top weight anyway, and
/// leaving them out keeps the table small.
const MIN_DF: u32 = 5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().ok_or("usage: term_stats GOVMSG_DIR OUT.tsv")?);
    let out = PathBuf::from(args.next().ok_or("usage: term_stats GOVMSG_DIR OUT.tsv")?);
    let mut docs: Vec<(String, String)> = Vec::new();
    // train_raw: title and body run together; the whole text stands in as body, no title.
    for row in csv::Reader::from_path(dir.join("train_raw.csv"))?.deserialize::<std::collections::HashMap<String, String>>() {
        let row = row?;
        docs.push((String::new(), row.get("text").cloned().unwrap_or_default()));
    }
    // train_segmented: tokens joined back into text; punctuation is gone, which only adds bigrams.
    for row in csv::Reader::from_path(dir.join("train_segmented.csv"))?.deserialize::<std::collections::HashMap<String, String>>() {
        let row = row?;
        docs.push((String::new(), row.get("tokens").map(|t| t.split_whitespace().collect::<String>()).unwrap_or_default()));
    }
    for row in csv::Reader::from_path(dir.join("messages_with_replies.csv"))?.deserialize::<std::collections::HashMap<String, String>>() {
        let row = row?;
        docs.push((row.get("title").cloned().unwrap_or_default(), row.get("detail").cloned().unwrap_or_default()));
    }
    let (n, terms) = count_terms_by_text(docs.iter().map(|(t, b)| (t.as_str(), b.as_str())));
    let mut file = std::io::BufWriter::new(std::fs::File::create(&out)?);
    writeln!(file, "docs\t{n}")?;
    let mut kept = 0;
    for (term, df) in terms.iter().filter(|(_, df)| *df >= MIN_DF) {
        writeln!(file, "{term}\t{df}")?;
        kept += 1;
    }
    file.flush()?;
    eprintln!("{n} documents, {} terms, {kept} written to {}", terms.len(), out.display());
    Ok(())
}
