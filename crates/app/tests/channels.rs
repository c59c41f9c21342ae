//! Channels on both engines: a message becomes a case or an addition, once; the citizen's
//! acknowledgement is written with the case; an SMS digit rates the case that waits for it; a
//! flagged citizen's report waits for a person; the public door is rate limited; the history by
//! phone spans channels; templates are the administrator's; delivery through the SMS gateway
//! retries, gives up, and keeps its idempotency key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use minsheng_app::channels::{InboundMessage, InboundOutcome, PublicReport};
use minsheng_app::citizens::FlagRequest;
use minsheng_app::outbox::{MAX_ATTEMPTS, backoff};
use minsheng_app::service::{ActionRequest, AfterIntake};
use minsheng_app::sms::{NONCE_HEADER, OutboundSms, SIGNATURE_HEADER, SmsGatewayTransport, SmsSettings, TIMESTAMP_HEADER, sign};
use minsheng_app::{App, ManualClock, Settings};
use minsheng_domain::ErrorCode;
use minsheng_domain::case::{CallbackOutcome, Case, CaseState, CaseType, Channel, Citizen};
use minsheng_domain::org::Actor;
use minsheng_domain::value::{Note, PhoneNumber};
use minsheng_store::{NoticeQuery, NoticeState};

const MON_9: i64 = 1_772_413_200_000;
const HOUR: i64 = 3_600_000;
const SECRET: &str = "gateway-secret";

async fn app(url: String) -> (App, ManualClock) {
    let store = minsheng_store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    let clock = ManualClock::at(MON_9);
    let settings = Settings {
        public_url: "https://12345.example.cn".into(),
        sms: SmsSettings { inbound_secret: Some(SECRET.into()), ..Default::default() },
        ..Settings::default()
    };
    let app = App::new(store, Arc::new(clock.clone()), settings);
    minsheng_app::demo::load(app.store.as_ref(), "x", MON_9).await.unwrap();
    app.reload_catalogue().await.unwrap();
    (app, clock)
}

async fn who(app: &App, login: &str) -> Actor {
    let u = app.store.user_by_login(login).await.unwrap().unwrap();
    app.actor_for_user(&u).await.unwrap()
}

fn sms(id: &str, phone: &str, text: &str) -> InboundMessage {
    InboundMessage {
        channel: Some(Channel::Sms),
        message_id: id.into(),
        citizen: Citizen { phone: Some(PhoneNumber::parse(phone).unwrap()), ..Default::default() },
        text: text.into(),
        case_number: minsheng_app::sms::find_case_number(text),
        ..Default::default()
    }
}

async fn case(app: &App, number: &str) -> Case {
    app.store.case_by_number(number).await.unwrap().unwrap()
}

async fn notices(app: &App, case_id: i64) -> Vec<minsheng_store::Notice> {
    app.store.list_notices(&NoticeQuery { case_id: Some(case_id), limit: 100, ..Default::default() }).await.unwrap()
}

