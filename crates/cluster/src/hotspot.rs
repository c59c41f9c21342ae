//! Hotspots (热点): many reports of one matter at one place in a period, ranked by heat.
//!
//! Clustering: two reports qualify for a link when they name the same specific place (an estate,
//! school, community or road — the same core, or one ending with the other), their duplicate score
//! ([`crate::score`]) reaches `link_threshold` and their texts without the place names still share
//! something (`link_matter`), within `link_window_ms` of each other. Each report keeps its three best
//! links to earlier reports, and two clusters that are already large merge only on a strong link.
//! Clusters are the connected components, so a matter reported every week for months stays one
//! hotspot. Candidate pairs come from an index of place names, never from all pairs: a report is only
//! compared with the latest earlier reports that name one of its places.
//!
//! Heat:
//! ```text
//! voices = Σ over reports in time order: 1 if the reporter and the text are new to the cluster,
//!          else repeat_weight (0.25) — one person posting again, or the same text re-entered
//! growth = (reports in the second half of the period + 1) / (reports in the first half + 1)
//! heat   = ln(1 + voices) × clamp(growth, 0.5, 2)^growth_exponent (0.5)
//!        + likes_weight (0.25) × ln(1 + Σ likes)
//! ```
//! Logarithms because the tenth report of a matter says less than the second; distinct voices
//! because one citizen posting ten times is one voice; growth so that a matter still rising ranks
//! above one that has faded (a factor between 0.71 and 1.41); likes because other citizens backing
//! a message are reports they did not write — but a quarter-weight log, so that one message with
//! two thousand likes ranks like six independent reports, not like two thousand.

use std::path::Path;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

use crate::error::ClusterError;
use crate::place::PlaceLevel;
use crate::report::{Report, format_time, read_reports_csv};
use crate::score::{Prepared, ScoreParams, Scorer};

/// How hotspots (热点) are found and ranked; the defaults are those of the CLI and of HOTSPOTS.md.
#[derive(Debug, Clone, PartialEq)]
pub struct HotspotParams {
    /// How many hotspots to return.
    pub top: usize,
    /// Only reports at or after this time (ms since the epoch); `None`: from the earliest.
    pub from_ms: Option<i64>,
    /// Only reports at or before this time; `None`: to the latest.
    pub to_ms: Option<i64>,
    /// Longest gap between two linked reports.
    pub link_window_ms: i64,
    /// Duplicate score from which two reports of one place are linked.
    pub link_threshold: f64,
    /// Least similarity of the two texts with the place names left out ([`Scorer::matter_similarity`]):
    /// links chain, so one edge between two matters at one estate (a road, a water cut) would merge
    /// them; on the labelled pairs at one place this keeps 78 % of the duplicates and drops 93 % of
    /// the others. A road needs twice as much.
    pub link_matter: f64,
    /// Smallest cluster reported.
    pub min_reports: usize,
    pub repeat_weight: f64,
    pub growth_exponent: f64,
    pub likes_weight: f64,
    /// Each report is linked to at most this many earlier reports, its best matches. Linking every
    /// qualifying pair lets a busy place percolate: with thousands of reports a month on all sorts of
    /// matters, a few stray links join everything (EVALUATION.md §4: one cluster of 49,204 of 300,000
    /// synthetic reports). One link per report splits real matters; three, with the merge guard
    /// below, keeps them whole.
    pub links_per_report: usize,
    /// Two clusters of at least this many reports each are only merged by a strong link
    /// (`merge_score`, `merge_matter`): a report joining a matter needs one good match, two matters
    /// becoming one need more than a report that resembles both.
    pub established: usize,
    pub merge_score: f64,
    pub merge_matter: f64,
    /// A report is compared with at most this many of the latest earlier reports per place name:
    /// bounds the work at a place named by thousands of reports a month, at the price that repeats
    /// further apart there join only through the reports in between.
    pub max_lookback: usize,
    pub score: ScoreParams,
}

const DAY_MS: i64 = 24 * 3600 * 1000;

