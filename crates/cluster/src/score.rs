//! The duplicate score (重复度) of two reports: text, place and time combined into [0, 1].
//!
//! ```text
//! gate  = min(1, text / text_gate)
//! score = w_text · text + (w_place · place + w_time · 0.5^(Δt / half_life)) · gate
//! score × different_place_factor when the places clearly differ (other district, points > 5 km)
//! ```
//! with the defaults w_text 0.6, w_place 0.3, w_time 0.1, half_life 7 days, text_gate 0.1,
//! different_place_factor 0.5, and a pair proposed from 0.4 up. `text` is the cosine of the TF-IDF
//! term vectors ([`crate::features`]); `place` is 1 for the same estate / school / community (or
//! community code, or points within 300 m), 0.8 for the same road, 0.5 for the same town or street,
//! 0.25 for the same district only, 0 when nothing is known.
//!
//! Why a sum: citizens reporting one matter word it very differently (text 0.1–0.3 is common for
//! true repeats about one estate), so the place must be able to carry a pair; and a report that
//! names no place must still be found by its text alone. Why the gate: the same estate on the same
//! day is not a duplicate when the texts share nothing — place and time only count once the texts
//! share some words. The weights, the gate and the threshold were chosen on the labelled sample of
//! EVALUATION.md and checked on a second sample labelled afterwards.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::features::{TermStats, TermVector, phrase_bigrams, term_counts};
use crate::place::{PlaceAgreement, PlacePhrase, agreement, extract_places};
use crate::report::{PlaceKey, Report};

/// Weights and thresholds of the duplicate score (重复度). The defaults are those evaluated in EVALUATION.md.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoreParams {
    pub w_text: f64,
    pub w_place: f64,
    pub w_time: f64,
    /// Time after which the time term has halved.
    pub time_half_life_ms: i64,
    /// Multiplies the score when the places clearly differ.
    pub different_place_factor: f64,
    /// Text similarity from which place and time count fully; below it they count in proportion.
    pub text_gate: f64,
    /// Scores at or above this are proposed as duplicates (并单建议).
    pub threshold: f64,
    /// Terms kept per report: enough for the place and the matter, few enough for a small index.
    pub top_terms: usize,
}

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Terms kept to compare the matter of two reports: the matter is said in a few words, and the
/// shorter lists halve the cost of the comparison that hotspot linking makes millions of times.
const MATTER_TERMS: usize = 48;

impl Default for ScoreParams {
    fn default() -> Self {
        ScoreParams {
            w_text: 0.6,
            w_place: 0.3,
            w_time: 0.1,
            time_half_life_ms: 7 * DAY_MS,
            different_place_factor: 0.5,
            text_gate: 0.1,
            threshold: 0.4,
            top_terms: 100,
        }
    }
}

/// A report reduced to what scoring needs (特征); computed once per report.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub id: String,
    pub at_ms: i64,
    pub terms: TermVector,
    pub places: Vec<PlacePhrase>,
    pub place_key: Option<PlaceKey>,
    /// The heaviest terms that are not bigrams of the report's place phrases: what the matter is.
    pub matter: TermVector,
}

/// The parts of a pair's score (重复度), and the reasons (理由) to show staff.
#[derive(Debug, Clone, PartialEq)]
pub struct PairScore {
    pub score: f64,
    pub text: f64,
    pub place: PlaceAgreement,
    pub time: f64,
    /// In Chinese, most telling first: "文本相似 0.82", "同一地点：联丰路米兰春天", "相隔 2 天".
    pub reasons: Vec<String>,
}

/// The scorer (重复度计算): term statistics plus weights, everything needed to score pairs. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Scorer {
    stats: Arc<TermStats>,
    params: ScoreParams,
}

impl Default for Scorer {
    fn default() -> Self {
        Scorer::new(TermStats::builtin(), ScoreParams::default())
    }
}

impl Scorer {
    pub fn new(stats: Arc<TermStats>, params: ScoreParams) -> Self {
        Scorer { stats, params }
    }

    pub fn params(&self) -> &ScoreParams {
        &self.params
    }

    pub fn prepare(&self, report: &Report) -> Prepared {
        let terms = TermVector::build(term_counts(&report.title, &report.text), &self.stats, self.params.top_terms);
        let mut text = String::with_capacity(report.title.len() + report.text.len() + 3);
        text.push_str(&report.title);
        text.push('。');
        text.push_str(&report.text);
        let places = extract_places(&text);
        let mut place_terms = Vec::new();
        for p in places.iter().filter(|p| p.level > crate::place::PlaceLevel::City) {
            phrase_bigrams(&p.text, &mut place_terms);
        }
        place_terms.sort_unstable();
        place_terms.dedup();
        let matter = terms.without(&place_terms, MATTER_TERMS);
        Prepared { id: report.id.clone(), at_ms: report.at_ms, terms, places, place_key: report.place.clone(), matter }
    }

    /// Scores a pair. Symmetric: `score(a, b) == score(b, a)`.
    pub fn score(&self, a: &Prepared, b: &Prepared) -> PairScore {
        let text = f64::from(a.terms.cosine(&b.terms));
        self.score_with_text(a, b, text)
    }

