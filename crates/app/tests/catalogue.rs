//! The responsibility catalogue: the demo tree from the real taxonomy, versions with diffs, CSV
//! round trips, validation, intake against it, and per-item time limits in the clocks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use minsheng_app::catalogue::{catalogue_from_csv, catalogue_to_csv, demo_catalogue};
use minsheng_app::service::AfterIntake;
use minsheng_app::{App, ManualClock, Settings};
use minsheng_calendar::Limit;
use minsheng_domain::case::{CaseType, Channel, Citizen, Intake, Place, Urgency};
use minsheng_domain::deadline::Step;
use minsheng_domain::org::Actor;
use minsheng_domain::value::{CaseText, PhoneNumber, Title};

const MON_9: i64 = 1_772_413_200_000;

async fn app(url: String) -> App {
    let store = minsheng_store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    let app = App::new(store, Arc::new(ManualClock::at(MON_9)), Settings::default());
    minsheng_app::demo::load(app.store.as_ref(), "x", MON_9).await.unwrap();
    app.reload_catalogue().await.unwrap();
    app
}

async fn who(app: &App, login: &str) -> Actor {
    let u = app.store.user_by_login(login).await.unwrap().unwrap();
    app.actor_for_user(&u).await.unwrap()
}

fn intake(item: Option<&str>) -> Intake {
    Intake {
        channel: Channel::Phone,
        case_type: CaseType::Complaint,
        title: Title::parse("房屋征收补偿争议").unwrap(),
        text: CaseText::parse("征收补偿款迟迟不到位").unwrap(),
        urgency: Urgency::Normal,
        citizen: Citizen { phone: Some(PhoneNumber::parse("13800138000").unwrap()), ..Default::default() },
        place: Place::default(),
        catalogue_item: item.map(str::to_string),
        catalogue_version: None,
        tags: vec![],
        external_id: None,
        attachments: Vec::new(),
    }
}

#[test]
fn the_demo_catalogue_holds_every_row_of_the_real_tree_and_the_noise_branch() {
    let c = demo_catalogue().unwrap();
    c.validate().unwrap();
    let taxonomy = include_str!("../data/taxonomy.csv").lines().count() - 1;
    let noise: Vec<_> = c.leaves().into_iter().filter(|i| i.code.starts_with("ZS.")).collect();
    assert_eq!(c.leaves().len(), taxonomy + noise.len());
    assert_eq!(taxonomy, 517);
    assert!(noise.len() >= 20, "a fine-grained noise branch");
    // Noise goes to many owners, not one.
    let owners: std::collections::BTreeSet<_> = noise.iter().filter_map(|i| i.department_type.as_deref()).collect();
    assert!(owners.len() >= 8, "{owners:?}");
    // Every leaf is owned: a department type or the place's government.
    assert!(c.leaves().iter().all(|i| i.department_type.is_some() || i.territorial));
    // Three levels and readable paths.
    let demolition = c.leaves().into_iter().find(|i| i.name == "房屋拆迁").unwrap();
    assert_eq!(c.level(&demolition.code), 3);
    assert_eq!(c.path_name(&demolition.code), "城乡建设 / 国有土地上房屋征收与补偿 / 房屋拆迁");
    assert_eq!(demolition.limits.normal.reply, Some(Limit::WorkingDays { days: 15 }), "long-cycle matter");
    let found = c.search("我家楼上每天半夜施工，打桩声音很大", 3);
    assert_eq!(found[0].0.name, "夜间违规施工噪声");
}

#[test]
fn csv_round_trip_and_bad_files() {
    let c = demo_catalogue().unwrap();
    let csv = catalogue_to_csv(&c).unwrap();
    let back = catalogue_from_csv(&String::from_utf8(csv).unwrap()).unwrap();
    assert_eq!(back, c.items, "CSV keeps every field the catalogue has");
    assert!(catalogue_from_csv("name\n路灯\n").is_err(), "no code column");
    let e = catalogue_from_csv("code,name,handling_level\n01,城建,planet\n").unwrap_err();
    assert!(e.message_zh.contains("第 2 行"), "{e:?}");
    assert!(catalogue_from_csv("code,name,reply_working_days\n01,城建,0\n").is_err());
}

