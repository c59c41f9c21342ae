//! Feature extraction: word unigrams and bigrams plus character n-grams, TF-IDF weighted and L2-normalised.
//!
//! Terms are identified by a stable 64-bit FNV-1a hash of their text (with a namespace byte per
//! kind), which keeps memory and the model file small; at 64 bits collisions are negligible for a
//! vocabulary of a few hundred thousand terms. The vocabulary is the set of terms seen in at
//! least `min_df` training documents.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

/// Which terms are extracted and how they are weighted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// Pairs of adjacent content words.
    pub word_bigrams: bool,
    /// Character n-gram lengths, inclusive, over the concatenated content tokens
    /// (0 disables). They bridge segmentation differences between raw and segmented input.
    pub char_ngram_min: usize,
    pub char_ngram_max: usize,
    /// Multiplier of character n-gram weights relative to word terms (before L2 normalisation).
    pub char_weight: f32,
    /// Minimum number of training documents a term must occur in.
    pub min_df: u32,
    /// Use 1 + ln(tf) instead of raw counts.
    pub sublinear_tf: bool,
    /// The first this many content tokens also count as separate "lead" terms: a message opens
    /// with its title, the densest statement of the matter (0 disables).
    pub lead_tokens: usize,
    /// Re-cut segmented input with this crate's jieba (domain dictionary included) after joining
    /// its tokens, so both input forms are segmented the same way.
    pub resegment: bool,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self {
            word_bigrams: false,
            char_ngram_min: 1,
            char_ngram_max: 2,
            char_weight: 0.7,
            min_df: 3,
            sublinear_tf: true,
            lead_tokens: 20,
            resegment: false,
        }
    }
}

const NS_WORD: u8 = 1;
const NS_WORD_BIGRAM: u8 = 2;
const NS_CHAR: u8 = 3;
const NS_LEAD: u8 = 4;

fn fnv1a(ns: u8, parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    };
    eat(ns);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            eat(0x1f);
        }
        for &b in part.as_bytes() {
            eat(b);
        }
    }
    h
}

/// Term counts of one document: (term hash, count, is character n-gram), sorted by hash.
#[derive(Debug, Clone, Default)]
pub struct TermCounts {
    pub terms: Vec<(u64, f32, bool)>,
}

/// Counts the terms of a token sequence.
pub fn count_terms(tokens: &[String], config: &FeatureConfig) -> TermCounts {
    let mut counts: HashMap<u64, (f32, bool), FastBuild> = HashMap::default();
    let mut add = |h: u64, is_char: bool| {
        counts.entry(h).or_insert((0.0, is_char)).0 += 1.0;
    };
    for (i, w) in tokens.iter().enumerate() {
        add(fnv1a(NS_WORD, &[w]), false);
        if i < config.lead_tokens {
            add(fnv1a(NS_LEAD, &[w]), false);
        }
        if config.word_bigrams
            && let Some(next) = tokens.get(i + 1)
        {
            add(fnv1a(NS_WORD_BIGRAM, &[w, next]), false);
        }
    }
    if config.char_ngram_min > 0 && config.char_ngram_max >= config.char_ngram_min {
        let joined: String = tokens.concat();
        let offsets: Vec<usize> = joined.char_indices().map(|(i, _)| i).chain([joined.len()]).collect();
        let n_chars = offsets.len() - 1;
        for n in config.char_ngram_min..=config.char_ngram_max {
            for start in 0..n_chars.saturating_sub(n - 1) {
                if let Some(gram) = joined.get(offsets[start]..offsets[start + n]) {
                    add(fnv1a(NS_CHAR, &[gram]), true);
                }
            }
        }
    }
    let mut terms: Vec<(u64, f32, bool)> = counts.into_iter().map(|(h, (c, ch))| (h, c, ch)).collect();
    terms.sort_unstable_by_key(|t| t.0);
    TermCounts { terms }
}

/// A sparse vector: sorted feature indices and their values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseVec {
    pub idx: Vec<u32>,
    pub val: Vec<f32>,
}

impl SparseVec {
    pub fn dot(&self, dense: &[f64]) -> f64 {
        self.idx.iter().zip(&self.val).map(|(&i, &v)| dense.get(i as usize).map_or(0.0, |w| w * f64::from(v))).sum()
    }

    pub fn dot_f32(&self, dense: &[f32]) -> f64 {
        self.idx.iter().zip(&self.val).map(|(&i, &v)| dense.get(i as usize).map_or(0.0, |w| f64::from(*w) * f64::from(v))).sum()
    }

