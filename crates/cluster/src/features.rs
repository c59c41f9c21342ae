//! Text features (文本特征) of a report and their weights: character bigrams of title and body,
//! jieba words of the title, TF-IDF weighted and cut to the strongest terms.
//!
//! Why both: bigrams need no dictionary and catch place names jieba has never seen (米兰春天,
//! 丽发新城), which are what duplicates share most; words of the title add the matter (搅拌站,
//! 噪音) as units. Title terms count twice: the title is where a citizen states the matter.
//!
//! Why IDF from a fixed table rather than from the live index: scores must not drift as cases are
//! opened and closed, must be the same for (a, b) and (b, a), and must be reproducible in tests. The
//! built-in table was counted on other messages of the same board (see `data/README.md`); a deployment
//! can fit its own with [`TermStats::from_reports`]. A term the table has never seen counts as rare.

use std::sync::{Arc, LazyLock};

use minsheng_classify::text::{self, Document};
use rustc_hash::FxHashMap;

use crate::report::Report;

/// A feature id: a 32-bit hash. With some 10⁶ distinct terms a few collisions are expected and
/// harmless — they only add a little noise to a weight.
pub type FeatureId = u32;

const BIGRAM_SEED: u64 = 0x9e37_79b9_7f4a_7c15;
const WORD_SEED: u64 = 0xc2b2_ae3d_27d4_eb4f;

fn mix(mut x: u64) -> u32 {
    // splitmix64's finaliser: cheap and spreads neighbouring code points over the whole range.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (x ^ (x >> 31)) as u32
}

fn bigram_id(a: char, b: char) -> FeatureId {
    mix(BIGRAM_SEED ^ ((a as u64) << 21 | b as u64))
}

fn word_id(word: &str) -> FeatureId {
    // FNV-1a, then the same finaliser; stable across builds and platforms, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in word.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    mix(h ^ WORD_SEED)
}

/// Body text beyond this many characters adds cost and little evidence: copies of one matter
/// differ least at the start, where the citizen says what and where.
const MAX_BODY_CHARS: usize = 1000;

/// One term of a text, before hashing.
pub(crate) enum Term<'a> {
    Bigram(char, char),
    Word(&'a str),
}

impl Term<'_> {
    fn id(&self) -> FeatureId {
        match self {
            Term::Bigram(a, b) => bigram_id(*a, *b),
            Term::Word(w) => word_id(w),
        }
    }
}

/// Full-width to half-width and ASCII to lower case: the normalisation of the classifier's
/// tokeniser, without its general Unicode lower-casing, which costs more than the rest of feature
/// extraction together and changes nothing in Chinese text.
fn fold(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c).to_ascii_lowercase(),
        '\u{3000}' => ' ',
        _ => c.to_ascii_lowercase(),
    }
}

/// Letters, digits and Han characters; the common cases first, as `char::is_alphanumeric` is slow
/// outside ASCII.
fn is_content(c: char) -> bool {
    c.is_ascii_alphanumeric() || ('\u{4e00}'..='\u{9fff}').contains(&c) || (!c.is_ascii() && c.is_alphanumeric())
}

