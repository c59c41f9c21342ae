//! The channels in the storage contract, run unchanged against SQLite and PostgreSQL: notices
//! written with a new case get its number; conversation threads; inbound ids seen once;
//! attachment metadata and ownership; citizen flags.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use minsheng_domain::attachment::{AttachmentKind, AttachmentRef};
use minsheng_domain::case::{CaseType, Channel, Citizen, Intake, Place, Urgency};
use minsheng_domain::value::{CaseText, PhoneNumber, Title};
use minsheng_store::{AttachmentRecord, CASE_NUMBER_MARK, CitizenFlag, NewCase, NewNotice, NoticeQuery, Store};

mod common;
use common::*;

on_both_engines!(
    notices_of_a_new_case_get_its_number_in_the_same_transaction,
    threads_link_keys_to_the_latest_case,
    inbound_ids_are_recorded_once,
    attachments_belong_to_one_case,
    citizen_flags_are_set_and_cleared,
);

fn new_case(title: &str, notices: Vec<NewNotice>) -> NewCase {
    NewCase {
        number_prefix: "HK".into(),
        intake: Intake {
            channel: Channel::Sms,
            case_type: CaseType::Help,
            title: Title::parse(title).unwrap(),
            text: CaseText::parse(title).unwrap(),
            urgency: Urgency::Normal,
            citizen: Citizen { phone: Some(PhoneNumber::parse("13800138000").unwrap()), ..Default::default() },
            place: Place::default(),
            catalogue_item: None,
            catalogue_version: None,
            tags: vec![],
            external_id: None,
            attachments: vec![],
        },
        at: T0,
        actor: actor(),
        then: vec![],
        deadlines: None,
        notices,
        inbound: None,
    }
}

fn ack() -> NewNotice {
    NewNotice {
        dedup_key: format!("ack:{CASE_NUMBER_MARK}"),
        case_id: None,
        channel: "sms".into(),
        recipient: "13800138000".into(),
        template: "acknowledged".into(),
        body: format!("已受理，工单号{CASE_NUMBER_MARK}"),
        payload: serde_json::json!({ "number": CASE_NUMBER_MARK }),
        created_at: T0,
    }
}

async fn notices_of_a_new_case_get_its_number_in_the_same_transaction(store: Arc<dyn Store>) {
    let a = store.create_case(new_case("路灯不亮", vec![ack()])).await.unwrap();
    let b = store.create_cases(vec![new_case("井盖缺失", vec![ack()]), new_case("噪音扰民", vec![])]).await.unwrap();
    for case in [&a, &b[0]] {
        let n = store.list_notices(&NoticeQuery { case_id: Some(case.id), limit: 10, ..Default::default() }).await.unwrap();
        assert_eq!(n.len(), 1);
        let number = case.number.as_str();
        assert_eq!(n[0].body, format!("已受理，工单号{number}"));
        assert_eq!(n[0].dedup_key, format!("ack:{number}"));
        assert_eq!(n[0].payload["number"], number);
    }
    assert!(store.list_notices(&NoticeQuery { case_id: Some(b[1].id), limit: 10, ..Default::default() }).await.unwrap().is_empty());
}

async fn threads_link_keys_to_the_latest_case(store: Arc<dyn Store>) {
    let a = store.create_case(new_case("路灯不亮", vec![])).await.unwrap();
    let b = store.create_case(new_case("井盖缺失", vec![])).await.unwrap();
    store.link_thread("email", "<m1@x>", a.id, T0).await.unwrap();
    store.link_thread("email", "<m2@x>", b.id, T0 + 5).await.unwrap();
    let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(store.thread_case("email", &keys(&["<m1@x>"])).await.unwrap(), Some(a.id));
    assert_eq!(store.thread_case("email", &keys(&["<m1@x>", "<m2@x>"])).await.unwrap(), Some(b.id), "the latest");
    assert_eq!(store.thread_case("wechat", &keys(&["<m1@x>"])).await.unwrap(), None, "per channel");
    assert_eq!(store.thread_case("email", &[]).await.unwrap(), None);
    // Relinking a key moves it.
    store.link_thread("email", "<m1@x>", b.id, T0 + 10).await.unwrap();
    assert_eq!(store.thread_case("email", &keys(&["<m1@x>"])).await.unwrap(), Some(b.id));
}