impl Default for HotspotParams {
    fn default() -> Self {
        let score = ScoreParams::default();
        HotspotParams {
            top: 10,
            from_ms: None,
            to_ms: None,
            link_window_ms: 30 * DAY_MS,
            link_threshold: score.threshold,
            link_matter: 0.1,
            min_reports: 2,
            repeat_weight: 0.25,
            growth_exponent: 0.5,
            likes_weight: 0.25,
            links_per_report: 3,
            established: 10,
            merge_score: 0.5,
            merge_matter: 0.2,
            max_lookback: 20,
            score,
        }
    }
}

/// One hotspot (热点). Serialises to the CLI contract: `rank`, `heat`, `title`, `place`, `from`, `to`, `msg_ids`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hotspot {
    pub rank: usize,
    pub heat: f64,
    /// The title of the most central report (highest total similarity to the others).
    pub title: String,
    /// The place most of its reports name, with their district when they name one: "A2区丽发新城小区".
    pub place: String,
    /// First and last report, RFC 3339 in Beijing time.
    pub from: String,
    pub to: String,
    /// In time order.
    pub msg_ids: Vec<String>,
    #[serde(skip)]
    pub stats: HotspotStats,
}

/// The figures behind the heat (热度), for reports and dashboards.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct HotspotStats {
    pub reports: usize,
    pub reporters: usize,
    pub voices: f64,
    pub growth: f64,
    pub likes: u64,
    pub from_ms: i64,
    pub to_ms: i64,
}

/// Union-find with component sizes.
struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind { parent: (0..n as u32).collect(), size: vec![1; n] }
    }

    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let parent = self.parent[x as usize];
            self.parent[x as usize] = self.parent[parent as usize];
            x = parent;
        }
        x
    }

    fn union(&mut self, ra: u32, rb: u32) {
        let (keep, gone) = (ra.min(rb), ra.max(rb));
        self.parent[gone as usize] = keep;
        self.size[keep as usize] += self.size[gone as usize];
    }
}

/// Prepares reports on all cores: feature extraction is most of the work for a large batch.
pub fn prepare_all(scorer: &Scorer, reports: &[&Report]) -> Vec<Prepared> {
    parallel_map(reports, |r| scorer.prepare(r))
}

/// `items.iter().map(f)` on all cores, in order.
fn parallel_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(16);
    if threads <= 1 || items.len() < 1000 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items.chunks(chunk).map(|part| s.spawn(move || part.iter().map(f).collect::<Vec<_>>())).collect();
        // A worker can only fail by panicking; re-raise it here rather than return half a result.
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

/// The place names a report is indexed under: the cores of its specific places, and its community
/// code when the caller resolved one.
fn place_names(p: &Prepared) -> Vec<String> {
    let mut names: Vec<String> = p.places.iter().filter(|x| x.level.is_specific()).map(|x| x.core.clone()).collect();
    if let Some(community) = p.place_key.as_ref().and_then(|k| k.community.as_ref()) {
        names.push(format!("#community:{community}"));
    }
    names.sort_unstable();
    names.dedup();
    names
}

/// The proper tails of a name of three characters or more: "万科魅力之城" → 科魅力之城, 魅力之城, 力之城.
/// (For the index only tails of four or more: three-character tails like 力之城 are rarely a name
/// of their own and would triple the index.)
fn tails(name: &str) -> Vec<&str> {
    let starts: Vec<usize> = name.char_indices().map(|(i, _)| i).collect();
    let n = starts.len();
    (1..n.saturating_sub(2)).map(|k| &name[starts[k]..]).collect()
}

/// Finds hotspots among `reports` and returns the `top` hottest, rank 1 first.
pub fn hotspots(reports: &[Report], params: &HotspotParams) -> Vec<Hotspot> {
    let scorer = Scorer::new(crate::features::TermStats::builtin(), params.score);
    hotspots_with(&scorer, reports, params)
}