fn bigrams(text: &str, max_chars: usize, weight: f32, sink: &mut impl FnMut(Term<'_>, f32)) {
    let mut prev: Option<char> = None;
    // The spreadsheet export's line-break artefact would otherwise add bigrams to every long message.
    for c in text.split("_x000D_").flat_map(str::chars).take(max_chars).map(fold) {
        if is_content(c) {
            if let Some(p) = prev {
                sink(Term::Bigram(p, c), weight);
            }
            prev = Some(c);
        } else {
            prev = None;
        }
    }
}

/// Every term occurrence of a report with its weight (title 2, body 1).
fn for_each_term(title: &str, body: &str, mut sink: impl FnMut(Term<'_>, f32)) {
    bigrams(title, usize::MAX, 2.0, &mut sink);
    bigrams(body, MAX_BODY_CHARS, 1.0, &mut sink);
    for word in text::tokens(&Document::raw(title)) {
        if word.chars().count() >= 2 {
            sink(Term::Word(&word), 2.0);
        }
    }
}

/// The bigram ids of a short phrase (a place name), sorted and unique.
pub(crate) fn phrase_bigrams(phrase: &str, out: &mut Vec<FeatureId>) {
    bigrams(phrase, usize::MAX, 1.0, &mut |t, _| out.push(t.id()));
}

/// Weighted term counts of a report, sorted by feature id. A sorted vector rather than a hash map:
/// a report has a few hundred terms, and sorting them is several times cheaper than hashing.
pub(crate) fn term_counts(title: &str, body: &str) -> Vec<(FeatureId, f32)> {
    let mut all: Vec<(FeatureId, f32)> = Vec::with_capacity(title.len() / 2 + body.len().min(3 * MAX_BODY_CHARS) / 3 + 16);
    for_each_term(title, body, |t, w| all.push((t.id(), w)));
    all.sort_unstable_by_key(|t| t.0);
    let mut out: Vec<(FeatureId, f32)> = Vec::with_capacity(all.len());
    for (f, w) in all {
        match out.last_mut() {
            Some(last) if last.0 == f => last.1 += w,
            _ => out.push((f, w)),
        }
    }
    out
}

/// Document frequencies (文档频率) of terms over a reference corpus.
#[derive(Debug, Clone)]
pub struct TermStats {
    docs: u32,
    df: FxHashMap<FeatureId, u32>,
    /// IDF per known term, computed once: looking it up is the inner loop of feature weighting.
    idf: FxHashMap<FeatureId, f32>,
    /// IDF of a term never seen.
    unseen_idf: f32,
}

impl Default for TermStats {
    /// No corpus: every term weighs the same.
    fn default() -> Self {
        TermStats { docs: 0, df: FxHashMap::default(), idf: FxHashMap::default(), unseen_idf: 1.0 }
    }
}

static BUILTIN: LazyLock<Arc<TermStats>> = LazyLock::new(|| Arc::new(TermStats::parse(include_str!("../data/term_stats.tsv"))));

impl TermStats {
    /// The table counted on other messages of the public 问政 board (see `data/README.md`).
    pub fn builtin() -> Arc<TermStats> {
        Arc::clone(&BUILTIN)
    }

    /// Counts the terms of a corpus of reports: a deployment's own history.
    pub fn from_reports<'a>(reports: impl IntoIterator<Item = &'a Report>) -> TermStats {
        let mut stats = TermStats::default();
        for r in reports {
            stats.observe(&r.title, &r.text);
        }
        stats.freeze()
    }

    fn observe(&mut self, title: &str, body: &str) {
        self.docs += 1;
        for (f, _) in term_counts(title, body) {
            *self.df.entry(f).or_insert(0) += 1;
        }
    }

    /// Documents counted.
    pub fn docs(&self) -> u32 {
        self.docs
    }

    /// Smoothed inverse document frequency, ln((N + 1) / (df + 1)) + 1; a term never seen gets the
    /// highest value.
    pub fn idf(&self, f: FeatureId) -> f32 {
        self.idf.get(&f).copied().unwrap_or(self.unseen_idf)
    }

    fn formula(docs: u32, df: u32) -> f32 {
        ((f64::from(docs) + 1.0) / (f64::from(df) + 1.0)).ln() as f32 + 1.0
    }

    /// Precomputes every IDF; called once the counts are complete.
    fn freeze(mut self) -> Self {
        self.idf = self.df.iter().map(|(f, df)| (*f, Self::formula(self.docs, *df))).collect();
        self.unseen_idf = Self::formula(self.docs, 0);
        self
    }

    /// Reads the tab-separated table: a `docs<TAB>N` line, then `term<TAB>df` lines where a term is a
    /// character bigram or `w:` and a jieba word. Lines that do not parse are skipped: the table is
    /// generated, and a damaged line only makes its term count as rare.
    pub fn parse(table: &str) -> TermStats {
        let mut stats = TermStats::default();
        for line in table.lines() {
            let Some((term, n)) = line.split_once('\t') else { continue };
            let Ok(n) = n.trim().parse::<u32>() else { continue };
            if term == "docs" {
                stats.docs = n;
            } else if let Some(word) = term.strip_prefix("w:") {
                stats.df.insert(word_id(word), n);
            } else {
                let mut chars = term.chars();
                if let (Some(a), Some(b), None) = (chars.next(), chars.next(), chars.next()) {
                    stats.df.insert(bigram_id(a, b), n);
                }
            }
        }
        stats.freeze()
    }
}

/// Counts terms by their text, most frequent first, for writing a table (`examples/term_stats.rs`).
pub fn count_terms_by_text<'a>(docs: impl IntoIterator<Item = (&'a str, &'a str)>) -> (u32, Vec<(String, u32)>) {
    let mut n = 0u32;
    let mut df: FxHashMap<String, u32> = FxHashMap::default();
    for (title, body) in docs {
        n += 1;
        let mut seen: rustc_hash::FxHashSet<String> = rustc_hash::FxHashSet::default();
        for_each_term(title, body, |t, _| {
            seen.insert(match t {
                Term::Bigram(a, b) => [a, b].iter().collect(),
                Term::Word(w) => format!("w:{w}"),
            });
        });
        for term in seen {
            *df.entry(term).or_insert(0) += 1;
        }
    }
    let mut out: Vec<(String, u32)> = df.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    (n, out)
}

/// A weighted, L2-normalised term vector (词项向量) sorted by feature id, cut to the `top` heaviest terms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TermVector(pub(crate) Vec<(FeatureId, f32)>);

