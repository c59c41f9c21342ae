//! Builds a case index of synthetic cases made of real citizen messages and measures search latency.
//!
//! ```sh
//! CARGO_TARGET_DIR=/work/target-search nice cargo run --release -p minsheng-search --example search_bench -- \
//!     --dir /work/benchdata/search --docs 1000000 --runs 3
//! # again, reusing the built index:
//! ... --dir /work/benchdata/search --reuse --runs 3
//! ```
//!
//! Texts cycle through the real titles, messages and replies of `/work/shared/data/govmsg` (a random
//! window of each message, so documents differ), with generated addresses, phone and case numbers,
//! states, units, catalogue items and dates, so the vocabulary is real and the filters are selective
//! as they would be. Queries are 2–6 character phrases cut from real titles, common single words,
//! and filter-only listings, mixed with a unit subtree, a state, a date range. Prints a human summary
//! and JSON lines (`{"figure": ...}`) for the record.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use minsheng_search::{CaseDoc, CaseIndex, CaseSearch, IndexOptions, OpenStatus};

const DATA: &str = "/work/shared/data/govmsg";
const DAY: i64 = 86_400_000;
/// 2023-01-01T00:00:00+08:00; cases are received over three years from here.
const START: i64 = 1_672_502_400_000;
const SPAN_DAYS: i64 = 3 * 365;

struct Args {
    dir: PathBuf,
    docs: usize,
    reuse: bool,
    runs: usize,
    queries: usize,
    optimize: bool,
    threads: usize,
    limit: usize,
    updates: usize,
}

fn args() -> Args {
    let mut a = Args {
        dir: PathBuf::from("/work/benchdata/search"),
        docs: 1_000_000,
        reuse: false,
        runs: 3,
        queries: 300,
        optimize: false,
        threads: 2,
        limit: 20,
        updates: 2000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--dir" => a.dir = PathBuf::from(value()),
            "--docs" => a.docs = value().parse().unwrap(),
            "--runs" => a.runs = value().parse().unwrap(),
            "--queries" => a.queries = value().parse().unwrap(),
            "--threads" => a.threads = value().parse().unwrap(),
            "--limit" => a.limit = value().parse().unwrap(),
            "--updates" => a.updates = value().parse().unwrap(),
            "--reuse" => a.reuse = true,
            "--optimize" => a.optimize = true,
            other => panic!("unknown argument {other}; see the file's documentation"),
        }
    }
    a
}

/// splitmix64: deterministic and dependency-free; the same seed gives the same corpus and queries.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

struct Message {
    title: String,
    detail: Vec<char>,
}

struct Corpus {
    messages: Vec<Message>,
    replies: Vec<Vec<char>>,
}

fn load() -> Corpus {
    let mut messages = Vec::new();
    let mut replies = Vec::new();
    for (file, has_reply) in [("messages_unlabelled.csv", false), ("messages_with_replies.csv", true)] {
        let mut reader = csv::Reader::from_path(Path::new(DATA).join(file)).unwrap();
        let headers = reader.headers().unwrap().clone();
        let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
        let (title, detail) = (col("title"), col("detail"));
        let reply = has_reply.then(|| col("reply"));
        for row in reader.records() {
            let row = row.unwrap();
            let clean = |s: &str| s.replace("_x000D_", " ").split_whitespace().collect::<Vec<_>>().join(" ");
            messages.push(Message { title: clean(&row[title]), detail: clean(&row[detail]).chars().collect() });
            if let Some(r) = reply {
                replies.push(clean(&row[r]).chars().collect());
            }
        }
    }
    Corpus { messages, replies }
}

