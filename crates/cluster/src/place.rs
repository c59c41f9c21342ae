//! Place phrases (地点短语) in the text of a report, and whether two reports are about one place.
//!
//! Citizens name places the way they speak: "A3区联丰路米兰春天G2栋", "丽发新城小区附近",
//! "春华镇金鼎村七里组". This module only spots such phrases; resolving them to divisions is the
//! place crate's job. The extractor is a left-to-right scan over runs of Han characters and
//! letters/digits: a phrase ends at a place suffix (路, 小区, 村, 中学, 市场 …), its name is what
//! precedes the suffix back to the previous phrase, a stop character (的, 在 …) or a leading verb
//! (投诉, 反映 …). Names that say nothing about where (我们小区, 水泥路, 城市道路) are dropped.
//! A phrase followed at once by a generic tail (米兰春天G2栋, 丽发新城小区) keeps the name as its
//! core, so "丽发新城社区" and "丽发新城小区" are the same place.

use std::sync::LazyLock;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

use crate::report::PlaceKey;

/// The level (地点层级) of a place phrase: how much of the map it pins down, from a whole city to one estate or school.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceLevel {
    /// 市: almost every message names the city; only a different city says anything.
    City,
    /// 区 / 县.
    District,
    /// 镇 / 乡 / 街道.
    Town,
    /// 路 / 街 / 大道 / 巷 / 桥: a road can be long, so agreement on it is weaker than on a site.
    Road,
    /// 社区 / 村.
    Community,
    /// An estate, school, hospital, market, park, station …
    Site,
}

impl PlaceLevel {
    /// Levels precise enough that two reports naming the same one are about one spot.
    pub fn is_specific(self) -> bool {
        matches!(self, PlaceLevel::Road | PlaceLevel::Community | PlaceLevel::Site)
    }
}

/// One place phrase (地点短语) found in a text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct PlacePhrase {
    /// As written, generic tail included: "丽发新城小区".
    pub text: String,
    /// What identifies the place: "丽发新城". Two phrases are one place when their cores are equal
    /// or one ends with the other ("万科魅力之城" / "魅力之城").
    pub core: String,
    pub level: PlaceLevel,
}

/// Suffixes, longest first at each position. `strip` marks generic tails that are not part of the
/// name ("麓谷明珠小区" is the place "麓谷明珠").
struct Suffix {
    text: &'static str,
    level: PlaceLevel,
    strip: bool,
    /// Characters that, right after the suffix, show it is part of another word (路灯, 市民, 城管).
    not_before: &'static str,
}

const fn sfx(text: &'static str, level: PlaceLevel, strip: bool, not_before: &'static str) -> Suffix {
    Suffix { text, level, strip, not_before }
}

use PlaceLevel::{City, Community, District, Road, Site, Town};