impl TermVector {
    pub(crate) fn build(counts: Vec<(FeatureId, f32)>, stats: &TermStats, top: usize) -> TermVector {
        let mut terms: Vec<(FeatureId, f32)> = counts.into_iter().map(|(f, tf)| (f, (1.0 + tf.ln()) * stats.idf(f))).collect();
        if terms.len() > top {
            // Ties broken by id so that the cut, and thus every score, is deterministic.
            terms.select_nth_unstable_by(top, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            terms.truncate(top);
        }
        let norm = terms.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        if norm > 0.0 {
            for t in &mut terms {
                t.1 /= norm;
            }
        }
        terms.sort_unstable_by_key(|t| t.0);
        TermVector(terms)
    }

    /// Cosine similarity (both vectors are normalised).
    pub fn cosine(&self, other: &TermVector) -> f32 {
        let (a, b) = (&self.0, &other.0);
        let (mut i, mut j, mut dot) = (0, 0, 0.0f32);
        while i < a.len() && j < b.len() {
            match a[i].0.cmp(&b[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    dot += a[i].1 * b[j].1;
                    i += 1;
                    j += 1;
                }
            }
        }
        dot.min(1.0)
    }

    /// The `top` heaviest terms that are not in `excluded` (sorted), renormalised: the same text with
    /// the words of its places set aside, cut shorter for speed.
    pub(crate) fn without(&self, excluded: &[FeatureId], top: usize) -> TermVector {
        let mut terms: Vec<(FeatureId, f32)> = self.0.iter().copied().filter(|t| excluded.binary_search(&t.0).is_err()).collect();
        if terms.len() > top {
            terms.select_nth_unstable_by(top, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            terms.truncate(top);
        }
        let norm = terms.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        if norm > 0.0 {
            for t in &mut terms {
                t.1 /= norm;
            }
        }
        terms.sort_unstable_by_key(|t| t.0);
        TermVector(terms)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(title: &str, body: &str, stats: &TermStats) -> TermVector {
        TermVector::build(term_counts(title, body), stats, 100)
    }

    #[test]
    fn rewordings_of_one_matter_are_closer_than_other_matters() {
        let stats = TermStats::builtin();
        assert!(stats.docs() > 1000, "built-in table has {} docs", stats.docs());
        let a = vector("投诉A2区丽发新城附近建搅拌站噪音扰民", "丽发新城小区旁边的搅拌站每天晚上施工", &stats);
        let b = vector("丽发新城小区附近的搅拌站噪音严重扰民", "搅拌站噪音大，粉尘多", &stats);
        let c = vector("A5区劳动东路魅力之城小区油烟扰民", "一楼门面烧烤油烟直排", &stats);
        let same = a.cosine(&b);
        assert!(same > 0.3, "{same}");
        assert!(a.cosine(&c) < same / 2.0, "{} vs {same}", a.cosine(&c));
        assert!((a.cosine(&a) - 1.0).abs() < 1e-4);
        assert_eq!(a.cosine(&b), b.cosine(&a));
    }

    #[test]
    fn common_terms_weigh_less_than_rare_ones() {
        let stats = TermStats::builtin();
        let common = stats.idf(bigram_id('小', '区'));
        let rare = stats.idf(bigram_id('丽', '发'));
        assert!(common < rare, "{common} vs {rare}");
        // A term never seen is at the top of the scale.
        assert!(stats.idf(bigram_id('龘', '靐')) >= rare);
    }

    #[test]
    fn vectors_are_cut_and_normalised() {
        let stats = TermStats::default();
        let long: String = (0..400).map(|i| char::from_u32(0x4e00 + i).unwrap_or('一')).collect();
        let v = TermVector::build(term_counts("标题", &long), &stats, 50);
        assert_eq!(v.len(), 50);
        let norm: f32 = v.0.iter().map(|t| t.1 * t.1).sum();
        assert!((norm - 1.0).abs() < 1e-4, "{norm}");
        assert!(v.0.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn a_table_round_trips_through_its_text_form() {
        let (n, terms) = count_terms_by_text([("路灯不亮", "联丰路路灯"), ("路灯坏了", "")]);
        assert_eq!(n, 2);
        assert!(terms.iter().any(|(t, df)| t == "路灯" && *df == 2));
        let table: String = std::iter::once(format!("docs\t{n}\n")).chain(terms.iter().map(|(t, d)| format!("{t}\t{d}\n"))).collect();
        let stats = TermStats::parse(&table);
        assert_eq!(stats.docs(), 2);
        assert!(stats.idf(bigram_id('路', '灯')) < stats.idf(bigram_id('联', '丰')));
        assert!(stats.idf(word_id("路灯")) < stats.idf(bigram_id('坏', '了')) + 1.0);
    }
}