/// As [`hotspots`] with a given scorer (term statistics of one's own corpus).
pub fn hotspots_with(scorer: &Scorer, reports: &[Report], params: &HotspotParams) -> Vec<Hotspot> {
    let mut selected: Vec<&Report> =
        reports.iter().filter(|r| params.from_ms.is_none_or(|f| r.at_ms >= f) && params.to_ms.is_none_or(|t| r.at_ms <= t)).collect();
    if selected.is_empty() || params.top == 0 {
        return Vec::new();
    }
    selected.sort_by(|a, b| a.at_ms.cmp(&b.at_ms).then_with(|| a.id.cmp(&b.id)));
    let prepared = prepare_all(scorer, &selected);
    hotspots_prepared(scorer, &selected, &prepared, params)
}

/// As [`hotspots`] on reports already prepared with `scorer` (as stored at intake), in time order:
/// `reports[i]` and `prepared[i]` are the same report, and both are sorted by `at_ms`. The period
/// (`from_ms`, `to_ms`) is taken as given — filter before calling.
pub fn hotspots_prepared(scorer: &Scorer, reports: &[&Report], prepared: &[Prepared], params: &HotspotParams) -> Vec<Hotspot> {
    if reports.is_empty() || reports.len() != prepared.len() || params.top == 0 {
        return Vec::new();
    }
    let selected = reports;
    let mut links = link(scorer, prepared, params);
    // In time order of the later report, best link first, so that the result does not depend on
    // how the work was split between threads.
    links.sort_by(|a, b| a.later.cmp(&b.later).then(b.score.total_cmp(&a.score)).then(a.earlier.cmp(&b.earlier)));
    let mut uf = UnionFind::new(prepared.len());
    for l in links {
        let (ra, rb) = (uf.find(l.earlier), uf.find(l.later));
        if ra == rb {
            continue;
        }
        let established = uf.size[ra as usize] as usize >= params.established && uf.size[rb as usize] as usize >= params.established;
        if established && (l.score < params.merge_score || l.matter < params.merge_matter) {
            continue;
        }
        uf.union(ra, rb);
    }
    let mut clusters: FxHashMap<u32, Vec<usize>> = FxHashMap::default();
    for i in 0..prepared.len() {
        clusters.entry(uf.find(i as u32)).or_default().push(i);
    }
    let period_from = params.from_ms.unwrap_or(selected[0].at_ms);
    let period_to = params.to_ms.unwrap_or(selected[selected.len() - 1].at_ms);
    // Heat for every cluster; titles, places and ids only for those shown.
    let mut ranked: Vec<(HotspotStats, f64, Vec<usize>)> = clusters
        .into_values()
        .filter(|members| members.len() >= params.min_reports.max(2))
        .map(|members| {
            let (stats, heat) = heat(selected, &members, params, period_from, period_to);
            (stats, heat, members)
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.from_ms.cmp(&b.0.from_ms)).then_with(|| a.2.cmp(&b.2)));
    ranked.truncate(params.top);
    ranked
        .into_iter()
        .enumerate()
        .map(|(i, (stats, heat, members))| Hotspot {
            rank: i + 1,
            heat: (heat * 1000.0).round() / 1000.0,
            title: selected[central(prepared, &members)].title.clone(),
            place: common_place(selected, prepared, &members),
            from: format_time(stats.from_ms),
            to: format_time(stats.to_ms),
            msg_ids: members.iter().map(|&m| selected[m].id.clone()).collect(),
            stats,
        })
        .collect()
}

fn hash_str(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    s.hash(&mut h);
    h.finish()
}

/// The reports (in time order) filed under a key.
fn filed(index: &FxHashMap<u64, Vec<u32>>, key: u64) -> &[u32] {
    index.get(&key).map_or(&[], Vec::as_slice)
}

/// A place name of a report, hashed, with the hashes of its proper tails (and whether the tail is
/// long enough to be indexed).
struct NameKeys {
    name: u64,
    tails: Vec<(u64, bool)>,
}

