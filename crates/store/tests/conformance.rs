//! One story of the storage contract, run unchanged against SQLite and PostgreSQL. Every test
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! below exists twice (`::sqlite` and `::postgres`); a backend that drifts fails here.

use std::sync::Arc;

use minsheng_domain::case::{Case, CaseState, CaseType, Channel, Citizen, Intake, Place, Urgency};
use minsheng_domain::event::{Event, EventKind};
use minsheng_domain::org::{Role, UnitKind, UnitRef};
use minsheng_domain::value::{CaseText, PhoneNumber, Title};
use minsheng_store::{CaseChange, CaseFilter, CaseQuery, NewApiKey, NewCase, NewUnit, NewUser, Scope, Store, StoreError};

mod common;
use common::*;

on_both_engines!(
    units_form_a_tree,
    users_sessions_and_keys,
    created_case_is_its_history,
    case_numbers_are_gap_free_under_concurrency,
    stale_version_is_a_conflict_and_writes_nothing,
    multi_case_append_is_all_or_nothing,
    lists_filter_scope_and_paginate,
    settings_round_trip,
    migrate_is_idempotent,
    facts_follow_every_change_and_sum_by_key,
    outbox_is_written_with_the_change_and_leased_once,
    duty_roster_replaces_a_day,
    repeats_count_by_phone_or_place,
    catalogue_versions_are_kept_whole,
    classifier_models_are_versioned_with_one_active,
    followers_read_changes_in_order,
    recently_closed_cases_by_item_or_place,
    lists_filter_by_catalogue_items,
);

fn intake(title: &str, phone: &str) -> Intake {
    Intake {
        channel: Channel::Phone,
        case_type: CaseType::Complaint,
        title: Title::parse(title).unwrap(),
        text: CaseText::parse(&format!("{title}，请尽快处理。")).unwrap(),
        urgency: Urgency::Normal,
        citizen: Citizen {
            name: None,
            phone: Some(PhoneNumber::parse(phone).unwrap()),
            caller_number: None,
            confidential: false,
            anonymous: false,
            ..Default::default()
        },
        place: Place::default(),
        catalogue_item: None,
        catalogue_version: None,
        tags: vec![],
        external_id: None,
        attachments: Vec::new(),
    }
}

fn new_case(title: &str, at: i64) -> NewCase {
    NewCase {
        number_prefix: "HK".into(),
        intake: intake(title, "13800138000"),
        at,
        actor: actor(),
        then: vec![],
        deadlines: None,
        notices: Vec::new(),
        inbound: None,
    }
}

async fn unit(store: &Arc<dyn Store>, code: &str, kind: UnitKind, parent: Option<i64>) -> UnitRef {
    store
        .insert_unit(NewUnit {
            code: code.into(),
            name: format!("单位{code}"),
            kind,
            parent_id: parent,
            division_code: None,
            department_type: None,
        })
        .await
        .unwrap()
        .as_ref()
}

async fn units_form_a_tree(store: Arc<dyn Store>) {
    let city = unit(&store, "4601", UnitKind::City, None).await;
    let district = unit(&store, "460106", UnitKind::District, Some(city.id)).await;
    let street = unit(&store, "460106001", UnitKind::Street, Some(district.id)).await;
    assert_eq!(city.path, format!("/{}/", city.id));
    assert_eq!(street.path, format!("/{}/{}/{}/", city.id, district.id, street.id));
    assert!(street.is_within(&district) && !district.is_within(&street));
    let dup = store
        .insert_unit(NewUnit {
            code: "4601".into(),
            name: "重复".into(),
            kind: UnitKind::City,
            parent_id: None,
            division_code: None,
            department_type: None,
        })
        .await;
    assert!(matches!(dup, Err(StoreError::Duplicate(_))), "{dup:?}");
    let orphan = store
        .insert_unit(NewUnit {
            code: "X".into(),
            name: "孤儿".into(),
            kind: UnitKind::Street,
            parent_id: Some(9999),
            division_code: None,
            department_type: None,
        })
        .await;
    assert!(orphan.is_err());
    assert_eq!(store.unit_by_code("460106").await.unwrap().unwrap().id, district.id);
    assert_eq!(store.get_unit(street.id).await.unwrap().unwrap().parent_id, Some(district.id));
    assert_eq!(store.list_units().await.unwrap().len(), 3);
    assert!(store.unit_by_code("nope").await.unwrap().is_none());
}

