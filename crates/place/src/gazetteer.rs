//! The gazetteer (地名库): the division tree with every name people use for its members, and the
//! resolver that finds district / street / community in an address or a citizen's free text.
//!
//! **Aliases.** Each division is known by its full name and by short forms derived from it:
//! the administrative suffix dropped (金贸街道 → 金贸, 秀英区 → 秀英, 玉沙社区居民委员会 → 玉沙社区 →
//! 玉沙, 向荣村委会 → 向荣村 → 向荣), a parenthesised part dropped, and a leading ancestor name dropped
//! (海口桂林洋经济开发区 → 桂林洋经济开发区). Short forms keep at least 2 characters, and bare stems
//! that are everyday words or other well-known places (人民, 和平, 三亚 …, see [`COMMON_WORDS`]) are
//! not generated. On top come [`BUILTIN_ALIASES`] (well-known Haikou names that are not divisions)
//! and whatever the caller adds with [`Gazetteer::add_alias`].
//!
//! **Resolution.** The text is scanned for every alias (a character trie, leftmost at every
//! position, all lengths); overlapping matches are settled longest first. A short form directly
//! followed by a road or landmark word (路, 大道, 街, 桥, 公园, 医院 …) is taken as part of that
//! name — 人民大道, 海秀路 — and ignored. When one alias names a division and also one of its own
//! descendants (府城 → 府城街道 and 府城社区), it means the ancestor.
//!
//! Every candidate division is then scored by the chain it sits on: how many matched divisions lie on
//! its path to the root (support), how strong those matches are (3: a full name or a form that says its
//! level, like 玉沙社区 or 向荣村; 2: a street or district short form like 金贸; 1: a bare village stem
//! like 向荣), and finally how deep it is. The best chain
//! wins; its ancestors fill the levels the text did not name. If several chains tie, the result is
//! their deepest common ancestor and the alias is reported as ambiguous rather than guessed.
//!
//! **Wrong combinations** (美兰区金贸街道, where 金贸街道 belongs to 龙华区): the more specific name
//! wins — citizens get the district wrong more often than the street or community they live in, and
//! the street identifies the handling unit — and the contradicting match is reported in
//! [`PlaceMatch::overruled`] with the confidence capped at [`CONFLICT_CONFIDENCE_CAP`], so that such a
//! case goes to a dispatcher instead of being dispatched automatically.

use crate::PlaceError;
use std::collections::HashMap;

/// The highest confidence a match with contradicting evidence can have.
pub const CONFLICT_CONFIDENCE_CAP: f32 = 0.4;

/// The level of a division (区划层级).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DivisionKind {
    /// 市: a prefecture-level city.
    City,
    /// 区/县: a district or county.
    District,
    /// 街道/乡镇: a street office or township.
    Street,
    /// 社区/村: a community or village committee.
    Community,
}

impl DivisionKind {
    /// The CSV spelling (`city`, `district`, `street`, `community`), plus the obvious synonyms.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "city" => Some(DivisionKind::City),
            "district" | "county" => Some(DivisionKind::District),
            "street" | "town" | "township" => Some(DivisionKind::Street),
            "community" | "village" => Some(DivisionKind::Community),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DivisionKind::City => "city",
            DivisionKind::District => "district",
            DivisionKind::Street => "street",
            DivisionKind::Community => "community",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            DivisionKind::City => "市",
            DivisionKind::District => "区县",
            DivisionKind::Street => "街道乡镇",
            DivisionKind::Community => "社区村",
        }
    }
}

/// An administrative division (行政区划) as the caller supplies it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Division {
    pub code: String,
    pub name: String,
    pub kind: DivisionKind,
    pub parent_code: Option<String>,
}

/// A division in a result: its code and its official name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DivisionRef {
    pub code: String,
    pub name: String,
}

/// One piece of text that named a division.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Evidence {
    /// The alias as it appears in the text.
    pub alias: String,
    pub code: String,
    /// The division's path below the city, e.g. 龙华区金贸街道.
    pub name: String,
    /// Start and end in characters (Unicode scalar values, not bytes), end exclusive.
    pub start: usize,
    pub end: usize,
}

/// An alias that fits several divisions with nothing in the text to choose between them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Ambiguity {
    pub alias: String,
    pub start: usize,
    pub end: usize,
    /// The divisions it could mean, each with its path below the city as the name.
    pub candidates: Vec<DivisionRef>,
}

/// What [`Gazetteer::resolve`] found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PlaceMatch {
    pub city: Option<DivisionRef>,
    pub district: Option<DivisionRef>,
    pub street: Option<DivisionRef>,
    pub community: Option<DivisionRef>,
    /// 0 when nothing was found; a heuristic, not a calibrated probability (see `confidence`).
    pub confidence: f32,
    /// The matches that support the result, in text order.
    pub evidence: Vec<Evidence>,
    /// Aliases that could not be pinned down.
    pub ambiguous: Vec<Ambiguity>,
    /// Matches that contradict the result (a street under another district …), in text order.
    pub overruled: Vec<Evidence>,
}

impl PlaceMatch {
    fn empty() -> Self {
        PlaceMatch {
            city: None,
            district: None,
            street: None,
            community: None,
            confidence: 0.0,
            evidence: Vec::new(),
            ambiguous: Vec::new(),
            overruled: Vec::new(),
        }
    }

    /// The most specific division found (community, else street, else district).
    pub fn most_specific(&self) -> Option<&DivisionRef> {
        self.community.as_ref().or(self.street.as_ref()).or(self.district.as_ref())
    }