async fn a_message_is_one_case_and_its_acknowledgement(url: String) {
    let (app, _) = app(url).await;
    let written = app.outbox_written.subscribe();
    let out = app.receive_inbound(sms("gw-1", "13912340001", "金贸街道玉沙社区路灯不亮已经一周了")).await.unwrap();
    assert!(written.has_changed().unwrap(), "the delivery workers are woken");
    let InboundOutcome::Created { number } = &out else { panic!("{out:?}") };
    let c = case(&app, number).await;
    assert_eq!(c.intake.channel, Channel::Sms);
    assert_eq!(c.intake.title.as_str(), "金贸街道玉沙社区路灯不亮已经一周了");
    // The acknowledgement went into the outbox with the case, with the real number and link.
    let sent = notices(&app, c.id).await;
    let ack: Vec<_> = sent.iter().filter(|n| n.template == "acknowledged").collect();
    assert_eq!(ack.len(), 1, "{sent:?}");
    assert_eq!((ack[0].channel.as_str(), ack[0].recipient.as_str()), ("sms", "13912340001"));
    assert!(ack[0].body.contains(number.as_str()) && ack[0].body.contains("https://12345.example.cn/#/track?number="), "{}", ack[0].body);
    assert!(!ack[0].body.contains("{case_number}") && !ack[0].dedup_key.contains("{case_number}"));
    // The gateway retries: the same id answers with the same case and changes nothing.
    let again = app.receive_inbound(sms("gw-1", "13912340001", "金贸街道玉沙社区路灯不亮已经一周了")).await.unwrap();
    assert!(matches!(&again, InboundOutcome::Repeated { number: n } if n == number), "{again:?}");
    assert_eq!(app.store.case_events(c.id).await.unwrap().len(), case(&app, number).await.version as usize);
    assert_eq!(notices(&app, c.id).await.len(), sent.len());
    let listed = app.list_cases(&who(&app, "operator").await, Default::default(), Default::default(), None, 200).await.unwrap();
    assert_eq!(listed.items.iter().filter(|s| s.channel == Channel::Sms).count(), 1);

    // The same message delivered several times at once is still one case.
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            app.receive_inbound(sms("gw-9", "13912340009", "国兴大道路面塌陷一个大坑")).await.unwrap()
        }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.unwrap().number().to_string());
    }
    numbers.dedup();
    assert_eq!(numbers.len(), 1, "{numbers:?}");
    let h = app.citizen_history(&who(&app, "operator").await, "13912340009").await.unwrap();
    assert_eq!(h.total, 1);

    // Quoting the number adds to the case; someone else quoting it makes a new case.
    let add = app.receive_inbound(sms("gw-2", "13912340001", &format!("补充{number}：路灯在12栋旁边"))).await.unwrap();
    assert!(matches!(&add, InboundOutcome::Added { number: n } if n == number), "{add:?}");
    let events = app.store.case_events(c.id).await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.kind.name(), "info_added");
    assert!(last.note.as_deref().unwrap().contains("12栋"));
    let other = app.receive_inbound(sms("gw-3", "13912340002", &format!("{number} 我也遇到了"))).await.unwrap();
    assert!(matches!(other, InboundOutcome::Created { .. }), "{other:?}");
    // Empty text is refused and stores nothing.
    let e = app.receive_inbound(sms("gw-4", "13912340001", "   ")).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert!(app.store.inbound_case("sms", "gw-4").await.unwrap().is_none());
}

async fn a_reply_joins_its_thread_only_from_the_same_citizen(url: String) {
    let (app, _) = app(url).await;
    let mail = |id: &str, from: &str, refers: &[&str], subject: &str, text: &str| InboundMessage {
        channel: Some(Channel::Email),
        message_id: id.into(),
        thread_keys: vec![id.into()],
        refers_to: refers.iter().map(|r| r.to_string()).collect(),
        citizen: Citizen { email: Some(minsheng_domain::value::EmailAddress::parse(from).unwrap()), ..Default::default() },
        title: Some(subject.into()),
        text: text.into(),
        ..Default::default()
    };
    let first = app.receive_inbound(mail("m1@a.cn", "li@a.cn", &[], "小区电梯故障", "龙华区某小区电梯已停运三天")).await.unwrap();
    let again = app.receive_inbound(mail("m2@a.cn", "li@a.cn", &["m1@a.cn"], "Re: 小区电梯故障", "补充：物业电话打不通")).await.unwrap();
    assert!(matches!(&again, InboundOutcome::Added { number } if number == first.number()), "{again:?}");
    let note = app.store.case_events(case(&app, first.number()).await.id).await.unwrap().last().unwrap().note.clone().unwrap();
    assert!(note.starts_with("【Re: 小区电梯故障】") && note.contains("物业电话"), "{note}");
    // Someone copied on the thread writes their own case.
    let other = app.receive_inbound(mail("m3@b.cn", "wang@b.cn", &["m1@a.cn"], "Re: 小区电梯故障", "我家楼也一样")).await.unwrap();
    assert!(matches!(other, InboundOutcome::Created { .. }), "{other:?}");
}

