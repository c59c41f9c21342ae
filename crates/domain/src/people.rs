//! People, not only units: mediators, legal aid and experts (调解员、法律援助、专家) a case can be
//! assigned to by name.

use serde::{Deserialize, Serialize};

use crate::{DomainError, DomainResult, Millis};

/// What a registered person does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PersonKind {
    /// 人民调解员
    Mediator,
    /// 法律援助（律师、法律工作者）
    LegalAid,
    /// 专家
    Expert,
    /// 司法所工作人员
    JudicialOfficer,
}

impl PersonKind {
    pub const ALL: [PersonKind; 4] = [PersonKind::Mediator, PersonKind::LegalAid, PersonKind::Expert, PersonKind::JudicialOfficer];

    pub fn as_str(self) -> &'static str {
        match self {
            PersonKind::Mediator => "mediator",
            PersonKind::LegalAid => "legal_aid",
            PersonKind::Expert => "expert",
            PersonKind::JudicialOfficer => "judicial_officer",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            PersonKind::Mediator => "调解员",
            PersonKind::LegalAid => "法律援助",
            PersonKind::Expert => "专家",
            PersonKind::JudicialOfficer => "司法所",
        }
    }

    pub fn parse(s: &str) -> Option<PersonKind> {
        PersonKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A person as a case's history names them (the registry may change later; the event keeps
/// what was true when the case was assigned).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonRef {
    pub id: i64,
    pub name: String,
    pub kind: PersonKind,
    /// The organisation they belong to (e.g. 龙华区金贸街道人民调解委员会).
    pub organisation: String,
}

impl PersonKind {
    /// Accepts the code (`mediator`) or the Chinese label (`调解员`), as registry files write it.
    pub fn parse_any(s: &str) -> Option<PersonKind> {
        let s = s.trim();
        PersonKind::parse(s).or_else(|| PersonKind::ALL.into_iter().find(|k| k.label_zh() == s))
    }
}

/// The most one person may have: beyond this a registry entry is surely a typo.
pub const MAX_CAPACITY: u32 = 500;
const MAX_TAGS: usize = 20;
const MAX_TAG_CHARS: usize = 30;
const MAX_AREAS: usize = 50;

/// A person of the registry (人员库) as entered, before it has an id. [`PersonDraft::parse`] is the
/// only way to a valid one: trimmed, deduplicated, within limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonDraft {
    pub name: String,
    pub kind: PersonKind,
    pub organisation: String,
    pub phone: Option<String>,
    /// 专长: catalogue codes (`15.03`, a whole subcategory) and free tags (婚姻家庭, 劳动争议…).
    pub specialties: Vec<String>,
    /// 服务区域: materialised paths of the districts, streets or communities served (`/1/4/`);
    /// empty means the whole city.
    pub areas: Vec<String>,
    /// How many open cases the person can carry at once.
    pub capacity: u32,
    pub active: bool,
    pub note: Option<String>,
}

fn check_line(field: &str, value: &str, max: usize) -> DomainResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::invalid(field, "不能为空", "must not be empty"));
    }
    let n = v.chars().count();
    if n > max {
        return Err(DomainError::invalid(
            field,
            format!("过长（{n} 字，最多 {max} 字）"),
            format!("too long ({n} characters, at most {max})"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(DomainError::invalid(field, "含有控制字符", "contains control characters"));
    }
    Ok(v.to_string())
}

/// Whether `path` is a materialised unit path like `/1/4/17/`.
pub fn is_unit_path(path: &str) -> bool {
    path.len() >= 3
        && path.starts_with('/')
        && path.ends_with('/')
        && path[1..path.len() - 1].split('/').all(|id| !id.is_empty() && id.len() <= 18 && id.bytes().all(|b| b.is_ascii_digit()))
}

impl PersonDraft {
    /// Checks and normalises a draft: names and tags trimmed, duplicates dropped, the phone
    /// parsed, areas well-formed, capacity 1–500.
    pub fn parse(self) -> DomainResult<PersonDraft> {
        let name = check_line("name", &self.name, 50)?;
        let organisation = check_line("organisation", &self.organisation, 100)?;
        let phone = match self.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => Some(crate::value::PhoneNumber::parse(p)?.as_str().to_string()),
            None => None,
        };
        let mut specialties: Vec<String> = Vec::new();
        for s in &self.specialties {
            let s = check_line("specialties", s, MAX_TAG_CHARS)?;
            if !specialties.contains(&s) {
                specialties.push(s);
            }
        }
        if specialties.len() > MAX_TAGS {
            return Err(DomainError::invalid("specialties", format!("最多 {MAX_TAGS} 项专长"), format!("at most {MAX_TAGS} specialties")));
        }
        let mut areas: Vec<String> = Vec::new();
        for a in &self.areas {
            let a = a.trim();
            if !is_unit_path(a) {
                return Err(DomainError::invalid(
                    "areas",
                    format!("服务区域应为单位路径（如 /1/4/）：{a}"),
                    format!("an area is a unit path like /1/4/: {a}"),
                ));
            }
            if !areas.iter().any(|x| x == a) {
                areas.push(a.to_string());
            }
        }
        if areas.len() > MAX_AREAS {
            return Err(DomainError::invalid("areas", format!("最多 {MAX_AREAS} 个服务区域"), format!("at most {MAX_AREAS} areas")));
        }
        if !(1..=MAX_CAPACITY).contains(&self.capacity) {
            return Err(DomainError::invalid(
                "capacity",
                format!("可承办量应在 1–{MAX_CAPACITY} 之间"),
                format!("capacity must be 1–{MAX_CAPACITY}"),
            ));
        }
        let note = match self.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) if n.chars().count() > 500 => {
                return Err(DomainError::invalid("note", "备注最多 500 字", "note is at most 500 characters"));
            }
            Some(n) => Some(n.to_string()),
            None => None,
        };
        Ok(PersonDraft { name, organisation, phone, specialties, areas, note, ..self })
    }
}

