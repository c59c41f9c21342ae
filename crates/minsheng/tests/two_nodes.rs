//! Two server processes on one PostgreSQL, both watching the clocks: every due warning is raised
//! exactly once — none twice, none missed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use minsheng_app::service::AfterIntake;
use minsheng_app::{App, ManualClock, Settings};
use minsheng_domain::case::{CaseType, Channel, Citizen, Intake, Place, Urgency};
use minsheng_domain::event::EventKind;
use minsheng_domain::org::{Actor, Role};
use minsheng_domain::value::{CaseText, Title};

const CASES: usize = 120;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_fire_each_warning_exactly_once() {
    let url = minsheng_testkit::fresh_pg_database().await;
    let store = minsheng_store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    // Cases taken in ten hours ago: their 8-hour dispatch clocks are past yellow and red.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let app = App::new(store.clone(), Arc::new(ManualClock::at(now - 10 * 3_600_000)), Settings::default());
    let operator = Actor { user_id: None, name: "话务员".into(), role: Role::Operator, unit: None };
    let mut ids = Vec::new();
    for i in 0..CASES {
        let intake = Intake {
            channel: Channel::Phone,
            case_type: CaseType::Complaint,
            title: Title::parse(&format!("积水{i}")).unwrap(),
            text: CaseText::parse("路口积水").unwrap(),
            urgency: Urgency::Normal,
            citizen: Citizen::default(),
            place: Place::default(),
            catalogue_item: None,
            catalogue_version: None,
            tags: vec![],
            external_id: None,
            attachments: Vec::new(),
        };
        ids.push(app.create_case(&operator, intake, AfterIntake::Forward).await.unwrap().case["id"].as_i64().unwrap());
    }
    let start_node = |n: usize| {
        // Each node keeps its own search index (one process per index directory).
        let search = std::env::temp_dir().join(format!("minsheng-two-nodes-{}-{n}", std::process::id()));
        Command::new(env!("CARGO_BIN_EXE_minsheng"))
            .args(["--database", &url, "serve", "--listen", "127.0.0.1:0"])
            .env("MINSHENG_WATCH_INTERVAL_MS", "20")
            .env("MINSHENG_SEARCH_DIR", &search)
            .env("MINSHENG_CLASSIFIER_BOOTSTRAP", "0")
            .env_remove("MINSHENG_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut nodes = [start_node(1), start_node(2)];
    let count = |events: &[minsheng_domain::event::Event]| events.iter().filter(|e| matches!(e.kind, EventKind::Warned { .. })).count();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let mut total = 0;
        for id in &ids {
            total += count(&store.case_events(*id).await.unwrap());
        }
        if total >= 2 * CASES || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Let both nodes keep trying for a while: nothing more may appear.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for n in &mut nodes {
        assert!(n.try_wait().unwrap().is_none(), "both nodes ran the whole time");
    }
    for n in &mut nodes {
        let _ = Command::new("kill").arg("-TERM").arg(n.id().to_string()).status();
        let _ = n.wait();
    }
    for id in &ids {
        let events = store.case_events(*id).await.unwrap();
        let warned: Vec<String> = events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Warned { step, level } => Some(format!("{}:{level:?}", step.as_str())),
                _ => None,
            })
            .collect();
        assert_eq!(warned, ["dispatch:Yellow", "dispatch:Red"], "case {id}: each warning exactly once");
        let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=events.len() as i64).collect::<Vec<_>>(), "history without gaps");
    }
}