async fn an_sms_digit_rates_the_case_waiting_for_it(url: String) {
    let (app, _) = app(url).await;
    let operator = who(&app, "operator").await;
    let intake = minsheng_domain::case::Intake {
        channel: Channel::Phone,
        case_type: CaseType::Consultation,
        title: minsheng_domain::value::Title::parse("咨询公积金提取").unwrap(),
        text: minsheng_domain::value::CaseText::parse("想咨询公积金提取需要哪些材料").unwrap(),
        urgency: minsheng_domain::case::Urgency::Normal,
        citizen: Citizen { phone: Some(PhoneNumber::parse("13912340003").unwrap()), ..Default::default() },
        place: Default::default(),
        catalogue_item: None,
        catalogue_version: None,
        tags: vec![],
        external_id: None,
        attachments: vec![],
    };
    let d = app.create_case(&operator, intake, AfterIntake::Stay).await.unwrap();
    let number = d.case["number"].as_str().unwrap().to_string();
    let c = case(&app, &number).await;
    let answer = Note::parse("需身份证、公积金联名卡和相关证明材料").unwrap();
    app.act(&operator, &number, c.version, ActionRequest::AnswerOnSpot { answer }, None).await.unwrap();
    let c = case(&app, &number).await;
    assert_eq!(c.state, CaseState::AwaitingCallback);
    // The citizen is told the result and how to rate it.
    let invite: Vec<_> = notices(&app, c.id).await.into_iter().filter(|n| n.template == "replied").collect();
    assert_eq!(invite.len(), 1);
    assert!(invite[0].body.contains("1 满意") && invite[0].body.contains("公积金联名卡"), "{}", invite[0].body);
    // Anything but a rating is a new matter, and leaves the callback waiting.
    let out = app.receive_inbound(sms("gw-r0", "13912340003", "谢谢")).await.unwrap();
    assert!(matches!(out, InboundOutcome::Created { .. }), "{out:?}");
    assert_eq!(case(&app, &number).await.state, CaseState::AwaitingCallback);
    // "1" is 满意: the callback is recorded by the SMS channel and the case closes.
    let out = app.receive_inbound(sms("gw-r1", "13912340003", " 1 ")).await.unwrap();
    assert!(matches!(&out, InboundOutcome::Rated { number: n, outcome: CallbackOutcome::Satisfied } if *n == number), "{out:?}");
    let c = case(&app, &number).await;
    assert_eq!(c.rating, Some(CallbackOutcome::Satisfied));
    assert_eq!(c.state, CaseState::Closed);
    let rated_by = app.store.case_events(c.id).await.unwrap().into_iter().find(|e| e.kind.name() == "callback_recorded").unwrap();
    assert_eq!(rated_by.actor.name, "短信渠道");
    // With nothing waiting, a digit is just a message.
    let out = app.receive_inbound(sms("gw-r2", "13912340003", "3")).await.unwrap();
    assert!(matches!(out, InboundOutcome::Created { .. }), "{out:?}");
}