/// A person of the registry: a mediator (人民调解员), legal aid (法律援助), an expert (专家) or a
/// judicial office's officer, with what they are good at, where they serve and how much they can carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub kind: PersonKind,
    pub organisation: String,
    pub phone: Option<String>,
    pub specialties: Vec<String>,
    pub areas: Vec<String>,
    pub capacity: u32,
    pub active: bool,
    pub note: Option<String>,
    pub updated_at: Millis,
}

impl Person {
    pub fn from_draft(id: i64, d: PersonDraft, updated_at: Millis) -> Person {
        Person {
            id,
            name: d.name,
            kind: d.kind,
            organisation: d.organisation,
            phone: d.phone,
            specialties: d.specialties,
            areas: d.areas,
            capacity: d.capacity,
            active: d.active,
            note: d.note,
            updated_at,
        }
    }

    /// The person as a case's history names them.
    pub fn as_ref(&self) -> PersonRef {
        PersonRef { id: self.id, name: self.name.clone(), kind: self.kind, organisation: self.organisation.clone() }
    }

    pub fn draft(&self) -> PersonDraft {
        PersonDraft {
            name: self.name.clone(),
            kind: self.kind,
            organisation: self.organisation.clone(),
            phone: self.phone.clone(),
            specialties: self.specialties.clone(),
            areas: self.areas.clone(),
            capacity: self.capacity,
            active: self.active,
            note: self.note.clone(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Matching: which person suits a case
// ---------------------------------------------------------------------------------------------

/// What kind of help a case needs, read from its type, category and words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// 纠纷: two parties disagree; a mediator settles it.
    Dispute,
    /// 法律问题: rights, contracts, suits; legal aid answers.
    Legal,
    /// 专业技术问题: a matter that takes an expert's judgement (鉴定, 检测, 房屋安全…).
    Specialist,
}

impl Need {
    pub fn label_zh(self) -> &'static str {
        match self {
            Need::Dispute => "矛盾纠纷",
            Need::Legal => "法律问题",
            Need::Specialist => "专业技术问题",
        }
    }

    /// How well a kind of person fits this need, 0–1: 纠纷 → mediators first, legal questions →
    /// legal aid, specialist matters → experts; judicial officers are the second choice for the
    /// first two (a 司法所 both mediates and advises).
    pub fn fit(self, kind: PersonKind) -> f64 {
        use PersonKind::*;
        match (self, kind) {
            (Need::Dispute, Mediator) | (Need::Legal, LegalAid) | (Need::Specialist, Expert) => 1.0,
            (Need::Dispute, JudicialOfficer) | (Need::Legal, JudicialOfficer) => 0.7,
            (Need::Dispute, LegalAid) | (Need::Legal, Mediator) => 0.4,
            (Need::Specialist, _) | (_, Expert) => 0.1,
        }
    }
}

const DISPUTE_WORDS: &[&str] =
    &["纠纷", "矛盾", "争执", "争吵", "吵架", "调解", "邻里", "邻居", "打架", "争议", "协商不成", "互不相让", "扯皮"];
const LEGAL_WORDS: &[&str] = &[
    "法律",
    "律师",
    "起诉",
    "诉讼",
    "仲裁",
    "法院",
    "判决",
    "合同",
    "违约",
    "赔偿",
    "维权",
    "法律援助",
    "侵权",
    "继承",
    "遗嘱",
    "离婚",
    "追讨",
    "讨薪",
];
const SPECIALIST_WORDS: &[&str] =
    &["鉴定", "检测", "评估", "专家", "技术", "房屋安全", "结构", "裂缝", "医疗事故", "危房", "质量问题", "噪声检测", "环境监测"];

/// Free tags of the registry and the words of citizens that signal them.
const TAG_WORDS: &[(&str, &[&str])] = &[
    ("婚姻家庭", &["婚姻", "离婚", "夫妻", "抚养", "赡养", "家暴", "家庭暴力", "继承", "彩礼", "子女"]),
    ("邻里纠纷", &["邻居", "邻里", "楼上", "楼下", "漏水", "占道", "噪音", "堆放", "采光", "通道"]),
    ("劳动争议", &["工资", "欠薪", "拖欠", "劳动合同", "辞退", "工伤", "加班", "社保", "讨薪", "农民工"]),
    ("物业纠纷", &["物业", "物业费", "业委会", "业主委员会", "停车费", "电梯", "公共维修"]),
    ("土地纠纷", &["土地", "宅基地", "征地", "承包", "林地", "地界", "确权", "拆迁"]),
    ("医疗纠纷", &["医院", "医疗", "医生", "手术", "误诊", "医疗事故", "护士"]),
    ("消费维权", &["退款", "退货", "商家", "消费", "购买", "预付卡", "充值", "售后", "假冒"]),
    ("交通事故", &["交通事故", "车祸", "追尾", "剐蹭", "肇事"]),
    ("房屋租赁", &["租房", "房东", "租客", "押金", "租金", "中介"]),
    ("建筑质量", &["裂缝", "渗水", "房屋质量", "墙体", "结构", "危房", "开裂"]),
    ("环境污染", &["污染", "排放", "臭味", "废气", "污水", "噪声检测"]),
];

/// The words that signal a free tag (the tag itself first).
pub fn tag_words(tag: &str) -> Vec<&str> {
    let mut out = vec![tag];
    if let Some((_, words)) = TAG_WORDS.iter().find(|(t, _)| *t == tag) {
        out.extend_from_slice(words);
    }
    out
}

/// The free tags the registry knows words for (for forms and the demo data).
pub fn known_tags() -> Vec<&'static str> {
    TAG_WORDS.iter().map(|(t, _)| *t).collect()
}

/// A case as the matcher sees it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CaseNeeds {
    /// The catalogue item's code and the codes above it, root first (`15`, `15.03`, `15.03.002`).
    pub category_codes: Vec<String>,
    /// Their names, root first (`政法`, `仲裁与调解`, `人民调解`).
    pub category_names: Vec<String>,
    pub case_type: Option<crate::case::CaseType>,
    /// Title and text.
    pub text: String,
    /// The units from the city down to the place of the case (city, district, street, community),
    /// as far as the place is known.
    pub place: Vec<crate::org::UnitRef>,
}