    pub fn norm_sq(&self) -> f64 {
        self.val.iter().map(|&v| f64::from(v) * f64::from(v)).sum()
    }
}

/// Maps a term hash to its feature index. The keys are already well-mixed hashes, so hashing
/// them again (as SipHash would) only costs time.
#[derive(Default, Clone, Copy)]
pub struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(b) ^ (self.0 >> 56);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub type FastBuild = BuildHasherDefault<PassThroughHasher>;

/// The fitted vocabulary with inverse document frequencies.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vectorizer {
    pub config: FeatureConfig,
    /// Term hashes; position = feature index.
    pub terms: Vec<u64>,
    /// Smoothed idf per feature: ln((1 + n) / (1 + df)) + 1.
    pub idf: Vec<f32>,
    #[serde(skip)]
    index: HashMap<u64, u32, FastBuild>,
}

impl Vectorizer {
    /// Builds the vocabulary and idf from training documents.
    pub fn fit(docs: &[&TermCounts], config: &FeatureConfig) -> Self {
        let mut df: HashMap<u64, u32, FastBuild> = HashMap::default();
        for doc in docs {
            for &(h, _, _) in &doc.terms {
                *df.entry(h).or_insert(0) += 1;
            }
        }
        let mut kept: Vec<(u64, u32)> = df.into_iter().filter(|&(_, d)| d >= config.min_df.max(1)).collect();
        kept.sort_unstable_by_key(|&(h, _)| h);
        let n = docs.len() as f64;
        let terms: Vec<u64> = kept.iter().map(|&(h, _)| h).collect();
        let idf: Vec<f32> =
            kept.iter().map(|&(_, d)| ((((1.0 + n) / (1.0 + f64::from(d))).ln() + 1.0) * 1e4).round() as f32 / 1e4).collect();
        let mut v = Self { config: config.clone(), terms, idf, index: HashMap::default() };
        v.rebuild_index();
        v
    }

    /// Restores the term → index map after deserialisation.
    pub fn rebuild_index(&mut self) {
        self.index = self.terms.iter().enumerate().map(|(i, &h)| (h, i as u32)).collect();
    }

    pub fn len(&self) -> usize {
        self.terms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// TF-IDF vector of one document, L2-normalised (unknown terms are dropped).
    pub fn transform(&self, doc: &TermCounts) -> SparseVec {
        let mut pairs: Vec<(u32, f32)> = doc
            .terms
            .iter()
            .filter_map(|&(h, c, is_char)| {
                let i = *self.index.get(&h)?;
                let tf = if self.config.sublinear_tf { 1.0 + c.ln() } else { c };
                let w = if is_char { self.config.char_weight } else { 1.0 };
                Some((i, tf * self.idf[i as usize] * w))
            })
            .collect();
        pairs.sort_unstable_by_key(|p| p.0);
        let norm = pairs.iter().map(|p| f64::from(p.1) * f64::from(p.1)).sum::<f64>().sqrt();
        let scale = if norm > 0.0 { (1.0 / norm) as f32 } else { 0.0 };
        SparseVec { idx: pairs.iter().map(|p| p.0).collect(), val: pairs.iter().map(|p| p.1 * scale).collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn counts_words_bigrams_and_char_ngrams() {
        let config = FeatureConfig { word_bigrams: true, char_ngram_min: 2, char_ngram_max: 2, lead_tokens: 0, ..FeatureConfig::default() };
        let t = count_terms(&toks("路灯 不亮"), &config);
        // 2 words + 1 word bigram + 3 character bigrams (路灯 灯不 不亮)
        assert_eq!(t.terms.len(), 6);
        assert_eq!(t.terms.iter().filter(|x| x.2).count(), 3);
    }

    #[test]
    fn transform_is_unit_length_and_drops_rare_terms() {
        let config = FeatureConfig { min_df: 2, ..FeatureConfig::default() };
        let a = count_terms(&toks("噪音 扰民 晚上"), &config);
        let b = count_terms(&toks("噪音 扰民 白天"), &config);
        let v = Vectorizer::fit(&[&a, &b], &config);
        let x = v.transform(&a);
        assert!((x.norm_sq() - 1.0).abs() < 1e-5);
        // 晚上 occurs in one document only: below min_df = 2.
        let only = count_terms(&toks("晚上"), &FeatureConfig { char_ngram_min: 0, ..config });
        assert!(v.transform(&only).idx.is_empty());
    }
}
