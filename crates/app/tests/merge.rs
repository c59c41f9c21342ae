//! 并单 and 回潮 on both engines: the reporters of a merged case hear the outcome of the case
//! that absorbed it; a new report of the same matter at the same place within 72 hours of a
//! closing flags the closed case (and the new one points back at it).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use minsheng_app::service::{ActionRequest, AfterIntake};
use minsheng_app::{App, ManualClock, Settings};
use minsheng_domain::case::{CallbackOutcome, Case, CaseState, CaseType, Channel, Citizen, Intake, Place, Solved, Urgency};
use minsheng_domain::org::Actor;
use minsheng_domain::value::{Address, CaseText, Note, PhoneNumber, Title};
use minsheng_store::NoticeQuery;

const MON_9: i64 = 1_772_413_200_000;
const HOUR: i64 = 3_600_000;

async fn app(url: String) -> (App, ManualClock) {
    let store = minsheng_store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    let clock = ManualClock::at(MON_9);
    let app = App::new(store, Arc::new(clock.clone()), Settings::default());
    minsheng_app::demo::load(app.store.as_ref(), "x", MON_9).await.unwrap();
    app.reload_catalogue().await.unwrap();
    (app, clock)
}

async fn who(app: &App, login: &str) -> Actor {
    let u = app.store.user_by_login(login).await.unwrap().unwrap();
    app.actor_for_user(&u).await.unwrap()
}

fn intake(text: &str, phone: &str, item: &str) -> Intake {
    Intake {
        channel: Channel::Phone,
        case_type: CaseType::Complaint,
        title: Title::parse("小区垃圾堆积无人清运").unwrap(),
        text: CaseText::parse(text).unwrap(),
        urgency: Urgency::Normal,
        citizen: Citizen { phone: Some(PhoneNumber::parse(phone).unwrap()), ..Default::default() },
        place: Place { address: Some(Address::parse("海口市龙华区金贸街道玉沙社区").unwrap()), ..Default::default() },
        catalogue_item: Some(item.to_string()),
        catalogue_version: None,
        tags: vec![],
        external_id: None,
        attachments: Vec::new(),
    }
}

async fn stored(app: &App, v: &serde_json::Value) -> Case {
    app.store.get_case(v["id"].as_i64().unwrap()).await.unwrap().unwrap()
}

fn garbage_item(app: &App) -> String {
    app.catalogue().leaves().into_iter().find(|i| i.name == "环境卫生").unwrap().code.clone()
}

async fn merged_reporters_hear_the_outcome(url: String) {
    let (app, _) = app(url).await;
    let item = garbage_item(&app);
    let (operator, dispatcher, supervisor) = (who(&app, "operator").await, who(&app, "dispatcher").await, who(&app, "supervisor").await);
    let first = app
        .create_case(&operator, intake("玉沙社区垃圾堆了三天没人清运，臭味很大", "13911110001", &item), AfterIntake::Stay)
        .await
        .unwrap();
    let second =
        app.create_case(&operator, intake("玉沙社区门口垃圾三天没清运了", "13911110002", &item), AfterIntake::Forward).await.unwrap();
    let (first, second) = (stored(&app, &first.case).await, stored(&app, &second.case).await);
    // The second report is merged into the first.
    app.act(&dispatcher, second.number.as_str(), second.version, ActionRequest::Merge { into: first.number.as_str().into() }, None)
        .await
        .unwrap();
    let target = app.store.get_case(first.id).await.unwrap().unwrap();
    assert_eq!(target.reporters, 2);
    // The first is answered and closed after the callback.
    let answer = Note::parse("已通知环卫部门清运，并增加清运频次").unwrap();
    let d = app.act(&operator, target.number.as_str(), target.version, ActionRequest::AnswerOnSpot { answer }, None).await.unwrap();
    let v = d.case["version"].as_i64().unwrap();
    let closed = app
        .act(
            &supervisor,
            target.number.as_str(),
            v,
            ActionRequest::Callback { outcome: CallbackOutcome::Satisfied, solved: Some(Solved::Solved), comment: None },
            None,
        )
        .await
        .unwrap();
    assert_eq!(stored(&app, &closed.case).await.state, CaseState::Closed);
    // The merged case's citizen gets the outcome, on that case's delivery log.
    let notices = app.store.list_notices(&NoticeQuery { case_id: Some(second.id), ..Default::default() }).await.unwrap();
    let sms: Vec<_> = notices.iter().filter(|n| n.channel == "sms").collect();
    assert_eq!(sms.len(), 1, "{notices:?}");
    assert_eq!(sms[0].recipient, "13911110002");
    assert!(sms[0].body.contains(first.number.as_str()) && sms[0].body.contains("增加清运频次"), "{}", sms[0].body);
}