async fn inbound_ids_are_recorded_once(store: Arc<dyn Store>) {
    assert!(store.record_inbound("sms", "g-1", 7, T0).await.unwrap());
    assert!(!store.record_inbound("sms", "g-1", 8, T0 + 1).await.unwrap());
    assert_eq!(store.inbound_case("sms", "g-1").await.unwrap(), Some(7), "the first stays");
    assert!(store.record_inbound("wechat", "g-1", 9, T0).await.unwrap(), "ids are per channel");
    assert_eq!(store.inbound_case("sms", "g-2").await.unwrap(), None);
    // Concurrent deliveries of one id: exactly one is first.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move { s.record_inbound("email", "<same@x>", i, T0).await.unwrap() }));
    }
    let mut firsts = 0;
    for t in tasks {
        firsts += usize::from(t.await.unwrap());
    }
    assert_eq!(firsts, 1);
}

fn file(id: &str) -> AttachmentRecord {
    AttachmentRecord {
        attachment: AttachmentRef {
            id: id.into(),
            name: "现场.jpg".into(),
            content_type: "image/jpeg".into(),
            kind: AttachmentKind::Photo,
            size: 10,
            sha256: "ab".repeat(32),
            thumbnail: true,
        },
        case_id: None,
        uploaded_by: Some(3),
        uploaded_at: T0,
    }
}

async fn attachments_belong_to_one_case(store: Arc<dyn Store>) {
    let a = store.create_case(new_case("路灯不亮", vec![])).await.unwrap();
    let b = store.create_case(new_case("井盖缺失", vec![])).await.unwrap();
    store.save_attachment(&file("f1")).await.unwrap();
    store.save_attachment(&file("f2")).await.unwrap();
    assert!(matches!(store.save_attachment(&file("f1")).await, Err(minsheng_store::StoreError::Duplicate(_))));
    let got = store.get_attachments(&["f2".into(), "nope".into(), "f1".into()]).await.unwrap();
    assert_eq!(got.iter().map(|r| r.attachment.id.as_str()).collect::<Vec<_>>(), vec!["f2", "f1"], "in the order asked");
    assert_eq!(got[0], file("f2"));
    store.attach_to_case(&["f1".into(), "f2".into()], a.id).await.unwrap();
    // Already the first case's: not taken by the second.
    store.attach_to_case(&["f1".into()], b.id).await.unwrap();
    assert_eq!(store.case_attachments(a.id).await.unwrap().len(), 2);
    assert!(store.case_attachments(b.id).await.unwrap().is_empty());
    assert_eq!(store.get_attachments(&["f1".into()]).await.unwrap()[0].case_id, Some(a.id));
}

async fn citizen_flags_are_set_and_cleared(store: Arc<dyn Store>) {
    assert!(store.citizen_flag("13800138000").await.unwrap().is_none());
    let flag = CitizenFlag { phone: "13800138000".into(), active: true, reason: "一天二十次".into(), set_by: Some(5), set_at: T0 };
    store.set_citizen_flag(&flag).await.unwrap();
    store.set_citizen_flag(&CitizenFlag { phone: "13900139000".into(), set_at: T0 + 1, ..flag.clone() }).await.unwrap();
    assert_eq!(store.citizen_flag("13800138000").await.unwrap(), Some(flag.clone()));
    let cleared = CitizenFlag { active: false, reason: String::new(), set_at: T0 + 2, ..flag.clone() };
    store.set_citizen_flag(&cleared).await.unwrap();
    assert_eq!(store.citizen_flag("13800138000").await.unwrap(), Some(cleared));
    let all = store.citizen_flags().await.unwrap();
    assert_eq!(all.iter().map(|f| (f.phone.as_str(), f.active)).collect::<Vec<_>>(), vec![("13900139000", true), ("13800138000", false)]);
}