const SUFFIXES: &[Suffix] = &[
    sfx("农贸市场", Site, false, ""),
    sfx("工业园区", Site, false, ""),
    sfx("经济开发区", District, false, ""),
    sfx("居委会", Community, true, ""),
    sfx("村委会", Community, false, ""),
    sfx("菜市场", Site, false, ""),
    sfx("幼儿园", Site, false, ""),
    sfx("卫生院", Site, false, ""),
    sfx("停车场", Site, false, ""),
    sfx("工业园", Site, false, ""),
    sfx("产业园", Site, false, ""),
    sfx("科技园", Site, false, ""),
    sfx("开发区", District, false, ""),
    sfx("高新区", District, false, ""),
    sfx("地铁站", Site, false, ""),
    sfx("汽车站", Site, false, ""),
    sfx("火车站", Site, false, ""),
    sfx("公交站", Site, false, ""),
    sfx("搅拌站", Site, false, ""),
    sfx("垃圾站", Site, false, ""),
    sfx("养殖场", Site, false, ""),
    sfx("立交桥", Road, false, ""),
    sfx("步行街", Road, false, ""),
    sfx("小区", Site, true, ""),
    sfx("社区", Community, true, ""),
    sfx("片区", Site, true, ""),
    sfx("街道", Town, false, "口边上"),
    sfx("花园", Site, false, ""),
    sfx("家园", Site, false, ""),
    sfx("公寓", Site, false, ""),
    sfx("大厦", Site, false, ""),
    sfx("广场", Site, false, "舞"),
    sfx("新城", Site, false, "区"),
    sfx("新村", Site, false, ""),
    sfx("山庄", Site, false, ""),
    sfx("公馆", Site, false, ""),
    sfx("学校", Site, false, ""),
    sfx("中学", Site, false, "生"),
    sfx("小学", Site, false, "生"),
    sfx("大学", Site, false, "生"),
    sfx("学院", Site, false, ""),
    sfx("医院", Site, false, ""),
    sfx("市场", Site, false, "监管化主价"),
    sfx("公园", Site, false, ""),
    sfx("商场", Site, false, ""),
    sfx("景区", Site, false, ""),
    sfx("码头", Site, false, ""),
    sfx("车站", Site, false, ""),
    sfx("大道", Road, false, ""),
    sfx("大街", Road, false, ""),
    sfx("胡同", Road, false, ""),
    sfx("隧道", Road, false, ""),
    sfx("新区", District, false, ""),
    sfx("苑", Site, false, ""),
    sfx("园", Site, false, "区林艺丁长"),
    sfx("城", Site, false, "管市区乡中建际投墙镇"),
    sfx("厂", Site, false, "房区家商长"),
    sfx("站", Site, false, "长台点牌"),
    sfx("路", Road, false, "灯线费况由人过上途程径面政基网桥牌名"),
    sfx("街", Road, false, "坊头上"),
    sfx("巷", Road, false, "子"),
    sfx("桥", Road, false, "梁下面上"),
    sfx("村", Community, false, "民里委干组级庄道集"),
    sfx("镇", Town, false, "政长上里区"),
    sfx("乡", Town, false, "下村镇政长亲里"),
    sfx("区", District, false, "域别间分内外委政长划级"),
    sfx("县", District, false, "城委政长级里"),
];

/// Tails that turn the place just before them into a building or part of it; the place is kept,
/// the tail dropped ("米兰春天G2栋" → 米兰春天).
/// (期 is left out: "一期" follows verbs and nouns as often as estates.)
const BUILDING_TAILS: &[&str] = &["号楼", "栋", "幢", "单元"];

/// Characters a name cannot contain: particles, pronouns, prepositions, digits (an address number
/// such as "589号" comes before a name, not in it). The name starts after the last of them.
const STOP_CHARS: &str = "的在了是把被给向从到于对将让我你他她它们这那该个也都还就又很已但而且即因及与或等靠近旁边往去住位每各其此某有没系离距不要会能可应宜性0123456789";

/// Words that stand before a place name and are not part of it; as with [`STOP_CHARS`], the name
/// starts after the last one.
const STOP_WORDS: &[&str] = &[
    "关于",
    "投诉",
    "反映",
    "反应",
    "举报",
    "咨询",
    "建议",
    "请求",
    "要求",
    "希望",
    "请问",
    "询问",
    "解决",
    "处理",
    "整治",
    "治理",
    "建设",
    "修建",
    "新建",
    "兴建",
    "设立",
    "增设",
    "开通",
    "恢复",
    "取消",
    "严查",
    "查处",
    "加快",
    "推进",
    "坐落",
    "座落",
    "地处",
    "家住",
    "居住",
    "入住",
    "购买",
    "业主",
    "居民",
    "村民",
    "市民",
    "领导",
    "相关",
    "部门",
    "政府",
    "位置",
    "地址",
    "就是",
    "还有",
    "以及",
    "为何",
    "为什么",
    "怎么",
    "能否",
    "是否",
    "如何",
    "何时",
    "目前",
    "现在",
    "今年",
    "去年",
    "近期",
    "最近",
    "一直",
    "长期",
    "多年",
    "严重",
    "附近",
    "周边",
    "周围",
    "对面",
    "旁边",
    "门口",
    "部分",
    "许多",
    "很多",
    "一些",
    "所有",
    "整个",
    "作为",
    "包括",
    "根据",
    "通过",
    "导致",
    "影响",
    "出现",
    "存在",
    "进入",
    "经过",
    "穿过",
    "横跨",
    "必须",
    "可以",
    "不能",
    "没有",
    "已经",
    "正在",
    "开展",
    "调整",
    "占用",
    "破坏",
    "改变",
    "方面",
    "情况",
    "问题",
    "号线",
    "本人",
    "请",
    "问",
    "自",
    "由",
    "过",
    "沿",
    "至",
    "如果",
    "上述",
    "任何",
    "一条",
    "两条",
    "三条",
    "一个",
    "这条",
    "那条",
    "距离",
    "配套",
    "普惠",
    "城市",
    "后面",
    "前面",
    "里面",
    "外面",
    "类似",
    "排入",
    "办成",
    "执行",
    "一审",
    "判决",
    "大量",
    "增建",
    "安全",
    "出行",
    "取得",
    "考生",
    "划分",
    "入读",
    "子女",
    "确保",
    "代表",
    "实际",
    "引起",
    "保障",
    "维护",
    "提高",
    "保证",
    "宣传",
    "管理",
    "经营",
    "成立",
    "进行",
    "全体",
    "广大",
    "原来",
    "本来",
    "整体",
    "周边的",
    "包含",
    "相邻",
    "毗邻",
    "紧邻",
    "隔壁",
    "比如",
    "例如",
    "尤其",
    "特别",
    "同时",
    "并且",
    "而且",
    "但是",
    "所以",
    "因此",
    "然而",
    "其中",
];

