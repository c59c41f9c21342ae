//! The registry of people (人员库): drafts are validated, and the matcher ranks mediators, legal aid
//! and experts for a case by specialty, then area, then spare capacity, then kind.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use minsheng_domain::ErrorCode;
use minsheng_domain::case::CaseType;
use minsheng_domain::org::{UnitKind, UnitRef};
use minsheng_domain::people::{CaseNeeds, Need, Person, PersonDraft, PersonKind, is_unit_path, rank};

// 1 海口市 / 3 龙华区 / 4 金贸街道 / 5 玉沙社区; 7 美兰区 / 8 白龙街道
fn u(id: i64, name: &str, kind: UnitKind, path: &str) -> UnitRef {
    UnitRef { id, name: name.into(), kind, parent_id: None, path: path.into() }
}

fn at_yusha() -> Vec<UnitRef> {
    vec![
        u(1, "海口市", UnitKind::City, "/1/"),
        u(3, "龙华区", UnitKind::District, "/1/3/"),
        u(4, "金贸街道", UnitKind::Street, "/1/3/4/"),
        u(5, "玉沙社区", UnitKind::Community, "/1/3/4/5/"),
    ]
}

fn draft(name: &str, kind: PersonKind, specialties: &[&str], areas: &[&str]) -> PersonDraft {
    PersonDraft {
        name: name.into(),
        kind,
        organisation: "龙华区金贸街道人民调解委员会".into(),
        phone: None,
        specialties: specialties.iter().map(|s| s.to_string()).collect(),
        areas: areas.iter().map(|s| s.to_string()).collect(),
        capacity: 10,
        active: true,
        note: None,
    }
}

fn person(id: i64, kind: PersonKind, specialties: &[&str], areas: &[&str]) -> Person {
    Person::from_draft(id, draft(&format!("人员{id}"), kind, specialties, areas).parse().unwrap(), 0)
}

fn case(text: &str, codes: &[&str], names: &[&str], place: Vec<UnitRef>) -> CaseNeeds {
    CaseNeeds {
        category_codes: codes.iter().map(|s| s.to_string()).collect(),
        category_names: names.iter().map(|s| s.to_string()).collect(),
        case_type: Some(CaseType::Help),
        text: text.into(),
        place,
    }
}

fn ids(matches: &[minsheng_domain::people::PersonMatch]) -> Vec<i64> {
    matches.iter().map(|m| m.person.id).collect()
}

