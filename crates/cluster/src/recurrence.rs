//! Recurrence (回潮 / 假闭环): a new report of the same place and matter soon after a case was
//! closed suggests the case was closed on paper only; the closed case is flagged for review.
//!
//! A new report flags a closed case when, by default:
//! - it came in within 72 hours after the closure (`window_ms`);
//! - both name the same specific place — one estate, school or community (or the same community
//!   code, or points within 300 m), or one road (the texts must then agree twice as much, as for
//!   hotspots: a road is long);
//! - the texts agree on the matter once the place names are set aside (`min_matter`);
//! - their duplicate score, with the time term taken at the closure, reaches `min_score`.

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::report::Report;
use crate::score::{Prepared, Scorer, describe_gap};

/// When a new report flags a closed case as recurring (回潮).
#[derive(Debug, Clone)]
pub struct RecurrenceParams {
    pub window_ms: i64,
    pub min_score: f64,
    pub min_matter: f64,
    pub scorer: Scorer,
}

impl Default for RecurrenceParams {
    fn default() -> Self {
        let scorer = Scorer::default();
        RecurrenceParams { window_ms: 72 * 3600 * 1000, min_score: scorer.params().threshold, min_matter: 0.1, scorer }
    }
}

/// A closed case flagged by a new report (回潮标记).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecurrenceFlag {
    pub closed_id: String,
    pub new_id: String,
    pub score: f64,
    pub hours_after_close: f64,
    /// In Chinese: "结案后 20 小时再次反映", "同一地点：丽发新城小区", "事项相似 0.35", "文本相似 0.41".
    pub reasons: Vec<String>,
}

/// Whether `new` flags `closed` (closed at `closed_at_ms`) as recurring.
pub fn recurrence(closed: &Report, closed_at_ms: i64, new: &Report, params: &RecurrenceParams) -> Option<RecurrenceFlag> {
    let after = new.at_ms - closed_at_ms;
    if after < 0 || after > params.window_ms {
        return None;
    }
    let mut closed_p = params.scorer.prepare(closed);
    closed_p.at_ms = closed_at_ms;
    let new_p = params.scorer.prepare(new);
    check(&closed_p, &new_p, closed_at_ms, params)
}

/// `closed` prepared with its `at_ms` set to the closure time.
fn check(closed: &Prepared, new: &Prepared, closed_at_ms: i64, params: &RecurrenceParams) -> Option<RecurrenceFlag> {
    let after = new.at_ms - closed_at_ms;
    if after < 0 || after > params.window_ms || closed.id == new.id {
        return None;
    }
    let pair = params.scorer.score(closed, new);
    let strength = pair.place.strength();
    if strength < 0.8 || pair.score < params.min_score {
        return None;
    }
    let matter = params.scorer.matter_similarity(closed, new);
    let needed = if strength >= 1.0 { params.min_matter } else { 2.0 * params.min_matter };
    if matter < needed {
        return None;
    }
    let mut reasons = vec![format!("结案后 {}再次反映", describe_gap(after))];
    reasons.extend(pair.reasons.into_iter().filter(|r| !r.starts_with("相隔")));
    reasons.push(format!("事项相似 {matter:.2}"));
    Some(RecurrenceFlag {
        closed_id: closed.id.clone(),
        new_id: new.id.clone(),
        score: pair.score,
        hours_after_close: after as f64 / 3_600_000.0,
        reasons,
    })
}