/// Names that are not a place on their own.
const GENERIC_NAMES: &[&str] = &[
    "小区",
    "社区",
    "我们",
    "我家",
    "本",
    "该",
    "这个",
    "那个",
    "这里",
    "那里",
    "整个",
    "所在",
    "所有",
    "各个",
    "一个",
    "这些",
    "其他",
    "部分",
    "城市",
    "农村",
    "乡村",
    "城乡",
    "老",
    "新",
    "市政",
    "主干",
    "交通",
    "水泥",
    "柏油",
    "沥青",
    "马",
    "道",
    "公",
    "进",
    "出",
    "上",
    "下",
    "门口",
    "路口",
    "人行",
    "公交",
    "地铁",
    "高速",
    "城区",
    "老城",
    "郊",
    "辖",
    "开发",
    "高新",
    "片",
    "景",
    "园",
    "乡下",
    "县城",
    "省城",
    "全市",
    "全县",
    "全区",
    "本市",
    "本区",
    "本县",
    "外地",
    "各",
    "全",
    "大",
    "小",
    "民办",
    "公办",
    "私立",
    "公立",
    "重点",
    "普通",
    "附属",
    "周边",
    "附近",
    "周围",
    "旁边",
    "对面",
    "当地",
    "本地",
    "居民",
    "业主",
    "商品",
    "安置",
    "物业",
    "施工",
    "建筑",
    "工地",
    "停车",
    "垃圾",
    "电梯",
    "幼儿",
    "学",
    "中",
    "医",
    "卫生",
    "农贸",
    "菜",
    "集贸",
    "批发",
    "出行",
    "道路",
    "主",
    "辅",
    "小路",
    "大路",
    "铁",
    "公路",
    "马路",
    "网",
    "线",
    "思",
    "出路",
    "一路",
    "沿路",
    "半路",
    "回家",
    "上班",
    "上学",
    "配套",
    "普惠",
    "人民",
    "地",
    "山",
    "禁",
    "校",
    "宅",
    "密集",
    "外围",
    "内",
    "主要",
    "培训",
    "私人",
    "农民",
    "职工",
    "员工",
    "家属",
    "教师",
    "学生",
    "搅拌",
    "中小",
    "中小学",
    "大中",
    "高中",
    "初中",
    "住宅",
    "商业",
    "门面",
    "临街",
    "沿街",
    "背街",
    "次干",
    "支",
    "断头",
    "乡间",
    "村级",
    "组级",
    "县级",
    "市级",
    "中心",
    "第一人民",
    "人民",
    "实验",
    "职业技术",
    "综合",
    "专科",
    "乡镇",
    "两所",
    "教师进修",
    "新人民",
    "地下",
    "公共",
    "中心城",
    "美丽",
    "城东",
    "城西",
    "城南",
    "城北",
    "老旧",
    "封闭式",
    "开放性",
    "高档",
    "中高档",
    "城镇",
    "乡镇",
];