impl CaseNeeds {
    /// What the case needs, if it is a matter for people at all: category names weigh like
    /// words of the text; the first kind whose words occur wins in the order 纠纷, 法律, 专业.
    pub fn need(&self) -> Option<Need> {
        let hay = format!("{} {}", self.category_names.join(" "), self.text);
        let hit = |words: &[&str]| words.iter().any(|w| hay.contains(w));
        if hit(DISPUTE_WORDS) || self.category_names.iter().any(|n| n.contains("调解") || n.contains("纠纷")) {
            Some(Need::Dispute)
        } else if hit(LEGAL_WORDS) || self.category_names.iter().any(|n| n.contains("法律") || n.contains("诉讼")) {
            Some(Need::Legal)
        } else if hit(SPECIALIST_WORDS) {
            Some(Need::Specialist)
        } else {
            None
        }
    }
}

/// A proposed person with the score and the reasons behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonMatch {
    pub person: PersonRef,
    /// 0–1; only comparable within one proposal list.
    pub score: f64,
    pub reasons: Vec<String>,
    /// Open cases now, and how many the person can carry.
    pub load: u32,
    pub capacity: u32,
    pub phone: Option<String>,
}

// The weights make each criterion outweigh all the later ones together when it fully applies:
// specialty (0.52) > area (0.26) > spare capacity (0.13) > kind fit (0.09).
const W_SPECIALTY: f64 = 0.52;
const W_AREA: f64 = 0.26;
const W_SPARE: f64 = 0.13;
const W_KIND: f64 = 0.09;