#[test]
fn drafts_are_trimmed_deduplicated_and_checked() {
    let mut d = draft("  符海燕 ", PersonKind::Mediator, &["婚姻家庭", " 婚姻家庭", "邻里纠纷"], &["/1/3/", "/1/3/"]);
    d.phone = Some("0898-6666 1234".into());
    let d = d.parse().unwrap();
    assert_eq!(d.name, "符海燕");
    assert_eq!(d.specialties, ["婚姻家庭", "邻里纠纷"]);
    assert_eq!(d.areas, ["/1/3/"]);
    assert_eq!(d.phone.as_deref(), Some("089866661234"));

    let cases: Vec<(PersonDraft, &str)> = vec![
        (draft("", PersonKind::Mediator, &[], &[]), "name"),
        (draft(&"名".repeat(51), PersonKind::Mediator, &[], &[]), "name"),
        (draft("王五", PersonKind::Mediator, &[], &["1/3"]), "areas"),
        (draft("王五", PersonKind::Mediator, &[], &["/1/x/"]), "areas"),
        (draft("王五", PersonKind::Mediator, &[&"长".repeat(31)], &[]), "specialties"),
        (PersonDraft { capacity: 0, ..draft("王五", PersonKind::Mediator, &[], &[]) }, "capacity"),
        (PersonDraft { capacity: 501, ..draft("王五", PersonKind::Mediator, &[], &[]) }, "capacity"),
        (PersonDraft { phone: Some("12345".into()), ..draft("王五", PersonKind::Mediator, &[], &[]) }, "phone"),
        (PersonDraft { organisation: " ".into(), ..draft("王五", PersonKind::Mediator, &[], &[]) }, "organisation"),
    ];
    for (d, field) in cases {
        let e = d.parse().unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert_eq!(e.details["field"], field, "{}", e.message_en);
        assert!(!e.message_zh.is_empty() && !e.message_en.is_empty());
    }
    let many: Vec<String> = (0..21).map(|i| format!("专长{i}")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(draft("王五", PersonKind::Expert, &refs, &[]).parse().unwrap_err().details["field"], "specialties");
}

#[test]
fn unit_paths_and_kinds_parse() {
    assert!(is_unit_path("/1/") && is_unit_path("/1/34/567/"));
    assert!(!is_unit_path("/") && !is_unit_path("//") && !is_unit_path("/1") && !is_unit_path("/1//2/") && !is_unit_path("/a/"));
    assert_eq!(PersonKind::parse_any("调解员"), Some(PersonKind::Mediator));
    assert_eq!(PersonKind::parse_any("legal_aid"), Some(PersonKind::LegalAid));
    assert_eq!(PersonKind::parse_any("律师"), None);
    let p = person(7, PersonKind::Expert, &[], &[]);
    let r = p.as_ref();
    assert_eq!((r.id, r.kind, r.name.as_str()), (7, PersonKind::Expert, "人员7"));
}

#[test]
fn the_need_is_read_from_words_and_categories() {
    assert_eq!(case("邻居家楼上漏水，协商不成", &[], &[], vec![]).need(), Some(Need::Dispute));
    assert_eq!(case("想咨询起诉离婚需要什么材料", &[], &[], vec![]).need(), Some(Need::Legal));
    assert_eq!(case("房屋出现裂缝，需要鉴定是否危房", &[], &[], vec![]).need(), Some(Need::Specialist));
    assert_eq!(case("路灯不亮", &[], &[], vec![]).need(), None);
    // The category alone can make it a dispute.
    assert_eq!(case("请帮忙处理", &["15", "15.03"], &["政法", "仲裁与调解"], vec![]).need(), Some(Need::Dispute));
    assert_eq!(Need::Dispute.fit(PersonKind::Mediator), 1.0);
    assert!(Need::Legal.fit(PersonKind::LegalAid) > Need::Legal.fit(PersonKind::JudicialOfficer));
    assert!(Need::Legal.fit(PersonKind::JudicialOfficer) > Need::Legal.fit(PersonKind::Mediator));
    assert!(Need::Specialist.fit(PersonKind::Expert) > Need::Specialist.fit(PersonKind::Mediator));
}

#[test]
fn specialty_outweighs_area() {
    // Person 1 knows labour disputes and serves the whole city; person 2 sits in the very
    // community but knows only family matters.
    let people =
        vec![(person(1, PersonKind::Mediator, &["劳动争议"], &[]), 0), (person(2, PersonKind::Mediator, &["婚姻家庭"], &["/1/3/4/5/"]), 0)];
    let c = case("公司拖欠工资三个月，和老板发生纠纷", &[], &[], at_yusha());
    let ranked = rank(&c, &people, 5);
    assert_eq!(ids(&ranked), [1, 2]);
    assert!(ranked[0].reasons.iter().any(|r| r.contains("劳动争议")), "{:?}", ranked[0].reasons);
    assert!(ranked[1].reasons.iter().any(|r| r.contains("玉沙社区")), "{:?}", ranked[1].reasons);
}

#[test]
fn a_catalogue_code_matches_closer_than_a_free_tag_and_the_item_closer_than_its_category() {
    let people = vec![
        (person(1, PersonKind::Expert, &["08"], &[]), 0),
        (person(2, PersonKind::Expert, &["08.02"], &[]), 0),
        (person(3, PersonKind::Expert, &["08.02.003"], &[]), 0),
        (person(4, PersonKind::Expert, &["09"], &[]), 0),
    ];
    let c = case("小区电梯经常故障", &["08", "08.02", "08.02.003"], &["城乡建设", "住房保障", "电梯安全"], vec![]);
    let ranked = rank(&c, &people, 5);
    assert_eq!(ids(&ranked), [3, 2, 1], "person 4's category is another one: not proposed");
    assert!(ranked[0].score > ranked[1].score && ranked[1].score > ranked[2].score);
    assert!(ranked[0].reasons[0].contains("电梯安全"));
}

#[test]
fn closer_areas_rank_higher() {
    let people = vec![
        (person(1, PersonKind::Mediator, &[], &[]), 0),
        (person(2, PersonKind::Mediator, &[], &["/1/3/"]), 0),
        (person(3, PersonKind::Mediator, &[], &["/1/3/4/"]), 0),
        (person(4, PersonKind::Mediator, &[], &["/1/7/", "/1/3/4/5/"]), 0),
        (person(5, PersonKind::Mediator, &[], &["/1/7/8/"]), 0),
    ];
    let c = case("邻里之间因为占道发生纠纷", &[], &[], at_yusha());
    let ranked = rank(&c, &people, 10);
    // Community < street < district < city-wide; person 5 serves another district only.
    assert_eq!(ids(&ranked), [4, 3, 2, 1]);
    assert!(ranked[0].reasons.iter().any(|r| r.contains("本社区")));
    assert!(ranked[1].reasons.iter().any(|r| r.contains("本街道")));
    assert!(ranked[2].reasons.iter().any(|r| r.contains("本区")));
    assert!(ranked[3].reasons.iter().any(|r| r.contains("全市")));
}

#[test]
fn spare_capacity_breaks_ties_and_full_people_come_last() {
    let people = vec![
        (person(1, PersonKind::Mediator, &["邻里纠纷"], &["/1/3/4/5/"]), 10),
        (person(2, PersonKind::Mediator, &["邻里纠纷"], &["/1/3/4/5/"]), 6),
        (person(3, PersonKind::Mediator, &["邻里纠纷"], &["/1/3/4/5/"]), 1),
        (person(4, PersonKind::Mediator, &[], &[]), 0),
    ];
    let c = case("楼上邻居装修噪音，协商不成", &[], &[], at_yusha());
    let ranked = rank(&c, &people, 10);
    assert_eq!(ids(&ranked), [3, 2, 4, 1], "the full person is last even though their score is higher than person 4's");
    assert!(ranked[3].reasons.iter().any(|r| r.contains("已满负荷")));
    assert_eq!((ranked[0].load, ranked[0].capacity), (1, 10));
}

#[test]
fn kind_decides_between_otherwise_equal_people() {
    let mk = |id, kind| (person(id, kind, &["婚姻家庭"], &["/1/3/"]), 0);
    let people =
        vec![mk(1, PersonKind::Expert), mk(2, PersonKind::LegalAid), mk(3, PersonKind::Mediator), mk(4, PersonKind::JudicialOfficer)];
    let dispute = case("夫妻离婚后因子女抚养发生纠纷", &[], &[], at_yusha());
    assert_eq!(ids(&rank(&dispute, &people, 4)), [3, 4, 2, 1]);
    let legal = case("想咨询离婚的法律程序，是否可以申请法律援助", &[], &[], at_yusha());
    assert_eq!(ids(&rank(&legal, &people, 4)), [2, 4, 3, 1]);
    let top = &rank(&legal, &people, 1)[0];
    assert!(top.reasons.iter().any(|r| r.contains("法律援助适合法律问题")), "{:?}", top.reasons);
}

#[test]
fn ordinary_matters_propose_nobody_without_a_specialty_and_inactive_people_never() {
    let mut away = person(2, PersonKind::Mediator, &["劳动争议"], &[]);
    away.active = false;
    let people = vec![(person(1, PersonKind::Mediator, &[], &["/1/3/4/5/"]), 0), (away, 0)];
    let c = case("玉沙路路灯不亮", &[], &[], at_yusha());
    assert!(rank(&c, &people, 5).is_empty(), "a street light is no matter for a mediator");
    let c = case("拖欠工资", &[], &[], at_yusha());
    assert!(ids(&rank(&c, &people, 5)).iter().all(|id| *id != 2), "inactive people are never proposed");
}

#[test]
fn unknown_place_still_ranks_by_specialty_and_the_limit_holds() {
    let people: Vec<(Person, u32)> = (1..=8).map(|i| (person(i, PersonKind::Mediator, &["物业纠纷"], &["/1/3/"]), i as u32)).collect();
    let c = case("物业费纠纷，物业公司停水停电", &[], &[], vec![]);
    let ranked = rank(&c, &people, 3);
    assert_eq!(ids(&ranked), [1, 2, 3], "same specialty, no place: the least loaded first");
    assert!(ranked.iter().all(|m| !m.reasons.iter().any(|r| r.starts_with("服务"))));
    assert!(ranked.iter().all(|m| m.score > 0.0 && m.score <= 1.0));
}

#[test]
fn people_of_another_territory_come_after_the_local_ones() {
    // Person 1 knows neighbour disputes but mediates in 美兰区; person 2 knows nothing special
    // but serves the street of the case; person 3 is a city-wide expert in buildings.
    let people = vec![
        (person(1, PersonKind::Mediator, &["邻里纠纷"], &["/1/7/"]), 0),
        (person(2, PersonKind::Mediator, &[], &["/1/3/4/"]), 0),
        (person(3, PersonKind::Expert, &["建筑质量"], &[]), 0),
    ];
    let c = case("楼上邻居家漏水，墙体开裂，协商不成发生纠纷", &[], &[], at_yusha());
    let ranked = rank(&c, &people, 5);
    assert_eq!(ids(&ranked), [3, 2, 1]);
    assert!(ranked[0].score < 0.52 + 0.26, "the expert fits by specialty and city-wide service");
    assert!(ranked[2].reasons.iter().any(|r| r.contains("不在其服务区域内")), "{:?}", ranked[2].reasons);
    assert!(ranked[2].score > ranked[1].score, "its score is higher, its territory is not this one");
    // Where the place is unknown, nobody is out of their territory.
    let unknown = case("楼上邻居家漏水，墙体开裂，协商不成发生纠纷", &[], &[], vec![]);
    assert_eq!(ids(&rank(&unknown, &people, 5))[0], 1);
}