/// Common words that end like a place ("现道路", "公交首末站"): a phrase ending with one is not a name.
const GENERIC_ENDINGS: &[&str] = &[
    "道路",
    "马路",
    "公路",
    "铁路",
    "线路",
    "出路",
    "小路",
    "大路",
    "支路",
    "网路",
    "电路",
    "思路",
    "套路",
    "门路",
    "水路",
    "十字路",
    "交叉路",
    "无路",
    "泥巴路",
    "水泥路",
    "条路",
    "段路",
    "修路",
    "跑路",
    "灯路",
    "堵路",
    "快速路",
    "大街小巷",
    "天桥",
    "高架桥",
    "石拱桥",
    "座桥",
    "之桥",
    "乡村",
    "农村",
    "山村",
    "贫困村",
    "示范村",
    "城乡",
    "首末站",
    "停靠站",
    "终点站",
    "起点站",
    "中转站",
    "转运站",
    "收集站",
    "变电站",
    "加油站",
    "充电站",
    "停车场",
    "来水厂",
    "房地产市场",
    "二手房市场",
    "人才市场",
    "劳务市场",
];

static SUFFIX_INDEX: LazyLock<FxHashMap<char, Vec<&'static Suffix>>> = LazyLock::new(|| {
    let mut index: FxHashMap<char, Vec<&'static Suffix>> = FxHashMap::default();
    for s in SUFFIXES {
        if let Some(first) = s.text.chars().next() {
            index.entry(first).or_default().push(s);
        }
    }
    for list in index.values_mut() {
        list.sort_by_key(|s| std::cmp::Reverse(s.text.chars().count()));
    }
    index
});

static STOP_CHAR_SET: LazyLock<FxHashSet<char>> = LazyLock::new(|| STOP_CHARS.chars().collect());

/// Stop words by their last character, to test at each position from the end of a name.
static STOP_WORDS_BY_LAST: LazyLock<FxHashMap<char, Vec<Vec<char>>>> = LazyLock::new(|| {
    let mut index: FxHashMap<char, Vec<Vec<char>>> = FxHashMap::default();
    for w in STOP_WORDS {
        let chars: Vec<char> = w.chars().collect();
        if let Some(last) = chars.last() {
            index.entry(*last).or_default().push(chars);
        }
    }
    index
});

static GENERIC: LazyLock<FxHashSet<&'static str>> = LazyLock::new(|| GENERIC_NAMES.iter().copied().collect());

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c) || ('\u{3400}'..='\u{4dbf}').contains(&c)
}

fn is_name_char(c: char) -> bool {
    is_han(c) || c.is_ascii_alphanumeric() || c == '#'
}

/// Full-width ASCII to half-width, so "Ａ３区" and "A3区" read alike; case is kept (A3 is a code).
fn half_width(text: &str) -> Vec<char> {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

fn starts_with(chars: &[char], at: usize, word: &str) -> bool {
    (at..).zip(word.chars()).all(|(i, w)| chars.get(i) == Some(&w))
}

fn suffix_at(chars: &[char], at: usize, end: usize) -> Option<&'static Suffix> {
    SUFFIX_INDEX.get(&chars[at])?.iter().copied().find(|s| {
        let len = s.text.chars().count();
        at + len <= end && starts_with(chars, at, s.text) && chars.get(at + len).is_none_or(|next| !s.not_before.contains(*next))
    })
}

/// An anonymised division code such as "A3区", "K9县", "A市": one capital letter, up to two digits,
/// then 区/县/市. Returns the phrase length.
fn code_at(chars: &[char], at: usize, end: usize) -> Option<(usize, PlaceLevel)> {
    let first = *chars.get(at)?;
    if !first.is_ascii_uppercase() || (at > 0 && chars[at - 1].is_ascii_alphanumeric()) {
        return None;
    }
    let mut k = at + 1;
    while k < end && k - at <= 2 && chars[k].is_ascii_digit() {
        k += 1;
    }
    let level = match chars.get(k) {
        Some('区') => District,
        Some('县') => District,
        Some('市') => City,
        _ => return None,
    };
    (k < end).then_some((k + 1 - at, level))
}