async fn versions_intake_and_limits(url: String) {
    let app = app(url).await;
    let (admin, sup, op) = (who(&app, "admin").await, who(&app, "supervisor").await, who(&app, "operator").await);
    let v1 = app.catalogue();
    assert_eq!(v1.version, 1);

    // Intake: unknown or non-leaf items are refused; a leaf is recorded with the version.
    let e = app.create_case(&op, intake(Some("99.99.999")), AfterIntake::Forward).await.unwrap_err();
    assert_eq!(e.code, minsheng_domain::ErrorCode::InvalidInput);
    assert!(app.create_case(&op, intake(Some("01")), AfterIntake::Forward).await.is_err(), "a category is not routable");
    let demolition = v1.leaves().into_iter().find(|i| i.name == "房屋拆迁").unwrap().code.clone();
    let created = app.create_case(&op, intake(Some(&demolition)), AfterIntake::Forward).await.unwrap();
    let id = created.case["id"].as_i64().unwrap();
    assert_eq!(created.case["intake"]["catalogue_version"], 1);

    // The item's own reply limit (15 working days) runs once dispatched; a plain item gets 5.
    let lead = app.store.unit_by_code("460106").await.unwrap().unwrap().id;
    let dispatcher = who(&app, "dispatcher").await;
    let dispatch = |id: i64| {
        let (app, dispatcher) = (app.clone(), dispatcher.clone());
        async move {
            let v = app.store.get_case(id).await.unwrap().unwrap().version;
            app.act(
                &dispatcher,
                &id.to_string(),
                v,
                serde_json::from_value(serde_json::json!({"action": "dispatch", "lead_unit_id": lead})).unwrap(),
                None,
            )
            .await
            .unwrap();
            app.store.get_case(id).await.unwrap().unwrap()
        }
    };
    let case = dispatch(id).await;
    let reply = case.deadlines.iter().find(|d| d.step == Step::Reply).unwrap();
    assert_eq!(reply.limit, Limit::WorkingDays { days: 15 });
    let plain = app.create_case(&op, intake(None), AfterIntake::Forward).await.unwrap().case["id"].as_i64().unwrap();
    let plain = dispatch(plain).await;
    assert_eq!(plain.deadlines.iter().find(|d| d.step == Step::Reply).unwrap().limit, Limit::WorkingDays { days: 5 });

    // A new version: only administrators, only valid trees; the diff says what changed.
    let mut items = v1.items.clone();
    items.retain(|i| i.code != "ZS.04.003");
    if let Some(i) = items.iter_mut().find(|i| i.code == demolition) {
        i.keywords.push("强拆".into());
    }
    assert!(app.save_catalogue(&sup, items.clone(), None).await.is_err());
    let mut broken = items.clone();
    broken[5].parent = Some("nowhere".into());
    let e = app.save_catalogue(&admin, broken, None).await.unwrap_err();
    assert!(e.details["problems"].as_array().unwrap().iter().any(|p| p["code"] == "missing_parent"), "{e:?}");
    let saved = app.save_catalogue(&admin, items, Some("删除一项，补充关键词")).await.unwrap();
    assert_eq!(saved.version, 2);
    assert_eq!(saved.diff.removed, vec!["ZS.04.003".to_string()]);
    assert_eq!(saved.diff.changed, vec![demolition.clone()]);
    assert_eq!(app.catalogue().version, 2);
    // The old case keeps the version it was routed with; the old version stays readable.
    let old = app.store.get_case(id).await.unwrap().unwrap();
    assert_eq!(old.intake.catalogue_version, Some(1));
    assert!(app.catalogue_version(Some(1)).await.unwrap().item("ZS.04.003").is_some());
    let versions = app.catalogue_versions().await.unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].created_by, admin.user_id);
    assert_eq!(versions[0].note.as_deref(), Some("删除一项，补充关键词"));
    let _ = Channel::Phone;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_intake_and_limits_on_sqlite() {
    versions_intake_and_limits(format!("sqlite://{}", minsheng_testkit::fresh_sqlite_path())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_intake_and_limits_on_postgres() {
    versions_intake_and_limits(minsheng_testkit::fresh_pg_database().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_routes_by_item_and_place_and_says_why() {
    let app = app(format!("sqlite://{}", minsheng_testkit::fresh_sqlite_path())).await;
    let op = who(&app, "operator").await;
    let with = |item: Option<&str>, address: Option<&str>, coords: Option<(f64, f64)>| {
        let mut i = intake(item);
        i.place.address = address.map(|a| minsheng_domain::value::Address::parse(a).unwrap());
        if let Some((lon, lat)) = coords {
            i.place.longitude = Some(lon);
            i.place.latitude = Some(lat);
        }
        i
    };
    // 广场舞噪声 is the district's city-management department's; the address names the community.
    let d = app
        .create_case(&op, with(Some("ZS.02.001"), Some("海口市龙华区金贸街道玉沙社区滨海大道"), None), AfterIntake::Forward)
        .await
        .unwrap();
    let routing = &d.case["routing"];
    assert_eq!(routing["rule"], "department", "{routing}");
    let lead = routing["lead"]["name"].as_str().unwrap();
    assert!(lead.contains("龙华区") && lead.contains("综合行政执法局"), "{lead}");
    assert!(routing["reasons_zh"].as_array().unwrap().iter().any(|r| r.as_str().unwrap().contains("地点识别")), "{routing}");
    let yusha = app.store.list_units().await.unwrap().into_iter().find(|u| u.name.contains("玉沙")).unwrap();
    assert_eq!(d.case["intake"]["place"]["division_unit_id"], yusha.id, "the place found is recorded");

    // A territorial street-level item goes to the street of the place.
    let cat = app.catalogue();
    let village = cat
        .leaves()
        .into_iter()
        .find(|i| i.territorial && i.handling_level == minsheng_domain::catalogue::HandlingLevel::Street)
        .unwrap()
        .code
        .clone();
    let d = app.create_case(&op, with(Some(&village), Some("琼山区府城红城湖路"), None), AfterIntake::Forward).await.unwrap();
    assert_eq!(d.case["routing"]["rule"], "territorial");
    assert!(d.case["routing"]["lead"]["name"].as_str().unwrap().contains("府城"), "{}", d.case["routing"]);

    // No item, only coordinates (GCJ-02, in 美兰区): the district takes it (属地兜底).
    let d = app.create_case(&op, with(None, None, Some((110.40, 20.01))), AfterIntake::Forward).await.unwrap();
    assert_eq!(d.case["routing"]["rule"], "district_fallback", "{}", d.case["routing"]);
    assert!(d.case["routing"]["lead"]["name"].as_str().unwrap().contains("美兰区"));
    // Nothing known: a dispatcher decides.
    let d = app.create_case(&op, with(None, None, None), AfterIntake::Forward).await.unwrap();
    assert_eq!(d.case["routing"]["rule"], "undecided");
}