async fn users_sessions_and_keys(store: Arc<dyn Store>) {
    let centre = unit(&store, "HK-12345", UnitKind::Centre, None).await;
    let new_user = |login: &str| NewUser {
        login: login.into(),
        name: "李四".into(),
        role: Role::Dispatcher,
        unit_id: Some(centre.id),
        phone: None,
        password_hash: "h1".into(),
        created_at: T0,
    };
    let u = store.insert_user(new_user("dispatcher")).await.unwrap();
    assert!(matches!(store.insert_user(new_user("dispatcher")).await, Err(StoreError::Duplicate(_))));
    assert_eq!(store.user_by_login("dispatcher").await.unwrap().unwrap().id, u.id);
    store.set_password_hash(u.id, "h2").await.unwrap();
    assert_eq!(store.get_user(u.id).await.unwrap().unwrap().password_hash, "h2");
    assert!(matches!(store.set_password_hash(999, "x").await, Err(StoreError::NotFound(_))));

    store.insert_session("tok", u.id, T0, T0 + 1000).await.unwrap();
    assert_eq!(store.session_user("tok", T0 + 999).await.unwrap(), Some(u.id));
    assert_eq!(store.session_user("tok", T0 + 1000).await.unwrap(), None, "expired at its end");
    assert_eq!(store.session_user("other", T0).await.unwrap(), None);
    store.delete_session("tok").await.unwrap();
    assert_eq!(store.session_user("tok", T0).await.unwrap(), None);

    let key = store
        .insert_api_key(NewApiKey {
            name: "open311".into(),
            prefix: "ms_abc".into(),
            secret_hash: "s".into(),
            role: Role::Operator,
            unit_id: Some(centre.id),
            created_at: T0,
        })
        .await
        .unwrap();
    assert_eq!(store.api_key_by_prefix("ms_abc").await.unwrap().unwrap().id, key.id);
    assert!(store.revoke_api_key(key.id, T0 + 5).await.unwrap());
    assert!(!store.revoke_api_key(key.id, T0 + 6).await.unwrap(), "revoking twice changes nothing");
    assert_eq!(store.list_api_keys().await.unwrap()[0].revoked_at, Some(T0 + 5));
}

async fn created_case_is_its_history(store: Arc<dyn Store>) {
    let mut n = new_case("路灯不亮", T0);
    n.then.push(minsheng_store::FollowUp { kind: EventKind::Forwarded, note: None, at: None, actor: None });
    let case = store.create_case(n).await.unwrap();
    assert_eq!(case.number.as_str(), "HK20261122000001");
    assert_eq!(case.state, CaseState::AwaitingDispatch);
    assert_eq!(case.version, 2);
    let events = store.case_events(case.id).await.unwrap();
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2]);
    let replayed = Case::replay(case.id, case.number.clone(), &events).unwrap();
    assert_eq!(replayed, case);
    assert_eq!(store.get_case(case.id).await.unwrap().unwrap(), case);
    assert_eq!(store.case_by_number("HK20261122000001").await.unwrap().unwrap().id, case.id);
    // The next China day starts a new sequence.
    let next_day = store.create_case(new_case("井盖缺失", T0 + 12 * 3_600_000)).await.unwrap();
    assert_eq!(next_day.number.as_str(), "HK20261123000001");
    assert_eq!(store.count_cases().await.unwrap(), 2);
}

async fn case_numbers_are_gap_free_under_concurrency(store: Arc<dyn Store>) {
    let mut handles = Vec::new();
    for i in 0..40 {
        let s = store.clone();
        handles.push(tokio::spawn(async move { s.create_case(new_case(&format!("噪音扰民{i}"), T0 + i)).await.unwrap().number }));
    }
    let mut numbers = Vec::new();
    for h in handles {
        numbers.push(h.await.unwrap().as_str().to_string());
    }
    numbers.sort();
    let expected: Vec<String> = (1..=40).map(|i| format!("HK20261122{i:06}")).collect();
    assert_eq!(numbers, expected);
}

