//! 工单检索 on both engines: ranked full-text over text, replies and addresses with filters,
//! scoped to what the searcher may see; each node's index follows the database on its own and a
//! fresh index is rebuilt from it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use minsheng_app::search::SearchRequest;
use minsheng_app::service::{ActionRequest, AfterIntake};
use minsheng_app::{App, ManualClock, Settings};
use minsheng_domain::ErrorCode;
use minsheng_domain::case::{CaseType, Channel, Citizen, Intake, Place, Solved, Urgency};
use minsheng_domain::org::Actor;
use minsheng_domain::value::{Address, CaseText, Note, PhoneNumber, Title};

const MON_9: i64 = 1_772_413_200_000;

async fn node(url: &str, load: bool) -> App {
    let store = minsheng_store::open(url).await.unwrap();
    store.migrate().await.unwrap();
    let app = App::new(store, Arc::new(ManualClock::at(MON_9)), Settings::default());
    if load {
        minsheng_app::demo::load(app.store.as_ref(), "x", MON_9).await.unwrap();
    }
    app.reload_catalogue().await.unwrap();
    app
}

async fn who(app: &App, login: &str) -> Actor {
    let u = app.store.user_by_login(login).await.unwrap().unwrap();
    app.actor_for_user(&u).await.unwrap()
}

fn intake(title: &str, text: &str, address: &str, phone: &str) -> Intake {
    Intake {
        channel: Channel::Phone,
        case_type: CaseType::Complaint,
        title: Title::parse(title).unwrap(),
        text: CaseText::parse(text).unwrap(),
        urgency: Urgency::Normal,
        citizen: Citizen { phone: Some(PhoneNumber::parse(phone).unwrap()), ..Default::default() },
        place: Place { address: Some(Address::parse(address).unwrap()), ..Default::default() },
        catalogue_item: None,
        catalogue_version: None,
        tags: vec![],
        external_id: None,
        attachments: Vec::new(),
    }
}

fn q(text: &str) -> SearchRequest {
    SearchRequest { q: Some(text.into()), ..Default::default() }
}

async fn numbers(app: &App, actor: &Actor, req: SearchRequest) -> Vec<String> {
    app.search_cases(actor, req).await.unwrap().hits.into_iter().map(|h| h.number).collect()
}

