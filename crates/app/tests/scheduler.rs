//! The clock watcher with a controlled clock, on both engines: each warning fires once, at its
//! time, with an automatic urge; a restarted clock gets its own warnings.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use minsheng_app::service::AfterIntake;
use minsheng_app::{App, ManualClock, Settings};
use minsheng_domain::case::{CaseType, Channel, Citizen, Intake, Place, Urgency};
use minsheng_domain::event::EventKind;
use minsheng_domain::org::Actor;
use minsheng_domain::value::{CaseText, PhoneNumber, Title};

const HOUR: i64 = 3_600_000;
/// Monday 2026-03-02 09:00 China time.
const MON_9: i64 = 1_772_413_200_000;

async fn app(url: String, clock: ManualClock) -> App {
    let store = minsheng_store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    let app = App::new(store, Arc::new(clock), Settings::default());
    minsheng_app::demo::load(app.store.as_ref(), "x", MON_9).await.unwrap();
    app
}

fn intake() -> Intake {
    Intake {
        channel: Channel::Phone,
        case_type: CaseType::Complaint,
        title: Title::parse("夜间施工噪音").unwrap(),
        text: CaseText::parse("工地每晚施工到凌晨").unwrap(),
        urgency: Urgency::Normal,
        citizen: Citizen { phone: Some(PhoneNumber::parse("13800138000").unwrap()), ..Default::default() },
        place: Place::default(),
        catalogue_item: None,
        catalogue_version: None,
        tags: vec![],
        external_id: None,
        attachments: Vec::new(),
    }
}

fn operator() -> Actor {
    Actor { user_id: Some(2), name: "话务员".into(), role: minsheng_domain::org::Role::Operator, unit: None }
}

async fn warnings(app: &App, id: i64) -> Vec<String> {
    app.store
        .case_events(id)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::Warned { step, level } => Some(format!("{}:{:?}", step.as_str(), level)),
            _ => None,
        })
        .collect()
}

async fn story(url: String) {
    let clock = ManualClock::at(MON_9);
    let app = app(url, clock.clone()).await;
    let created = app.create_case(&operator(), intake(), AfterIntake::Forward).await.unwrap();
    let id = created.case["id"].as_i64().unwrap();
    // Dispatch limit: 8 h wall clock; yellow at 6 h.
    clock.set(MON_9 + 6 * HOUR - 1000);
    assert_eq!(app.fire_due_warnings(100).await.unwrap().fired, 0, "not yet");
    clock.set(MON_9 + 6 * HOUR);
    assert_eq!(app.fire_due_warnings(100).await.unwrap().fired, 1);
    assert_eq!(app.fire_due_warnings(100).await.unwrap().fired, 0, "fires once");
    assert_eq!(warnings(&app, id).await, ["dispatch:Yellow"]);
    let case = app.store.get_case(id).await.unwrap().unwrap();
    assert_eq!(case.urge_count, 1, "an automatic urge goes with the warning");
    clock.set(MON_9 + 8 * HOUR);
    assert_eq!(app.fire_due_warnings(100).await.unwrap().fired, 1);
    assert_eq!(warnings(&app, id).await, ["dispatch:Yellow", "dispatch:Red"]);
    assert_eq!(app.store.get_case(id).await.unwrap().unwrap().overdue_count, 1);
    clock.set(MON_9 + 100 * HOUR);
    assert_eq!(app.fire_due_warnings(100).await.unwrap().fired, 0, "nothing twice, however late");
    // Dispatching stops that clock and starts the unit's own.
    let dispatcher = Actor { user_id: Some(3), name: "派单员".into(), role: minsheng_domain::org::Role::Dispatcher, unit: None };
    let lead = app.store.unit_by_code("460106").await.unwrap().unwrap().id;
    let version = app.store.get_case(id).await.unwrap().unwrap().version;
    app.act(
        &dispatcher,
        &id.to_string(),
        version,
        serde_json::from_value(serde_json::json!({"action": "dispatch", "lead_unit_id": lead})).unwrap(),
        None,
    )
    .await
    .unwrap();
    let case = app.store.get_case(id).await.unwrap().unwrap();
    let sign = case.deadlines.iter().find(|d| d.step == minsheng_domain::deadline::Step::Sign).unwrap();
    clock.set(sign.due_at.unwrap());
    let r = app.fire_due_warnings(100).await.unwrap();
    // Sign and contact are both one working day; reply (five) is still green.
    assert_eq!(r.fired, 4, "yellow and red of sign and contact: {r:?}");
    let w = warnings(&app, id).await;
    assert!(w.contains(&"sign:Red".to_string()) && w.contains(&"contact:Yellow".to_string()), "{w:?}");
    assert!(!w.iter().any(|x| x.starts_with("reply")), "{w:?}");
    // Replaying the history gives the same case, warnings included.
    let events = app.store.case_events(id).await.unwrap();
    let case = app.store.get_case(id).await.unwrap().unwrap();
    assert_eq!(minsheng_domain::case::Case::replay(case.id, case.number.clone(), &events).unwrap(), case);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warnings_fire_once_on_sqlite() {
    story(format!("sqlite://{}", minsheng_testkit::fresh_sqlite_path())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warnings_fire_once_on_postgres() {
    story(minsheng_testkit::fresh_pg_database().await).await;
}