const DISTRICTS: &[&str] = &["龙华区", "美兰区", "琼山区", "秀英区"];
const ROADS: &[&str] = &[
    "国兴大道",
    "海秀路",
    "滨海大道",
    "龙昆南路",
    "椰海大道",
    "南沙路",
    "海府路",
    "白龙南路",
    "金贸路",
    "玉沙路",
    "大英山西路",
    "和平大道",
    "海甸二东路",
    "人民大道",
    "凤翔路",
    "丘海大道",
    "长滨路",
    "盐灶路",
    "解放西路",
    "府城大道",
];
const PLACES: &[&str] = &["花园", "小区", "大厦", "公寓", "新村", "广场", "家园", "商住楼"];
const STATES: &[(&str, u64)] = &[("已办结", 60), ("办理中", 18), ("待回访", 8), ("待派单", 5), ("已归档", 9)];
const TYPES: &[&str] = &["投诉", "咨询", "求助", "建议", "举报"];
const CHANNELS: &[&str] = &["电话", "网站", "微信", "APP", "信件"];
const COMMON: &[&str] = &["路灯", "噪音", "小区", "物业", "停车", "垃圾", "拆迁", "施工", "学校", "公交", "供水", "扰民", "违建", "油烟"];

fn weighted<'a>(rng: &mut Rng, items: &[(&'a str, u64)]) -> &'a str {
    let mut r = rng.next() % items.iter().map(|(_, w)| w).sum::<u64>();
    for (item, w) in items {
        if r < *w {
            return item;
        }
        r -= w;
    }
    items[0].0
}

/// Units: the city /1/, four districts /1/2/../1/5/ with ten streets each and ten communities per
/// street, and thirty city departments /1/10/../1/39/. A case is led by a street or a department and
/// often handled with a community.
fn unit_paths(rng: &mut Rng) -> (Vec<String>, String) {
    let district = 2 + rng.below(4);
    let street = 100 * district + rng.below(10);
    let community = 10 * street + rng.below(10);
    let division = format!("/4601/{district}/{street}/");
    let mut paths = Vec::new();
    if rng.chance(35) {
        paths.push(format!("/1/{}/", 10 + rng.below(30)));
    } else {
        paths.push(format!("/1/{district}/{street}/"));
    }
    if rng.chance(50) {
        paths.push(format!("/1/{district}/{street}/{community}/"));
    }
    (paths, division)
}

fn window(rng: &mut Rng, chars: &[char], min: usize, max: usize) -> String {
    if chars.len() <= max {
        return chars.iter().collect();
    }
    let len = min + rng.below(max - min);
    let start = rng.below(chars.len() - len);
    chars[start..start + len].iter().collect()
}

fn make_case(rng: &mut Rng, corpus: &Corpus, id: i64, total: usize) -> CaseDoc {
    let m = &corpus.messages[(id as usize * 7919) % corpus.messages.len()];
    let mut text = window(rng, &m.detail, 120, 500);
    if rng.chance(20) {
        text.push_str(&format!("联系电话1{}{:09}。", 3 + rng.below(7), rng.below(1_000_000_000)));
    }
    let replies = if rng.chance(30) {
        let reply = &corpus.replies[rng.below(corpus.replies.len())];
        vec![window(rng, reply, 150, 400)]
    } else {
        Vec::new()
    };
    let address = rng.chance(80).then(|| {
        format!(
            "海口市{}{}{}号{}{}",
            rng.pick(DISTRICTS),
            rng.pick(ROADS),
            1 + rng.below(300),
            rng.pick(&["", "金色", "阳光", "椰城", "滨江", "南国"]),
            rng.pick(PLACES)
        )
    });
    let (unit_paths, division) = unit_paths(rng);
    // Received times grow with the id (the feed is roughly chronological), with some jitter.
    let received_at = START + (id * SPAN_DAYS * DAY) / total as i64 + rng.below(DAY as usize) as i64;
    let day = (received_at - START) / DAY;
    CaseDoc {
        id,
        number: format!("HK{}{:06}", civil_date(day), id % 1_000_000),
        version: 1,
        title: m.title.clone(),
        text,
        replies,
        address,
        state: weighted(rng, STATES).to_owned(),
        case_type: rng.pick(TYPES).to_string(),
        channel: rng.pick(CHANNELS).to_string(),
        catalogue_item: Some(format!("{}{:02}{:02}", (b'A' + rng.below(8) as u8) as char, 1 + rng.below(9), 1 + rng.below(12))),
        unit_paths,
        division_path: Some(division),
        received_at,
        updated_at: received_at + rng.below(20) as i64 * DAY,
    }
}

