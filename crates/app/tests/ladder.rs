//! Urging through the outbox, automatic supervision and escalation, the joint meeting, the duty
//! roster and weekly digest, and the live figures with scores and rankings — on both engines,
//! with a controlled clock and the demo city.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use minsheng_app::metrics::{MetricsBy, MetricsRequest, report_csv, report_xlsx};
use minsheng_app::service::AfterIntake;
use minsheng_app::service::ListView;
use minsheng_app::{App, ManualClock, Settings};
use minsheng_domain::case::{CaseState, CaseType, Channel, Citizen, Intake, Place, Supervision, Urgency};
use minsheng_domain::deadline::{Light, Step};
use minsheng_domain::org::Actor;
use minsheng_domain::value::{CaseText, Note, PhoneNumber, Title};
use minsheng_store::CaseFilter;

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

async fn who(app: &App, login: &str) -> Actor {
    let u = app.store.user_by_login(login).await.unwrap().unwrap();
    app.actor_for_user(&u).await.unwrap()
}

fn intake(title: &str, phone: &str, item: Option<&str>) -> Intake {
    Intake {
        channel: Channel::Phone,
        case_type: CaseType::Complaint,
        title: Title::parse(title).unwrap(),
        text: CaseText::parse(&format!("{title}，请尽快处理")).unwrap(),
        urgency: Urgency::Normal,
        citizen: Citizen { phone: Some(PhoneNumber::parse(phone).unwrap()), ..Default::default() },
        place: Place::default(),
        catalogue_item: item.map(str::to_string),
        catalogue_version: None,
        tags: vec![],
        external_id: None,
        attachments: Vec::new(),
    }
}

async fn act(app: &App, actor: &Actor, id: i64, body: serde_json::Value, note: Option<&str>) -> minsheng_app::service::CaseDetail {
    let version = app.store.get_case(id).await.unwrap().unwrap().version;
    app.act(actor, &id.to_string(), version, serde_json::from_value(body).unwrap(), note.map(|n| Note::parse(n).unwrap()))
        .await
        .unwrap_or_else(|e| panic!("action refused: {e:?}"))
}

/// Creates a case and dispatches it to 龙华区; returns its id.
async fn dispatched(app: &App, title: &str, phone: &str, item: Option<&str>) -> i64 {
    let created = app.create_case(&who(app, "operator").await, intake(title, phone, item), AfterIntake::Forward).await.unwrap();
    let id = created.case["id"].as_i64().unwrap();
    let lead = app.store.unit_by_code("460106").await.unwrap().unwrap().id;
    act(app, &who(app, "dispatcher").await, id, serde_json::json!({"action": "dispatch", "lead_unit_id": lead}), None).await;
    id
}

async fn inbox(app: &App, login: &str) -> Vec<String> {
    app.deliver_in_app(100).await.unwrap();
    app.my_notices(&who(app, login).await, false, 50).await.unwrap().into_iter().map(|n| n.body).collect()
}