    /// A one-line explanation for the dispatcher, e.g.
    /// `地址含“金贸街道”→ 龙华区金贸街道。判定：龙华区金贸街道（置信度 0.85）`.
    pub fn explain_zh(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for e in &self.evidence {
            parts.push(format!("地址含“{}”→ {}", e.alias, e.name));
        }
        for a in &self.ambiguous {
            let names: Vec<&str> = a.candidates.iter().map(|c| c.name.as_str()).collect();
            parts.push(format!("“{}”可指{}，无法确定", a.alias, names.join("、")));
        }
        for o in &self.overruled {
            parts.push(format!("“{}”（{}）与其他线索不一致，未采用", o.alias, o.name));
        }
        if parts.is_empty() {
            return "未识别到地点".to_string();
        }
        let path: String =
            [&self.district, &self.street, &self.community].iter().filter_map(|d| d.as_ref()).map(|d| d.name.as_str()).collect();
        let verdict = match (path.is_empty(), &self.city) {
            (false, _) => format!("判定：{path}（置信度 {:.2}）", self.confidence),
            (true, Some(city)) => format!("判定：仅知{}（置信度 {:.2}）", city.name, self.confidence),
            (true, None) => "无法判定".to_string(),
        };
        format!("{}。{verdict}", parts.join("；"))
    }
}

/// A built-in alias: a well-known name that is not itself a division.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinAlias {
    pub alias: &'static str,
    pub code: &'static str,
    /// Why it maps there, and how far the mapping can be trusted.
    pub note: &'static str,
}

/// Well-known Haikou names that are not divisions. Applied only when the gazetteer holds the code,
/// so other cities' trees are unaffected. Deliberately short: an entry that is wrong routes cases
/// wrongly, so every one maps only as deep as its source supports.
pub const BUILTIN_ALIASES: &[BuiltinAlias] = &[
    BuiltinAlias {
        alias: "海甸岛",
        code: "460108",
        note: "美兰区 only: the island holds 海甸、人民、白沙 streets and more (美兰区 government portal, street descriptions)",
    },
    BuiltinAlias {
        alias: "新埠岛",
        code: "460108",
        note: "美兰区: administered by 新埠街道 per the street's name, kept at district level until checked against its boundary",
    },
    BuiltinAlias {
        alias: "江东新区",
        code: "460108",
        note: "海南自由贸易港 海口江东新区 lies in 美兰区 (its master plan: 灵山、演丰、三江、大致坡 …)",
    },
    BuiltinAlias {
        alias: "美兰机场", code: "460108", note: "海口美兰国际机场, in 美兰区 (the airport's own address, 美兰区)"
    },
    BuiltinAlias { alias: "秀英港", code: "460105", note: "秀英港 port, in 秀英区 (its address, 秀英区)" },
    BuiltinAlias { alias: "新海港", code: "460105", note: "新海港 ferry terminal, in 秀英区 (its address, 秀英区)" },
    BuiltinAlias {
        alias: "桂林洋",
        code: "460108400",
        note: "the everyday name of 海口桂林洋经济开发区（农场）, the division itself (haikou_divisions.csv)",
    },
];

/// Bare short forms that are not generated because they are everyday words or names of other
/// well-known places; the full names (人民街道, 和平村委会 …) still match.
pub const COMMON_WORDS: &[&str] = &[
    "人民", "和平", "光明", "光荣", "前进", "友爱", "友谊", "双拥", "文明", "振兴", "正义", "彩虹", "八一", "五一", "电力", "捕捞", "高新",
    "三亚", "桂林", "珠江", "南沙", "新村", "新市", "东城", "城东", "南区", "东门", "市井", "场部", "镇中", "镇北", "镇南", "群力", "群星",
    "红星", "红卫", "大山", "东头", "上坡", "沿江", "环湖", "高山", "水头", "蓝天", "金山",
    // 东湖 and 西湖 are also the lakes of 龙华区 (东西湖); a bare mention more likely means a lake than the
    // village or community of that name.
    "东湖", "西湖",
];

/// Words that, right after a short form, show it is part of a road or landmark name.
const ROAD_WORDS: &[&str] = &[
    "路", "大道", "大街", "街", "巷", "桥", "大桥", "立交", "隧道", "广场", "公园", "花园", "小区", "市场", "医院", "中学", "小学", "学校",
    "大学", "大厦", "酒店", "宾馆", "车站", "站", "码头", "机场", "港", "湾", "岛", "湖", "河", "江", "水库",
];

/// Ordinals and directions that sit between a place name and 路 (海甸五西路, 金贸东路).
const ROAD_INFIXES: &[char] = &['一', '二', '三', '四', '五', '六', '七', '八', '九', '十', '东', '西', '南', '北', '中', '横', '支'];

/// Suffix rules: a name ending in `suffix` also goes by the stem plus each of `endings`.
/// Ordered longest first; the first rule that applies is used, and its outputs are fed back in.
const DISTRICT_RULES: &[(&str, &[&str])] = &[("自治县", &[""]), ("区", &[""]), ("县", &[""]), ("市", &[""])];
const STREET_RULES: &[(&str, &[&str])] =
    &[("街道办事处", &[""]), ("街道", &[""]), ("农场", &[""]), ("林场", &[""]), ("镇", &[""]), ("乡", &[""])];
const COMMUNITY_RULES: &[(&str, &[&str])] = &[
    ("社区居民委员会", &["社区", ""]),
    ("社区居委会", &["社区", ""]),
    ("村民委员会", &["村", ""]),
    ("居民委员会", &[""]),
    ("虚拟生活区", &[""]),
    ("村委员会", &["村", ""]),
    ("村委会", &["村", ""]),
    ("村委员", &["村", ""]),
    ("居委会", &[""]),
    ("生活区", &[""]),
    ("社区", &[""]),
    ("村", &[""]),
    ("居", &[""]),
];

