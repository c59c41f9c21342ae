//! How many training messages have near-copies, per overlap threshold (to choose `duplicate_threshold`).
use minsheng_classify::{TextForm, dedup_exact, groups::near_duplicate_groups, read_labelled_csv, text::tokens};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "/work/shared/data/govmsg".to_owned());
    let mut ex = read_labelled_csv(format!("{dir}/train_raw.csv"))?;
    ex.extend(read_labelled_csv(format!("{dir}/train_segmented.csv"))?);
    let ex = dedup_exact(ex);
    let toks: Vec<Vec<String>> = ex.iter().map(|e| tokens(&e.doc)).collect();
    for t in [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0] {
        let g = near_duplicate_groups(&toks, t);
        let n = g.iter().max().map_or(0, |m| m + 1);
        let mut size = vec![0usize; n];
        let mut raw = vec![0usize; n];
        let mut labels: Vec<std::collections::BTreeSet<&str>> = vec![Default::default(); n];
        for (i, &gi) in g.iter().enumerate() {
            size[gi] += 1;
            if ex[i].doc.form == TextForm::Raw {
                raw[gi] += 1;
            }
            labels[gi].insert(&ex[i].label);
        }
        let raw_with_seg = (0..n).filter(|&i| raw[i] > 0 && raw[i] < size[i]).map(|i| raw[i]).sum::<usize>();
        let in_groups = (0..n).filter(|&i| size[i] > 1).map(|i| size[i]).sum::<usize>();
        let mixed = (0..n).filter(|&i| labels[i].len() > 1).count();
        let largest = size.iter().max().copied().unwrap_or(0);
        println!(
            "threshold {t:.1}: {n} groups; {in_groups} messages have a near-copy; {raw_with_seg} raw messages share a group with a segmented one; largest group {largest}; groups with >1 label {mixed}"
        );
    }
    Ok(())
}
