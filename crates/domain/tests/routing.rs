//! Routing: item × place → lead and assisting units, with the rules of practice and reasons.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use minsheng_domain::catalogue::{CatalogueItem, HandlingLevel};
use minsheng_domain::org::{UnitKind, UnitRef};
use minsheng_domain::routing::{PlaceUnits, RoutableUnit, RoutingRule, route};

fn unit(id: i64, name: &str, kind: UnitKind, path: &str, dept: Option<&str>) -> RoutableUnit {
    RoutableUnit {
        unit: UnitRef { id, name: name.into(), kind, parent_id: None, path: path.into() },
        department_type: dept.map(str::to_string),
    }
}

fn city() -> Vec<RoutableUnit> {
    vec![
        unit(1, "海口市人民政府", UnitKind::City, "/1/", None),
        unit(3, "龙华区人民政府", UnitKind::District, "/1/3/", None),
        unit(4, "金贸街道办事处", UnitKind::Street, "/1/3/4/", None),
        unit(5, "玉沙社区", UnitKind::Community, "/1/3/4/5/", None),
        unit(6, "海口市综合行政执法局", UnitKind::Department, "/1/6/", Some("城管")),
        unit(7, "龙华区综合行政执法局", UnitKind::Department, "/1/3/7/", Some("城管")),
        unit(8, "海口市水务集团", UnitKind::Company, "/1/8/", Some("供水")),
        unit(9, "海口市生态环境局", UnitKind::Department, "/1/9/", Some("生态环境")),
        unit(10, "美兰区人民政府", UnitKind::District, "/1/10/", None),
    ]
}

fn at_yusha() -> PlaceUnits {
    let u = city();
    PlaceUnits { district: Some(u[1].unit.clone()), street: Some(u[2].unit.clone()), community: Some(u[3].unit.clone()) }
}

fn in_meilan() -> PlaceUnits {
    PlaceUnits { district: Some(city()[8].unit.clone()), ..Default::default() }
}

fn item(code: &str, dept: Option<&str>, level: HandlingLevel, territorial: bool) -> CatalogueItem {
    CatalogueItem {
        code: code.into(),
        name: format!("事项{code}"),
        department_type: dept.map(str::to_string),
        handling_level: level,
        territorial,
        ..Default::default()
    }
}

#[test]
fn territorial_items_go_to_the_place() {
    let d = route(Some(&item("01.01.001", None, HandlingLevel::Street, true)), None, Some(3), &at_yusha(), &city());
    assert_eq!(d.rule, RoutingRule::Territorial);
    assert_eq!(d.lead.unwrap().id, 4, "the street of the place");
    assert_eq!(d.place.as_deref(), Some("龙华区人民政府金贸街道办事处玉沙社区"));
    assert_eq!(d.catalogue_version, Some(3));
    assert!(d.reasons_zh.iter().any(|r| r.contains("属地事项")), "{:?}", d.reasons_zh);
    // Only the district known: the district takes a street-level territorial item.
    let d = route(Some(&item("01.01.001", None, HandlingLevel::Street, true)), None, None, &in_meilan(), &city());
    assert_eq!(d.lead.unwrap().id, 10);
    let d = route(Some(&item("01.01.002", None, HandlingLevel::District, true)), None, None, &at_yusha(), &city());
    assert_eq!(d.lead.unwrap().id, 3);
}

#[test]
fn department_items_go_to_the_department_of_their_level_never_down_to_a_street() {
    let units = city();
    let d = route(Some(&item("02", Some("城管"), HandlingLevel::District, false)), None, None, &at_yusha(), &units);
    assert_eq!((d.rule, d.lead.unwrap().id), (RoutingRule::Department, 7), "the district's own department");
    let d = route(Some(&item("02", Some("城管"), HandlingLevel::City, false)), None, None, &at_yusha(), &units);
    assert_eq!(d.lead.unwrap().id, 6, "the city's department");
    let d = route(Some(&item("02", Some("城管"), HandlingLevel::Street, false)), None, None, &at_yusha(), &units);
    assert_eq!(d.lead.unwrap().id, 7, "no pushing down to the street");
    assert!(d.reasons_zh.iter().any(|r| r.contains("不下沉街道")));
    // A district without its own department: the city's.
    let d = route(Some(&item("02", Some("城管"), HandlingLevel::District, false)), None, None, &in_meilan(), &units);
    assert_eq!(d.lead.unwrap().id, 6);
    let d = route(Some(&item("03", Some("供水"), HandlingLevel::City, false)), None, None, &in_meilan(), &units);
    assert_eq!((d.rule, d.lead.unwrap().id), (RoutingRule::Company, 8));
}

#[test]
fn unclear_owners_fall_to_the_district_and_co_handling_adds_assistants() {
    let units = city();
    let d = route(Some(&item("04", Some("无此部门"), HandlingLevel::City, false)), None, None, &at_yusha(), &units);
    assert_eq!((d.rule, d.lead.unwrap().id), (RoutingRule::DistrictFallback, 3));
    let d = route(None, None, None, &in_meilan(), &units);
    assert_eq!((d.rule, d.lead.unwrap().id), (RoutingRule::DistrictFallback, 10));
    let d = route(None, None, None, &PlaceUnits::default(), &units);
    assert_eq!((d.rule, d.lead), (RoutingRule::Undecided, None));
    let mut noise = item("ZS.01.001", Some("生态环境"), HandlingLevel::City, false);
    noise.co_handling = vec!["城管".into(), "生态环境".into()];
    let d = route(Some(&noise), Some("噪声污染 / 建筑施工噪声 / 夜间违规施工噪声".into()), None, &at_yusha(), &units);
    assert_eq!(d.lead.unwrap().id, 9);
    assert_eq!(d.assisting.iter().map(|u| u.id).collect::<Vec<_>>(), vec![6], "the lead never assists itself");
    assert!(d.reasons_zh.iter().any(|r| r.contains("夜间违规施工噪声")));
}