async fn a_flagged_citizen_waits_for_a_person(url: String) {
    let (app, clock) = app(url).await;
    let (operator, supervisor, handler) = (who(&app, "operator").await, who(&app, "supervisor").await, who(&app, "longhua").await);
    // Only supervisors, leaders and administrators flag, with a reason.
    let req = |active: bool, reason: &str| FlagRequest { active, reason: reason.into() };
    assert_eq!(
        app.set_citizen_flag(&operator, "13912340009", req(true, "一天内重复来电二十次")).await.unwrap_err().code,
        ErrorCode::Forbidden
    );
    assert_eq!(app.set_citizen_flag(&supervisor, "13912340009", req(true, " ")).await.unwrap_err().code, ErrorCode::InvalidInput);
    assert_eq!(app.set_citizen_flag(&supervisor, "12345", req(true, "x")).await.unwrap_err().code, ErrorCode::InvalidInput);
    let flag = app.set_citizen_flag(&supervisor, "13912340009", req(true, "一天内重复来电二十次")).await.unwrap();
    assert!(flag.active);
    assert_eq!(flag.phone_masked, "139****0009");
    assert_eq!(flag.set_by_name.as_deref(), Some(supervisor.name.as_str()));
    // A flagged citizen's report is taken, tagged, and not dispatched by the machine.
    let out = app.receive_inbound(sms("gw-f1", "13912340009", "金贸街道玉沙社区路灯不亮，请马上修好")).await.unwrap();
    let c = case(&app, out.number()).await;
    assert!(c.intake.tags.iter().any(|t| t == "恶意重复"), "{:?}", c.intake.tags);
    assert_eq!(c.state, CaseState::AwaitingDispatch);
    // The history by phone shows the flag and spans channels.
    let public = PublicReport {
        case_type: CaseType::Complaint,
        title: None,
        text: "玉沙社区门口的井盖坏了".into(),
        name: None,
        phone: "13912340009".into(),
        anonymous: false,
        confidential: false,
        address: Some("海口市龙华区金贸街道玉沙社区".into()),
        latitude: None,
        longitude: None,
        coord_system: None,
        channel: Some(Channel::Mobile),
        attachments: vec![],
    };
    app.submit_public("10.0.0.1", public).await.unwrap();
    let h = app.citizen_history(&operator, "139 1234 0009").await.unwrap();
    assert_eq!(h.total, 2);
    assert_eq!(h.channels.get("sms"), Some(&1));
    assert_eq!(h.channels.get("mobile"), Some(&1));
    assert!(h.flag.as_ref().is_some_and(|f| f.active && f.reason.contains("二十次")));
    assert_eq!(app.citizen_history(&handler, "13912340009").await.unwrap_err().code, ErrorCode::Forbidden);
    // Cleared: the next report goes the usual way again, and the list keeps the cleared flag.
    app.set_citizen_flag(&supervisor, "13912340009", req(false, "")).await.unwrap();
    clock.advance(HOUR);
    let out = app.receive_inbound(sms("gw-f2", "13912340009", "玉沙社区又有路灯不亮")).await.unwrap();
    assert!(!case(&app, out.number()).await.intake.tags.iter().any(|t| t == "恶意重复"));
    let list = app.citizen_flags(&supervisor).await.unwrap();
    assert_eq!(list.len(), 1);
    assert!(!list[0].active);
    // By case: staff never need the unmasked number.
    let f = app.set_case_citizen_flag(&supervisor, out.number(), req(true, "同一事项反复投诉")).await.unwrap();
    assert!(f.active);
}

fn report(phone: &str, text: &str) -> PublicReport {
    PublicReport {
        case_type: CaseType::Complaint,
        title: Some("噪音扰民".into()),
        text: text.into(),
        name: Some("王先生".into()),
        phone: phone.into(),
        anonymous: false,
        confidential: false,
        address: None,
        latitude: Some(20.0445),
        longitude: Some(110.3265),
        coord_system: Some("wgs84".into()),
        channel: None,
        attachments: vec![],
    }
}

