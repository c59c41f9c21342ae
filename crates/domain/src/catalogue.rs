//! The responsibility catalogue (职责清单 / 派单目录): a versioned three-level tree (category →
//! subcategory → item); each item names who owns it (department type, handling level, whether
//! the place decides — 属地), its default urgency and its own time limits. Pure data and checks;
//! storage, CSV and routing live elsewhere.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::case::Urgency;
use crate::deadline::TimeLimits;
use minsheng_calendar::Limit;

/// At which level of government an item is handled (办理层级).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HandlingLevel {
    /// 市级: a city department.
    City,
    /// 区级: a district government or district department.
    District,
    /// 街道级: a street office (or township).
    Street,
}

impl HandlingLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            HandlingLevel::City => "city",
            HandlingLevel::District => "district",
            HandlingLevel::Street => "street",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            HandlingLevel::City => "市级",
            HandlingLevel::District => "区级",
            HandlingLevel::Street => "街道级",
        }
    }
    pub fn parse(s: &str) -> Option<HandlingLevel> {
        match s.trim() {
            "city" | "市级" | "市" => Some(HandlingLevel::City),
            "district" | "区级" | "区" => Some(HandlingLevel::District),
            "street" | "街道级" | "街道" => Some(HandlingLevel::Street),
            _ => None,
        }
    }
}

/// Limits an item sets for one urgency; unset steps keep the general limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemStepLimits {
    pub sign: Option<Limit>,
    pub contact: Option<Limit>,
    pub reply: Option<Limit>,
}

/// An item's own limits (e.g. 复杂事项: reply in 15 working days), per urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemLimits {
    pub normal: ItemStepLimits,
    pub urgent: ItemStepLimits,
    pub very_urgent: ItemStepLimits,
}

impl ItemLimits {
    pub fn is_empty(&self) -> bool {
        *self == ItemLimits::default()
    }
}

/// One node of the tree. Levels 1 and 2 group; level 3 items are what cases are routed by (a
/// level-2 node without children may also be used).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CatalogueItem {
    /// Stable code, e.g. `03.02.004`; children extend their parent's code.
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
    pub keywords: Vec<String>,
    pub examples: Vec<String>,
    /// The type of department that owns it (城管, 住建...), matched to units by routing.
    pub department_type: Option<String>,
    pub handling_level: HandlingLevel,
    /// 属地: the place decides the unit (the district or street of the place); otherwise the
    /// department of the handling level does.
    pub territorial: bool,
    pub default_urgency: Urgency,
    pub limits: ItemLimits,
    /// Department types that assist (co-handling, 协办).
    pub co_handling: Vec<String>,
    pub active: bool,
}

impl Default for CatalogueItem {
    fn default() -> Self {
        CatalogueItem {
            code: String::new(),
            name: String::new(),
            parent: None,
            keywords: Vec::new(),
            examples: Vec::new(),
            department_type: None,
            handling_level: HandlingLevel::District,
            territorial: false,
            default_urgency: Urgency::Normal,
            limits: ItemLimits::default(),
            co_handling: Vec::new(),
            active: true,
        }
    }
}

/// A version of the whole catalogue. Cases record the version they were routed with, so a
/// later edit never changes how an old case reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Catalogue {
    pub version: i64,
    pub items: Vec<CatalogueItem>,
}

/// Why a catalogue cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueProblem {
    pub code: String,
    pub message_zh: String,
    pub message_en: String,
}

fn problem(code: &str, zh: String, en: String) -> CatalogueProblem {
    CatalogueProblem { code: code.into(), message_zh: zh, message_en: en }
}

pub const MAX_ITEMS: usize = 20_000;

impl Catalogue {
    pub fn item(&self, code: &str) -> Option<&CatalogueItem> {
        self.items.iter().find(|i| i.code == code)
    }

    /// The level of an item: 1 for a root, 2 below it, 3 below that.
    pub fn level(&self, code: &str) -> usize {
        let mut level = 1;
        let mut cur = self.item(code).and_then(|i| i.parent.clone());
        while let Some(p) = cur {
            level += 1;
            cur = self.item(&p).and_then(|i| i.parent.clone());
            if level > 3 {
                break;
            }
        }
        level
    }

    /// Root first: the category, the subcategory, the item.
    pub fn path(&self, code: &str) -> Vec<&CatalogueItem> {
        let mut out = Vec::new();
        let mut cur = self.item(code);
        while let Some(i) = cur {
            out.push(i);
            cur = i.parent.as_deref().and_then(|p| self.item(p));
            if out.len() > 3 {
                break;
            }
        }
        out.reverse();
        out
    }

    /// `城乡建设 / 市政管理 / 路灯` for an item.
    pub fn path_name(&self, code: &str) -> String {
        self.path(code).iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(" / ")
    }

    /// The level-1 category an item belongs to.
    pub fn category_of(&self, code: &str) -> Option<&CatalogueItem> {
        self.path(code).into_iter().next()
    }

    /// The items cases are routed by: active leaves.
    pub fn leaves(&self) -> Vec<&CatalogueItem> {
        let parents: std::collections::HashSet<&str> = self.items.iter().filter_map(|i| i.parent.as_deref()).collect();
        self.items.iter().filter(|i| i.active && !parents.contains(i.code.as_str())).collect()
    }

