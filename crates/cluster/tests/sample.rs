//! Tests on the 200-message sample shipped in `data/` (see data/README.md): they run everywhere.
// A fixture that is there but cannot be read must fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use minsheng_cluster::{
    DuplicateIndex, HotspotParams, Prepared, Report, Scorer, extract_places, hotspots, read_reports_csv, run_hotspots_cli,
};

const DAY: i64 = 24 * 3600 * 1000;

fn sample_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/messages_sample.csv")
}

fn sample() -> Vec<Report> {
    read_reports_csv(&sample_path()).expect("the shipped sample reads")
}

#[test]
fn the_sample_reads_with_reporters_and_likes() {
    let reports = sample();
    assert_eq!(reports.len(), 200);
    assert!(reports.iter().all(|r| r.reporter.is_some() && !r.title.is_empty()));
    assert!(reports.iter().any(|r| r.likes > 0));
    let ids: HashSet<&str> = reports.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids.len(), reports.len(), "message ids are unique");
}

/// The index must find what scoring every pair finds: it only skips work, never answers.
#[test]
fn the_index_finds_what_exhaustive_scoring_finds() {
    let reports = sample();
    let scorer = Scorer::default();
    let prepared: Vec<Prepared> = reports.iter().map(|r| scorer.prepare(r)).collect();
    let mut index = DuplicateIndex::new(scorer.clone());
    for p in &prepared {
        index.insert_prepared(p.clone());
    }
    let window = 30 * DAY;
    let threshold = scorer.params().threshold;
    let (mut expected, mut found, mut wrong) = (0usize, 0usize, 0usize);
    for q in &prepared {
        let exhaustive: HashSet<&str> = prepared
            .iter()
            .filter(|d| d.id != q.id && (d.at_ms - q.at_ms).abs() <= window && scorer.score(q, d).score >= threshold)
            .map(|d| d.id.as_str())
            .collect();
        let answered = index.search(q, q.at_ms, window, usize::MAX, threshold);
        expected += exhaustive.len();
        found += answered.iter().filter(|c| exhaustive.contains(c.id.as_str())).count();
        wrong += answered.iter().filter(|c| !exhaustive.contains(c.id.as_str())).count();
        assert!(answered.windows(2).all(|w| w[0].score >= w[1].score), "candidates come best first");
    }
    assert!(expected > 100, "the sample holds repeated matters ({expected} duplicate pairs)");
    assert_eq!(wrong, 0);
    assert!(found as f64 >= 0.99 * expected as f64, "index found {found} of {expected}");
}

#[test]
fn hotspots_are_ranked_ordered_and_about_one_place() {
    let reports = sample();
    let found = hotspots(&reports, &HotspotParams { top: 5, ..HotspotParams::default() });
    assert!(!found.is_empty());
    assert!(found.windows(2).all(|w| w[0].heat >= w[1].heat));
    assert_eq!(found.iter().map(|h| h.rank).collect::<Vec<_>>(), (1..=found.len()).collect::<Vec<_>>());
    let by_id: std::collections::HashMap<&str, &Report> = reports.iter().map(|r| (r.id.as_str(), r)).collect();
    for h in &found {
        assert!(h.msg_ids.len() >= 2 && h.from <= h.to, "{h:?}");
        let times: Vec<i64> = h.msg_ids.iter().map(|id| by_id[id.as_str()].at_ms).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "messages in time order");
        // One place: every member names a place that the others name too.
        let places: Vec<HashSet<String>> = h
            .msg_ids
            .iter()
            .map(|id| {
                let r = by_id[id.as_str()];
                extract_places(&format!("{}。{}", r.title, r.text)).into_iter().filter(|p| p.level.is_specific()).map(|p| p.core).collect()
            })
            .collect();
        let shared = places.iter().filter(|p| places.iter().filter(|q| q.iter().any(|c| p.contains(c))).count() >= 2).count();
        assert_eq!(shared, places.len(), "rank {} mixes places", h.rank);
    }
    // The sample holds 30 messages of each of two campaigns: one of them must lead.
    assert!(found[0].msg_ids.len() >= 20, "top hotspot has {} messages", found[0].msg_ids.len());
}

#[test]
fn the_cli_writes_the_contract_json() {
    let out = std::env::temp_dir().join(format!("minsheng-cluster-cli-{}.json", std::process::id()));
    let written = run_hotspots_cli(&sample_path(), 3, &out).expect("cli runs");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("output written")).expect("valid JSON");
    std::fs::remove_file(&out).ok();
    let items = json.as_array().expect("an array");
    assert_eq!(items.len(), written);
    assert!(written <= 3 && written > 0);
    for item in items {
        let keys: HashSet<&str> = item.as_object().expect("objects").keys().map(String::as_str).collect();
        assert_eq!(keys, HashSet::from(["rank", "heat", "title", "place", "from", "to", "msg_ids"]));
        assert!(item["from"].as_str().is_some_and(|t| t.ends_with("+08:00")));
        assert!(item["msg_ids"].as_array().is_some_and(|ids| ids.len() >= 2));
    }
}

#[test]
fn the_cli_reports_unreadable_input() {
    let out = std::env::temp_dir().join("minsheng-cluster-never-written.json");
    let missing = run_hotspots_cli(Path::new("/nonexistent/messages.csv"), 3, &out).unwrap_err();
    assert_eq!(missing.code(), "cluster_io");
    let bad = std::env::temp_dir().join(format!("minsheng-cluster-bad-{}.csv", std::process::id()));
    std::fs::write(&bad, "msg_id,title,detail,time\n1,路灯,不亮,2019/2/30 10:00:00\n").expect("temp file");
    let e = run_hotspots_cli(&bad, 3, &out).unwrap_err();
    std::fs::remove_file(&bad).ok();
    assert_eq!(e.code(), "cluster_bad_time");
    assert!(e.to_string().contains("2019/2/30"), "{e}");
    assert!(!out.exists());
}