/// The date `days` after 2023-01-01 as YYYYMMDD.
fn civil_date(days: i64) -> u32 {
    let (mut y, mut d) = (2023u32, days as u32);
    loop {
        let len = if y % 4 == 0 { 366 } else { 365 };
        if d < len {
            break;
        }
        d -= len;
        y += 1;
    }
    let feb = if y % 4 == 0 { 29 } else { 28 };
    let mut m = 1;
    for len in [31, feb, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] {
        if d < len {
            break;
        }
        d -= len;
        m += 1;
    }
    y * 10_000 + m * 100 + d + 1
}

#[derive(Clone)]
struct Query {
    kind: &'static str,
    search: CaseSearch,
}

/// A phrase of 2–6 characters cut from a CJK run of a real title.
fn phrase(rng: &mut Rng, corpus: &Corpus) -> String {
    loop {
        let title: Vec<char> = rng.pick(&corpus.messages).title.chars().collect();
        let runs: Vec<&[char]> = title.split(|c| !minsheng_search::tokenizer::is_cjk(*c)).filter(|r| r.len() >= 2).collect();
        if runs.is_empty() {
            continue;
        }
        let run = rng.pick(&runs);
        let len = 2 + rng.below(5).min(run.len() - 2);
        let start = rng.below(run.len() - len + 1);
        return run[start..start + len].iter().collect();
    }
}

fn queries(rng: &mut Rng, corpus: &Corpus, n: usize) -> Vec<Query> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut s = CaseSearch { limit: 20, ..CaseSearch::default() };
        let subtree = |rng: &mut Rng| {
            let district = 2 + rng.below(4);
            if rng.chance(50) { format!("/1/{district}/") } else { format!("/1/{district}/{}/", 100 * district + rng.below(10)) }
        };
        let kind = match i % 10 {
            0..=3 => {
                s.text = Some(phrase(rng, corpus));
                "phrase"
            }
            4 => {
                s.text = Some(phrase(rng, corpus));
                s.unit_path_prefix = Some(subtree(rng));
                "phrase+subtree"
            }
            5 => {
                s.text = Some(phrase(rng, corpus));
                s.states = vec![weighted(rng, STATES).to_owned()];
                "phrase+state"
            }
            6 => {
                s.text = Some(phrase(rng, corpus));
                let from = START + rng.below(SPAN_DAYS as usize - 90) as i64 * DAY;
                s.received_from = Some(from);
                s.received_to = Some(from + 90 * DAY);
                "phrase+dates"
            }
            7 => {
                s.text = Some(rng.pick(COMMON).to_string());
                "common word"
            }
            8 => {
                s.text = Some(rng.pick(COMMON).to_string());
                s.unit_path_prefix = Some(subtree(rng));
                s.states = vec!["办理中".to_owned()];
                "common word+subtree+state"
            }
            _ => {
                s.unit_path_prefix = Some(subtree(rng));
                if rng.chance(50) {
                    s.states = vec![weighted(rng, STATES).to_owned()];
                }
                "filters only"
            }
        };
        out.push(Query { kind, search: s });
    }
    out
}

fn dir_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir).unwrap().filter_map(Result::ok).filter_map(|e| e.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum()
}