async fn the_public_door_is_rate_limited(url: String) {
    let (app, clock) = app(url).await;
    let before = app.store.count_cases().await.unwrap();
    // Five reports an hour from one phone; the sixth is refused and stores nothing.
    for i in 0..5 {
        let r = app.submit_public("10.0.0.2", report("13912340010", &format!("夜间施工噪音第{i}次"))).await.unwrap();
        assert!(r.track_url.ends_with(&r.number));
    }
    let e = app.submit_public("10.0.0.3", report("13912340010", "夜间施工噪音又来了")).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::RateLimited);
    assert!(e.details["retry_after"].as_i64().unwrap() > 0, "{e:?}");
    assert_eq!(app.store.count_cases().await.unwrap(), before + 5);
    // Time refills the bucket.
    clock.advance(15 * 60_000);
    app.submit_public("10.0.0.3", report("13912340010", "夜间施工噪音还在继续")).await.unwrap();
    // One address: 30 at once, then one every two seconds (a carrier NAT is many people).
    let mut refused = 0;
    for i in 0..35 {
        if let Err(e) = app.submit_public("10.0.0.4", report(&format!("139123411{i:02}"), "楼下烧烤油烟很大")).await {
            assert_eq!(e.code, ErrorCode::RateLimited);
            refused += 1;
        }
    }
    assert_eq!(refused, 5);
    // Bad input is refused before it spends the phone's bucket.
    let mut bad = report("13912340011", "x");
    bad.coord_system = Some("bd09".into());
    assert_eq!(app.submit_public("10.0.0.5", bad).await.unwrap_err().code, ErrorCode::InvalidInput);
    let mut bad = report("13912340011", "x");
    bad.longitude = None;
    assert_eq!(app.submit_public("10.0.0.5", bad).await.unwrap_err().code, ErrorCode::InvalidInput);
    let mut bad = report("13912340011", "x");
    bad.channel = Some(Channel::Phone);
    assert_eq!(app.submit_public("10.0.0.5", bad).await.unwrap_err().code, ErrorCode::InvalidInput);
    // Coordinates from a browser (WGS-84) are kept in GCJ-02, as the maps and polygons are.
    let r = app.submit_public("10.0.0.6", report("13912340012", "海秀路路面塌陷")).await.unwrap();
    let c = case(&app, &r.number).await;
    let (lat, lon) = (c.intake.place.latitude.unwrap(), c.intake.place.longitude.unwrap());
    assert!((lon - 110.3265).abs() > 0.003 && (lon - 110.3265).abs() < 0.01, "converted: {lon}");
    assert!((lat - 20.0445).abs() > 0.001 && (lat - 20.0445).abs() < 0.01, "converted: {lat}");
}

async fn templates_are_the_administrators(url: String) {
    let (app, _) = app(url).await;
    let (admin, supervisor) = (who(&app, "admin").await, who(&app, "supervisor").await);
    let mut custom = std::collections::BTreeMap::new();
    custom.insert("sms.acknowledged".to_string(), "【海口12345】已受理，单号{number}，进度{link}".to_string());
    assert_eq!(app.set_notice_templates(&supervisor, custom.clone()).await.unwrap_err().code, ErrorCode::Forbidden);
    let mut unknown = custom.clone();
    unknown.insert("sms.birthday".into(), "生日快乐".into());
    assert_eq!(app.set_notice_templates(&admin, unknown).await.unwrap_err().code, ErrorCode::InvalidInput);
    let mut placeholder = custom.clone();
    placeholder.insert("sms.redo".into(), "{name}您好".into());
    assert_eq!(app.set_notice_templates(&admin, placeholder).await.unwrap_err().code, ErrorCode::InvalidInput);
    let t = app.set_notice_templates(&admin, custom).await.unwrap();
    assert!(t.0["sms.acknowledged"].starts_with("【海口12345】"));
    assert!(t.0["sms.redo"].contains("重新办理"), "the others keep their default");
    let out = app.receive_inbound(sms("gw-t1", "13912340020", "海甸岛人民大道积水严重")).await.unwrap();
    let c = case(&app, out.number()).await;
    let ack = notices(&app, c.id).await.into_iter().find(|n| n.template == "acknowledged").unwrap();
    assert_eq!(
        ack.body,
        format!("【海口12345】已受理，单号{}，进度https://12345.example.cn/#/track?number={}", c.number.as_str(), c.number.as_str())
    );
}