async fn stale_version_is_a_conflict_and_writes_nothing(store: Arc<dyn Store>) {
    let case = store.create_case(new_case("占道经营", T0)).await.unwrap();
    let after_first = push(&store, &case, EventKind::Forwarded, T0 + 1).await.unwrap();
    assert_eq!(after_first.version, 2);
    // A second actor still holding version 1 loses.
    let lost = push(&store, &case, EventKind::Urged, T0 + 2).await;
    match lost {
        Err(StoreError::Conflict { expected, actual, .. }) => assert_eq!((expected, actual), (1, 2)),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(store.case_events(case.id).await.unwrap().len(), 2);
    assert_eq!(store.get_case(case.id).await.unwrap().unwrap(), after_first);
    // Reloaded, it goes through.
    let ok = push(&store, &after_first, EventKind::Urged, T0 + 3).await.unwrap();
    assert_eq!(ok.urge_count, 1);
}

async fn multi_case_append_is_all_or_nothing(store: Arc<dyn Store>) {
    let a = store.create_case(new_case("甲", T0)).await.unwrap();
    let b = store.create_case(new_case("乙", T0)).await.unwrap();
    let b2 = push(&store, &b, EventKind::Urged, T0 + 1).await.unwrap();
    let mut a_next = a.clone();
    let ea = Event {
        seq: 2,
        at: T0 + 2,
        actor: actor(),
        kind: EventKind::MergedInto { target: minsheng_domain::case::CaseLink { id: b.id, number: b.number.clone() } },
        note: None,
        deadlines: None,
    };
    a_next.apply(&ea);
    let mut b_next = b.clone(); // stale: b is at version 2 now
    let eb = Event {
        seq: 2,
        at: T0 + 2,
        actor: actor(),
        kind: EventKind::MergedFrom { source: minsheng_domain::case::CaseLink { id: a.id, number: a.number.clone() }, reporters: 1 },
        note: None,
        deadlines: None,
    };
    b_next.apply(&eb);
    let r = store
        .append(vec![
            CaseChange { case: a_next, expected_version: 1, events: vec![ea], fires: vec![], notices: vec![] },
            CaseChange { case: b_next, expected_version: 1, events: vec![eb], fires: vec![], notices: vec![] },
        ])
        .await;
    assert!(matches!(r, Err(StoreError::Conflict { .. })), "{r:?}");
    assert_eq!(store.get_case(a.id).await.unwrap().unwrap().state, CaseState::Received, "the first half was rolled back");
    assert_eq!(store.case_events(a.id).await.unwrap().len(), 1);
    assert_eq!(store.get_case(b.id).await.unwrap().unwrap(), b2);
}

async fn lists_filter_scope_and_paginate(store: Arc<dyn Store>) {
    let city = unit(&store, "4601", UnitKind::City, None).await;
    let district = unit(&store, "460106", UnitKind::District, Some(city.id)).await;
    let street = unit(&store, "460106001", UnitKind::Street, Some(district.id)).await;
    let other = unit(&store, "460107", UnitKind::District, Some(city.id)).await;
    let mut ids_street = Vec::new();
    for i in 0..25 {
        let c = store.create_case(new_case(&format!("垃圾清运{i}"), T0 + i)).await.unwrap();
        let target = if i % 5 == 0 { &other } else { &street };
        let c = push(&store, &c, EventKind::Dispatched { lead: target.clone(), assisting: vec![] }, T0 + 100).await.unwrap();
        if i % 5 != 0 {
            ids_street.push(c.id);
        }
        if i % 2 == 0 {
            push(&store, &c, EventKind::Signed, T0 + 200).await.unwrap();
        }
    }
    let mut phone_case = new_case("特殊号码", T0 + 50);
    phone_case.intake.citizen.phone = Some(PhoneNumber::parse("13912345678").unwrap());
    phone_case.intake.channel = Channel::Wechat;
    let pc = store.create_case(phone_case).await.unwrap();

    let q = |scope: Scope, filter: CaseFilter, before_id: Option<i64>, limit: u32| CaseQuery { scope, filter, before_id, limit };
    // Pagination walks everything once, newest first.
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = store.list_cases(&q(Scope::All, CaseFilter::default(), before, 7)).await.unwrap();
        seen.extend(page.cases.iter().map(|c| c.id));
        match page.next_before_id {
            Some(b) => before = Some(b),
            None => break,
        }
    }
    assert_eq!(seen.len(), 26);
    assert!(seen.windows(2).all(|w| w[0] > w[1]));

    // A district sees its streets' cases; a street sees its own; the other district sees only its.
    let in_district = store.list_cases(&q(Scope::Subtree { unit_id: district.id }, CaseFilter::default(), None, 100)).await.unwrap();
    let mut got: Vec<i64> = in_district.cases.iter().map(|c| c.id).collect();
    got.sort();
    assert_eq!(got, ids_street);
    let in_other = store.list_cases(&q(Scope::Subtree { unit_id: other.id }, CaseFilter::default(), None, 100)).await.unwrap();
    assert_eq!(in_other.cases.len(), 5);
    let in_city = store.list_cases(&q(Scope::Subtree { unit_id: city.id }, CaseFilter::default(), None, 100)).await.unwrap();
    assert_eq!(in_city.cases.len(), 25, "the undispatched case involves no unit");

    // The inbox: held by the street and still to sign.
    let to_sign = CaseFilter { states: vec![CaseState::Dispatched], ..Default::default() };
    let inbox = store.list_cases(&q(Scope::Holder { unit_id: street.id }, to_sign.clone(), None, 100)).await.unwrap();
    assert!(inbox.cases.iter().all(|c| c.state == CaseState::Dispatched && c.handling_unit.as_ref().map(|u| u.id) == Some(street.id)));
    let expected_to_sign = (0..25).filter(|i| i % 5 != 0 && i % 2 != 0).count();
    assert_eq!(inbox.cases.len(), expected_to_sign);
    let subtree_to_sign = store.list_cases(&q(Scope::Subtree { unit_id: district.id }, to_sign, None, 100)).await.unwrap();
    assert_eq!(subtree_to_sign.cases.len(), expected_to_sign, "the state index of case_access follows the case");

    let by_text =
        store.list_cases(&q(Scope::All, CaseFilter { text: Some("清运1".into()), ..Default::default() }, None, 100)).await.unwrap();
    assert_eq!(by_text.cases.len(), 11, "清运1 and 清运10..19");
    let literal = store.list_cases(&q(Scope::All, CaseFilter { text: Some("%".into()), ..Default::default() }, None, 100)).await.unwrap();
    assert!(literal.cases.is_empty(), "% is matched literally");
    let by_phone =
        store.list_cases(&q(Scope::All, CaseFilter { phone: Some("13912345678".into()), ..Default::default() }, None, 100)).await.unwrap();
    assert_eq!(by_phone.cases.iter().map(|c| c.id).collect::<Vec<_>>(), vec![pc.id]);
    let by_channel =
        store.list_cases(&q(Scope::All, CaseFilter { channels: vec![Channel::Wechat], ..Default::default() }, None, 100)).await.unwrap();
    assert_eq!(by_channel.cases.len(), 1);
    let by_time = store
        .list_cases(&q(Scope::All, CaseFilter { from: Some(T0 + 10), to: Some(T0 + 20), ..Default::default() }, None, 100))
        .await
        .unwrap();
    assert_eq!(by_time.cases.len(), 10);
    let by_lead =
        store.list_cases(&q(Scope::All, CaseFilter { lead_unit_id: Some(other.id), ..Default::default() }, None, 100)).await.unwrap();
    assert_eq!(by_lead.cases.len(), 5);
    let none = store
        .list_cases(&q(
            Scope::All,
            CaseFilter { urgencies: vec![Urgency::VeryUrgent], case_types: vec![CaseType::Complaint], ..Default::default() },
            None,
            100,
        ))
        .await
        .unwrap();
    assert!(none.cases.is_empty());
    let by_receiver = store.list_cases(&q(Scope::ReceivedBy { user_id: 1 }, CaseFilter::default(), None, 3)).await.unwrap();
    assert_eq!(by_receiver.cases.len(), 3);
    assert!(by_receiver.next_before_id.is_some());
}