/// How well one specialty fits the case, with the reason.
fn specialty_fit(spec: &str, case: &CaseNeeds) -> Option<(f64, String)> {
    // A catalogue code: the item itself beats its subcategory, which beats its category.
    if let Some(depth) = case.category_codes.iter().position(|c| c == spec) {
        let levels = case.category_codes.len();
        let score = 1.0 - 0.1 * (levels - 1 - depth) as f64;
        let name = case.category_names.get(depth).map(String::as_str).unwrap_or(spec);
        return Some((score, format!("专长与事项分类“{name}”一致")));
    }
    if case.category_names.iter().any(|n| n == spec || (spec.chars().count() >= 2 && n.contains(spec))) {
        return Some((0.85, format!("专长“{spec}”与事项分类相符")));
    }
    let word = tag_words(spec).into_iter().find(|w| case.text.contains(w))?;
    Some((0.7, if word == spec { format!("诉求涉及“{spec}”") } else { format!("诉求提到“{word}”，属{spec}") }))
}

/// How close the person's areas are to the place: community 1.0, street 0.8, district 0.6,
/// city-wide 0.3; a person serving only elsewhere scores 0.
fn area_fit(person: &Person, case: &CaseNeeds) -> Option<(f64, String)> {
    use crate::org::UnitKind;
    if person.areas.is_empty() {
        return Some((0.3, "服务全市".into()));
    }
    // The deepest unit of the place's chain the person serves.
    let served = case.place.iter().rev().find(|u| person.areas.iter().any(|a| a == &u.path))?;
    let (score, level) = match served.kind {
        UnitKind::Community => (1.0, "本社区"),
        UnitKind::Street => (0.8, "本街道"),
        UnitKind::District => (0.6, "本区"),
        UnitKind::City => (0.3, "全市"),
        _ => (0.5, "本单位辖区"),
    };
    Some((score, format!("服务{}（{level}）", served.name)))
}

/// Ranks the active people for a case, best first, at most `limit`. Each candidate comes with
/// its current load (open cases). Only people with a fitting specialty, or — when the case needs
/// people at all (a dispute, a legal or a specialist matter) — serving its place, are proposed.
/// Whatever their score, people who serve only other places come after those who serve this one
/// (a committee mediates in its own district), and people at full capacity after everyone with room.
pub fn rank(case: &CaseNeeds, candidates: &[(Person, u32)], limit: usize) -> Vec<PersonMatch> {
    let need = case.need();
    let mut out: Vec<((bool, bool), PersonMatch)> = Vec::new();
    for (p, load) in candidates.iter().filter(|(p, _)| p.active) {
        let spec = p.specialties.iter().filter_map(|s| specialty_fit(s, case)).max_by(|a, b| a.0.total_cmp(&b.0));
        let area = area_fit(p, case);
        if spec.is_none() && (need.is_none() || area.is_none()) {
            continue;
        }
        // Known place, explicit areas, none of them covering it: someone else's territory.
        let elsewhere = area.is_none() && !case.place.is_empty() && !p.areas.is_empty();
        let mut reasons = Vec::new();
        let mut score = 0.0;
        if let Some((s, why)) = spec {
            score += W_SPECIALTY * s;
            reasons.push(why);
        }
        if let Some((s, why)) = area {
            score += W_AREA * s;
            reasons.push(why);
        }
        if elsewhere {
            reasons.push("不在其服务区域内".into());
        }
        let capacity = p.capacity.max(1);
        let full = *load >= capacity;
        let spare = if full { 0.0 } else { f64::from(capacity - load) / f64::from(capacity) };
        score += W_SPARE * spare;
        reasons.push(if full { format!("已满负荷（在办 {load}/{capacity}）") } else { format!("在办 {load}/{capacity} 件") });
        if let Some(n) = need {
            let fit = n.fit(p.kind);
            score += W_KIND * fit;
            if fit >= 0.7 {
                reasons.push(format!("{}适合{}", p.kind.label_zh(), n.label_zh()));
            }
        }
        let m = PersonMatch {
            person: p.as_ref(),
            score: (score * 1000.0).round() / 1000.0,
            reasons,
            load: *load,
            capacity: p.capacity,
            phone: p.phone.clone(),
        };
        out.push(((elsewhere, full), m));
    }
    // Their own territory first, then room, then score; ties by id so the order is stable.
    out.sort_by(|(ka, a), (kb, b)| ka.cmp(kb).then(b.score.total_cmp(&a.score)).then(a.person.id.cmp(&b.person.id)));
    out.into_iter().take(limit).map(|(_, m)| m).collect()
}