/// A real HTTP server playing the SMS gateway: checks our signature, records what it got, and
/// answers with the status the test sets.
#[derive(Clone, Default)]
struct Gateway {
    got: Arc<Mutex<Vec<(String, OutboundSms)>>>,
    status: Arc<Mutex<u16>>,
}

async fn gateway() -> (Gateway, String) {
    let g = Gateway { status: Arc::new(Mutex::new(200)), ..Default::default() };
    let state = g.clone();
    let router = axum::Router::new().route(
        "/send",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move {
                let h = |n: &str| headers.get(n).unwrap().to_str().unwrap().to_string();
                assert_eq!(sign("out-secret", &h(TIMESTAMP_HEADER), &h(NONCE_HEADER), &body), h(SIGNATURE_HEADER));
                let sms: OutboundSms = serde_json::from_slice(&body).unwrap();
                state.got.lock().unwrap().push((h("idempotency-key"), sms));
                StatusCode::from_u16(*state.status.lock().unwrap()).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (g, format!("http://{addr}/send"))
}

async fn the_gateway_gets_each_notice_with_retries(url: String) {
    let (app, clock) = app(url).await;
    let (gw, endpoint) = gateway().await;
    let transport = SmsGatewayTransport::new(endpoint, "out-secret");
    let a = app.receive_inbound(sms("gw-d1", "13912340030", "龙昆南路红绿灯坏了")).await.unwrap();
    let b = app.receive_inbound(sms("gw-d2", "13912340031", "国兴大道有大坑")).await.unwrap();
    let r = app.deliver_all(&transport, 10, 4).await.unwrap();
    assert_eq!((r.sent, r.retried, r.failed), (2, 0, 0));
    {
        let got = gw.got.lock().unwrap();
        assert_eq!(got.len(), 2);
        for (key, m) in got.iter() {
            assert_eq!(key, &m.id, "the idempotency key is the message id");
            assert!(m.text.contains(a.number()) || m.text.contains(b.number()));
        }
    }
    // Sent means never again.
    assert_eq!(app.deliver_all(&transport, 10, 4).await.unwrap().total(), 0);
    // A gateway outage: retried with backoff, the same id each time, then sent.
    *gw.status.lock().unwrap() = 503;
    let c = app.receive_inbound(sms("gw-d3", "13912340032", "滨海大道路灯不亮")).await.unwrap();
    let r = app.deliver_round(&transport, 10, 4).await.unwrap();
    assert_eq!((r.sent, r.retried), (0, 1));
    let id = case(&app, c.number()).await.id;
    let n = notices(&app, id).await.into_iter().find(|n| n.channel == "sms").unwrap();
    assert_eq!(n.state, NoticeState::Pending);
    assert!(n.last_error.as_deref().unwrap().contains("503"));
    assert_eq!(n.next_attempt_at, MON_9 + backoff(1));
    assert_eq!(app.deliver_round(&transport, 10, 4).await.unwrap().total(), 0, "not before its time");
    *gw.status.lock().unwrap() = 200;
    clock.advance(backoff(1));
    assert_eq!(app.deliver_round(&transport, 10, 4).await.unwrap().sent, 1);
    {
        let got = gw.got.lock().unwrap();
        let ids: Vec<&String> = got.iter().filter(|(_, m)| m.text.contains(c.number())).map(|(k, _)| k).collect();
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[0], ids[1], "a re-send carries the same key, so the gateway drops it");
    }
    // A refusal (400) is final; so is an outage that outlasts every attempt.
    *gw.status.lock().unwrap() = 400;
    let d = app.receive_inbound(sms("gw-d4", "13912340033", "金盘路占道经营")).await.unwrap();
    assert_eq!(app.deliver_round(&transport, 10, 4).await.unwrap().failed, 1);
    let id = case(&app, d.number()).await.id;
    assert_eq!(notices(&app, id).await.into_iter().find(|n| n.channel == "sms").unwrap().state, NoticeState::Failed);
    *gw.status.lock().unwrap() = 500;
    let e = app.receive_inbound(sms("gw-d5", "13912340034", "秀英区垃圾堆放")).await.unwrap();
    let mut rounds = 0;
    loop {
        let r = app.deliver_round(&transport, 10, 4).await.unwrap();
        rounds += 1;
        if r.failed == 1 {
            break;
        }
        assert_eq!(r.retried, 1);
        clock.advance(4 * HOUR);
        assert!(rounds <= MAX_ATTEMPTS, "gives up after {MAX_ATTEMPTS} attempts");
    }
    assert_eq!(rounds, MAX_ATTEMPTS);
    let id = case(&app, e.number()).await.id;
    let n = notices(&app, id).await.into_iter().find(|n| n.channel == "sms").unwrap();
    assert_eq!((n.state, n.attempts), (NoticeState::Failed, MAX_ATTEMPTS));
}

async fn a_crash_after_sending_resends_with_the_same_key(url: String) {
    let (app, clock) = app(url).await;
    let (gw, endpoint) = gateway().await;
    let transport = SmsGatewayTransport::new(endpoint, "out-secret");
    app.receive_inbound(sms("gw-c1", "13912340040", "南沙路积水")).await.unwrap();
    // A node leases the notice, sends it, and dies before recording the result.
    let now = MON_9;
    let leased = app.store.claim_notices(&["sms".to_string()], now, now + 60_000, 10).await.unwrap();
    assert_eq!(leased.len(), 1);
    use minsheng_app::outbox::Transport;
    transport.send(&leased[0]).await.unwrap();
    // Until the lease runs out nobody else takes it; then another node sends it again, with
    // the same idempotency key, and the gateway can drop the repeat.
    assert_eq!(app.deliver_round(&transport, 10, 4).await.unwrap().total(), 0);
    clock.advance(61_000);
    assert_eq!(app.deliver_round(&transport, 10, 4).await.unwrap().sent, 1);
    let got = gw.got.lock().unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].0, got[1].0);
    assert_eq!(got[0].1, got[1].1);
}

