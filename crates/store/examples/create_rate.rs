//! How many cases per second the store itself takes in (no HTTP): `cargo run --release -p
//! minsheng-store --example create_rate -- sqlite:///tmp/x.db 50000 64`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use minsheng_domain::case::{CaseType, Channel, Citizen, Intake, Place, Urgency};
use minsheng_domain::event::{ActorStamp, EventKind};
use minsheng_domain::org::Role;
use minsheng_domain::value::{CaseText, PhoneNumber, Title};
use minsheng_store::{FollowUp, NewCase};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let url = args.get(1).cloned().unwrap_or_else(|| "sqlite:///tmp/create_rate.db".into());
    let total: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(50_000);
    let tasks: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(64);
    let store = minsheng_store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    let start = std::time::Instant::now();
    let mut handles = Vec::new();
    for t in 0..tasks {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            for i in 0..total / tasks {
                let intake = Intake {
                    channel: Channel::Phone,
                    case_type: CaseType::Complaint,
                    title: Title::parse(&format!("夜间施工噪音扰民{t}-{i}")).unwrap(),
                    text: CaseText::parse("海秀东路某工地每晚十一点后仍在施工，噪音很大，影响休息，请尽快处理。").unwrap(),
                    urgency: Urgency::Normal,
                    citizen: Citizen {
                        phone: Some(PhoneNumber::parse(&format!("139{:08}", t * 100_000 + i)).unwrap()),
                        ..Default::default()
                    },
                    place: Place::default(),
                    catalogue_item: None,
                    catalogue_version: None,
                    tags: vec![],
                    external_id: None,
                    attachments: Vec::new(),
                };
                let actor =
                    ActorStamp { user_id: Some(2), name: "话务员".into(), role: Role::Operator, unit_id: Some(2), unit_name: None };
                let new = NewCase {
                    number_prefix: "HK".into(),
                    intake,
                    at: 1_795_320_000_000,
                    actor,
                    then: vec![FollowUp { kind: EventKind::Forwarded, note: None, at: None, actor: None }],
                    deadlines: None,
                    notices: Vec::new(),
                    inbound: None,
                };
                store.create_case(new).await.unwrap();
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    println!("{} cases in {secs:.2} s: {:.0} cases/s", total, total as f64 / secs);
}
