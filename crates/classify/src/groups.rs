//! Near-duplicate grouping and grouped, stratified fold assignment for honest cross-validation.
//!
//! The training files hold the same complaint several times: raw and segmented copies of one
//! message, and the same matter posted again with a new title. If copies fall into different
//! folds, cross-validation measures memory rather than generalisation. Documents are compared on
//! character bigrams of their content tokens (the same for both input forms), and any two whose
//! overlap coefficient |A∩B| / min(|A|, |B|) reaches the threshold are put in one group.

use std::collections::HashMap;

use crate::features::FastBuild;
use crate::linear::SplitMix64;

/// Bigrams of the concatenated tokens, packed as two code points, sorted and unique.
fn shingles(tokens: &[String]) -> Vec<u64> {
    let chars: Vec<char> = tokens.iter().flat_map(|t| t.chars()).collect();
    let mut s: Vec<u64> = chars.windows(2).map(|w| (u64::from(w[0] as u32) << 32) | u64::from(w[1] as u32)).collect();
    s.sort_unstable();
    s.dedup();
    s
}

fn intersection(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.0[ra.max(rb)] = ra.min(rb);
        }
    }
}

/// Group id per document (ids are 0..number of groups, in order of first appearance).
pub fn near_duplicate_groups(docs: &[Vec<String>], threshold: f64) -> Vec<usize> {
    let n = docs.len();
    let sh: Vec<Vec<u64>> = docs.iter().map(|d| shingles(d)).collect();
    let mut df: HashMap<u64, u32, FastBuild> = HashMap::default();
    for s in &sh {
        for &g in s {
            *df.entry(g).or_insert(0) += 1;
        }
    }
    // Candidates share rare bigrams (document frequency up to 1% of the corpus, at least 20):
    // cheap to index and present in any real copy.
    let max_df = ((n / 100) as u32).max(20);
    let rare: Vec<Vec<u64>> =
        sh.iter().map(|s| s.iter().copied().filter(|g| df.get(g).is_some_and(|&d| d >= 2 && d <= max_df)).collect()).collect();
    let mut postings: HashMap<u64, Vec<u32>, FastBuild> = HashMap::default();
    for (i, r) in rare.iter().enumerate() {
        for &g in r {
            postings.entry(g).or_default().push(i as u32);
        }
    }
    let mut uf = UnionFind((0..n).collect());
    let mut shared = vec![0u32; n];
    let mut touched: Vec<usize> = Vec::new();
    for i in 0..n {
        for g in &rare[i] {
            for &j in postings.get(g).map_or(&[][..], Vec::as_slice) {
                let j = j as usize;
                if j > i {
                    if shared[j] == 0 {
                        touched.push(j);
                    }
                    shared[j] += 1;
                }
            }
        }
        for &j in &touched {
            let smaller_rare = rare[i].len().min(rare[j].len()) as f64;
            if f64::from(shared[j]) >= (0.25 * smaller_rare).max(3.0) {
                let inter = intersection(&sh[i], &sh[j]);
                let smaller = sh[i].len().min(sh[j].len()).max(1);
                if inter >= 5 && inter as f64 / smaller as f64 >= threshold {
                    uf.union(i, j);
                }
            }
            shared[j] = 0;
        }
        touched.clear();
    }
    // Exact duplicates with no rare bigram (very short texts) still belong together.
    let mut exact: HashMap<&[u64], usize> = HashMap::new();
    for (i, s) in sh.iter().enumerate() {
        if let Some(&first) = exact.get(s.as_slice()) {
            uf.union(first, i);
        } else {
            exact.insert(s.as_slice(), i);
        }
    }
    let mut ids: HashMap<usize, usize> = HashMap::new();
    (0..n)
        .map(|i| {
            let root = uf.find(i);
            let next = ids.len();
            *ids.entry(root).or_insert(next)
        })
        .collect()
}

/// Fold (0..k) per document: whole groups go to one fold, and folds are balanced per label by
/// placing the groups (shuffled, larger first) where their majority label is least represented.
pub fn assign_folds(groups: &[usize], labels: &[usize], k: usize, seed: u64) -> Vec<usize> {
    let n_groups = groups.iter().copied().max().map_or(0, |g| g + 1);
    let n_labels = labels.iter().copied().max().map_or(0, |l| l + 1);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_groups];
    for (i, &g) in groups.iter().enumerate() {
        members[g].push(i);
    }
    let mut order: Vec<usize> = (0..n_groups).collect();
    SplitMix64::new(seed).shuffle(&mut order);
    order.sort_by_key(|&g| std::cmp::Reverse(members[g].len()));
    let k = k.max(1);
    let mut per_label = vec![vec![0usize; n_labels.max(1)]; k];
    let mut size = vec![0usize; k];
    let mut group_fold = vec![0usize; n_groups];
    for g in order {
        let mut votes = vec![0usize; n_labels.max(1)];
        for &i in &members[g] {
            votes[labels[i]] += 1;
        }
        let major = (0..votes.len()).max_by_key(|&l| votes[l]).unwrap_or(0);
        let fold = (0..k).min_by_key(|&f| (per_label[f][major], size[f])).unwrap_or(0);
        group_fold[g] = fold;
        for &i in &members[g] {
            per_label[fold][labels[i]] += 1;
        }
        size[fold] += members[g].len();
    }
    groups.iter().map(|&g| group_fold[g]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn copies_in_both_forms_are_grouped() {
        let docs = vec![
            toks("小区 门口 路灯 坏了 三个月 晚上 出行 很不 方便 请求 尽快 维修"),
            toks("小区门口 路灯 坏了 三个 月 晚上 出行 很不方便 请求 维修"),
            toks("学校 食堂 饭菜 价格 太贵 学生 家长 意见 很大"),
            toks("学校 食堂 饭菜 价格 太贵 学生 家长 意见 很大"),
            toks("公积金 贷款 审批 太慢 等待 半年"),
        ];
        let g = near_duplicate_groups(&docs, 0.5);
        assert_eq!(g[0], g[1]);
        assert_eq!(g[2], g[3]);
        assert_ne!(g[0], g[2]);
        assert_ne!(g[4], g[0]);
        assert_ne!(g[4], g[2]);
    }

    #[test]
    fn folds_keep_groups_together_and_balance_labels() {
        let groups: Vec<usize> = (0..40).map(|i| i / 2).collect();
        let labels: Vec<usize> = (0..40).map(|i| (i / 2) % 2).collect();
        let folds = assign_folds(&groups, &labels, 4, 1);
        for i in (0..40).step_by(2) {
            assert_eq!(folds[i], folds[i + 1]);
        }
        for f in 0..4 {
            let n = folds.iter().filter(|&&x| x == f).count();
            assert_eq!(n, 10);
        }
    }
}