async fn staff_see_citizen_addresses_masked_on_the_delivery_log(url: String) {
    let (app, _) = app(url).await;
    let out = app.receive_inbound(sms("gw-m1", "13912340050", "龙华区金贸街道玉沙社区路灯不亮")).await.unwrap();
    let c = case(&app, out.number()).await;
    let operator = who(&app, "operator").await;
    let full = app.case_notices(&operator, c.number.as_str()).await.unwrap();
    let sms_row = full.iter().find(|n| n.channel == "sms").unwrap();
    // Operators call citizens back: they see the number. Units do not.
    assert_eq!(sms_row.recipient, "13912340050");
    let dispatcher = who(&app, "dispatcher").await;
    let lead = app.store.unit_by_code("460106").await.unwrap().unwrap().id;
    let c = case(&app, out.number()).await;
    if c.state == CaseState::AwaitingDispatch {
        app.act(
            &dispatcher,
            c.number.as_str(),
            c.version,
            ActionRequest::Dispatch { lead_unit_id: lead, assisting_unit_ids: vec![], catalogue_item: None },
            None,
        )
        .await
        .unwrap();
    }
    let unit = who(&app, "longhua").await;
    let log = app.case_notices(&unit, c.number.as_str()).await.unwrap();
    assert_eq!(log.iter().find(|n| n.channel == "sms").unwrap().recipient, "139****0050");
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

on_both_engines!(
    a_message_is_one_case_and_its_acknowledgement,
    a_reply_joins_its_thread_only_from_the_same_citizen,
    an_sms_digit_rates_the_case_waiting_for_it,
    a_flagged_citizen_waits_for_a_person,
    the_public_door_is_rate_limited,
    templates_are_the_administrators,
    the_gateway_gets_each_notice_with_retries,
    a_crash_after_sending_resends_with_the_same_key,
    staff_see_citizen_addresses_masked_on_the_delivery_log,
);