fn status_kb(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find(|l| l.starts_with(key)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let a = args();
    let corpus = load();
    eprintln!("{} messages, {} replies loaded", corpus.messages.len(), corpus.replies.len());
    std::fs::create_dir_all(&a.dir).unwrap();
    let options = IndexOptions { writer_threads: a.threads, ..IndexOptions::default() };

    let index = if a.reuse {
        let index = CaseIndex::open(&a.dir, &options).unwrap();
        assert_eq!(index.open_status(), &OpenStatus::Opened, "--reuse needs an index built by this version");
        eprintln!("reusing {} cases in {}", index.doc_count(), a.dir.display());
        if a.optimize {
            let t = Instant::now();
            index.optimize().unwrap();
            println!("optimized in {:.1} s, index {:.0} MB", t.elapsed().as_secs_f64(), dir_size(&a.dir) as f64 / 1e6);
        }
        index
    } else {
        let index = CaseIndex::open(&a.dir, &options).unwrap();
        let mut rng = Rng(42);
        let started = Instant::now();
        index.clear().unwrap();
        let mut batch = Vec::with_capacity(10_000);
        for id in 1..=a.docs as i64 {
            batch.push(make_case(&mut rng, &corpus, id, a.docs));
            if batch.len() == batch.capacity() {
                index.upsert(&batch).unwrap();
                batch.clear();
            }
            if id % 100_000 == 0 {
                eprintln!("{id} cases fed, {:.0} s", started.elapsed().as_secs_f64());
            }
        }
        index.upsert(&batch).unwrap();
        index.commit_with_checkpoint("bench").unwrap();
        let build_s = started.elapsed().as_secs_f64();
        let mut optimize_s = 0.0;
        if a.optimize {
            let t = Instant::now();
            index.optimize().unwrap();
            optimize_s = t.elapsed().as_secs_f64();
        }
        let size = dir_size(&a.dir);
        println!(
            "built {} cases in {build_s:.1} s ({:.0} cases/s), optimize {optimize_s:.1} s, index {:.0} MB, writer RSS peak {} MB",
            index.doc_count(),
            a.docs as f64 / build_s,
            size as f64 / 1e6,
            status_kb("VmHWM:") / 1024
        );
        println!(
            "{}",
            serde_json::json!({"figure": "search_build", "docs": index.doc_count(), "build_s": build_s, "optimize_s": optimize_s,
                "index_bytes": size, "writer_threads": a.threads, "peak_rss_mb": status_kb("VmHWM:") / 1024})
        );
        index
    };

    let mut rng = Rng(7);
    let mut qs = queries(&mut rng, &corpus, a.queries);
    for q in &mut qs {
        q.search.limit = a.limit;
    }
    for q in qs.iter().take(20) {
        index.search(&q.search).unwrap();
    }
    let mut p50s = Vec::new();
    let mut p95s = Vec::new();
    let mut p99s = Vec::new();
    for run in 1..=a.runs {
        let mut times = Vec::with_capacity(qs.len());
        let mut by_kind: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
        let mut empty = 0;
        for q in &qs {
            let t = Instant::now();
            let r = index.search(&q.search).unwrap();
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            if r.total == 0 {
                empty += 1;
            }
            times.push(ms);
            by_kind.entry(q.kind).or_default().push(ms);
        }
        times.sort_by(f64::total_cmp);
        let (p50, p95, p99) = (percentile(&times, 50.0), percentile(&times, 95.0), percentile(&times, 99.0));
        println!(
            "run {run}: {} queries, p50 {p50:.2} ms, p95 {p95:.2} ms, p99 {p99:.2} ms, max {:.2} ms, {empty} without hits",
            times.len(),
            times[times.len() - 1]
        );
        for (kind, mut t) in by_kind {
            t.sort_by(f64::total_cmp);
            println!(
                "    {kind:28} n={:3} p50 {:7.2} ms  p95 {:7.2} ms  max {:7.2} ms",
                t.len(),
                percentile(&t, 50.0),
                percentile(&t, 95.0),
                t[t.len() - 1]
            );
        }
        println!(
            "{}",
            serde_json::json!({"figure": "search_query", "run": run, "docs": index.doc_count(), "queries": times.len(),
                "p50_ms": p50, "p95_ms": p95, "p99_ms": p99, "max_ms": times[times.len() - 1], "rss_mb": status_kb("VmRSS:") / 1024,
                "rss_anon_mb": status_kb("RssAnon:") / 1024})
        );
        p50s.push(p50);
        p95s.push(p95);
        p99s.push(p99);
    }
    // The searcher's memory, before the update phase below brings the writer's buffers in. Mapped index
    // pages count in RSS but are page cache the kernel can drop; the heap is RssAnon.
    let (rss, anon, file) = (status_kb("VmRSS:") / 1024, status_kb("RssAnon:") / 1024, status_kb("RssFile:") / 1024);

    // Shapes outside the mix, timed on their own (median and best of 9): the costliest things a user can type.
    let known_number =
        index.search(&CaseSearch { text: Some("路灯".into()), limit: 1, ..CaseSearch::default() }).unwrap().hits[0].number.clone();
    let long_query: String = corpus.messages[3].detail.iter().filter(|c| !c.is_whitespace()).take(200).collect();
    let edge: Vec<(&str, CaseSearch)> = vec![
        (
            "single common character 小 (term-dictionary automaton)",
            CaseSearch { text: Some("小".into()), limit: 20, ..CaseSearch::default() },
        ),
        ("very common bigram 问题", CaseSearch { text: Some("问题".into()), limit: 20, ..CaseSearch::default() }),
        ("three common words 小区 物业 问题", CaseSearch { text: Some("小区 物业 问题".into()), limit: 20, ..CaseSearch::default() }),
        ("200-character query", CaseSearch { text: Some(long_query), limit: 20, ..CaseSearch::default() }),
        ("no text, no filter: all cases newest first", CaseSearch { limit: 20, ..CaseSearch::default() }),
        ("case number", CaseSearch { text: Some(known_number.clone()), limit: 20, ..CaseSearch::default() }),
        ("page 50 of 小区", CaseSearch { text: Some("小区".into()), limit: 20, offset: 980, ..CaseSearch::default() }),
    ];
    for (name, s) in &edge {
        let mut t: Vec<f64> = (0..9)
            .map(|_| {
                let t = Instant::now();
                index.search(s).unwrap();
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        t.sort_by(f64::total_cmp);
        let total = index.search(s).unwrap().total;
        println!("    edge: {name:55} median {:7.2} ms, best {:7.2} ms  ({total} cases)", t[4], t[0]);
        println!("{}", serde_json::json!({"figure": "search_edge", "query": name, "median_ms": t[4], "best_ms": t[0], "total": total}));
    }

    // The tailer's shape: changed cases in small batches, a commit after each. Bumps versions, so it
    // can run again on a reused index.
    if a.updates > 0 {
        let mut upsert_ms = Vec::new();
        let mut commit_ms = Vec::new();
        let mut rng = Rng(99 + index.doc_count());
        let mut marker = String::new();
        for batch_no in 0..a.updates.div_ceil(100) {
            let mut batch = Vec::with_capacity(100);
            for _ in 0..100 {
                let id = 1 + rng.below(index.doc_count() as usize) as i64;
                let mut doc = make_case(&mut rng, &corpus, id, a.docs.max(index.doc_count() as usize));
                doc.version = index.indexed_version(id).unwrap().unwrap_or(0) + 1;
                marker = format!("更新标记{batch_no}号");
                doc.replies.push(format!("已处理完毕。{marker}"));
                batch.push(doc);
            }
            let t = Instant::now();
            index.upsert(&batch).unwrap();
            upsert_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            index.commit().unwrap();
            commit_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let found = index.search(&CaseSearch { text: Some(marker.clone()), limit: 10, ..CaseSearch::default() }).unwrap().total;
        assert!(found >= 1, "the last update is searchable after its commit");
        upsert_ms.sort_by(f64::total_cmp);
        commit_ms.sort_by(f64::total_cmp);
        println!(
            "updates: {} batches of 100, upsert p50 {:.1} ms a batch, commit p50 {:.1} ms, max {:.1} ms; {} cases now",
            upsert_ms.len(),
            percentile(&upsert_ms, 50.0),
            percentile(&commit_ms, 50.0),
            commit_ms[commit_ms.len() - 1],
            index.doc_count()
        );
        println!(
            "{}",
            serde_json::json!({"figure": "search_update", "batches": upsert_ms.len(), "batch_size": 100,
                "upsert_batch_p50_ms": percentile(&upsert_ms, 50.0), "commit_p50_ms": percentile(&commit_ms, 50.0),
                "commit_max_ms": commit_ms[commit_ms.len() - 1], "docs": index.doc_count()})
        );
    }

    println!(
        "median of {} runs: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms; searcher RSS {rss} MB (heap {anon} MB, mapped index {file} MB); index {:.0} MB",
        a.runs,
        median(p50s.clone()),
        median(p95s.clone()),
        median(p99s.clone()),
        dir_size(&a.dir) as f64 / 1e6
    );
    println!(
        "{}",
        serde_json::json!({"figure": "search_summary", "docs": index.doc_count(), "runs": a.runs, "p50_ms": median(p50s),
            "p95_ms": median(p95s), "p99_ms": median(p99s), "rss_mb": rss, "rss_anon_mb": anon, "rss_file_mb": file,
            "index_bytes": dir_size(&a.dir)})
    );
}