async fn urging_and_the_ladder(url: String) {
    let clock = ManualClock::at(MON_9);
    let app = app(url, clock.clone()).await;
    let id = dispatched(&app, "路灯不亮", "13800138000", None).await;
    let handler = who(&app, "longhua").await;
    act(&app, &handler, id, serde_json::json!({"action": "sign"}), None).await;

    // Yellow on the contact clock: the signer is urged, the leader is not yet.
    let case = app.store.get_case(id).await.unwrap().unwrap();
    let contact = *case.deadlines.iter().find(|d| d.step == Step::Contact).unwrap();
    clock.set(contact.yellow_at.unwrap());
    assert!(app.fire_due_warnings(100).await.unwrap().fired >= 1);
    let mine = inbox(&app, "longhua").await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert!(mine[0].contains("催办") && mine[0].contains(case.number.as_str()), "{mine:?}");
    assert!(inbox(&app, "longhua_leader").await.is_empty(), "the leader is reached only past the red line");
    assert!(inbox(&app, "jinmao").await.is_empty(), "other units hear nothing");

    // Red: the leader too, and an automatic yellow card (the reply clock is still running).
    clock.set(contact.due_at.unwrap());
    app.fire_due_warnings(100).await.unwrap();
    assert_eq!(inbox(&app, "longhua_leader").await.len(), 1);
    assert_eq!(inbox(&app, "longhua").await.len(), 2);
    let case = app.store.get_case(id).await.unwrap().unwrap();
    assert_eq!(case.supervision, Supervision::Yellow);
    assert!(case.escalated_to.is_none());

    // The warned case shows in the unit's inbox and in the supervisors' lists, filtered by light.
    let other = dispatched(&app, "另一件工单", "13800138009", None).await;
    let listed = |actor: Actor, view: ListView, warning: Option<Light>, supervision: Option<Supervision>| {
        let app = app.clone();
        async move {
            let filter = CaseFilter { warning, supervision, ..Default::default() };
            app.list_cases(&actor, view, filter, None, 50).await.unwrap().items.into_iter().map(|c| c.id).collect::<Vec<_>>()
        }
    };
    let sup_actor = who(&app, "supervisor").await;
    assert_eq!(listed(sup_actor.clone(), ListView::Visible, Some(Light::Red), None).await, vec![id]);
    assert_eq!(listed(sup_actor.clone(), ListView::Visible, Some(Light::Yellow), None).await, vec![id]);
    assert_eq!(listed(sup_actor.clone(), ListView::Visible, None, Some(Supervision::Yellow)).await, vec![id]);
    assert!(listed(sup_actor.clone(), ListView::Visible, None, Some(Supervision::Red)).await.is_empty());
    assert_eq!(listed(handler.clone(), ListView::Inbox, Some(Light::Red), None).await, vec![id]);
    let all = listed(sup_actor.clone(), ListView::Visible, None, None).await;
    assert!(all.contains(&other) && all.contains(&id));

    // Delivery is the list: the notices are sent, once, and can be marked read.
    let notes = app.my_notices(&handler, true, 50).await.unwrap();
    assert!(notes.iter().all(|n| n.state == minsheng_store::NoticeState::Sent));
    app.mark_read(&handler, notes[0].id).await.unwrap();
    assert_eq!(app.my_notices(&handler, true, 50).await.unwrap().len(), notes.len() - 1);
    assert!(app.mark_read(&who(&app, "jinmao").await, notes[1].id).await.is_err(), "not someone else's notice");
    let log = app.case_notices(&who(&app, "supervisor").await, &id.to_string()).await.unwrap();
    assert_eq!(log.iter().filter(|n| n.channel == "inapp").count(), 3, "the case shows its delivery log");
    assert!(log.iter().any(|n| n.channel == "sms" && n.template == "acknowledged"), "and the citizen's acknowledgement");

    // The reply clock runs out: red card and a leader takes the case, in the same change.
    let reply = *case.deadlines.iter().find(|d| d.step == Step::Reply).unwrap();
    clock.set(reply.due_at.unwrap());
    app.fire_due_warnings(100).await.unwrap();
    let case = app.store.get_case(id).await.unwrap().unwrap();
    assert_eq!(case.supervision, Supervision::Red);
    let leader = who(&app, "leader").await;
    assert_eq!(case.escalated_to.as_ref().map(|l| l.user_id), leader.user_id);
    let leader_inbox = inbox(&app, "leader").await;
    assert!(leader_inbox.iter().any(|b| b.contains("领导领办") && b.contains("超期")), "{leader_inbox:?}");
    let events = app.store.case_events(id).await.unwrap();
    let names: Vec<&str> = events.iter().map(|e| e.kind.name()).collect();
    assert!(names.ends_with(&["warned", "urged", "supervised", "escalated"]), "{names:?}");
    assert_eq!(minsheng_domain::case::Case::replay(case.id, case.number.clone(), &events).unwrap(), case);

    // The leader convenes a joint meeting: 城管局 leads, 龙华区 assists.
    let cgj = app.store.unit_by_code("HK-CGJ").await.unwrap().unwrap().id;
    let longhua = app.store.unit_by_code("460106").await.unwrap().unwrap().id;
    let detail = act(
        &app,
        &leader,
        id,
        serde_json::json!({"action": "joint_meeting", "lead_unit_id": cgj, "assisting_unit_ids": [longhua]}),
        Some("会商：城管局牵头，龙华区配合"),
    )
    .await;
    assert_eq!(detail.case["state"], "dispatched");
    let case = app.store.get_case(id).await.unwrap().unwrap();
    assert_eq!(case.lead_unit.as_ref().map(|u| u.id), Some(cgj));
    assert!(case.joint_meeting.is_some());

    // A manual urge by a supervisor reaches the new holder's handler; the second one its leader.
    let sup = who(&app, "supervisor").await;
    clock.set(reply.due_at.unwrap() + HOUR);
    act(&app, &sup, id, serde_json::json!({"action": "urge"}), Some("请尽快签收")).await;
    assert!(inbox(&app, "cgj").await.iter().any(|b| b.contains("请尽快签收")));
    assert!(inbox(&app, "cgj_leader").await.is_empty());
    clock.set(reply.due_at.unwrap() + 2 * HOUR);
    act(&app, &sup, id, serde_json::json!({"action": "urge"}), Some("再次催办")).await;
    assert!(inbox(&app, "cgj_leader").await.iter().any(|b| b.contains("再次催办")));
}

