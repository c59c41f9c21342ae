//! Routing (派单建议): catalogue item × place → the lead unit and the assisting units, with the
//! rules of practice — territorial lead (属地), the district government when the owner is unclear
//! (属地兜底), functional items never pushed down to streets — and the reasons, so the decision can
//! be read on the case. Pure: the caller supplies the units.

use serde::{Deserialize, Serialize};

use crate::catalogue::{CatalogueItem, HandlingLevel};
use crate::org::{UnitKind, UnitRef};

/// A unit as routing sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutableUnit {
    pub unit: UnitRef,
    pub department_type: Option<String>,
}

/// Which rule decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RoutingRule {
    /// 属地: the place's street or district government.
    Territorial,
    /// 职能部门: the department of the item's type at its level.
    Department,
    /// 公共服务企业: the company of the item's type.
    Company,
    /// 属地兜底: no owner found for the item, the district government of the place takes it.
    DistrictFallback,
    /// Not enough to decide: a dispatcher must.
    Undecided,
}

impl RoutingRule {
    pub fn label_zh(self) -> &'static str {
        match self {
            RoutingRule::Territorial => "属地管理",
            RoutingRule::Department => "职能部门",
            RoutingRule::Company => "公共服务企业",
            RoutingRule::DistrictFallback => "属地兜底",
            RoutingRule::Undecided => "需人工派单",
        }
    }
}

/// A routing decision and why, kept on the case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoutingDecision {
    pub lead: Option<UnitRef>,
    pub assisting: Vec<UnitRef>,
    pub rule: RoutingRule,
    pub item_code: Option<String>,
    /// `城乡建设 / 城市建设和市政管理 / 路灯`.
    pub item_path: Option<String>,
    pub catalogue_version: Option<i64>,
    /// The place as understood, e.g. `龙华区金贸街道玉沙社区`.
    pub place: Option<String>,
    pub reasons_zh: Vec<String>,
}

/// Where the case is: the territorial units from the district down, as far as known.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlaceUnits {
    pub district: Option<UnitRef>,
    pub street: Option<UnitRef>,
    pub community: Option<UnitRef>,
}

impl PlaceUnits {
    fn describe(&self) -> Option<String> {
        let parts: Vec<&str> =
            [&self.district, &self.street, &self.community].iter().filter_map(|u| u.as_ref().map(|u| u.name.as_str())).collect();
        (!parts.is_empty()).then(|| parts.join(""))
    }
}

fn is_below(unit: &UnitRef, ancestor: &UnitRef) -> bool {
    unit.path.starts_with(&ancestor.path) && unit.id != ancestor.id
}

/// The unit of a department type: within the district for district-level items (falling back
/// to the city's), the city's for city-level ones.
fn department<'a>(units: &'a [RoutableUnit], kind: &str, level: HandlingLevel, district: Option<&UnitRef>) -> Option<&'a RoutableUnit> {
    let of_type =
        |u: &&RoutableUnit| u.department_type.as_deref() == Some(kind) && matches!(u.unit.kind, UnitKind::Department | UnitKind::Company);
    let in_district = district.and_then(|d| units.iter().filter(of_type).find(|u| is_below(&u.unit, d)));
    let city_level =
        || units.iter().filter(of_type).find(|u| !units.iter().any(|d| d.unit.kind == UnitKind::District && is_below(&u.unit, &d.unit)));
    match level {
        HandlingLevel::City => city_level(),
        // No pushing down: a street-level functional item goes to the district's department.
        HandlingLevel::District | HandlingLevel::Street => in_district.or_else(city_level),
    }
}

/// Decides the lead and assisting units for an item at a place.
pub fn route(
    item: Option<&CatalogueItem>,
    item_path: Option<String>,
    catalogue_version: Option<i64>,
    place: &PlaceUnits,
    units: &[RoutableUnit],
) -> RoutingDecision {
    let mut reasons = Vec::new();
    let place_text = place.describe();
    match (&place_text, item) {
        (Some(p), _) => reasons.push(format!("地点：{p}")),
        (None, _) => reasons.push("地点：未能确定到区".into()),
    }
    let mut decision = RoutingDecision {
        lead: None,
        assisting: Vec::new(),
        rule: RoutingRule::Undecided,
        item_code: item.map(|i| i.code.clone()),
        item_path,
        catalogue_version,
        place: place_text,
        reasons_zh: Vec::new(),
    };
    let fallback = |reasons: &mut Vec<String>, why: &str| -> (Option<UnitRef>, RoutingRule) {
        match &place.district {
            Some(d) => {
                reasons.push(format!("{why}，由所在区政府兜底：{}", d.name));
                (Some(d.clone()), RoutingRule::DistrictFallback)
            }
            None => {
                reasons.push(format!("{why}，且地点未明，需派单员人工派单"));
                (None, RoutingRule::Undecided)
            }
        }
    };
    let Some(item) = item else {
        let (lead, rule) = fallback(&mut reasons, "未选定职责清单事项");
        decision.lead = lead;
        decision.rule = rule;
        decision.reasons_zh = reasons;
        return decision;
    };
    reasons.push(format!("事项：{} {}", item.code, decision.item_path.as_deref().unwrap_or(&item.name)));
    let (lead, rule) = match (&item.department_type, item.territorial) {
        (_, true) => {
            let by_level = match item.handling_level {
                HandlingLevel::Street => {
                    place.street.clone().map(|s| (s, "街道")).or_else(|| place.district.clone().map(|d| (d, "区（街道未明）")))
                }
                _ => place.district.clone().map(|d| (d, "区")),
            };
            match by_level {
                Some((u, what)) => {
                    reasons.push(format!("属地事项（{}），由所在{what}办理：{}", item.handling_level.label_zh(), u.name));
                    (Some(u), RoutingRule::Territorial)
                }
                None => fallback(&mut reasons, "属地事项但地点未明"),
            }
        }
        (Some(kind), _) => match department(units, kind, item.handling_level, place.district.as_ref()) {
            Some(u) => {
                let rule = if u.unit.kind == UnitKind::Company { RoutingRule::Company } else { RoutingRule::Department };
                if item.handling_level == HandlingLevel::Street {
                    reasons.push("职能部门事项不下沉街道（不得推诿下派）".into());
                }
                reasons.push(format!("主管部门类型「{kind}」（{}）：{}", item.handling_level.label_zh(), u.unit.name));
                (Some(u.unit.clone()), rule)
            }
            None => fallback(&mut reasons, &format!("未找到「{kind}」类型的承办单位")),
        },
        (None, false) => fallback(&mut reasons, "事项未指定主管部门"),
    };
    for kind in &item.co_handling {
        if let Some(u) = department(units, kind, item.handling_level, place.district.as_ref())
            && lead.as_ref().is_none_or(|l| l.id != u.unit.id)
            && !decision.assisting.iter().any(|a| a.id == u.unit.id)
        {
            reasons.push(format!("协办「{kind}」：{}", u.unit.name));
            decision.assisting.push(u.unit.clone());
        }
    }
    decision.lead = lead;
    decision.rule = rule;
    decision.reasons_zh = reasons;
    decision
}