/// A name form while short forms are generated, with how it was reached.
#[derive(Debug, Clone)]
struct Form {
    text: String,
    /// An ancestor's name was dropped from the front.
    via_prefix: bool,
    /// An administrative suffix was dropped from the end.
    via_suffix: bool,
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    div: u32,
    /// 3 full name, built-in or caller alias, or a form naming its level (玉沙社区); 2 short form;
    /// 1 bare village stem or a community named by an everyday word.
    weight: u8,
    /// A derived short form, which a following road word can cancel.
    short: bool,
}

#[derive(Debug, Default, Clone)]
struct TrieNode {
    children: Vec<(char, u32)>,
    entry: Option<u32>,
}

/// A character trie over all aliases; children sorted for binary search.
#[derive(Debug, Clone)]
struct Trie {
    nodes: Vec<TrieNode>,
}

impl Trie {
    fn new() -> Self {
        Trie { nodes: vec![TrieNode::default()] }
    }

    fn child(&self, node: u32, c: char) -> Option<u32> {
        let children = &self.nodes[node as usize].children;
        children.binary_search_by_key(&c, |&(k, _)| k).ok().map(|i| children[i].1)
    }

    /// The node for `chars`, created if missing.
    fn insert(&mut self, chars: impl Iterator<Item = char>) -> u32 {
        let mut node = 0u32;
        for c in chars {
            node = match self.child(node, c) {
                Some(n) => n,
                None => {
                    let n = self.nodes.len() as u32;
                    self.nodes.push(TrieNode::default());
                    let children = &mut self.nodes[node as usize].children;
                    let at = children.partition_point(|&(k, _)| k < c);
                    children.insert(at, (c, n));
                    n
                }
            };
        }
        node
    }
}

/// The division tree with its aliases, ready to resolve text.
#[derive(Debug, Clone)]
pub struct Gazetteer {
    divisions: Vec<Division>,
    parent: Vec<Option<u32>>,
    by_code: HashMap<String, u32>,
    /// Path below the city, e.g. 龙华区金贸街道玉沙社区居民委员会 (the city's own name for the city).
    paths: Vec<String>,
    trie: Trie,
    /// Alias text and its candidates, indexed by trie entry.
    entries: Vec<(String, Vec<Candidate>)>,
}

struct RawMatch {
    start: usize,
    end: usize,
    candidates: Vec<Candidate>,
}