/// The start of the name that ends at `end`: after the last stop character or stop word, and at
/// most `max_len` characters back.
fn name_start(chars: &[char], from: usize, end: usize, max_len: usize) -> usize {
    let floor = from.max(end.saturating_sub(max_len));
    for p in (floor..end).rev() {
        let c = chars[p];
        if STOP_CHAR_SET.contains(&c) {
            return p + 1;
        }
        if let Some(words) = STOP_WORDS_BY_LAST.get(&c)
            && words.iter().any(|w| p + 1 >= from + w.len() && chars[p + 1 - w.len()..=p] == w[..])
        {
            return p + 1;
        }
    }
    floor
}

fn valid_name(name: &[char], suffix: &str) -> bool {
    let han = name.iter().filter(|c| is_han(**c)).count();
    if han + name.len() < 3 || name.iter().all(|c| c.is_ascii_alphanumeric() || "一二三四五六七八九十百零第期号".contains(*c))
    {
        // One Han character ("马路") or only a number ("3号") is too little to be a name.
        return false;
    }
    let mut phrase: String = name.iter().collect();
    if GENERIC.contains(phrase.as_str()) {
        return false;
    }
    phrase.push_str(suffix);
    !GENERIC_ENDINGS.iter().any(|e| phrase.ends_with(e))
}

fn max_name_len(level: PlaceLevel) -> usize {
    match level {
        // Division names are short (龙华, 春华); anything longer picked up words before it.
        City | District => 3,
        Town | Community => 4,
        Road => 5,
        Site => 7,
    }
}

/// The place phrases of a text, in order of appearance, without repeats.
pub fn extract_places(text: &str) -> Vec<PlacePhrase> {
    let chars = half_width(text);
    let mut out: Vec<PlacePhrase> = Vec::new();
    // Where the previous phrase ended and which it was, to glue a generic tail to it.
    let mut last: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < chars.len() {
        if !is_name_char(chars[i]) {
            i += 1;
            continue;
        }
        let run_end = chars[i..].iter().position(|c| !is_name_char(*c)).map_or(chars.len(), |p| i + p);
        let mut seg = i;
        let mut j = i;
        while j < run_end {
            if let Some((len, level)) = code_at(&chars, j, run_end) {
                let text: String = chars[j..j + len].iter().collect();
                let at = push(&mut out, PlacePhrase { core: text.clone(), text, level });
                j += len;
                seg = j;
                last = Some((j, at));
                continue;
            }
            if let Some(tail) = BUILDING_TAILS.iter().find(|t| starts_with(&chars, j, t)) {
                // "米兰春天G2栋": the estate is the name before the building number.
                let mut k = j;
                while k > seg && (chars[k - 1].is_ascii_alphanumeric() || "#-号期一二三四五六七八九十".contains(chars[k - 1])) {
                    k -= 1;
                }
                let start = name_start(&chars, seg, k, max_name_len(Site));
                // Only with a number before the tail (G2栋, 三期): 长期, 延期 are not buildings.
                if k < j && k > start && valid_name(&chars[start..k], "") && last.is_none_or(|(end, _)| end != k) {
                    let core: String = chars[start..k].iter().collect();
                    push(&mut out, PlacePhrase { text: core.clone(), core, level: Site });
                }
                j += tail.chars().count();
                seg = j;
                continue;
            }
            if let Some(s) = suffix_at(&chars, j, run_end) {
                let len = s.text.chars().count();
                if let Some((end, at)) = last
                    && end == j
                    && (s.strip || matches!(s.level, Town | Community))
                {
                    // A generic tail right after a phrase: "丽发新城" + "小区", "城南路" + "街道".
                    let prev = &mut out[at];
                    if !prev.text.ends_with(s.text) {
                        prev.text.push_str(s.text);
                    }
                    // 小区 adds nothing; 街道 or 村 says what kind of place the name is.
                    if !s.strip {
                        prev.level = s.level;
                    }
                    j += len;
                    seg = j;
                    last = Some((j, at));
                    continue;
                }
                let start = name_start(&chars, seg, j, max_name_len(s.level));
                if j > start && valid_name(&chars[start..j], s.text) {
                    let name: String = chars[start..j].iter().collect();
                    let text = format!("{name}{}", s.text);
                    let core = if s.strip { name } else { text.clone() };
                    let at = push(&mut out, PlacePhrase { text, core, level: s.level });
                    j += len;
                    seg = j;
                    last = Some((j, at));
                    continue;
                }
                // Not a place, but the whole suffix is consumed: the 站 of a rejected 搅拌站 must not
                // end a phrase of its own.
                j += len;
                continue;
            }
            j += 1;
        }
        i = run_end;
        last = None;
    }
    out
}