/// Every (closed case, new report) flag among many: closed cases as (report, closure time). Only
/// pairs naming a common place are compared.
pub fn recurrences(closed: &[(Report, i64)], new: &[Report], params: &RecurrenceParams) -> Vec<RecurrenceFlag> {
    let closed_p: Vec<(Prepared, i64)> = closed
        .iter()
        .map(|(r, at)| {
            let mut p = params.scorer.prepare(r);
            p.at_ms = *at;
            (p, *at)
        })
        .collect();
    let mut by_key: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (i, (p, _)) in closed_p.iter().enumerate() {
        for phrase in p.places.iter().filter(|x| x.level.is_specific()) {
            by_key.entry(phrase.core.as_str()).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    for r in new {
        let p = params.scorer.prepare(r);
        let mut candidates: Vec<usize> = Vec::new();
        for phrase in p.places.iter().filter(|x| x.level.is_specific()) {
            // Tails too, so that "万科魅力之城" meets a case filed under "魅力之城".
            let chars: Vec<char> = phrase.core.chars().collect();
            for start in 0..chars.len().saturating_sub(2) {
                let tail: String = chars[start..].iter().collect();
                if let Some(list) = by_key.get(tail.as_str()) {
                    candidates.extend(list);
                }
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        out.extend(candidates.into_iter().filter_map(|i| check(&closed_p[i].0, &p, closed_p[i].1, params)));
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.closed_id.cmp(&b.closed_id)).then_with(|| a.new_id.cmp(&b.new_id)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3600 * 1000;

    fn closed() -> Report {
        Report::new("c1", "A2区丽发新城小区旁搅拌站噪音扰民", "丽发新城小区旁边的搅拌站日夜施工，噪音和粉尘严重", 0)
    }

    #[test]
    fn a_repeat_soon_after_closure_flags_the_case() {
        let closed_at = 10 * 24 * HOUR;
        let new = Report::new("n1", "丽发新城附近搅拌站又开工了", "丽发新城小区附近的搅拌站昨晚又在施工，噪音很大", closed_at + 20 * HOUR);
        let flag = recurrence(&closed(), closed_at, &new, &RecurrenceParams::default()).expect("flagged");
        assert_eq!((flag.closed_id.as_str(), flag.new_id.as_str()), ("c1", "n1"));
        assert_eq!(flag.reasons[0], "结案后 20 小时再次反映");
        assert!(flag.reasons.iter().any(|r| r.contains("丽发新城")), "{:?}", flag.reasons);
        assert!((flag.hours_after_close - 20.0).abs() < 1e-9);
    }

    #[test]
    fn late_early_elsewhere_or_another_matter_does_not() {
        let closed_at = 10 * 24 * HOUR;
        let params = RecurrenceParams::default();
        let text = "丽发新城小区附近的搅拌站昨晚又在施工，噪音很大";
        let late = Report::new("n", "丽发新城附近搅拌站又开工了", text, closed_at + 80 * HOUR);
        assert!(recurrence(&closed(), closed_at, &late, &params).is_none());
        let before = Report::new("n", "丽发新城附近搅拌站又开工了", text, closed_at - HOUR);
        assert!(recurrence(&closed(), closed_at, &before, &params).is_none());
        let elsewhere =
            Report::new("n", "A5区魅力之城附近搅拌站又开工了", "魅力之城小区附近的搅拌站昨晚又在施工，噪音很大", closed_at + HOUR);
        assert!(recurrence(&closed(), closed_at, &elsewhere, &params).is_none());
        let other_matter = Report::new("n", "丽发新城小区电梯坏了", "丽发新城小区3栋电梯困人，物业不修", closed_at + HOUR);
        assert!(recurrence(&closed(), closed_at, &other_matter, &params).is_none());
        let wider = RecurrenceParams { window_ms: 96 * HOUR, ..RecurrenceParams::default() };
        assert!(recurrence(&closed(), closed_at, &late, &wider).is_some());
    }

    #[test]
    fn the_batch_finds_what_the_single_check_finds() {
        let closed_at = 5 * 24 * HOUR;
        let cases = vec![(closed(), closed_at), (Report::new("c2", "A3区联丰路路灯不亮", "联丰路米兰春天门口路灯坏了", 0), closed_at)];
        let new = vec![
            Report::new("n1", "万科丽发新城附近搅拌站又开工了", "丽发新城小区附近的搅拌站昨晚又在施工，噪音很大", closed_at + 3 * HOUR),
            Report::new("n2", "A3区联丰路米兰春天路灯还是不亮", "联丰路米兰春天门口的路灯修了一天又坏了", closed_at + 30 * HOUR),
            Report::new("n3", "咨询公积金贷款", "公积金贷款额度是多少", closed_at + HOUR),
        ];
        let params = RecurrenceParams::default();
        let flags = recurrences(&cases, &new, &params);
        let mut pairs: Vec<(String, String)> = flags.iter().map(|f| (f.closed_id.clone(), f.new_id.clone())).collect();
        pairs.sort();
        let mut single: Vec<(String, String)> = Vec::new();
        for (c, at) in &cases {
            for n in &new {
                if let Some(f) = recurrence(c, *at, n, &params) {
                    single.push((f.closed_id, f.new_id));
                }
            }
        }
        single.sort();
        assert_eq!(pairs, single);
        assert_eq!(pairs.len(), 2, "{flags:?}");
    }
}