impl Gazetteer {
    /// Builds the tree and its aliases. Codes must be unique, parents must exist and be of a higher
    /// level than their children.
    pub fn new(divisions: Vec<Division>) -> Result<Self, PlaceError> {
        let mut by_code = HashMap::with_capacity(divisions.len());
        for (i, d) in divisions.iter().enumerate() {
            if d.code.trim().is_empty() || d.name.trim().is_empty() {
                return Err(PlaceError::bad_divisions(
                    format!("第 {} 个区划的编码或名称为空", i + 1),
                    format!("division {} has an empty code or name", i + 1),
                ));
            }
            if by_code.insert(d.code.clone(), i as u32).is_some() {
                return Err(PlaceError::bad_divisions(format!("编码 {} 重复", d.code), format!("the code {} appears twice", d.code)));
            }
        }
        let mut parent = Vec::with_capacity(divisions.len());
        for d in &divisions {
            let p = match d.parent_code.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
                None => None,
                Some(pc) => {
                    let &p = by_code.get(pc).ok_or_else(|| {
                        PlaceError::bad_divisions(
                            format!("{}（{}）的上级 {pc} 不存在", d.name, d.code),
                            format!("the parent {pc} of {} ({}) does not exist", d.name, d.code),
                        )
                    })?;
                    // Levels strictly increasing downwards also rules out cycles.
                    if divisions[p as usize].kind >= d.kind {
                        return Err(PlaceError::bad_divisions(
                            format!("{}（{}）的层级不低于其上级 {}", d.name, d.code, divisions[p as usize].name),
                            format!("{} ({}) is not below its parent {} in level", d.name, d.code, divisions[p as usize].name),
                        ));
                    }
                    Some(p)
                }
            };
            parent.push(p);
        }
        let mut g = Gazetteer { divisions, parent, by_code, paths: Vec::new(), trie: Trie::new(), entries: Vec::new() };
        g.paths = (0..g.divisions.len() as u32).map(|i| g.compute_path(i)).collect();
        for i in 0..g.divisions.len() as u32 {
            let name = g.divisions[i as usize].name.clone();
            g.insert_alias(&name, Candidate { div: i, weight: 3, short: false });
            for (form, weight) in g.short_forms(i) {
                g.insert_alias(&form, Candidate { div: i, weight, short: true });
            }
        }
        for b in BUILTIN_ALIASES {
            if let Some(&div) = g.by_code.get(b.code) {
                g.insert_alias(b.alias, Candidate { div, weight: 3, short: false });
            }
        }
        Ok(g)
    }

    /// Reads the project's CSV (`code,name,kind,parent_code`, columns in any order, a header line,
    /// RFC 4180 quoting).
    pub fn from_csv(text: &str) -> Result<Self, PlaceError> {
        let mut lines = text.trim_start_matches('\u{feff}').lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            return Err(PlaceError::bad_divisions("区划表为空", "the division table is empty"));
        };
        let header = split_csv_line(header);
        let column = |name: &str| {
            header
                .iter()
                .position(|h| h.trim() == name)
                .ok_or_else(|| PlaceError::bad_divisions(format!("表头缺少列 {name}"), format!("the header lacks the column {name}")))
        };
        let (c_code, c_name, c_kind, c_parent) = (column("code")?, column("name")?, column("kind")?, column("parent_code")?);
        let mut divisions = Vec::new();
        for (n, line) in lines {
            let fields = split_csv_line(line);
            let field = |c: usize| fields.get(c).map(|s| s.trim().to_string()).unwrap_or_default();
            let kind_text = field(c_kind);
            let kind = DivisionKind::parse(&kind_text).ok_or_else(|| {
                PlaceError::bad_divisions(
                    format!("第 {} 行：未知的层级“{kind_text}”", n + 1),
                    format!("line {}: unknown kind \"{kind_text}\"", n + 1),
                )
            })?;
            let parent = field(c_parent);
            divisions.push(Division {
                code: field(c_code),
                name: field(c_name),
                kind,
                parent_code: (!parent.is_empty()).then_some(parent),
            });
        }
        Gazetteer::new(divisions)
    }

    /// Adds an alias for a division (a local name, an old name, a common misspelling). It is matched
    /// like a full name: never cancelled by a following road word.
    pub fn add_alias(&mut self, alias: &str, code: &str) -> Result<(), PlaceError> {
        let text = normalize(alias.trim());
        if text.is_empty() {
            return Err(PlaceError::BadAlias { alias: alias.to_string() });
        }
        let &div = self.by_code.get(code).ok_or_else(|| PlaceError::UnknownDivision { code: code.to_string() })?;
        self.insert_alias(&text, Candidate { div, weight: 3, short: false });
        Ok(())
    }

    pub fn division(&self, code: &str) -> Option<&Division> {
        self.by_code.get(code).map(|&i| &self.divisions[i as usize])
    }

    pub fn divisions(&self) -> &[Division] {
        &self.divisions
    }

    /// The path below the city, e.g. `龙华区金贸街道` for 460106003.
    pub fn path_name(&self, code: &str) -> Option<&str> {
        self.by_code.get(code).map(|&i| self.paths[i as usize].as_str())
    }

    /// Every alias that can name the division, sorted: for an administrator checking why a text
    /// resolved as it did.
    pub fn aliases_of(&self, code: &str) -> Vec<&str> {
        let Some(&div) = self.by_code.get(code) else { return Vec::new() };
        let mut out: Vec<&str> =
            self.entries.iter().filter(|(_, cands)| cands.iter().any(|c| c.div == div)).map(|(t, _)| t.as_str()).collect();
        out.sort_unstable();
        out
    }

    /// Finds district / street / community in an address or free text.
    pub fn resolve(&self, text: &str) -> PlaceMatch {
        let chars: Vec<char> = text.chars().map(normalize_char).collect();
        let matches = self.select(self.scan(&chars));
        if matches.is_empty() {
            return PlaceMatch::empty();
        }
        let alias_of = |m: &RawMatch| chars[m.start..m.end].iter().collect::<String>();

        // Each matched division with the strongest weight any match gave it.
        let mut present: Vec<(u32, u8)> = Vec::new();
        for m in &matches {
            for c in &m.candidates {
                match present.iter_mut().find(|(d, _)| *d == c.div) {
                    Some(p) => p.1 = p.1.max(c.weight),
                    None => present.push((c.div, c.weight)),
                }
            }
        }
        // Score every candidate by the chain above it: (support, weight, depth).
        let mut best: Vec<u32> = Vec::new();
        let mut best_key = (0usize, 0u32, 0u8);
        for &(x, _) in &present {
            let (mut support, mut weight) = (0usize, 0u32);
            for d in self.chain(x) {
                if let Some(&(_, w)) = present.iter().find(|(p, _)| *p == d) {
                    support += 1;
                    weight += u32::from(w);
                }
            }
            let key = (support, weight, self.divisions[x as usize].kind as u8);
            if key > best_key {
                best_key = key;
                best.clear();
                best.push(x);
            } else if key == best_key {
                best.push(x);
            }
        }
        let tied = best.len() > 1;
        let leaf = self.common_ancestor(&best);
        let leaf_chain: Vec<u32> = leaf.map(|l| self.chain(l).collect()).unwrap_or_default();

        let mut result = PlaceMatch::empty();
        // The naming of the most specific division the text itself names decides how far the
        // answer can be trusted: 龙华区 in full does not vouch for a community named by a bare stem.
        let mut deepest_named: Option<(DivisionKind, u8)> = None;
        for m in &matches {
            let on_chain = m.candidates.iter().filter(|c| leaf_chain.contains(&c.div)).max_by_key(|c| self.divisions[c.div as usize].kind);
            if let Some(c) = on_chain {
                let kind = self.divisions[c.div as usize].kind;
                deepest_named = deepest_named.max(Some((kind, c.weight)));
                result.evidence.push(self.evidence(alias_of(m), c.div, m));
                continue;
            }
            let below: Vec<&Candidate> = m.candidates.iter().filter(|c| leaf.is_none_or(|l| self.is_ancestor(l, c.div))).collect();
            if !below.is_empty() && (tied || leaf.is_none()) {
                result.ambiguous.push(Ambiguity {
                    alias: alias_of(m),
                    start: m.start,
                    end: m.end,
                    candidates: below.iter().map(|c| self.reference(c.div, true)).collect(),
                });
            } else if let Some(c) = m.candidates.iter().max_by_key(|c| c.weight) {
                result.overruled.push(self.evidence(alias_of(m), c.div, m));
            }
        }
        for &d in &leaf_chain {
            let slot = match self.divisions[d as usize].kind {
                DivisionKind::City => &mut result.city,
                DivisionKind::District => &mut result.district,
                DivisionKind::Street => &mut result.street,
                DivisionKind::Community => &mut result.community,
            };
            *slot = Some(self.reference(d, false));
        }
        result.confidence = self.confidence(leaf, best_key.0, deepest_named.map_or(0, |(_, w)| w), &result);
        result
    }

    /// Heuristic confidence: the level reached, how strong the naming was, agreement between levels,
    /// and penalties for ambiguity and contradiction. Meant for thresholds (auto-dispatch or review),
    /// not as a probability.
    fn confidence(&self, leaf: Option<u32>, support: usize, naming: u8, result: &PlaceMatch) -> f32 {
        let Some(leaf) = leaf else { return 0.0 };
        let base: f32 = match self.divisions[leaf as usize].kind {
            DivisionKind::City => 0.3,
            DivisionKind::District => 0.8,
            DivisionKind::Street => 0.85,
            DivisionKind::Community => 0.9,
        };
        let strength = match naming {
            3 => 1.0,
            2 => 0.85,
            // A bare village stem, or nothing named at all (only the common ancestor of a tie).
            _ => 0.5,
        };
        let agreement = 0.05 * support.saturating_sub(1) as f32;
        let mut c = base * strength + agreement;
        if !result.ambiguous.is_empty() {
            c *= 0.8;
        }
        if !result.overruled.is_empty() {
            c = c.min(CONFLICT_CONFIDENCE_CAP);
        }
        c.clamp(0.0, 0.99)
    }

    /// All alias occurrences, with road-cancelled short forms and descendant duplicates removed.
    fn scan(&self, chars: &[char]) -> Vec<RawMatch> {
        let mut out = Vec::new();
        for start in 0..chars.len() {
            let mut node = 0u32;
            for end in start + 1..=chars.len() {
                let Some(next) = self.trie.child(node, chars[end - 1]) else { break };
                node = next;
                let Some(e) = self.trie.nodes[node as usize].entry else { continue };
                let road = followed_by_road_word(&chars[end..]);
                let mut candidates: Vec<Candidate> = self.entries[e as usize].1.iter().filter(|c| !(c.short && road)).copied().collect();
                let all = candidates.clone();
                candidates.retain(|c| !all.iter().any(|a| a.div != c.div && self.is_ancestor(a.div, c.div)));
                if !candidates.is_empty() {
                    out.push(RawMatch { start, end, candidates });
                }
            }
        }
        out
    }

    /// Keeps non-overlapping matches, longest first (then leftmost), returned in text order.
    fn select(&self, mut raw: Vec<RawMatch>) -> Vec<RawMatch> {
        raw.sort_by(|a, b| (b.end - b.start).cmp(&(a.end - a.start)).then(a.start.cmp(&b.start)));
        let mut taken: Vec<RawMatch> = Vec::new();
        for m in raw {
            if taken.iter().all(|t| m.end <= t.start || m.start >= t.end) {
                taken.push(m);
            }
        }
        taken.sort_by_key(|m| m.start);
        taken
    }

    fn insert_alias(&mut self, text: &str, candidate: Candidate) {
        let text = normalize(text);
        let node = self.trie.insert(text.chars());
        let entry = match self.trie.nodes[node as usize].entry {
            Some(e) => e,
            None => {
                let e = self.entries.len() as u32;
                self.entries.push((text, Vec::new()));
                self.trie.nodes[node as usize].entry = Some(e);
                e
            }
        };
        let cands = &mut self.entries[entry as usize].1;
        match cands.iter_mut().find(|c| c.div == candidate.div) {
            Some(c) => {
                c.weight = c.weight.max(candidate.weight);
                c.short &= candidate.short;
            }
            None => cands.push(candidate),
        }
    }

    /// The derived short forms of a division with their weights.
    fn short_forms(&self, div: u32) -> Vec<(String, u8)> {
        let d = &self.divisions[div as usize];
        let rules = match d.kind {
            DivisionKind::City | DivisionKind::District => DISTRICT_RULES,
            DivisionKind::Street => STREET_RULES,
            DivisionKind::Community => COMMUNITY_RULES,
        };
        // Ancestors' names as prefixes to drop: the full name, else its stem (大坡镇东昌居 → 东昌居,
        // never 镇东昌居).
        let prefixes: Vec<(String, Option<String>)> = self
            .chain(div)
            .skip(1)
            .map(|a| {
                let name = normalize(&self.divisions[a as usize].name);
                let stem = DISTRICT_RULES.iter().chain(STREET_RULES).find_map(|(s, _)| name.strip_suffix(s)).map(str::to_string);
                (name, stem)
            })
            .collect();
        let full = normalize(&d.name);
        let mut seen: Vec<Form> = vec![Form { text: full.clone(), via_prefix: false, via_suffix: false }];
        let mut queue = seen.clone();
        while let Some(form) = queue.pop() {
            let mut next: Vec<Form> = Vec::new();
            let text = &form.text;
            if let Some(open) = text.find('（') {
                let tail = text[open..].find('）').map(|c| &text[open + c + '）'.len_utf8()..]).unwrap_or("");
                next.push(Form { text: format!("{}{tail}", &text[..open]), ..form });
            }
            for (name, stem) in &prefixes {
                let rest = text.strip_prefix(name.as_str()).or_else(|| stem.as_deref().and_then(|s| text.strip_prefix(s)));
                next.extend(rest.map(|r| Form { text: r.to_string(), via_prefix: true, ..form }));
            }
            // A one-character suffix (区, 镇, 村, 居) is administrative only at the end of a name
            // itself; in a form that already lost its suffix it is part of the name (滨海新村社区 →
            // 滨海新村, not 滨海新).
            let rule = rules.iter().find(|(s, _)| text.ends_with(s) && !(form.via_suffix && s.chars().count() == 1));
            if let Some((suffix, endings)) = rule {
                let stem = &text[..text.len() - suffix.len()];
                next.extend(endings.iter().map(|e| Form { text: format!("{stem}{e}"), via_suffix: true, ..form }));
            }
            for n in next {
                let stem = bare_stem(&n.text, rules);
                // A form reached by dropping an ancestor must keep 2 characters even without its
                // suffixes (龙华南社区 → 南社区 is refused: its core is 南).
                let core_len = if n.via_prefix { core_len(&n.text, rules) } else { n.text.chars().count() };
                let refused = core_len < 2
                    || is_generic(&n.text)
                    || COMMON_WORDS.contains(&n.text.as_str())
                    || (n.via_prefix && COMMON_WORDS.contains(&stem))
                    || seen.iter().any(|f| f.text == n.text);
                if !refused {
                    seen.push(n.clone());
                    queue.push(n);
                }
            }
        }
        seen.into_iter()
            .skip(1)
            .map(|Form { text: form, .. }| {
                let weight = if d.kind != DivisionKind::Community {
                    2
                } else if COMMON_WORDS.contains(&bare_stem(&form, rules)) {
                    // 文明社区 is a real community and an everyday phrase (创建文明社区): keep it, weakly.
                    1
                } else if ["社区", "村", "居"].iter().any(|s| form.ends_with(s)) {
                    // 玉沙社区, 向荣村: the level is said outright, as good as the official name.
                    3
                } else if form.chars().count() >= 4 {
                    2
                } else {
                    1
                };
                (form, weight)
            })
            .collect()
    }

    /// `div` and its ancestors, bottom up.
    fn chain(&self, div: u32) -> impl Iterator<Item = u32> + '_ {
        std::iter::successors(Some(div), move |&d| self.parent[d as usize])
    }

    fn is_ancestor(&self, ancestor: u32, div: u32) -> bool {
        self.chain(div).skip(1).any(|d| d == ancestor)
    }

    /// The deepest division that is an ancestor-or-self of all of `divs`.
    fn common_ancestor(&self, divs: &[u32]) -> Option<u32> {
        let (first, rest) = divs.split_first()?;
        self.chain(*first).find(|&a| rest.iter().all(|&d| self.chain(d).any(|x| x == a)))
    }

    fn compute_path(&self, div: u32) -> String {
        let mut names: Vec<&str> = self
            .chain(div)
            .filter(|&d| self.divisions[d as usize].kind != DivisionKind::City)
            .map(|d| self.divisions[d as usize].name.as_str())
            .collect();
        if names.is_empty() {
            return self.divisions[div as usize].name.clone();
        }
        names.reverse();
        names.concat()
    }

    fn reference(&self, div: u32, with_path: bool) -> DivisionRef {
        let d = &self.divisions[div as usize];
        DivisionRef { code: d.code.clone(), name: if with_path { self.paths[div as usize].clone() } else { d.name.clone() } }
    }

    fn evidence(&self, alias: String, div: u32, m: &RawMatch) -> Evidence {
        Evidence {
            alias,
            code: self.divisions[div as usize].code.clone(),
            name: self.paths[div as usize].clone(),
            start: m.start,
            end: m.end,
        }
    }
}

