//! The duplicate index (并单候选索引): open cases, searched at intake for the ones a new report
//! probably repeats.
//!
//! An inverted index from term to the reports whose (cut) term vector holds it, with the term's
//! weight. A query walks the postings of its own terms and accumulates dot products, so it touches
//! only reports that share a term — and skips terms so common that their postings are long (问题,
//! 小区): a real duplicate shares rarer terms as well, and it is rescored exactly afterwards.
//! Reads take `&self`, so the index is `Send + Sync` and many intake threads can search it behind
//! an `RwLock` while one writer inserts and removes.

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::features::FeatureId;
use crate::report::Report;
use crate::score::{Prepared, Scorer};

/// A proposed duplicate (并单候选) of the report searched for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub id: String,
    pub score: f64,
    /// In Chinese, for the operator: "文本相似 0.82", "同一地点：联丰路米兰春天", "相隔 2 天".
    pub reasons: Vec<String>,
}

/// Open reports, searchable for duplicates (并单候选索引).
#[derive(Debug, Clone)]
pub struct DuplicateIndex {
    scorer: Scorer,
    docs: Vec<Option<Prepared>>,
    free: Vec<u32>,
    slots: FxHashMap<String, u32>,
    postings: FxHashMap<FeatureId, Vec<(u32, f32)>>,
}

/// Postings longer than this share of the index (and at least [`MIN_SKIPPED_POSTING`]) are not
/// walked when gathering candidates.
const SKIPPED_POSTING_SHARE: usize = 50;
const MIN_SKIPPED_POSTING: usize = 2000;
/// How many reports, best partial dot product first, are rescored exactly.
const RESCORED: usize = 300;

impl Default for DuplicateIndex {
    fn default() -> Self {
        DuplicateIndex::new(Scorer::default())
    }
}

impl DuplicateIndex {
    pub fn new(scorer: Scorer) -> Self {
        DuplicateIndex { scorer, docs: Vec::new(), free: Vec::new(), slots: FxHashMap::default(), postings: FxHashMap::default() }
    }

    pub fn scorer(&self) -> &Scorer {
        &self.scorer
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.slots.contains_key(id)
    }

    /// Adds a report, replacing one with the same id (an edited case).
    pub fn insert(&mut self, report: &Report) {
        let prepared = self.scorer.prepare(report);
        self.insert_prepared(prepared);
    }