async fn a_report_soon_after_closing_flags_the_closed_case(url: String) {
    let (app, clock) = app(url).await;
    let item = garbage_item(&app);
    let (operator, supervisor) = (who(&app, "operator").await, who(&app, "supervisor").await);
    let old = app
        .create_case(&operator, intake("玉沙社区垃圾堆了三天没人清运，臭味很大", "13911110003", &item), AfterIntake::Stay)
        .await
        .unwrap();
    let old = stored(&app, &old.case).await;
    let answer = Note::parse("已清运").unwrap();
    let d = app.act(&operator, old.number.as_str(), old.version, ActionRequest::AnswerOnSpot { answer }, None).await.unwrap();
    let callback = ActionRequest::Callback { outcome: CallbackOutcome::Satisfied, solved: Some(Solved::Solved), comment: None };
    app.act(&supervisor, old.number.as_str(), d.case["version"].as_i64().unwrap(), callback, None).await.unwrap();

    // 30 hours later the same matter at the same place: both cases are flagged.
    clock.advance(30 * HOUR);
    let again = app
        .create_case(&operator, intake("玉沙社区垃圾又堆起来了，还是没人清运", "13911110004", &item), AfterIntake::Forward)
        .await
        .unwrap();
    let again = stored(&app, &again.case).await;
    assert_eq!(again.recurrences.iter().map(|l| l.id).collect::<Vec<_>>(), vec![old.id]);
    let flagged = app.store.get_case(old.id).await.unwrap().unwrap();
    assert_eq!(flagged.state, CaseState::Closed, "flagging does not reopen");
    assert_eq!(flagged.recurrences.iter().map(|l| l.id).collect::<Vec<_>>(), vec![again.id]);
    let events = app.store.case_events(old.id).await.unwrap();
    assert_eq!(events.last().unwrap().kind.name(), "recurrence_flagged");

    // A different matter at the same place is not a recurrence; neither is one after 72 hours.
    let other_item = app.catalogue().leaves().into_iter().find(|i| i.name == "宠物噪声").unwrap().code.clone();
    let mut dog = intake("楼下的狗整夜叫，吵得睡不着", "13911110005", &other_item);
    dog.title = Title::parse("狗叫扰民").unwrap();
    let dog = app.create_case(&operator, dog, AfterIntake::Forward).await.unwrap();
    assert!(stored(&app, &dog.case).await.recurrences.is_empty());
    clock.advance(50 * HOUR);
    let late = app.create_case(&operator, intake("玉沙社区垃圾堆积无人清运", "13911110006", &item), AfterIntake::Forward).await.unwrap();
    assert!(stored(&app, &late.case).await.recurrences.is_empty(), "80 hours after closing");
}

macro_rules! on_both_engines {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() { super::$name(format!("sqlite://{}", minsheng_testkit::fresh_sqlite_path())).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() { super::$name(minsheng_testkit::fresh_pg_database().await).await }
        }
    )+};
}

on_both_engines!(merged_reporters_hear_the_outcome, a_report_soon_after_closing_flags_the_closed_case);