/// Adds a phrase unless one with the same core is there; the index of the phrase either way.
fn push(out: &mut Vec<PlacePhrase>, phrase: PlacePhrase) -> usize {
    match out.iter().position(|p| p.core == phrase.core) {
        Some(at) => at,
        None => {
            out.push(phrase);
            out.len() - 1
        }
    }
}

/// Whether two cores name one place: equal, or the longer ends with the shorter and the shorter
/// is at least three characters ("万科魅力之城" / "魅力之城", "劳动东路" / "东路" is too short).
pub fn same_core(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    // Nine bytes are three Han characters: the common case needs no counting.
    (short.len() >= 9 || short.chars().count() >= 3) && long.ends_with(short)
}

/// How two reports' places relate (地点是否一致).
#[derive(Debug, Clone, PartialEq)]
pub enum PlaceAgreement {
    /// The same place, with a strength in (0, 1] and what was shared, for the reasons shown to staff.
    Same { strength: f64, what: String },
    /// Nothing to compare, or nothing that decides.
    Unknown,
    /// Clearly different places (different districts, points far apart).
    Different { what: String },
}

impl PlaceAgreement {
    pub fn strength(&self) -> f64 {
        match self {
            PlaceAgreement::Same { strength, .. } => *strength,
            _ => 0.0,
        }
    }
}

/// Strength of agreement per level of the most specific shared phrase.
fn level_strength(level: PlaceLevel) -> f64 {
    match level {
        Site | Community => 1.0,
        Road => 0.8,
        Town => 0.5,
        District => 0.25,
        City => 0.0,
    }
}

fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lon1, lat1) = (a.0.to_radians(), a.1.to_radians());
    let (lon2, lat2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().asin()
}