async fn settings_round_trip(store: Arc<dyn Store>) {
    assert_eq!(store.get_setting("rules").await.unwrap(), None);
    store.put_setting("rules", "{\"max_redos\":2}").await.unwrap();
    store.put_setting("rules", "{\"max_redos\":3}").await.unwrap();
    assert_eq!(store.get_setting("rules").await.unwrap().as_deref(), Some("{\"max_redos\":3}"));
}

async fn migrate_is_idempotent(store: Arc<dyn Store>) {
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.count_cases().await.unwrap(), 0);
}

/// Both engines' schemas agree column for column (vaultwarden's INTEGER/BIGINT drift, issue #7133,
/// is what this prevents).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_schemas_agree() {
    let a = sqlite().await.schema().await.unwrap();
    let b = postgres().await.schema().await.unwrap();
    assert!(a.len() > 40, "the schema looks empty: {a:?}");
    let only_sqlite: Vec<_> = a.iter().filter(|c| !b.contains(c)).collect();
    let only_pg: Vec<_> = b.iter().filter(|c| !a.contains(c)).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "schemas differ:\nonly in SQLite: {only_sqlite:#?}\nonly in PostgreSQL: {only_pg:#?}"
    );
}

async fn facts_follow_every_change_and_sum_by_key(store: Arc<dyn Store>) {
    use minsheng_domain::case::{CallbackOutcome, Solved};
    use minsheng_domain::metrics::Counter;
    use minsheng_store::{FactKey, FactQuery};
    let city = unit(&store, "4601", UnitKind::City, None).await;
    let east = unit(&store, "460106", UnitKind::District, Some(city.id)).await;
    let west = unit(&store, "460105", UnitKind::District, Some(city.id)).await;
    let street = unit(&store, "460106001", UnitKind::Street, Some(east.id)).await;
    let q = |by, path: Option<&str>| FactQuery { from: T0 - 1, to: T0 + 10 * 86_400_000, by, unit_path: path.map(str::to_string) };

    // Three cases: one to the street (satisfied, solved, closed), one to the west district (still
    // handling), one never dispatched; and one received outside the range.
    let mut cases = Vec::new();
    for (i, title) in ["路灯不亮", "噪音扰民", "咨询社保"].iter().enumerate() {
        cases.push(store.create_case(new_case(title, T0 + i as i64 * 1000)).await.unwrap());
    }
    store.create_case(new_case("范围之外", T0 + 20 * 86_400_000)).await.unwrap();
    let to = |_: &Case, u: &UnitRef| EventKind::Dispatched { lead: u.clone(), assisting: vec![] };
    let a = push(&store, &cases[0], EventKind::Forwarded, T0 + 10).await.unwrap();
    let a = push(&store, &a, to(&a, &street), T0 + 20).await.unwrap();
    let a = push(&store, &a, EventKind::Signed, T0 + 30).await.unwrap();
    let a = push(&store, &a, EventKind::Replied { text: "已修复".into(), solved: Solved::Solved }, T0 + 40).await.unwrap();
    let a = push(&store, &a, EventKind::ReplyPassed, T0 + 50).await.unwrap();
    let a = push(
        &store,
        &a,
        EventKind::CallbackRecorded { outcome: CallbackOutcome::Satisfied, solved: Some(Solved::Solved), comment: None },
        T0 + 60,
    )
    .await
    .unwrap();
    push(&store, &a, EventKind::Closed { final_reply: false, outcome: None }, T0 + 3_600_000).await.unwrap();
    let b = push(&store, &cases[1], EventKind::Forwarded, T0 + 10).await.unwrap();
    push(&store, &b, to(&b, &west), T0 + 20).await.unwrap();

    let all = store.aggregate_facts(&q(FactKey::All, None)).await.unwrap();
    assert_eq!(all.len(), 1);
    let t = &all[0].totals;
    assert_eq!(t.get(Counter::Received), 3, "the fourth case is outside the range");
    assert_eq!(t.get(Counter::Dispatched), 2);
    assert_eq!(t.get(Counter::Rated), 1);
    assert_eq!(t.get(Counter::Satisfied), 1);
    assert_eq!(t.get(Counter::Closed), 1);
    assert_eq!(t.get(Counter::Timed), 1);
    assert_eq!(t.get(Counter::HandlingMs), 3_600_000);
    assert_eq!(all[0].buckets.iter().map(|(_, n)| n).sum::<i64>(), 1);

    let by_unit = store.aggregate_facts(&q(FactKey::Unit, None)).await.unwrap();
    let get = |key: Option<String>| by_unit.iter().find(|g| g.key == key).map(|g| g.totals.get(Counter::Received));
    assert_eq!(get(Some(street.id.to_string())), Some(1));
    assert_eq!(get(Some(west.id.to_string())), Some(1));
    assert_eq!(get(None), Some(1), "the undispatched case has no unit");

    // The east district's subtree holds the street's case only.
    let east_tree = store.aggregate_facts(&q(FactKey::All, Some(&east.path))).await.unwrap();
    assert_eq!(east_tree[0].totals.get(Counter::Received), 1);
    let by_day = store.aggregate_facts(&q(FactKey::Day, None)).await.unwrap();
    assert_eq!(by_day.len(), 1);
    assert_eq!(by_day[0].key, Some(((T0 + 28_800_000) / 86_400_000).to_string()));
    let by_channel = store.aggregate_facts(&q(FactKey::Channel, None)).await.unwrap();
    assert_eq!(by_channel[0].key.as_deref(), Some("phone"));
    let callbacks = store.aggregate_facts(&q(FactKey::CallbackUnit, None)).await.unwrap();
    let made: i64 = callbacks.iter().map(|g| g.totals.get(Counter::CallbacksMade)).sum();
    assert_eq!(made, 1);

    // Unsatisfied digest source: nothing unsatisfied yet.
    assert!(store.unsatisfied_between(T0, T0 + 86_400_000, 10).await.unwrap().is_empty());
    let c = push(&store, &cases[2], EventKind::Forwarded, T0 + 10).await.unwrap();
    let c = push(&store, &c, to(&c, &west), T0 + 20).await.unwrap();
    let c = push(&store, &c, EventKind::Signed, T0 + 30).await.unwrap();
    let c = push(&store, &c, EventKind::Replied { text: "已答复".into(), solved: Solved::Unsolved }, T0 + 40).await.unwrap();
    let c = push(&store, &c, EventKind::ReplyPassed, T0 + 50).await.unwrap();
    push(
        &store,
        &c,
        EventKind::CallbackRecorded {
            outcome: CallbackOutcome::Unsatisfied,
            solved: Some(Solved::Unsolved),
            comment: Some("没解决".into()),
        },
        T0 + 60,
    )
    .await
    .unwrap();
    let unsatisfied = store.unsatisfied_between(T0, T0 + 86_400_000, 10).await.unwrap();
    assert_eq!(unsatisfied.iter().map(|c| c.id).collect::<Vec<_>>(), vec![cases[2].id]);
    assert!(store.unsatisfied_between(T0 + 61, T0 + 86_400_000, 10).await.unwrap().is_empty());
}