/// Pairs of linked reports (indices into `prepared`, which is sorted by time).
///
/// Reports are found through two maps built first: by full place name, and by proper tail of the
/// name. A report looks up its names in both (same name; an earlier name ending with it) and its own
/// tails in the first (its name ending with an earlier one). Tails are never matched to tails: "D新城"
/// ends many unrelated estates. Each list is read back from the report's position for at most
/// `max_lookback` reports within the link window. Every report only looks back, so the reports can
/// be split between threads and each pair is scored once.
fn link(scorer: &Scorer, prepared: &[Prepared], params: &HotspotParams) -> Vec<Link> {
    let names: Vec<Vec<NameKeys>> = parallel_map(prepared, |p| {
        place_names(p)
            .iter()
            .map(|n| NameKeys { name: hash_str(n), tails: tails(n).into_iter().map(|t| (hash_str(t), t.chars().count() >= 4)).collect() })
            .collect()
    });
    let mut by_name: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
    let mut by_tail: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
    for (i, list) in names.iter().enumerate() {
        for name in list {
            by_name.entry(name.name).or_default().push(i as u32);
            for &(t, _) in name.tails.iter().filter(|t| t.1) {
                by_tail.entry(t).or_default().push(i as u32);
            }
        }
    }
    // Small batches are not worth a thread; `work` strides by `threads`, so it must be 1 then.
    let threads = if prepared.len() < 1000 { 1 } else { std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 16) };
    let work = |part: usize| {
        let mut links = Vec::new();
        let mut seen: FxHashSet<u32> = FxHashSet::default();
        let mut best: Vec<(f64, f64, u32)> = Vec::new();
        // Interleaved, so that threads get as many busy (late, crowded) reports as each other.
        for i in (part..prepared.len()).step_by(threads) {
            let p = &prepared[i];
            seen.clear();
            best.clear();
            for name in &names[i] {
                let lists = [filed(&by_name, name.name), filed(&by_tail, name.name)]
                    .into_iter()
                    .chain(name.tails.iter().map(|&(t, _)| filed(&by_name, t)));
                for list in lists {
                    let before = list.partition_point(|&j| (j as usize) < i);
                    for &j in list[..before].iter().rev().take(params.max_lookback) {
                        let q = &prepared[j as usize];
                        if p.at_ms - q.at_ms > params.link_window_ms {
                            break;
                        }
                        if seen.insert(j)
                            && let Some((score, matter)) = linked(scorer, q, p, params)
                        {
                            best.push((score, matter, j));
                        }
                    }
                }
            }
            best.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.2.cmp(&a.2)));
            links.extend(best.iter().take(params.links_per_report).map(|&(score, matter, j)| Link {
                earlier: j,
                later: i as u32,
                score,
                matter,
            }));
        }
        links
    };
    if threads == 1 {
        return work(0);
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads).map(|part| s.spawn(move || work(part))).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

/// A qualifying pair: indices into the time-ordered reports, its score and matter similarity.
struct Link {
    earlier: u32,
    later: u32,
    score: f64,
    matter: f64,
}

/// The score and matter similarity of a pair that may be linked, `None` when it may not.
fn linked(scorer: &Scorer, q: &Prepared, p: &Prepared, params: &HotspotParams) -> Option<(f64, f64)> {
    // Cheapest and most selective first: at one place most pairs differ in matter, and the matter
    // similarity is one merge of two term lists; place agreement compares strings.
    let matter = scorer.matter_similarity(q, p);
    if matter < params.link_matter {
        return None;
    }
    let text = f64::from(q.terms.cosine(&p.terms));
    if scorer.best_possible(text) < params.link_threshold {
        return None;
    }
    let s = scorer.score_with_text(q, p, text);
    // A road is long: two reports on it about different spots are common, so the texts must agree
    // twice as much as for one estate.
    let strength = s.place.strength();
    let needed = if strength >= 1.0 { params.link_matter } else { 2.0 * params.link_matter };
    (s.score >= params.link_threshold && strength >= 0.8 && matter >= needed).then_some((s.score, matter))
}

