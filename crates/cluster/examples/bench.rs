//! Speed of hotspot computation over a month of 300,000 reports, and of duplicate search against
//! an index of 100,000 open reports.
//!
//! The reports are synthesised from `messages_unlabelled.csv`: "incidents" are drawn (a source
//! message moved to a site drawn from a pool of recombined names, so that places are as many and as
//! unequal as in a city — a few named by hundreds of reports, most by a handful), and each report
//! repeats an incident with small edits (spans cut out of the body, another opening word
//! in the title) at a time spread over the month around the incident's date. Half the reports open
//! a new incident, half repeat one, repeats preferring popular incidents.
//!
//! ```sh
//! cargo run -p minsheng-cluster --release --example bench -- ../shared/data/govmsg/messages_unlabelled.csv
//! ```
//!
//! `BENCH_VARIANTS=1` instead compares the clustering restrictions (EVALUATION.md §4);
//! `BENCH_PROFILE=1` runs the clustering alone, for a profiler.

use std::time::{Duration, Instant};

use minsheng_classify::linear::SplitMix64;
use minsheng_cluster::{
    DuplicateIndex, HotspotParams, PlaceLevel, Report, Scorer, extract_places, hotspots_prepared, hotspots_with, parse_time, prepare_all,
    read_reports_csv,
};

const DEFAULT_REPORTS: usize = 300_000;
const INDEXED: usize = 100_000;
const QUERIES: usize = 2_000;
const PLACES: usize = 50_000;
const DAY: i64 = 24 * 3600 * 1000;

struct Incident {
    source: usize,
    places: Vec<(String, String)>,
    center_ms: i64,
    reports: u32,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let input = std::env::args().nth(1).ok_or("usage: bench messages_unlabelled.csv [reports_wanted]")?;
    let reports_wanted: usize = std::env::args().nth(2).map(|s| s.parse()).transpose()?.unwrap_or(DEFAULT_REPORTS);
    let sources = read_reports_csv(std::path::Path::new(&input))?;
    let mut rng = SplitMix64::new(7);
    let month_start = parse_time("2026-10-01 00:00:00").ok_or("time")?;