async fn repeats_unsatisfied_digest_and_figures(url: String) {
    let clock = ManualClock::at(MON_9);
    let app = app(url, clock.clone()).await;
    let (handler, sup) = (who(&app, "longhua").await, who(&app, "supervisor").await);

    // The same citizen reports the same matter a third time: the dispatch tips it to a leader.
    for _ in 0..2 {
        dispatched(&app, "夜间施工噪音", "13800138111", Some("ZS.01.001")).await;
    }
    let third = dispatched(&app, "夜间施工噪音", "13800138111", Some("ZS.01.001")).await;
    let case = app.store.get_case(third).await.unwrap().unwrap();
    assert!(case.escalated_to.is_some(), "third report within 30 days escalates");
    let other = dispatched(&app, "夜间施工噪音", "13800138222", Some("ZS.01.001")).await;
    assert!(app.store.get_case(other).await.unwrap().unwrap().escalated_to.is_none(), "another citizen, another place");

    // A case called back unsatisfied twice goes to a leader.
    let id = dispatched(&app, "小区积水", "13800138333", Some("01.02.001")).await;
    act(&app, &handler, id, serde_json::json!({"action": "sign"}), None).await;
    for round in 0..2 {
        act(&app, &handler, id, serde_json::json!({"action": "contact", "method": "phone"}), Some("电话联系")).await;
        act(&app, &handler, id, serde_json::json!({"action": "reply", "text": "已疏通", "solved": "solved"}), None).await;
        act(&app, &sup, id, serde_json::json!({"action": "review_reply", "pass": true}), None).await;
        act(
            &app,
            &sup,
            id,
            serde_json::json!({"action": "callback", "outcome": "unsatisfied", "solved": "unsolved", "comment": "仍然积水"}),
            None,
        )
        .await;
        if round == 0 {
            assert!(app.store.get_case(id).await.unwrap().unwrap().escalated_to.is_none());
            act(&app, &sup, id, serde_json::json!({"action": "redo"}), Some("市民不满意")).await;
        }
    }
    assert!(app.store.get_case(id).await.unwrap().unwrap().escalated_to.is_some(), "two unsatisfied ratings escalate");

    // The duty roster and the weekly digest for the leaders on duty.
    let leader = who(&app, "longhua_leader").await;
    let longhua = app.store.unit_by_code("460106").await.unwrap().unwrap().id;
    assert!(app.set_duty(&handler, "2026-03-03", longhua, &[leader.user_id.unwrap()]).await.is_err(), "a handler may not");
    assert!(app.set_duty(&sup, "2026-03-03", longhua, &[handler.user_id.unwrap()]).await.is_err(), "only leaders go on duty");
    app.set_duty(&leader, "2026-03-03", longhua, &[leader.user_id.unwrap()]).await.unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 4).unwrap();
    let digest = app.send_unsatisfied_digest(day).await.unwrap();
    assert_eq!(digest.week, "2026-03-02");
    assert_eq!(digest.total, 1);
    assert_eq!(digest.groups[0].category, "城乡建设");
    assert_eq!(digest.groups[0].cases[0].comment.as_deref(), Some("仍然积水"));
    assert_eq!(digest.recipients, vec![leader.user_id.unwrap()]);
    app.send_unsatisfied_digest(day).await.unwrap();
    let got = inbox(&app, "longhua_leader").await;
    assert_eq!(got.iter().filter(|b| b.contains("不满意工单周报")).count(), 1, "once per leader and week: {got:?}");
    // The watcher sends last week's digest on Monday morning, once.
    clock.set(MON_9 + 7 * 24 * HOUR);
    assert!(app.weekly_digest_if_due().await.unwrap());
    assert!(!app.weekly_digest_if_due().await.unwrap());

    // The figures: everything here was led by 龙华区, received this week.
    let today = chrono::NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
    let req = |by: &str, unit: Option<i64>| MetricsRequest::parse(Some("2026-03-01"), Some("2026-04-01"), Some(by), unit, today).unwrap();
    let report = app.metrics_report(&sup, &req("unit", None)).await.unwrap();
    let row = report.rows.iter().find(|r| r.label == "龙华区").unwrap();
    assert_eq!(row.counts["received"], 5);
    assert_eq!(row.counts["dispatched"], 5);
    assert_eq!(row.counts["rated"], 1);
    assert_eq!(row.counts["unsatisfied"], 1);
    assert_eq!(row.counts["redone"], 1);
    assert_eq!(row.counts["callbacks_made"], 0, "the centre called back, not the unit");
    assert_eq!(row.values["satisfaction_rate"], Some(0.0));
    assert_eq!(row.values["on_time_rate"], None, "nothing closed: no figure, not zero");
    assert_eq!(row.level, Some("district"));
    assert_eq!(row.rank, Some(1));
    assert!(row.score.as_ref().unwrap().ranked);
    assert_eq!(report.total.counts["received"], 5);
    let sat = report.definitions.iter().find(|d| d.id == "satisfaction_rate").unwrap();
    assert!(sat.formula_zh.contains("基本满意 × 0.8"));

    // With its subtree, by level, by day; a unit leader sees only their own subtree.
    let tree = app.metrics_report(&sup, &req("unit_tree", None)).await.unwrap();
    let city = tree.rows.iter().find(|r| r.level == Some("city")).unwrap();
    assert_eq!(city.counts["received"], 5, "the city's subtree holds the district's cases");
    let level = app.metrics_report(&sup, &req("level", None)).await.unwrap();
    assert_eq!(level.rows.iter().find(|r| r.key == "district").unwrap().counts["received"], 5);
    let days = app.metrics_report(&sup, &req("day", None)).await.unwrap();
    assert_eq!(days.rows.len(), 1);
    assert_eq!(days.rows[0].key, "2026-03-02");
    let own = app.metrics_report(&leader, &req("unit", None)).await.unwrap();
    assert!(own.rows.iter().all(|r| r.label != "美兰区"));
    assert_eq!(own.total.counts["received"], 5);
    let meilan = app.store.unit_by_code("460108").await.unwrap().unwrap().id;
    assert!(app.metrics_report(&leader, &req("unit", Some(meilan))).await.is_err(), "not another district");
    let mut citizen = who(&app, "grid").await;
    citizen.role = minsheng_domain::org::Role::GridWorker;
    assert!(app.metrics_report(&citizen, &req("unit", None)).await.is_err());

    // Rankings per level, and the exports.
    let ranks = app.monthly_rankings(&sup, "2026-03").await.unwrap();
    let district = ranks.levels.iter().find(|l| l.level == "district").unwrap();
    assert_eq!(district.rows[0].rank, Some(1));
    assert!(app.monthly_rankings(&sup, "2026-13").await.is_err());
    let csv = report_csv(&report).unwrap();
    assert!(csv.starts_with(&[0xEF, 0xBB, 0xBF]));
    let text = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert!(text.lines().next().unwrap().contains("满意率(%)"));
    assert!(text.contains("龙华区") && text.contains("合计"));
    let xlsx = report_xlsx(&report).unwrap();
    assert!(xlsx.starts_with(b"PK"), "an XLSX is a zip");

    // Definitions are settings: an administrator may count 基本满意 in full; others may not.
    let admin = who(&app, "admin").await;
    let mut defs = app.metric_definitions().await.unwrap();
    assert!(app.set_metric_definitions(&sup, defs.clone()).await.is_err());
    for d in defs.iter_mut().filter(|d| d.id == "satisfaction_rate") {
        for t in d.numerator.iter_mut() {
            t.weight = 1.0;
        }
    }
    app.set_metric_definitions(&admin, defs.clone()).await.unwrap();
    let again = app.metrics_report(&sup, &req("unit", None)).await.unwrap();
    assert!(again.definitions.iter().any(|d| d.formula_zh == "(满意 + 基本满意) ÷ 参评量 × 100%"));
    let mut bad = defs.clone();
    bad[0].denominator.clear();
    assert!(app.set_metric_definitions(&admin, bad).await.is_err());
    let mut rules = app.score_rules().await.unwrap();
    rules.weights = vec![("no_such_metric".into(), 1.0)];
    assert!(app.set_score_rules(&admin, rules).await.is_err());
    assert!(MetricsRequest::parse(Some("2026-03-05"), Some("2026-03-01"), None, None, today).is_err());
    assert!(MetricsRequest::parse(None, None, Some("nonsense"), None, today).is_err());
    assert_eq!(MetricsRequest::parse(None, None, None, None, today).unwrap().by, MetricsBy::Unit);
    // The ladder's thresholds are settings: with repeats off, a fourth report stays with its unit.
    let mut rules = app.escalation_rules();
    rules.repeats = 0;
    assert!(app.set_escalation_rules(&sup, rules.clone()).await.is_err(), "administrators only");
    assert!(
        app.set_escalation_rules(&admin, minsheng_domain::escalation::EscalationRules { repeat_days: 0, ..rules.clone() }).await.is_err()
    );
    app.set_escalation_rules(&admin, rules).await.unwrap();
    let fourth = dispatched(&app, "夜间施工噪音", "13800138111", Some("ZS.01.001")).await;
    assert!(app.store.get_case(fourth).await.unwrap().unwrap().escalated_to.is_none());
    let _ = CaseState::Closed;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urging_and_the_ladder_on_sqlite() {
    urging_and_the_ladder(format!("sqlite://{}", minsheng_testkit::fresh_sqlite_path())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urging_and_the_ladder_on_postgres() {
    urging_and_the_ladder(minsheng_testkit::fresh_pg_database().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeats_unsatisfied_digest_and_figures_on_sqlite() {
    repeats_unsatisfied_digest_and_figures(format!("sqlite://{}", minsheng_testkit::fresh_sqlite_path())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeats_unsatisfied_digest_and_figures_on_postgres() {
    repeats_unsatisfied_digest_and_figures(minsheng_testkit::fresh_pg_database().await).await;
}