/// The figures of a cluster and its heat (see the module documentation).
fn heat(reports: &[&Report], members: &[usize], params: &HotspotParams, period_from: i64, period_to: i64) -> (HotspotStats, f64) {
    // Members are in time order because the reports are.
    let mut reporters: FxHashSet<&str> = FxHashSet::default();
    let mut texts: FxHashSet<u64> = FxHashSet::default();
    let (mut voices, mut likes) = (0.0, 0u64);
    let mid = period_from + (period_to - period_from) / 2;
    let (mut recent, mut earlier) = (0usize, 0usize);
    for &m in members {
        let r = reports[m];
        let new_reporter = r.reporter.as_deref().is_none_or(|who| reporters.insert(who));
        let new_text = texts.insert(fingerprint(r));
        voices += if new_reporter && new_text { 1.0 } else { params.repeat_weight };
        likes += u64::from(r.likes);
        if r.at_ms > mid {
            recent += 1;
        } else {
            earlier += 1;
        }
    }
    let growth = (recent as f64 + 1.0) / (earlier as f64 + 1.0);
    let heat = (1.0 + voices).ln() * growth.clamp(0.5, 2.0).powf(params.growth_exponent) + params.likes_weight * (1.0 + likes as f64).ln();
    let stats = HotspotStats {
        reports: members.len(),
        reporters: reporters.len() + members.iter().filter(|&&m| reports[m].reporter.is_none()).count(),
        voices,
        growth,
        likes,
        from_ms: reports[members[0]].at_ms,
        to_ms: reports[members[members.len() - 1]].at_ms,
    };
    (stats, heat)
}

/// Identifies a text re-entered verbatim: its title, length and opening. Hashing whole bodies of a
/// month of reports costs more than the rest of the heat.
fn fingerprint(r: &Report) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    r.title.trim().hash(&mut h);
    let body = r.text.trim();
    body.len().hash(&mut h);
    body.chars().take(64).for_each(|c| c.hash(&mut h));
    h.finish()
}

/// The member most similar to the others; among the first 200, which is plenty to find the centre.
fn central(prepared: &[Prepared], members: &[usize]) -> usize {
    let sample = &members[..members.len().min(200)];
    let mut best = (f64::MIN, members[0]);
    for &a in sample {
        let total: f64 = sample.iter().filter(|&&b| b != a).map(|&b| f64::from(prepared[a].terms.cosine(&prepared[b].terms))).sum();
        if total > best.0 {
            best = (total, a);
        }
    }
    best.1
}

/// The specific place named by most members, as most of them spell it, prefixed by the district
/// most of them name. A name in a title counts twice: titles name the place of the matter, bodies
/// also name landmarks around it. When the runner-up is named almost as often and the two are
/// written together ("伊景园" + "滨河苑"), the label is the pair.
fn common_place(reports: &[&Report], prepared: &[Prepared], members: &[usize]) -> String {
    let mut cores: FxHashMap<&str, (usize, FxHashMap<&str, usize>)> = FxHashMap::default();
    let mut districts: FxHashMap<&str, usize> = FxHashMap::default();
    for &m in members {
        for p in &prepared[m].places {
            if p.level.is_specific() {
                let entry = cores.entry(p.core.as_str()).or_default();
                entry.0 += if reports[m].title.contains(p.core.as_str()) { 2 } else { 1 };
                *entry.1.entry(p.text.as_str()).or_insert(0) += 1;
            } else if p.level == PlaceLevel::District {
                *districts.entry(p.core.as_str()).or_insert(0) += 1;
            }
        }
    }
    let mut ranked: Vec<(&str, usize, &str)> = cores
        .iter()
        .map(|(core, (n, spellings))| {
            let spelling = spellings.iter().max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0))).map_or(*core, |(t, _)| *t);
            (*core, *n, spelling)
        })
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let mut label = ranked.first().map_or(String::new(), |r| r.2.to_owned());
    if let (Some(first), Some(second)) = (ranked.first(), ranked.get(1))
        && second.1 * 5 >= first.1 * 4
    {
        let written_together =
            |joined: &str| members.iter().any(|&m| reports[m].title.contains(joined) || reports[m].text.contains(joined));
        for joined in [format!("{}{}", second.0, first.2), format!("{}{}", first.0, second.2)] {
            if written_together(&joined) {
                label = joined;
                break;
            }
        }
    }
    let district = districts.iter().max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0))).map(|(d, _)| *d).unwrap_or("");
    if label.starts_with(district) { label } else { format!("{district}{label}") }
}