    // The specific places of each source message, roads apart (spelling and core both, so that no
    // mention of the original place survives; longest first, so that "丽发新城小区" goes before
    // "丽发新城").
    let phrases: Vec<Vec<(String, bool)>> = sources
        .iter()
        .map(|r| {
            let mut p: Vec<(String, bool)> = extract_places(&format!("{}。{}", r.title, r.text))
                .into_iter()
                .filter(|p| p.level.is_specific())
                .flat_map(|p| {
                    let road = p.level == PlaceLevel::Road;
                    [(p.text, road), (p.core, road)]
                })
                .filter(|(t, _)| t.chars().count() >= 3)
                .collect();
            p.sort();
            p.dedup_by(|a, b| a.0 == b.0);
            p.sort_by_key(|(t, _)| std::cmp::Reverse(t.chars().count()));
            p
        })
        .collect();
    let stems: Vec<String> = phrases
        .iter()
        .flatten()
        .map(|(t, _)| t.chars().take(2).collect::<String>())
        .filter(|s| s.chars().all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)))
        .collect();
    // A city's places: 50,000 sites and 5,000 roads of recombined names with whole suffixes (so that
    // each is read back as one place, as real names are), every site on one road. An incident
    // happens at one site — every place its source message named becomes that site, or its road —
    // drawn with a Zipf–Mandelbrot law (P(rank r) ∝ 1 / (r + 50)): the busiest site gets about
    // 0.3 % of incidents, some hundreds of reports a month like a large estate, most a handful.
    let name = |suffixes: &[&str], n: usize, rng: &mut SplitMix64| -> Vec<String> {
        let mut names: Vec<String> = (0..n)
            .map(|_| format!("{}{}{}", stems[rng.below(stems.len())], stems[rng.below(stems.len())], suffixes[rng.below(suffixes.len())]))
            .collect::<std::collections::HashSet<String>>()
            .into_iter()
            .collect();
        names.sort();
        rng.shuffle(&mut names);
        names
    };
    let sites = name(&["小区", "花园", "家园", "新城", "公寓", "大厦", "广场", "中学", "小学", "市场", "村", "苑"], PLACES, &mut rng);
    let roads = name(&["路", "大道", "街"], PLACES / 10, &mut rng);
    let pick_site = |rng: &mut SplitMix64| {
        let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let q = 50.0;
        let rank = (q * ((u * ((sites.len() as f64 + q) / q).ln()).exp() - 1.0)) as usize;
        rank.min(sites.len() - 1)
    };

    let started = Instant::now();
    let mut incidents: Vec<Incident> = Vec::new();
    let mut reports: Vec<Report> = Vec::with_capacity(reports_wanted);
    let openers = ["", "投诉", "反映", "关于", "请问", "再次反映"];
    for n in 0..reports_wanted {
        let which = if incidents.is_empty() || rng.below(2) == 0 {
            let source = rng.below(sources.len());
            let site = pick_site(&mut rng);
            let places = phrases[source]
                .iter()
                .map(|(orig, road)| (orig.clone(), if *road { roads[site % roads.len()].clone() } else { sites[site].clone() }))
                .collect();
            let center_ms = month_start + (rng.below(30 * 24) as i64) * 3600 * 1000;
            incidents.push(Incident { source, places, center_ms, reports: 0 });
            incidents.len() - 1
        } else {
            // Preferential: the incident of a random earlier report.
            let earlier = rng.below(n);
            earlier_incident(&reports, earlier)
        };
        let inc = &mut incidents[which];
        inc.reports += 1;
        let src = &sources[inc.source];
        let mut title = src.title.clone();
        let mut text = src.text.clone();
        for (orig, new) in &inc.places {
            title = title.replace(orig.as_str(), new);
            text = text.replace(orig.as_str(), new);
        }
        title = format!("{}{}", openers[rng.below(openers.len())], title);
        let chars: Vec<char> = text.chars().collect();
        let mut kept = chars.clone();
        for _ in 0..1 + rng.below(3) {
            if kept.len() > 40 {
                let at = rng.below(kept.len() - 20);
                kept.drain(at..at + 5 + rng.below(15));
            }
        }
        text = kept.into_iter().collect();
        let jitter = (rng.below(10 * 24) as i64 - 5 * 24) * 3600 * 1000;
        let at_ms = (inc.center_ms + jitter).clamp(month_start, month_start + 30 * DAY - 1);
        let mut r = Report::new(format!("{which}:{n}"), title, text, at_ms);
        r.reporter = Some(format!("u{}", if rng.below(10) == 0 { which } else { rng.below(1_000_000) + 1_000_000 }));
        r.likes = src.likes.min(50);
        reports.push(r);
    }
    let biggest = incidents.iter().map(|i| i.reports).max().unwrap_or(0);
    let mut mentions: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for inc in &incidents {
        for (_, place) in &inc.places {
            *mentions.entry(place.as_str()).or_insert(0) += inc.reports as usize;
        }
    }
    let busiest = mentions.values().max().copied().unwrap_or(0);
    eprintln!(
        "synthesised {} reports, {} incidents (largest {biggest} reports), {} places (busiest named by {busiest} reports) in {:.1?}",
        reports.len(),
        incidents.len(),
        mentions.len(),
        started.elapsed()
    );

    // Hotspots over the month: median of three runs, and the share spent preparing reports.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().take(3).collect::<Vec<_>>().join(" ");
    let scorer = Scorer::default();
    let params = HotspotParams { top: 10, ..HotspotParams::default() };
    if std::env::var_os("BENCH_VARIANTS").is_some() {
        // The clustering restrictions one by one, on the real file and on the synthetic month.
        let all_links = HotspotParams { links_per_report: usize::MAX, established: usize::MAX, ..params.clone() };
        let variants = [
            ("every qualifying pair linked", all_links.clone()),
            ("best link only", HotspotParams { links_per_report: 1, ..all_links.clone() }),
            ("best 3 links", HotspotParams { links_per_report: 3, ..all_links.clone() }),
            ("best 3 links + merge guard (default)", params.clone()),
        ];
        for (name, v) in &variants {
            let real = hotspots_with(&scorer, &sources, v);
            let sizes: Vec<usize> = real.iter().map(|h| h.msg_ids.len()).collect();
            let t = Instant::now();
            let synthetic = hotspots_with(&scorer, &reports, &HotspotParams { top: 1, ..v.clone() });
            println!(
                "{name}: real file top-10 sizes {sizes:?}; synthetic month largest cluster {} reports ({:.1} s)",
                synthetic[0].msg_ids.len(),
                t.elapsed().as_secs_f64()
            );
        }
        return Ok(());
    }
    if std::env::var_os("BENCH_PROFILE").is_some() {
        // Clustering of prepared reports only, for a profiler.
        let mut by_time: Vec<&Report> = reports.iter().collect();
        by_time.sort_by(|a, b| a.at_ms.cmp(&b.at_ms).then_with(|| a.id.cmp(&b.id)));
        let prepared = prepare_all(&scorer, &by_time);
        let c = cpu_seconds();
        for _ in 0..3 {
            hotspots_prepared(&scorer, &by_time, &prepared, &params);
        }
        eprintln!("3 clusterings: {:.1} CPU-s", cpu_seconds() - c);
        return Ok(());
    }
    let mut runs = Vec::new();
    let mut run_cpu = Vec::new();
    let repeat: usize = std::env::var("BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    for _ in 0..repeat {
        let (t, c) = (Instant::now(), cpu_seconds());
        let found = hotspots_with(&scorer, &reports, &params);
        runs.push(t.elapsed());
        run_cpu.push(cpu_seconds() - c);
        let top_incidents: std::collections::HashSet<usize> = found[0].msg_ids.iter().map(|id| incident_of(id)).collect();
        let top_sources: std::collections::HashSet<usize> = top_incidents.iter().map(|&i| incidents[i].source).collect();
        eprintln!(
            "  hotspots run: {:.2?}; top: heat {:.3}, {} reports from {} incidents of {} source messages, at {}",
            runs[runs.len() - 1],
            found[0].heat,
            found[0].msg_ids.len(),
            top_incidents.len(),
            top_sources.len(),
            found[0].place
        );
    }
    runs.sort();
    run_cpu.sort_by(f64::total_cmp);
    if runs.len() < 3 {
        return Ok(());
    }
    // The same split in two: feature extraction (done once per report at intake in production), then
    // clustering and ranking of the prepared reports.
    let mut by_time: Vec<&Report> = reports.iter().collect();
    by_time.sort_by(|a, b| a.at_ms.cmp(&b.at_ms).then_with(|| a.id.cmp(&b.id)));
    let (t, c) = (Instant::now(), cpu_seconds());
    let prepared = prepare_all(&scorer, &by_time);
    let (prepare_time, prepare_cpu) = (t.elapsed(), cpu_seconds() - c);
    let mut cluster_runs = Vec::new();
    let mut cluster_cpu = 0.0;
    for _ in 0..3 {
        let (t, c) = (Instant::now(), cpu_seconds());
        let found = hotspots_prepared(&scorer, &by_time, &prepared, &params);
        cluster_runs.push(t.elapsed());
        cluster_cpu = cpu_seconds() - c;
        assert_eq!(found.len(), 10);
    }
    cluster_runs.sort();
    println!(
        "hotspots over {} reports in one month: median {:.2} s of 3 (min {:.2}, max {:.2}; median {:.1} CPU-s); of which preparing the reports {:.2} s ({:.1} CPU-s), clustering and ranking prepared reports median {:.2} s ({:.1} CPU-s); load average before: {}",
        reports.len(),
        secs(runs[1]),
        secs(runs[0]),
        secs(runs[2]),
        run_cpu[1],
        secs(prepare_time),
        prepare_cpu,
        secs(cluster_runs[1]),
        cluster_cpu,
        load
    );

    // Duplicate search: an index of the first 100,000, queried with later reports.
    let t = Instant::now();
    let mut index = DuplicateIndex::new(scorer.clone());
    for p in prepared.iter().take(INDEXED) {
        index.insert_prepared(p.clone());
    }
    let build = t.elapsed();
    let mut times: Vec<Duration> = Vec::with_capacity(QUERIES);
    let mut proposed = 0usize;
    for q in 0..QUERIES {
        let r = &reports[INDEXED + rng.below(reports_wanted - INDEXED)];
        let t = Instant::now();
        let found = index.candidates(r, r.at_ms, 30 * DAY, 10);
        times.push(t.elapsed());
        proposed += found.len();
        if q == 0 {
            eprintln!("  first query: {} candidates", found.len());
        }
    }
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "duplicate search, index of {INDEXED} ({:.1} s to build), {QUERIES} queries (text preparation included): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {:.1} candidates per query",
        secs(build),
        ms(pct(0.50)),
        ms(pct(0.99)),
        ms(times[times.len() - 1]),
        proposed as f64 / QUERIES as f64
    );
    Ok(())
}

fn earlier_incident(reports: &[Report], i: usize) -> usize {
    incident_of(&reports[i].id)
}

fn incident_of(id: &str) -> usize {
    id.split(':').next().and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// CPU seconds used by this process so far (user + system), from /proc: wall time alone misleads
/// on a shared machine.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