/// Compares structured places first (codes, points), then the phrases of the text. The strongest
/// agreement wins; a difference is reported only when nothing agrees.
pub fn agreement(a_key: Option<&PlaceKey>, a: &[PlacePhrase], b_key: Option<&PlaceKey>, b: &[PlacePhrase]) -> PlaceAgreement {
    let mut best = PlaceAgreement::Unknown;
    // The description is only built for an improvement: this runs for every candidate pair.
    let mut offer = |strength: f64, what: &dyn Fn() -> String| {
        if strength > best.strength() {
            best = PlaceAgreement::Same { strength, what: what() };
        }
    };
    let mut different: Option<String> = None;

    if let (Some(x), Some(y)) = (a_key, b_key) {
        let pair = |p: &Option<String>, q: &Option<String>| match (p, q) {
            (Some(p), Some(q)) if !p.is_empty() && !q.is_empty() => Some(p == q),
            _ => None,
        };
        if pair(&x.community, &y.community) == Some(true) {
            offer(1.0, &|| "同一社区".to_owned());
        }
        if pair(&x.street, &y.street) == Some(true) {
            offer(0.5, &|| "同一街道".to_owned());
        }
        match pair(&x.district, &y.district) {
            Some(true) => offer(0.25, &|| "同一区县".to_owned()),
            Some(false) => different = Some("所属区县不同".to_owned()),
            None => {}
        }
        if let (Some(p), Some(q)) = (x.point, y.point) {
            let d = distance_m(p, q);
            if d <= 300.0 {
                offer(1.0, &|| format!("相距 {d:.0} 米"));
            } else if d <= 1000.0 {
                offer(0.6, &|| format!("相距 {d:.0} 米"));
            } else if d > 5000.0 {
                different = Some(format!("相距 {:.1} 公里", d / 1000.0));
            }
        }
    }

    for p in a.iter().filter(|p| p.level >= Town) {
        for q in b.iter().filter(|q| q.level >= Town) {
            if same_core(&p.core, &q.core) {
                let level = p.level.min(q.level);
                offer(level_strength(level), &|| {
                    if p.text.chars().count() >= q.text.chars().count() { p.text.clone() } else { q.text.clone() }
                });
            }
        }
    }
    let da: Vec<&str> = a.iter().filter(|p| p.level == District).map(|p| p.core.as_str()).collect();
    let db: Vec<&str> = b.iter().filter(|p| p.level == District).map(|p| p.core.as_str()).collect();
    if !da.is_empty() && !db.is_empty() {
        if let Some(d) = da.iter().find(|d| db.contains(d)) {
            offer(level_strength(District), &|| (*d).to_owned());
        } else if different.is_none() {
            different = Some(format!("{} / {}", da.join("、"), db.join("、")));
        }
    }
    match (best, different) {
        (PlaceAgreement::Unknown, Some(what)) => PlaceAgreement::Different { what },
        (best, _) => best,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cores(text: &str) -> Vec<String> {
        extract_places(text).into_iter().map(|p| p.core).collect()
    }

    #[test]
    fn finds_the_chain_of_a_written_address() {
        let p = extract_places("座落在A市A3区联丰路米兰春天G2栋320，一家影楼");
        let got: Vec<(&str, PlaceLevel)> = p.iter().map(|p| (p.core.as_str(), p.level)).collect();
        assert_eq!(got, vec![("A市", City), ("A3区", District), ("联丰路", Road), ("米兰春天", Site)]);
    }

    #[test]
    fn generic_tails_keep_the_name_as_core() {
        let a = extract_places("投诉A2区丽发新城附近建搅拌站噪音扰民");
        let b = extract_places("丽发新城小区附近的搅拌站噪音严重扰民");
        assert!(a.iter().any(|p| p.core == "丽发新城"), "{a:?}");
        let lifa = b.iter().find(|p| p.core == "丽发新城").unwrap();
        assert_eq!(lifa.text, "丽发新城小区");
        assert!(matches!(agreement(None, &a, None, &b), PlaceAgreement::Same { strength, .. } if strength == 1.0));
    }

    #[test]
    fn leading_verbs_and_particles_are_not_names() {
        assert!(cores("反映A7县春华镇金鼎村水泥路的问题").iter().any(|c| c == "金鼎村"));
        assert!(!cores("反映A7县春华镇金鼎村水泥路的问题").iter().any(|c| c.contains("水泥")));
        assert!(cores("我们小区门口的路灯不亮").is_empty(), "{:?}", cores("我们小区门口的路灯不亮"));
        assert_eq!(cores("家住中海国际社区三期"), vec!["中海国际"]);
        assert!(cores("城管执法不力，市民不满").is_empty(), "{:?}", cores("城管执法不力，市民不满"));
    }

    #[test]
    fn containment_and_districts_decide_agreement() {
        assert!(same_core("万科魅力之城", "魅力之城"));
        assert!(!same_core("劳动东路", "东路"));
        let a = extract_places("A5区劳动东路魅力之城小区油烟扰民");
        let b = extract_places("A市万科魅力之城商铺无排烟管道");
        assert_eq!(agreement(None, &a, None, &b).strength(), 1.0);
        let c = extract_places("A2区某某事");
        let d = extract_places("A5区某某事");
        assert!(matches!(agreement(None, &c, None, &d), PlaceAgreement::Different { .. }));
        assert_eq!(agreement(None, &c, None, &c).strength(), 0.25);
    }

    #[test]
    fn structured_places_count_too() {
        let near = PlaceKey { point: Some((110.3300, 20.0300)), ..PlaceKey::default() };
        let close = PlaceKey { point: Some((110.3310, 20.0305)), ..PlaceKey::default() };
        let far = PlaceKey { point: Some((110.50, 20.03)), ..PlaceKey::default() };
        assert_eq!(agreement(Some(&near), &[], Some(&close), &[]).strength(), 1.0);
        assert!(matches!(agreement(Some(&near), &[], Some(&far), &[]), PlaceAgreement::Different { .. }));
        let c1 = PlaceKey { community: Some("460106001001".into()), ..PlaceKey::default() };
        assert_eq!(agreement(Some(&c1), &[], Some(&c1.clone()), &[]).strength(), 1.0);
        assert_eq!(agreement(Some(&c1), &[], None, &[]), PlaceAgreement::Unknown);
    }
}