/// `minsheng hotspots --input FILE.csv --top N --output OUT.json`: reads a message export (see
/// [`read_reports_csv`]), writes the top `top` hotspots as a JSON array, returns how many.
pub fn run_hotspots_cli(input: &Path, top: usize, output: &Path) -> Result<usize, ClusterError> {
    let reports = read_reports_csv(input)?;
    let found = hotspots(&reports, &HotspotParams { top, ..HotspotParams::default() });
    let json = serde_json::to_string_pretty(&found)?;
    std::fs::write(output, json + "\n").map_err(|source| ClusterError::Io { path: output.to_owned(), source })?;
    Ok(found.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3600 * 1000;

    fn report(id: &str, who: &str, title: &str, at_ms: i64, likes: u32) -> Report {
        let mut r = Report::new(id, title, format!("{title}，请有关部门尽快处理，还居民安静的生活。"), at_ms);
        r.reporter = Some(who.to_owned());
        r.likes = likes;
        r
    }

    fn heat_of(reports: &[Report]) -> f64 {
        let refs: Vec<&Report> = reports.iter().collect();
        let members: Vec<usize> = (0..reports.len()).collect();
        heat(&refs, &members, &HotspotParams::default(), 0, 100 * HOUR).1
    }

    #[test]
    fn heat_counts_voices_growth_and_likes_as_documented() {
        let distinct: Vec<Report> =
            (0..4).map(|i| report(&i.to_string(), &format!("u{i}"), &format!("丽发新城搅拌站噪音{i}"), 60 * HOUR, 0)).collect();
        let one_person: Vec<Report> =
            (0..4).map(|i| report(&i.to_string(), "u0", &format!("丽发新城搅拌站噪音{i}"), 60 * HOUR, 0)).collect();
        let copies: Vec<Report> = (0..4).map(|i| report(&i.to_string(), &format!("u{i}"), "丽发新城搅拌站噪音", 60 * HOUR, 0)).collect();
        // Four voices, all in the second half: ln(5) × √2.
        assert!((heat_of(&distinct) - 5f64.ln() * 2f64.sqrt()).abs() < 1e-9);
        assert!(heat_of(&one_person) < heat_of(&distinct));
        assert_eq!(heat_of(&one_person), heat_of(&copies));
        let fading: Vec<Report> = distinct
            .iter()
            .cloned()
            .map(|mut r| {
                r.at_ms = 10 * HOUR;
                r
            })
            .collect();
        assert!(heat_of(&fading) < heat_of(&distinct));
        let mut liked = distinct.clone();
        liked[0].likes = 2000;
        let gain = heat_of(&liked) - heat_of(&distinct);
        assert!(gain > 1.0 && gain < 2.5, "likes add {gain}");
    }

    #[test]
    fn tails_are_the_proper_endings_of_three_characters_or_more() {
        assert_eq!(tails("万科魅力之城"), vec!["科魅力之城", "魅力之城", "力之城"]);
        assert!(tails("联丰路").is_empty());
    }

    #[test]
    fn prepared_input_must_match_the_reports() {
        let scorer = Scorer::default();
        let reports = [report("1", "u", "丽发新城搅拌站噪音", 0, 0), report("2", "v", "丽发新城搅拌站噪音扰民", HOUR, 0)];
        let refs: Vec<&Report> = reports.iter().collect();
        let prepared = prepare_all(&scorer, &refs);
        assert_eq!(hotspots_prepared(&scorer, &refs, &prepared, &HotspotParams::default()).len(), 1);
        assert!(hotspots_prepared(&scorer, &refs, &prepared[..1], &HotspotParams::default()).is_empty());
    }
}