fn notice(key: &str, case_id: Option<i64>, recipient: &str) -> minsheng_store::NewNotice {
    minsheng_store::NewNotice {
        dedup_key: key.into(),
        case_id,
        channel: "inapp".into(),
        recipient: recipient.into(),
        template: "urge".into(),
        body: "请尽快办理".into(),
        payload: serde_json::json!({"k": key}),
        created_at: T0,
    }
}

async fn outbox_is_written_with_the_change_and_leased_once(store: Arc<dyn Store>) {
    use minsheng_store::{Delivery, NoticeQuery, NoticeState};
    let case = store.create_case(new_case("积水", T0)).await.unwrap();
    let mut next = case.clone();
    let e = Event { seq: 2, at: T0 + 1, actor: actor(), kind: EventKind::Urged, note: None, deadlines: None };
    next.apply(&e);
    let change = CaseChange {
        case: next.clone(),
        expected_version: 1,
        events: vec![e.clone()],
        fires: vec![],
        notices: vec![notice("urge:1:a", Some(case.id), "7"), notice("urge:1:b", Some(case.id), "8")],
    };
    store.append(vec![change.clone()]).await.unwrap();
    // A stale retry of the same change writes nothing, notices included.
    assert!(store.append(vec![change]).await.is_err());
    // Re-enqueueing a key is a no-op.
    store.enqueue_notices(vec![notice("urge:1:a", Some(case.id), "7"), notice("digest:w1", None, "9")]).await.unwrap();
    let on_case = store.list_notices(&NoticeQuery { case_id: Some(case.id), limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(on_case.len(), 2);
    assert_eq!(on_case[0].payload["k"], "urge:1:b");

    // Leasing: two claims at once never take the same row; a leased row is not due again until the lease ends.
    let inapp = vec!["inapp".to_string()];
    let (x, y) = tokio::join!(store.claim_notices(&inapp, T0 + 5, T0 + 60_000, 2), store.claim_notices(&inapp, T0 + 5, T0 + 60_000, 2));
    let (x, y) = (x.unwrap(), y.unwrap());
    let mut ids: Vec<i64> = x.iter().chain(&y).map(|n| n.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), x.len() + y.len(), "a notice was leased twice");
    assert_eq!(ids.len(), 3);
    assert!(store.claim_notices(&inapp, T0 + 10, T0 + 60_000, 10).await.unwrap().is_empty());
    assert!(store.claim_notices(&["sms".to_string()], T0 + 120_000, T0 + 180_000, 10).await.unwrap().is_empty());
    store.finish_notice(ids[0], Delivery::Sent { at: T0 + 6 }).await.unwrap();
    store.finish_notice(ids[1], Delivery::Retry { at: T0 + 1_000, error: "网关超时".into() }).await.unwrap();
    store.finish_notice(ids[2], Delivery::Failed { error: "号码无效".into() }).await.unwrap();
    let again = store.claim_notices(&inapp, T0 + 1_000, T0 + 2_000, 10).await.unwrap();
    assert_eq!(again.iter().map(|n| n.id).collect::<Vec<_>>(), vec![ids[1]]);
    assert_eq!(again[0].attempts, 2);
    assert_eq!(again[0].last_error.as_deref(), Some("网关超时"));
    let all = store.list_notices(&NoticeQuery { limit: 10, ..Default::default() }).await.unwrap();
    let state = |id: i64| all.iter().find(|n| n.id == id).map(|n| n.state);
    assert_eq!(state(ids[0]), Some(NoticeState::Sent));
    assert_eq!(state(ids[2]), Some(NoticeState::Failed));

    // Read marks: only the recipient's own in-app notice.
    let mine = store
        .list_notices(&NoticeQuery { channel: Some("inapp".into()), recipient: Some("7".into()), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert!(!store.mark_notice_read(mine[0].id, "8", T0 + 9).await.unwrap());
    assert!(store.mark_notice_read(mine[0].id, "7", T0 + 9).await.unwrap());
    let unread = NoticeQuery { recipient: Some("7".into()), unread_only: true, limit: 10, ..Default::default() };
    assert!(store.list_notices(&unread).await.unwrap().is_empty());
}

async fn duty_roster_replaces_a_day(store: Arc<dyn Store>) {
    let city = unit(&store, "4601", UnitKind::City, None).await;
    let east = unit(&store, "460106", UnitKind::District, Some(city.id)).await;
    store.set_duty("2026-11-23", east.id, &[5, 6]).await.unwrap();
    store.set_duty("2026-11-24", east.id, &[7]).await.unwrap();
    store.set_duty("2026-11-23", east.id, &[6]).await.unwrap();
    let r = store.duty("2026-11-23", "2026-11-24").await.unwrap();
    let got: Vec<(String, i64)> = r.iter().map(|d| (d.day.clone(), d.user_id)).collect();
    assert_eq!(got, vec![("2026-11-23".into(), 6), ("2026-11-24".into(), 7)]);
    assert!(store.duty("2026-11-25", "2026-11-30").await.unwrap().is_empty());
}

async fn repeats_count_by_phone_or_place(store: Arc<dyn Store>) {
    let with_item = |title: &str, phone: &str, at: i64, division: Option<i64>| {
        let mut n = new_case(title, at);
        n.intake = intake(title, phone);
        n.intake.catalogue_item = Some("noise.construction".into());
        n.intake.place.division_unit_id = division;
        n
    };
    store.create_case(with_item("夜间施工噪音", "13800138001", T0, Some(5))).await.unwrap();
    store.create_case(with_item("夜间施工噪音", "13800138001", T0 + 1, None)).await.unwrap();
    store.create_case(with_item("工地噪音", "13800138002", T0 + 2, Some(5))).await.unwrap();
    store.create_case(with_item("很久以前", "13800138001", T0 - 40 * 86_400_000, Some(5))).await.unwrap();
    let since = T0 - 30 * 86_400_000;
    assert_eq!(store.count_repeats("noise.construction", Some("13800138001"), None, since).await.unwrap(), 2);
    assert_eq!(store.count_repeats("noise.construction", None, Some(5), since).await.unwrap(), 2);
    assert_eq!(store.count_repeats("noise.construction", Some("13800138001"), Some(5), since).await.unwrap(), 3);
    assert_eq!(store.count_repeats("other.item", Some("13800138001"), Some(5), since).await.unwrap(), 0);
    assert_eq!(store.count_repeats("noise.construction", None, None, since).await.unwrap(), 0);
}

async fn catalogue_versions_are_kept_whole(store: Arc<dyn Store>) {
    assert!(store.catalogue(None).await.unwrap().is_none());
    let v1 = store.save_catalogue(r#"[{"code":"01"}]"#, 1, T0, Some(3), Some("初版")).await.unwrap();
    let (a, b) =
        tokio::join!(store.save_catalogue("[]", 0, T0 + 1, None, None), store.save_catalogue("[1]", 1, T0 + 2, None, Some("并发")));
    let mut versions = vec![v1.version, a.unwrap().version, b.unwrap().version];
    versions.sort();
    assert_eq!(versions, vec![1, 2, 3], "concurrent saves get distinct consecutive versions");
    assert_eq!(store.catalogue(Some(1)).await.unwrap().unwrap().data, r#"[{"code":"01"}]"#);
    assert_eq!(store.catalogue(None).await.unwrap().unwrap().version, 3);
    assert!(store.catalogue(Some(9)).await.unwrap().is_none());
    let list = store.catalogue_versions().await.unwrap();
    assert_eq!(list.iter().map(|v| v.version).collect::<Vec<_>>(), vec![3, 2, 1]);
    assert_eq!(list[2].note.as_deref(), Some("初版"));
    assert_eq!(list[2].created_by, Some(3));
    assert!(list.iter().all(|v| v.data.is_empty()), "lists leave the data out");
}

async fn classifier_models_are_versioned_with_one_active(store: Arc<dyn Store>) {
    assert!(store.models().await.unwrap().is_empty());
    let model = |note: &str| minsheng_store::NewModel {
        created_at: T0,
        created_by: Some(1),
        note: Some(note.into()),
        labels: 7,
        examples: 1844,
        evaluation: r#"{"macro_f1":0.91}"#.into(),
        data: format!(r#"{{"model":"{note}"}}"#),
    };
    let v1 = store.save_model(model("一")).await.unwrap();
    let v2 = store.save_model(model("二")).await.unwrap();
    assert_eq!((v1.version, v2.version), (1, 2));
    assert!(!v1.active);
    assert!(store.activate_model(1).await.unwrap());
    assert!(!store.activate_model(9).await.unwrap(), "no such version");
    let list = store.models().await.unwrap();
    assert_eq!(list.iter().map(|m| (m.version, m.active)).collect::<Vec<_>>(), vec![(2, false), (1, true)]);
    assert_eq!(list[0].evaluation["macro_f1"], serde_json::json!(0.91));
    assert!(store.activate_model(2).await.unwrap());
    let active: Vec<i64> = store.models().await.unwrap().iter().filter(|m| m.active).map(|m| m.version).collect();
    assert_eq!(active, vec![2], "exactly one active model");
    assert_eq!(store.model_data(1).await.unwrap().as_deref(), Some(r#"{"model":"一"}"#));
    assert_eq!(store.model_data(3).await.unwrap(), None);
}

async fn followers_read_changes_in_order(store: Arc<dyn Store>) {
    let a = store.create_case(new_case("路灯不亮", T0)).await.unwrap();
    let mut with_item = new_case("噪音扰民", T0 + 1_000);
    with_item.intake.catalogue_item = Some("A01".into());
    let b = store.create_case(with_item).await.unwrap();
    let c = store.create_case(new_case("井盖缺失", T0 + 2_000)).await.unwrap();
    // Changing the first case moves it to the end of the change order.
    let a2 = push(&store, &a, EventKind::Forwarded, T0 + 5_000).await.unwrap();
    let all = store.cases_changed_since(0, 0, 10).await.unwrap();
    assert_eq!(all.iter().map(|x| x.id).collect::<Vec<_>>(), vec![b.id, c.id, a.id]);
    assert_eq!(all[2].version, a2.version);
    // Resuming from the last one seen gives only what came after it.
    let after_b = store.cases_changed_since(b.updated_at, b.id, 10).await.unwrap();
    assert_eq!(after_b.iter().map(|x| x.id).collect::<Vec<_>>(), vec![c.id, a.id]);
    assert!(store.cases_changed_since(a2.updated_at, a2.id, 10).await.unwrap().is_empty());
    // Pages of a scan by id; with items only those with a catalogue item.
    let page = store.scan_cases(0, 2, false).await.unwrap();
    assert_eq!(page.iter().map(|x| x.id).collect::<Vec<_>>(), vec![a.id, b.id]);
    let rest = store.scan_cases(b.id, 2, false).await.unwrap();
    assert_eq!(rest.iter().map(|x| x.id).collect::<Vec<_>>(), vec![c.id]);
    let labelled = store.scan_cases(0, 10, true).await.unwrap();
    assert_eq!(labelled.iter().map(|x| x.id).collect::<Vec<_>>(), vec![b.id]);
}

async fn recently_closed_cases_by_item_or_place(store: Arc<dyn Store>) {
    let mut n = new_case("垃圾清运不及时", T0);
    n.intake.catalogue_item = Some("B02".into());
    let open = store.create_case(n.clone()).await.unwrap();
    let closed = store.create_case(n.clone()).await.unwrap();
    let closed = push(&store, &closed, EventKind::Closed { final_reply: false, outcome: None }, T0 + 60_000).await.unwrap();
    assert_eq!(closed.state, CaseState::Closed);
    let mut other = n.clone();
    other.intake.catalogue_item = Some("C03".into());
    let elsewhere = store.create_case(other).await.unwrap();
    push(&store, &elsewhere, EventKind::Closed { final_reply: false, outcome: None }, T0 + 60_000).await.unwrap();
    let found = store.closed_since(T0, Some("B02"), None, 10).await.unwrap();
    assert_eq!(found.iter().map(|x| x.id).collect::<Vec<_>>(), vec![closed.id], "open {} and other items are left out", open.id);
    assert!(store.closed_since(T0 + 120_000, Some("B02"), None, 10).await.unwrap().is_empty(), "closed before the window");
}

/// Open311's `service_code` list: cases whose catalogue item is one of the codes, with the other
/// filters and the paging as usual.
async fn lists_filter_by_catalogue_items(store: Arc<dyn Store>) {
    let mut ids = std::collections::HashMap::new();
    for (i, item) in ["ZS.01.001", "ZS.01.002", "ZS.01.001", "01.02.003"].into_iter().enumerate() {
        let mut n = new_case(&format!("事项筛选{i}"), T0 + i as i64);
        n.intake.catalogue_item = Some(item.into());
        ids.entry(item).or_insert_with(Vec::new).push(store.create_case(n).await.unwrap().id);
    }
    store.create_case(new_case("没有事项", T0 + 9)).await.unwrap();
    let list = |items: &[&str], limit: u32, before: Option<i64>| {
        let filter = CaseFilter { catalogue_items: items.iter().map(|s| s.to_string()).collect(), ..Default::default() };
        let store = store.clone();
        async move { store.list_cases(&CaseQuery { scope: Scope::All, filter, before_id: before, limit }).await.unwrap() }
    };
    let one = list(&["ZS.01.001"], 100, None).await;
    let mut want = ids["ZS.01.001"].clone();
    want.reverse();
    assert_eq!(one.cases.iter().map(|c| c.id).collect::<Vec<_>>(), want, "newest first");
    let two = list(&["ZS.01.001", "01.02.003"], 100, None).await;
    assert_eq!(two.cases.len(), 3);
    assert!(two.cases.iter().all(|c| c.intake.catalogue_item.as_deref() != Some("ZS.01.002")));
    let page = list(&["ZS.01.001", "01.02.003"], 2, None).await;
    assert_eq!(page.cases.len(), 2);
    let rest = list(&["ZS.01.001", "01.02.003"], 2, page.next_before_id).await;
    assert_eq!(rest.cases.len(), 1);
    assert!(rest.next_before_id.is_none());
    assert!(list(&["99.99.999"], 100, None).await.cases.is_empty());
    assert_eq!(list(&[], 100, None).await.cases.len(), 5, "an empty list is no filter");
}