    /// Adds a report prepared with this index's scorer.
    pub fn insert_prepared(&mut self, prepared: Prepared) {
        self.remove(&prepared.id);
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.docs.push(None);
                (self.docs.len() - 1) as u32
            }
        };
        for &(f, w) in &prepared.terms.0 {
            self.postings.entry(f).or_default().push((slot, w));
        }
        self.slots.insert(prepared.id.clone(), slot);
        self.docs[slot as usize] = Some(prepared);
    }

    /// Removes a report (closed, merged, voided). Returns whether it was there.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(slot) = self.slots.remove(id) else { return false };
        if let Some(doc) = self.docs[slot as usize].take() {
            for (f, _) in doc.terms.0 {
                if let Some(list) = self.postings.get_mut(&f) {
                    if let Some(pos) = list.iter().position(|p| p.0 == slot) {
                        list.swap_remove(pos);
                    }
                    if list.is_empty() {
                        self.postings.remove(&f);
                    }
                }
            }
        }
        self.free.push(slot);
        true
    }

    /// Up to `k` indexed reports made within `window_ms` of `now_ms` (either side) whose score with
    /// `report` reaches the scorer's threshold, best first. The report itself (same id) is skipped.
    pub fn candidates(&self, report: &Report, now_ms: i64, window_ms: i64, k: usize) -> Vec<Candidate> {
        let query = self.scorer.prepare(report);
        self.search(&query, now_ms, window_ms, k, self.scorer.params().threshold)
    }

    /// As [`DuplicateIndex::candidates`] with a prepared query and any score floor.
    pub fn search(&self, query: &Prepared, now_ms: i64, window_ms: i64, k: usize, min_score: f64) -> Vec<Candidate> {
        if k == 0 || self.is_empty() {
            return Vec::new();
        }
        let skip_above = (self.len() / SKIPPED_POSTING_SHARE).max(MIN_SKIPPED_POSTING);
        let mut partial: FxHashMap<u32, f32> = FxHashMap::default();
        for &(f, qw) in &query.terms.0 {
            let Some(list) = self.postings.get(&f) else { continue };
            if list.len() > skip_above {
                continue;
            }
            for &(slot, w) in list {
                *partial.entry(slot).or_insert(0.0) += qw * w;
            }
        }
        let in_window = |d: &Prepared| (d.at_ms - now_ms).abs() <= window_ms && d.id != query.id;
        let mut ranked: Vec<(u32, f32)> =
            partial.into_iter().filter(|(slot, _)| self.docs[*slot as usize].as_ref().is_some_and(in_window)).collect();
        if ranked.len() > RESCORED {
            ranked.select_nth_unstable_by(RESCORED, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            ranked.truncate(RESCORED);
        }
        let mut out: Vec<Candidate> = ranked
            .into_iter()
            .filter_map(|(slot, _)| {
                let doc = self.docs[slot as usize].as_ref()?;
                let s = self.scorer.score(query, doc);
                (s.score >= min_score).then(|| Candidate { id: doc.id.clone(), score: s.score, reasons: s.reasons })
            })
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        out.truncate(k);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * 3600 * 1000;

    fn reports() -> Vec<Report> {
        [
            ("1", "投诉A2区丽发新城附近建搅拌站噪音扰民", "丽发新城小区旁边新建的搅拌站日夜施工，噪音巨大", 0),
            ("2", "A5区劳动东路魅力之城小区油烟扰民", "小区一楼门面烧烤店油烟直排，晚上无法开窗", 1),
            ("3", "A3区联丰路米兰春天路灯不亮", "米兰春天G2栋门口路灯坏了一个月", 2),
            ("4", "A7县春华镇金鼎村修路问题", "金鼎村七里组水泥路一直没有修到户", 3),
        ]
        .into_iter()
        .map(|(id, t, d, day)| Report::new(id, t, d, 1_573_000_000_000 + day * DAY))
        .collect()
    }

    #[test]
    fn finds_the_repeat_and_nothing_else() {
        let mut index = DuplicateIndex::default();
        for r in reports() {
            index.insert(&r);
        }
        let new = Report::new(
            "9",
            "丽发新城小区附近的搅拌站噪音严重扰民",
            "搅拌站晚上噪音太大，丽发新城业主无法入睡",
            1_573_000_000_000 + 2 * DAY,
        );
        let found = index.candidates(&new, new.at_ms, 30 * DAY, 5);
        assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec!["1"], "{found:?}");
        assert!(found[0].reasons.iter().any(|r| r.contains("丽发新城")), "{found:?}");
        // Outside the window it is not proposed.
        assert!(index.candidates(&new, new.at_ms + 90 * DAY, 30 * DAY, 5).is_empty());
    }

    #[test]
    fn removal_and_replacement_keep_postings_consistent() {
        let mut index = DuplicateIndex::default();
        for r in reports() {
            index.insert(&r);
        }
        let query = reports()[0].clone();
        let mut query_other_id = query.clone();
        query_other_id.id = "x".into();
        assert_eq!(index.candidates(&query_other_id, query.at_ms, DAY, 5)[0].id, "1");
        // The report never proposes itself.
        assert!(index.candidates(&query, query.at_ms, DAY, 5).iter().all(|c| c.id != "1"));
        assert!(index.remove("1"));
        assert!(!index.remove("1"));
        assert_eq!(index.len(), 3);
        assert!(index.candidates(&query_other_id, query.at_ms, DAY, 5).is_empty());
        // A freed slot is reused and the new report is found under its own id.
        let mut moved = reports()[0].clone();
        moved.id = "1b".into();
        index.insert(&moved);
        index.insert(&moved);
        assert_eq!(index.len(), 4);
        assert_eq!(index.candidates(&query_other_id, query.at_ms, DAY, 5)[0].id, "1b");
        let postings: usize = index.postings.values().map(Vec::len).sum();
        let terms: usize = index.docs.iter().flatten().map(|d| d.terms.len()).sum();
        assert_eq!(postings, terms);
    }

    #[test]
    fn the_index_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<DuplicateIndex>();
        let mut index = DuplicateIndex::default();
        for r in reports() {
            index.insert(&r);
        }
        let index = std::sync::Arc::new(index);
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let index = std::sync::Arc::clone(&index);
                std::thread::spawn(move || {
                    let mut q = reports()[1].clone();
                    q.id = "q".into();
                    index.candidates(&q, q.at_ms, DAY, 3).len()
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), 1);
        }
    }
}