    /// The highest score a pair with this text similarity can reach (same place, same moment): lets
    /// batch callers skip the rest of the scoring for pairs that cannot reach a threshold.
    pub fn best_possible(&self, text: f64) -> f64 {
        let p = &self.params;
        let gate = if p.text_gate > 0.0 { (text / p.text_gate).min(1.0) } else { 1.0 };
        p.w_text * text + (p.w_place + p.w_time) * gate
    }

    /// As [`Scorer::score`], with the cosine already known.
    pub fn score_with_text(&self, a: &Prepared, b: &Prepared, text: f64) -> PairScore {
        let p = &self.params;
        let place = agreement(a.place_key.as_ref(), &a.places, b.place_key.as_ref(), &b.places);
        let gap = (a.at_ms - b.at_ms).abs();
        let time = 0.5f64.powf(gap as f64 / p.time_half_life_ms.max(1) as f64);
        let gate = if p.text_gate > 0.0 { (text / p.text_gate).min(1.0) } else { 1.0 };
        let mut score = p.w_text * text + (p.w_place * place.strength() + p.w_time * time) * gate;
        if matches!(place, PlaceAgreement::Different { .. }) {
            score *= p.different_place_factor;
        }
        let mut reasons = vec![format!("文本相似 {text:.2}")];
        match &place {
            PlaceAgreement::Same { what, .. } => reasons.push(format!("同一地点：{what}")),
            PlaceAgreement::Different { what } => reasons.push(format!("地点不同：{what}")),
            PlaceAgreement::Unknown => {}
        }
        reasons.push(format!("相隔 {}", describe_gap(gap)));
        PairScore { score: score.clamp(0.0, 1.0), text, place, time, reasons }
    }

    /// Text similarity without the words of the reports' places: whether two reports about one place
    /// are about one matter. Each side sets aside its own place words and keeps its 48 heaviest other
    /// terms, computed once per report: this is the inner loop of hotspot linking.
    pub fn matter_similarity(&self, a: &Prepared, b: &Prepared) -> f64 {
        f64::from(a.matter.cosine(&b.matter))
    }

    /// Whether a pair score is proposed as a duplicate.
    pub fn is_duplicate(&self, s: &PairScore) -> bool {
        s.score >= self.params.threshold
    }
}

/// "2 天", "5 小时", "20 分钟".
pub(crate) fn describe_gap(ms: i64) -> String {
    let minutes = ms / 60_000;
    if minutes < 60 {
        format!("{minutes} 分钟")
    } else if minutes < 48 * 60 {
        format!("{} 小时", minutes / 60)
    } else {
        format!("{} 天", minutes / (24 * 60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(id: &str, title: &str, text: &str, day: i64) -> Report {
        Report::new(id, title, text, 1_573_000_000_000 + day * DAY_MS)
    }

    #[test]
    fn the_same_matter_at_the_same_place_scores_above_the_threshold_and_others_below() {
        let scorer = Scorer::default();
        let a = scorer.prepare(&report("1", "投诉A2区丽发新城附近建搅拌站噪音扰民", "丽发新城小区旁边新建的搅拌站日夜施工，噪音巨大", 0));
        let b = scorer.prepare(&report("2", "丽发新城小区附近的搅拌站噪音严重扰民", "我是丽发新城业主，搅拌站晚上噪音太大无法入睡", 2));
        let c = scorer.prepare(&report("3", "A5区劳动东路魅力之城小区油烟扰民", "小区一楼门面烧烤店油烟直排", 2));
        let ab = scorer.score(&a, &b);
        let ac = scorer.score(&a, &c);
        assert!(scorer.is_duplicate(&ab), "{ab:?}");
        assert!(!scorer.is_duplicate(&ac), "{ac:?}");
        assert!(ab.reasons.iter().any(|r| r.starts_with("同一地点：丽发新城")), "{:?}", ab.reasons);
        assert!(ab.reasons.contains(&"相隔 2 天".to_owned()), "{:?}", ab.reasons);
        assert_eq!(scorer.score(&b, &a).score, ab.score);
    }

    #[test]
    fn time_and_place_move_the_score_the_right_way() {
        let scorer = Scorer::default();
        let a = scorer.prepare(&report("1", "A3区联丰路路灯不亮", "联丰路米兰春天门口路灯坏了一个月", 0));
        let near = scorer.prepare(&report("2", "A3区联丰路路灯不亮", "联丰路米兰春天门口路灯坏了一个月", 1));
        let late = scorer.prepare(&report("3", "A3区联丰路路灯不亮", "联丰路米兰春天门口路灯坏了一个月", 40));
        let elsewhere = scorer.prepare(&report("4", "A5区路灯不亮", "路灯坏了一个月", 1));
        let (s_near, s_late) = (scorer.score(&a, &near), scorer.score(&a, &late));
        assert!(s_near.score > s_late.score, "{s_near:?} {s_late:?}");
        let s_else = scorer.score(&a, &elsewhere);
        assert!(matches!(s_else.place, PlaceAgreement::Different { .. }), "{s_else:?}");
        assert!(s_else.score < s_near.score * 0.6, "{s_else:?}");
    }

    #[test]
    fn gaps_read_naturally() {
        assert_eq!(describe_gap(20 * 60_000), "20 分钟");
        assert_eq!(describe_gap(5 * 3_600_000), "5 小时");
        assert_eq!(describe_gap(3 * DAY_MS), "3 天");
    }
}