    /// Checks the tree: codes unique and well-formed, parents exist, at most three levels, names
    /// present, leaves owned by someone.
    pub fn validate(&self) -> Result<(), Vec<CatalogueProblem>> {
        let mut problems = Vec::new();
        if self.items.is_empty() {
            problems.push(problem("empty", "职责清单不能为空".into(), "the catalogue is empty".into()));
        }
        if self.items.len() > MAX_ITEMS {
            problems.push(problem("too_many", format!("事项过多（最多 {MAX_ITEMS} 项）"), format!("too many items (at most {MAX_ITEMS})")));
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, item) in self.items.iter().enumerate() {
            let line = i + 1;
            if item.code.is_empty()
                || item.code.len() > 64
                || !item.code.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            {
                problems.push(problem(
                    "bad_code",
                    format!("第 {line} 项代码无效：{:?}（字母、数字、点、横线、下划线，最长 64）", item.code),
                    format!("item {line}: invalid code {:?}", item.code),
                ));
            }
            if let Some(prev) = seen.insert(item.code.as_str(), line) {
                problems.push(problem(
                    "duplicate_code",
                    format!("代码 {} 重复（第 {prev} 项和第 {line} 项）", item.code),
                    format!("code {} appears twice", item.code),
                ));
            }
            let name = item.name.trim();
            if name.is_empty() || name.chars().count() > 100 {
                problems.push(problem(
                    "bad_name",
                    format!("事项 {} 的名称为空或超过 100 字", item.code),
                    format!("item {}: empty or over-long name", item.code),
                ));
            }
            if item.keywords.len() > 200 || item.examples.len() > 50 {
                problems.push(problem(
                    "too_many_keywords",
                    format!("事项 {} 的关键词或示例过多", item.code),
                    format!("item {}: too many keywords or examples", item.code),
                ));
            }
        }
        for item in &self.items {
            if let Some(p) = &item.parent {
                if !item.code.starts_with(&format!("{p}.")) {
                    problems.push(problem(
                        "bad_child_code",
                        format!("事项 {} 的代码须以上级代码 {p} 加“.”开头", item.code),
                        format!("item {}: a child's code must start with its parent's code {p} and a dot", item.code),
                    ));
                }
                if !seen.contains_key(p.as_str()) {
                    problems.push(problem(
                        "missing_parent",
                        format!("事项 {} 的上级 {p} 不存在", item.code),
                        format!("item {}: parent {p} does not exist", item.code),
                    ));
                } else if self.level(&item.code) > 3 {
                    problems.push(problem(
                        "too_deep",
                        format!("事项 {} 超过三级", item.code),
                        format!("item {}: more than three levels", item.code),
                    ));
                }
            }
        }
        for leaf in self.leaves() {
            if leaf.department_type.is_none() && !leaf.territorial {
                problems.push(problem(
                    "no_owner",
                    format!("事项 {} 既无主管部门类型也非属地事项", leaf.code),
                    format!("item {} has neither a department type nor a territorial rule", leaf.code),
                ));
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }

    /// Items whose name, keywords or examples contain words of `text`, best first: a keyword
    /// fallback beside the classifier, and how operators search the tree.
    pub fn search(&self, text: &str, limit: usize) -> Vec<(&CatalogueItem, f32)> {
        let mut scored: Vec<(&CatalogueItem, f32)> = self
            .leaves()
            .into_iter()
            .filter_map(|item| {
                let mut score = 0.0;
                if !item.name.is_empty() && text.contains(item.name.as_str()) {
                    score += 2.0;
                }
                for k in &item.keywords {
                    if !k.is_empty() && text.contains(k.as_str()) {
                        score += 1.0 + (k.chars().count() as f32 / 10.0);
                    }
                }
                (score > 0.0).then_some((item, score))
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.code.cmp(&b.0.code)));
        scored.truncate(limit);
        scored
    }

    /// The difference from an older version: codes added, removed and changed.
    pub fn diff(&self, older: &Catalogue) -> CatalogueDiff {
        let old: BTreeMap<&str, &CatalogueItem> = older.items.iter().map(|i| (i.code.as_str(), i)).collect();
        let new: BTreeMap<&str, &CatalogueItem> = self.items.iter().map(|i| (i.code.as_str(), i)).collect();
        CatalogueDiff {
            added: new.keys().filter(|k| !old.contains_key(*k)).map(|k| k.to_string()).collect(),
            removed: old.keys().filter(|k| !new.contains_key(*k)).map(|k| k.to_string()).collect(),
            changed: new.iter().filter(|(k, v)| old.get(*k).is_some_and(|o| o != *v)).map(|(k, _)| k.to_string()).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CatalogueDiff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

impl TimeLimits {
    /// These limits with an item's own laid over them.
    pub fn with_item(&self, item: &ItemLimits) -> TimeLimits {
        let mut out = self.clone();
        for (table, own) in [(&mut out.normal, &item.normal), (&mut out.urgent, &item.urgent), (&mut out.very_urgent, &item.very_urgent)] {
            if let Some(l) = own.sign {
                table.sign = l;
            }
            if let Some(l) = own.contact {
                table.contact = l;
            }
            if let Some(l) = own.reply {
                table.reply = l;
            }
        }
        // An item that sets its own normal reply limit also decides consultations of that item.
        if let Some(l) = item.normal.reply {
            out.consultation_reply = l;
        }
        out
    }
}