async fn search_is_ranked_filtered_scoped_and_followed(url: String) {
    let a = node(&url, true).await;
    let operator = who(&a, "operator").await;
    let dispatcher = who(&a, "dispatcher").await;
    let lamp = a
        .create_case(
            &operator,
            intake("路灯不亮", "小区门口路灯灯不亮一个月了，晚上很黑", "海口市龙华区金贸街道玉沙社区", "13800000001"),
            AfterIntake::Forward,
        )
        .await
        .unwrap();
    let noise = a
        .create_case(
            &operator,
            intake("夜间施工噪音", "工地半夜施工，附近路灯下堆满建材", "海口市美兰区海甸岛人民大道", "13800000002"),
            AfterIntake::Forward,
        )
        .await
        .unwrap();
    let lamp_no = lamp.case["number"].as_str().unwrap().to_string();
    let noise_no = noise.case["number"].as_str().unwrap().to_string();
    let report = a.sync_search().await.unwrap();
    assert!(report.rebuilt, "a new index is built from the database");
    assert!(report.read >= 2);

    // Ranked: the case titled 路灯 before the one that mentions it in passing.
    assert_eq!(numbers(&a, &dispatcher, q("路灯")).await, vec![lamp_no.clone(), noise_no.clone()]);
    // Addresses are searchable; every term must match.
    assert_eq!(numbers(&a, &dispatcher, q("海甸岛")).await, vec![noise_no.clone()]);
    assert!(numbers(&a, &dispatcher, q("路灯 海甸岛 不存在的词")).await.is_empty());
    let hit = &a.search_cases(&dispatcher, q("路灯")).await.unwrap().hits[0];
    assert!(hit.snippet.contains("<mark>路灯</mark>"), "{}", hit.snippet);
    assert_eq!(hit.state, "awaiting_dispatch");
    // By case number.
    assert_eq!(numbers(&a, &dispatcher, q(&noise_no)).await, vec![noise_no.clone()]);

    // The unit handles the lamp case and replies; the reply becomes searchable after the follower runs.
    let handler = who(&a, "longhua").await;
    let lead = handler.unit.clone().unwrap();
    let d = a
        .act(
            &dispatcher,
            &lamp_no,
            lamp.case["version"].as_i64().unwrap(),
            ActionRequest::Dispatch { lead_unit_id: lead.id, assisting_unit_ids: vec![], catalogue_item: None },
            None,
        )
        .await
        .unwrap();
    let d = a.act(&handler, &lamp_no, d.case["version"].as_i64().unwrap(), ActionRequest::Sign {}, None).await.unwrap();
    let reply = Note::parse("已安排维修队更换灯泡和镇流器，现已恢复照明").unwrap();
    a.act(&handler, &lamp_no, d.case["version"].as_i64().unwrap(), ActionRequest::Reply { text: reply, solved: Solved::Solved }, None)
        .await
        .unwrap();
    assert!(numbers(&a, &dispatcher, q("镇流器")).await.is_empty(), "not before the follower ran");
    let report = a.sync_search().await.unwrap();
    assert!(!report.rebuilt);
    assert!(report.written >= 1, "{report:?}");
    assert_eq!(numbers(&a, &dispatcher, q("镇流器")).await, vec![lamp_no.clone()]);

    // Filters: state, type, dates.
    let req = SearchRequest { state: Some("replied".into()), ..q("路灯") };
    assert_eq!(numbers(&a, &dispatcher, req).await, vec![lamp_no.clone()]);
    let req = SearchRequest { state: Some("awaiting_dispatch".into()), ..SearchRequest::default() };
    assert_eq!(numbers(&a, &dispatcher, req).await, vec![noise_no.clone()], "filters alone, newest first");
    let req = SearchRequest { to: Some("2020-01-01".into()), ..q("路灯") };
    assert!(numbers(&a, &dispatcher, req).await.is_empty());
    let req = SearchRequest { case_type: Some("consultation".into()), ..q("路灯") };
    assert!(numbers(&a, &dispatcher, req).await.is_empty());

    // Scope: the handling unit finds its case, a unit of another district does not see it.
    assert_eq!(numbers(&a, &handler, q("路灯")).await, vec![lamp_no.clone()]);
    let meilan = who(&a, "meilan").await;
    assert!(numbers(&a, &meilan, q("路灯")).await.is_empty(), "another district sees neither case");

    // Refusals: too long, bad state, bad date, bad limit, no search for citizens' roles.
    let long = "路".repeat(201);
    assert_eq!(a.search_cases(&dispatcher, q(&long)).await.unwrap_err().code, ErrorCode::InvalidInput);
    let e = a.search_cases(&dispatcher, SearchRequest { state: Some("flying".into()), ..q("路灯") }).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    let e = a.search_cases(&dispatcher, SearchRequest { from: Some("yesterday".into()), ..q("路灯") }).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    let e = a.search_cases(&dispatcher, SearchRequest { limit: Some(1000), ..q("路灯") }).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    let grid = who(&a, "grid").await;
    assert_eq!(a.search_cases(&grid, q("路灯")).await.unwrap_err().code, ErrorCode::Forbidden);

    // A second node on the same database keeps its own index: built from the database, then
    // following what the first node writes.
    let b = node(&url, false).await;
    assert!(b.sync_search().await.unwrap().rebuilt);
    assert_eq!(numbers(&b, &dispatcher, q("镇流器")).await, vec![lamp_no.clone()]);
    let third = a
        .create_case(&operator, intake("井盖缺失", "人行道井盖丢失，路灯也不亮", "海口市琼山区府城", "13800000003"), AfterIntake::Forward)
        .await
        .unwrap();
    let third_no = third.case["number"].as_str().unwrap().to_string();
    b.sync_search().await.unwrap();
    assert_eq!(numbers(&b, &dispatcher, q("井盖")).await, vec![third_no]);
    assert_eq!(numbers(&b, &dispatcher, q("路灯")).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    search_is_ranked_filtered_scoped_and_followed(format!("sqlite://{}", minsheng_testkit::fresh_sqlite_path())).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    search_is_ranked_filtered_scoped_and_followed(minsheng_testkit::fresh_pg_database().await).await
}