/// What is left of a form once every administrative suffix is gone (玉沙社区居民委员会 → 玉沙),
/// stopping before it would drop below 2 characters (新村社区 → 新村, not 新).
fn bare_stem<'a>(form: &'a str, rules: &[(&str, &[&str])]) -> &'a str {
    let mut stem = form;
    while let Some(shorter) = rules.iter().find_map(|(s, _)| stem.strip_suffix(s)) {
        if shorter.chars().count() < 2 {
            break;
        }
        stem = shorter;
    }
    stem
}

/// The length of a form with every administrative suffix removed, however short that leaves it.
fn core_len(form: &str, rules: &[(&str, &[&str])]) -> usize {
    let mut stem = form;
    while let Some(shorter) = rules.iter().find_map(|(s, _)| stem.strip_suffix(s)) {
        stem = shorter;
    }
    stem.chars().count()
}

/// A bare administrative word (社区, 村委会, 街道 …) left over when a name is all prefix and suffix;
/// as an alias it would match every address.
fn is_generic(form: &str) -> bool {
    DISTRICT_RULES.iter().chain(STREET_RULES).chain(COMMUNITY_RULES).any(|(suffix, endings)| form == *suffix || endings.contains(&form))
}

/// Half-width parentheses as the official names write them, so 海口桂林洋经济开发区(农场) matches.
fn normalize_char(c: char) -> char {
    match c {
        '(' => '（',
        ')' => '）',
        _ => c,
    }
}

fn normalize(s: &str) -> String {
    s.chars().map(normalize_char).collect()
}

fn followed_by_road_word(rest: &[char]) -> bool {
    let skip = rest.iter().take(2).take_while(|c| ROAD_INFIXES.contains(c) || c.is_ascii_digit()).count();
    let rest = &rest[skip..];
    ROAD_WORDS.iter().any(|w| {
        let mut it = rest.iter();
        w.chars().all(|c| it.next() == Some(&c))
    }) && !(rest.starts_with(&['街', '道']))
}

/// One CSV record on one line, with RFC 4180 quotes ("" inside quotes is a quote).
fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.trim_end_matches('\r').chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = include_str!("../../app/data/haikou_divisions.csv");

    fn haikou() -> Gazetteer {
        Gazetteer::from_csv(CSV).unwrap()
    }

    fn codes(m: &PlaceMatch) -> (Option<&str>, Option<&str>, Option<&str>) {
        (
            m.district.as_ref().map(|d| d.code.as_str()),
            m.street.as_ref().map(|d| d.code.as_str()),
            m.community.as_ref().map(|d| d.code.as_str()),
        )
    }

    #[test]
    fn full_address_down_to_the_community() {
        let g = haikou();
        let m = g.resolve("龙华区金贸街道玉沙社区");
        assert_eq!(codes(&m), (Some("460106"), Some("460106003"), Some("460106003010")));
        assert_eq!(m.district.as_ref().unwrap().name, "龙华区");
        assert_eq!(m.community.as_ref().unwrap().name, "玉沙社区居民委员会");
        let aliases: Vec<(&str, usize, usize)> = m.evidence.iter().map(|e| (e.alias.as_str(), e.start, e.end)).collect();
        assert_eq!(aliases, [("龙华区", 0, 3), ("金贸街道", 3, 7), ("玉沙社区", 7, 11)]);
        assert!(m.ambiguous.is_empty() && m.overruled.is_empty());
        assert!(m.confidence > 0.9, "{}", m.confidence);
        let explained = m.explain_zh();
        assert!(explained.contains("地址含“金贸街道”→ 龙华区金贸街道"), "{explained}");
        assert!(explained.contains("判定：龙华区金贸街道玉沙社区居民委员会"), "{explained}");
    }

    #[test]
    fn island_name_gives_the_district_and_road_names_are_not_streets() {
        let g = haikou();
        let m = g.resolve("海口市美兰区海甸岛人民大道");
        // 人民 is both an everyday word and the stem of 人民街道; 人民大道 is a road that the island's
        // streets share, so no street is claimed.
        assert_eq!(codes(&m), (Some("460108"), None, None));
        assert_eq!(m.city.as_ref().map(|c| c.name.as_str()), Some("海口市"));
        assert!(m.evidence.iter().any(|e| e.alias == "海甸岛" && e.code == "460108"));
        assert!(m.overruled.is_empty() && m.ambiguous.is_empty());
        // Without the island alias, 海甸 is the short form of 海甸街道.
        assert_eq!(codes(&g.resolve("海甸街道")).1, Some("460108004"));
        assert_eq!(codes(&g.resolve("海甸这边")).1, Some("460108004"));
        // …but not in a road name.
        assert_eq!(codes(&g.resolve("海甸五西路")).1, None);
    }

    #[test]
    fn old_town_name_fills_its_district() {
        let g = haikou();
        let m = g.resolve("琼山区府城");
        assert_eq!(codes(&m), (Some("460107"), Some("460107002"), None), "府城 is the street, not its 府城社区");
        assert_eq!(m.evidence.len(), 2);
        let alone = g.resolve("府城");
        assert_eq!(codes(&alone), (Some("460107"), Some("460107002"), None));
        assert!(alone.confidence < m.confidence, "the district agreeing raises confidence");
    }

    #[test]
    fn district_only() {
        let m = haikou().resolve("海口市龙华区");
        assert_eq!(codes(&m), (Some("460106"), None, None));
        assert!((0.75..0.9).contains(&m.confidence), "{}", m.confidence);
        assert_eq!(m.explain_zh(), "地址含“海口市”→ 海口市；地址含“龙华区”→ 龙华区。判定：龙华区（置信度 0.85）");
    }

    #[test]
    fn no_place_at_all() {
        let m = haikou().resolve("楼上装修噪音太大，晚上十点还在施工，希望尽快处理。");
        assert_eq!(codes(&m), (None, None, None));
        assert_eq!(m.confidence, 0.0);
        assert!(m.evidence.is_empty() && m.ambiguous.is_empty());
        assert_eq!(m.explain_zh(), "未识别到地点");
        assert_eq!(haikou().resolve("").confidence, 0.0);
    }

    #[test]
    fn wrong_combination_keeps_the_specific_name_and_flags_the_district() {
        let m = haikou().resolve("美兰区金贸街道");
        assert_eq!(codes(&m), (Some("460106"), Some("460106003"), None));
        assert_eq!(m.overruled.len(), 1);
        assert_eq!(m.overruled[0].alias, "美兰区");
        assert_eq!(m.overruled[0].code, "460108");
        assert!(m.confidence <= CONFLICT_CONFIDENCE_CAP);
        assert!(m.explain_zh().contains("“美兰区”（美兰区）与其他线索不一致，未采用"), "{}", m.explain_zh());
    }

    #[test]
    fn citizen_sentence() {
        let m = haikou().resolve("我家住在府城红城湖路附近，路灯不亮");
        assert_eq!(codes(&m), (Some("460107"), Some("460107002"), None));
        assert_eq!(m.evidence.len(), 1);
        assert_eq!((m.evidence[0].start, m.evidence[0].end), (4, 6));
        assert!(m.overruled.is_empty() && m.ambiguous.is_empty());
        assert!(m.confidence > 0.6 && m.confidence < 0.9, "{}", m.confidence);
    }

    #[test]
    fn ambiguous_short_name_is_reported_not_guessed() {
        let g = haikou();
        // 海秀 is the short form of both 海秀街道 and 海秀镇 (秀英区), and the stem of 海秀社区 (龙华区).
        let m = g.resolve("海秀附近");
        assert_eq!(codes(&m), (Some("460105"), None, None), "both streets are in 秀英区, so the district is certain");
        assert_eq!(m.ambiguous.len(), 1);
        let names: Vec<&str> = m.ambiguous[0].candidates.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["秀英区海秀街道", "秀英区海秀镇"]);
        assert!(m.explain_zh().contains("“海秀”可指秀英区海秀街道、秀英区海秀镇，无法确定"), "{}", m.explain_zh());
        assert!(m.confidence < 0.5, "{}", m.confidence);
        // A matched ancestor disambiguates.
        let m = g.resolve("龙华区海秀");
        assert_eq!(codes(&m), (Some("460106"), Some("460106005"), Some("460106005003")));
        assert!(m.ambiguous.is_empty());
        // The community rests on a bare stem: the district in full does not make it certain.
        assert!(m.confidence <= 0.5, "{}", m.confidence);
    }

    #[test]
    fn ambiguity_without_a_common_district_leaves_everything_open() {
        let mut g = haikou();
        g.add_alias("测试名", "460105001").unwrap();
        g.add_alias("测试名", "460108001").unwrap();
        let m = g.resolve("测试名");
        assert_eq!(codes(&m), (None, None, None));
        assert_eq!(m.city.as_ref().map(|c| c.code.as_str()), Some("4601"));
        assert_eq!(m.ambiguous.len(), 1);
        assert_eq!(m.ambiguous[0].candidates.len(), 2);
        let m = g.resolve("美兰区测试名");
        assert_eq!(codes(&m).1, Some("460108001"));
    }

    #[test]
    fn caller_aliases_and_builtins() {
        let mut g = haikou();
        assert_eq!(codes(&g.resolve("国贸大道旁的万达")).0, None);
        g.add_alias("万达广场", "460106003").unwrap();
        assert_eq!(codes(&g.resolve("万达广场门口")).1, Some("460106003"));
        assert_eq!(g.add_alias("  ", "460106").unwrap_err().code(), "bad_alias");
        assert_eq!(g.add_alias("某地", "999").unwrap_err().code(), "unknown_division");
        assert_eq!(codes(&g.resolve("桂林洋那边")).1, Some("460108400"));
        assert_eq!(codes(&g.resolve("海口桂林洋经济开发区(农场)")).1, Some("460108400"));
        assert_eq!(codes(&g.resolve("美兰机场出口")), (Some("460108"), None, None));
        assert!(g.aliases_of("460106003").contains(&"金贸"));
        assert!(g.aliases_of("460106003").contains(&"万达广场"));
    }

    #[test]
    fn generated_aliases() {
        let g = haikou();
        assert_eq!(g.aliases_of("460106003010"), ["玉沙", "玉沙社区", "玉沙社区居民委员会"]);
        assert_eq!(g.aliases_of("460105001200"), ["向荣", "向荣村", "向荣村委会"]);
        assert_eq!(g.aliases_of("460108005"), ["人民街道"], "人民 is an everyday word");
        assert!(g.aliases_of("460108400").contains(&"桂林洋经济开发区"));
        assert_eq!(g.aliases_of("460107105501"), ["东昌居", "东昌居生活区", "大坡镇东昌居", "大坡镇东昌居生活区"]);
        // Dropping an ancestor's name must leave a distinctive stem: not 南社区 (龙华南社区), not 新村社区
        // (滨海新村社区), which would match half the addresses in town.
        assert!(!g.aliases_of("460106003001").iter().any(|a| a.starts_with('南')), "{:?}", g.aliases_of("460106003001"));
        assert_eq!(g.aliases_of("460106002002"), ["滨海新村", "滨海新村社区", "滨海新村社区居民委员会"]);
        // 文明社区 is kept but weak: "创建文明社区" must not route a case on its own.
        let m = g.resolve("创建文明社区活动");
        assert_eq!(codes(&m).2, Some("460108007001"));
        assert!(m.confidence < 0.5, "{}", m.confidence);
        assert_eq!(g.path_name("460106003"), Some("龙华区金贸街道"));
        assert_eq!(g.path_name("4601"), Some("海口市"));
        assert_eq!(g.division("460106").map(|d| d.kind), Some(DivisionKind::District));
        assert_eq!(g.divisions().len(), 518);
    }

    #[test]
    fn bare_district_short_form_beats_a_village_stem_elsewhere() {
        // 秀英 is 秀英区's short form and also the stem of 秀英村社区 in 龙华区.
        let g = haikou();
        assert_eq!(codes(&g.resolve("秀英那边")), (Some("460105"), None, None));
        assert_eq!(codes(&g.resolve("龙华区秀英村")).2, Some("460106005012"));
    }

    #[test]
    fn bad_tables_are_refused() {
        let err = |csv: &str| Gazetteer::from_csv(csv).unwrap_err().code();
        assert_eq!(err(""), "bad_divisions");
        assert_eq!(err("code,name,kind\n1,甲,city\n"), "bad_divisions");
        assert_eq!(err("code,name,kind,parent_code\n1,甲,planet,\n"), "bad_divisions");
        assert_eq!(err("code,name,kind,parent_code\n1,甲,city,\n1,乙,district,1\n"), "bad_divisions");
        assert_eq!(err("code,name,kind,parent_code\n1,甲,city,\n2,乙,district,9\n"), "bad_divisions");
        assert_eq!(err("code,name,kind,parent_code\n1,甲,district,\n2,乙,city,1\n"), "bad_divisions");
        let ok = Gazetteer::from_csv("\u{feff}name,code,parent_code,kind\r\n\"甲市\",1,,city\r\n\"乙区, 新\",2,1,district\r\n").unwrap();
        assert_eq!(ok.division("2").map(|d| d.name.as_str()), Some("乙区, 新"));
    }

    #[test]
    fn resolve_from_divisions_built_in_code() {
        let g = Gazetteer::new(vec![
            Division { code: "1".into(), name: "甲市".into(), kind: DivisionKind::City, parent_code: None },
            Division { code: "11".into(), name: "乙区".into(), kind: DivisionKind::District, parent_code: Some("1".into()) },
            Division { code: "111".into(), name: "丙街道".into(), kind: DivisionKind::Street, parent_code: Some("11".into()) },
        ])
        .unwrap();
        let m = g.resolve("丙街道");
        assert_eq!(codes(&m), (Some("11"), Some("111"), None));
        assert_eq!(m.evidence[0].name, "乙区丙街道");
    }

    #[test]
    fn long_text_resolves_in_microseconds() {
        // Not a benchmark (see examples/resolve_bench.rs); a guard against accidental quadratic work.
        let g = haikou();
        let text =
            "市民来电反映：我家住在龙华区金贸街道玉沙社区附近，楼下的餐馆每天晚上营业到凌晨两点，油烟和噪音非常大，多次与店家沟通无果。"
                .repeat(3);
        let start = std::time::Instant::now();
        for _ in 0..200 {
            assert!(g.resolve(&text).community.is_some());
        }
        let per_call = start.elapsed() / 200;
        assert!(per_call < std::time::Duration::from_millis(2), "{per_call:?} per resolve (debug build)");
    }
}
