//! The people registry (人员库) and the knowledge base (知识库) in the storage contract, run
//! unchanged against SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::NaiveDate;
use minsheng_domain::case::{CaseType, Channel, Citizen, Intake, Place, Urgency};
use minsheng_domain::event::EventKind;
use minsheng_domain::knowledge::{Article, ArticleDraft, ReviewState};
use minsheng_domain::people::{PersonDraft, PersonKind};
use minsheng_domain::value::{CaseText, PhoneNumber, Title};
use minsheng_store::{ArticleQuery, NewCase, PeopleQuery, Store, StoreError};

mod common;
use common::*;

on_both_engines!(
    people_round_trip_and_filter,
    import_adds_or_updates_by_name_and_organisation,
    assignments_are_written_with_the_event_and_count_while_open,
    articles_keep_every_version_and_refuse_stale_writes,
    articles_filter_by_state_category_unit_and_date,
);

fn person(name: &str, kind: PersonKind, specialties: &[&str], areas: &[&str]) -> PersonDraft {
    PersonDraft {
        name: name.into(),
        kind,
        organisation: "龙华区人民调解委员会".into(),
        phone: Some("089866668888".into()),
        specialties: specialties.iter().map(|s| s.to_string()).collect(),
        areas: areas.iter().map(|s| s.to_string()).collect(),
        capacity: 5,
        active: true,
        note: Some("演示".into()),
    }
}

fn new_case(title: &str) -> NewCase {
    NewCase {
        number_prefix: "HK".into(),
        intake: Intake {
            channel: Channel::Phone,
            case_type: CaseType::Help,
            title: Title::parse(title).unwrap(),
            text: CaseText::parse(&format!("{title}，请帮忙调解。")).unwrap(),
            urgency: Urgency::Normal,
            citizen: Citizen {
                name: None,
                phone: Some(PhoneNumber::parse("13800138000").unwrap()),
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
        },
        at: T0,
        actor: actor(),
        then: vec![],
        deadlines: None,
        notices: Vec::new(),
        inbound: None,
    }
}

async fn people_round_trip_and_filter(store: Arc<dyn Store>) {
    let a =
        store.insert_person(person("符海燕", PersonKind::Mediator, &["婚姻家庭", "邻里纠纷"], &["/1/4/", "/1/4/9/"]), T0).await.unwrap();
    let b = store.insert_person(person("王建华", PersonKind::LegalAid, &["劳动争议"], &["/1/5/"]), T0).await.unwrap();
    let c = store.insert_person(person("陈志明", PersonKind::Expert, &["08.02", "建筑质量"], &[]), T0).await.unwrap();
    assert!(a.id > 0 && b.id > a.id && c.id > b.id);
    let got = store.get_person(a.id).await.unwrap().unwrap();
    assert_eq!(got, a);
    assert_eq!(got.specialties, ["婚姻家庭", "邻里纠纷"]);
    assert_eq!(got.as_ref().name, "符海燕");
    assert!(store.get_person(9_999).await.unwrap().is_none());

    let dup = store.insert_person(person("符海燕", PersonKind::Expert, &[], &[]), T0).await.unwrap_err();
    assert!(matches!(dup, StoreError::Duplicate(_)), "same name and organisation: {dup:?}");

    let ids = |v: Vec<minsheng_store::PersonRecord>| v.into_iter().map(|p| p.id).collect::<Vec<_>>();
    let q = |f: fn(&mut PeopleQuery)| {
        let mut q = PeopleQuery::default();
        f(&mut q);
        q
    };
    assert_eq!(ids(store.list_people(&PeopleQuery::default()).await.unwrap()), [a.id, b.id, c.id]);
    assert_eq!(ids(store.list_people(&q(|q| q.kind = Some(PersonKind::LegalAid))).await.unwrap()), [b.id]);
    assert_eq!(ids(store.list_people(&q(|q| q.specialty = Some("邻里纠纷".into()))).await.unwrap()), [a.id]);
    assert!(store.list_people(&q(|q| q.specialty = Some("邻里".into()))).await.unwrap().is_empty(), "a specialty matches whole");
    assert_eq!(ids(store.list_people(&q(|q| q.specialty = Some("08.02".into()))).await.unwrap()), [c.id]);
    assert_eq!(ids(store.list_people(&q(|q| q.area_prefix = Some("/1/4/".into()))).await.unwrap()), [a.id]);
    assert_eq!(ids(store.list_people(&q(|q| q.area_prefix = Some("/1/".into()))).await.unwrap()), [a.id, b.id]);
    // `_` and `%` are literal, not wildcards.
    assert!(store.list_people(&q(|q| q.specialty = Some("%".into()))).await.unwrap().is_empty());

    let mut changed = b.clone();
    changed.active = false;
    changed.capacity = 12;
    changed.specialties.push("消费维权".into());
    changed.updated_at = T0 + 1;
    store.update_person(changed.clone()).await.unwrap();
    assert_eq!(store.get_person(b.id).await.unwrap().unwrap(), changed);
    assert_eq!(ids(store.list_people(&q(|q| q.active = Some(true))).await.unwrap()), [a.id, c.id]);
    assert_eq!(ids(store.list_people(&q(|q| q.active = Some(false))).await.unwrap()), [b.id]);
    let mut ghost = changed;
    ghost.id = 9_999;
    assert!(matches!(store.update_person(ghost).await.unwrap_err(), StoreError::NotFound(_)));
}

async fn import_adds_or_updates_by_name_and_organisation(store: Arc<dyn Store>) {
    let first = store
        .import_people(vec![person("甲", PersonKind::Mediator, &[], &[]), person("乙", PersonKind::Expert, &[], &[])], T0)
        .await
        .unwrap();
    assert!(first.iter().all(|p| p.created));
    let mut again = person("甲", PersonKind::Mediator, &["物业纠纷"], &[]);
    again.capacity = 9;
    let second = store.import_people(vec![again, person("丙", PersonKind::LegalAid, &[], &[])], T0 + 5).await.unwrap();
    assert_eq!(second.iter().map(|p| p.created).collect::<Vec<_>>(), [false, true]);
    assert_eq!(second[0].person.id, first[0].person.id, "the same person, updated");
    let stored = store.get_person(first[0].person.id).await.unwrap().unwrap();
    assert_eq!((stored.capacity, stored.updated_at, stored.specialties.clone()), (9, T0 + 5, vec!["物业纠纷".to_string()]));
    assert_eq!(store.list_people(&PeopleQuery::default()).await.unwrap().len(), 3);

    // The same name and organisation twice in one file: the later row updates the earlier one.
    let mut twice = person("丁", PersonKind::Mediator, &[], &[]);
    twice.capacity = 3;
    let third = store.import_people(vec![person("丁", PersonKind::Mediator, &[], &[]), twice], T0 + 6).await.unwrap();
    assert_eq!(third.iter().map(|p| p.created).collect::<Vec<_>>(), [true, false]);
    assert_eq!(third[0].person.id, third[1].person.id);
    assert_eq!(store.get_person(third[0].person.id).await.unwrap().unwrap().capacity, 3);
    assert_eq!(store.list_people(&PeopleQuery::default()).await.unwrap().len(), 4);
}

async fn assignments_are_written_with_the_event_and_count_while_open(store: Arc<dyn Store>) {
    let p = store.insert_person(person("林晓", PersonKind::Mediator, &["邻里纠纷"], &[]), T0).await.unwrap();
    let q = store.insert_person(person("吴刚", PersonKind::Expert, &[], &[]), T0).await.unwrap();
    let one = store.create_case(new_case("邻里漏水纠纷")).await.unwrap();
    let two = store.create_case(new_case("楼道堆物纠纷")).await.unwrap();
    assert!(store.people_loads().await.unwrap().is_empty());

    let one = push(&store, &one, EventKind::PersonAssigned { person: p.as_ref() }, T0 + 10).await.unwrap();
    let two = push(&store, &two, EventKind::PersonAssigned { person: p.as_ref() }, T0 + 20).await.unwrap();
    push(&store, &two, EventKind::PersonAssigned { person: q.as_ref() }, T0 + 30).await.unwrap();
    let on_two = store.case_people(two.id).await.unwrap();
    assert_eq!(on_two.iter().map(|c| c.person_id).collect::<Vec<_>>(), [p.id, q.id]);
    assert_eq!((on_two[0].assigned_at, on_two[0].assigned_by, on_two[0].released_at), (T0 + 20, Some(1), None));
    let loads = store.people_loads().await.unwrap();
    assert_eq!(loads.iter().map(|l| (l.person_id, l.open)).collect::<Vec<_>>(), [(p.id, 2), (q.id, 1)]);

    // A stale change writes neither the event nor the assignment.
    let r = store.insert_person(person("邢伟", PersonKind::LegalAid, &[], &[]), T0).await.unwrap();
    push(&store, &one, EventKind::PersonAssigned { person: q.as_ref() }, T0 + 40).await.unwrap();
    let lost = push(&store, &one, EventKind::PersonAssigned { person: r.as_ref() }, T0 + 50).await.unwrap_err();
    assert!(matches!(lost, StoreError::Conflict { .. }), "{lost:?}");
    assert_eq!(store.case_people(one.id).await.unwrap().iter().map(|c| c.person_id).collect::<Vec<_>>(), [p.id, q.id]);
    assert!(!store.people_loads().await.unwrap().iter().any(|l| l.person_id == r.id));

    // An assignment to a person who does not exist fails the whole change.
    let now = store.get_case(two.id).await.unwrap().unwrap();
    let mut ghost = p.as_ref();
    ghost.id = 777;
    assert!(push(&store, &now, EventKind::PersonAssigned { person: ghost }, T0 + 60).await.is_err());
    assert_eq!(store.get_case(two.id).await.unwrap().unwrap().version, now.version, "nothing written");

    // Closing a case (here: the citizen withdraws) releases its people from the load count.
    push(&store, &now, EventKind::Withdrawn, T0 + 70).await.unwrap();
    let loads = store.people_loads().await.unwrap();
    assert_eq!(loads.iter().map(|l| (l.person_id, l.open)).collect::<Vec<_>>(), [(p.id, 1), (q.id, 1)], "case two no longer counts");

    // Outside a case change (imports): the same row, once per person and case.
    store.record_assignment(two.id, p.id, T0 + 80, Some(2)).await.unwrap();
    store.record_assignment(two.id, p.id, T0 + 90, Some(2)).await.unwrap();
    assert_eq!(store.case_people(two.id).await.unwrap().len(), 2);
    assert!(matches!(store.record_assignment(two.id, 777, T0, None).await.unwrap_err(), StoreError::NotFound(_)));
}

fn one(mut v: Vec<Article>) -> Article {
    assert_eq!(v.len(), 1);
    v.remove(0)
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn article(title: &str, category: Option<&str>, unit: Option<i64>, from: Option<&str>, to: Option<&str>) -> Article {
    let d = ArticleDraft {
        title: title.into(),
        body: format!("{title}：请携带身份证到窗口办理。咨询电话 12345。"),
        category: category.map(str::to_string),
        unit_id: unit,
        keywords: vec!["办理".into(), "窗口".into()],
        valid_from: from.map(day),
        valid_to: to.map(day),
        source: Some("govmsg:1".into()),
    };
    Article::new(0, d.parse().unwrap(), Some(5), T0)
}

async fn articles_keep_every_version_and_refuse_stale_writes(store: Arc<dyn Store>) {
    let before = store.knowledge_stamp().await.unwrap();
    assert_eq!(before.count, 0);
    let a =
        one(store.insert_articles(vec![article("如何提取公积金", Some("05.02"), None, Some("2026-01-01"), None)], "create").await.unwrap());
    assert!(a.id > 0);
    assert_eq!(store.get_article(a.id).await.unwrap().unwrap(), a);
    let s1 = store.knowledge_stamp().await.unwrap();
    assert_eq!((s1.count, s1.version_sum, s1.max_updated_at), (1, 1, T0));

    let mut edited = a.clone();
    edited.body = "新口径：网上办理。".into();
    edited.state = ReviewState::PendingReview;
    edited.version = 2;
    edited.updated_at = T0 + 100;
    edited.updated_by = Some(6);
    store.update_article(edited.clone(), 1, "edit", Some("改为网上办理")).await.unwrap();
    // Someone who still holds version 1 loses, and changes nothing.
    let mut stale = a.clone();
    stale.title = "别人的标题".into();
    stale.version = 2;
    match store.update_article(stale, 1, "edit", None).await.unwrap_err() {
        StoreError::Conflict { case_id, expected, actual } => assert_eq!((case_id, expected, actual), (a.id, 1, 2)),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(store.get_article(a.id).await.unwrap().unwrap(), edited);
    let mut ghost = edited.clone();
    ghost.id = 9_999;
    assert!(matches!(store.update_article(ghost, 2, "edit", None).await.unwrap_err(), StoreError::NotFound(_)));

    let history = store.article_history(a.id).await.unwrap();
    assert_eq!(history.iter().map(|h| (h.version, h.action.as_str())).collect::<Vec<_>>(), [(1, "create"), (2, "edit")]);
    assert_eq!(history[0].article.body, a.body, "the first version is kept whole");
    assert_eq!((history[1].note.as_deref(), history[1].by, history[1].at), (Some("改为网上办理"), Some(6), T0 + 100));
    let s2 = store.knowledge_stamp().await.unwrap();
    assert_eq!((s2.count, s2.version_sum, s2.max_updated_at), (1, 2, T0 + 100));

    // Many at once: one transaction; an article owned by a unit that does not exist fails them all.
    let two =
        store.insert_articles(vec![article("甲", None, None, None, None), article("乙", None, None, None, None)], "import").await.unwrap();
    assert!(two[0].id != two[1].id && two.iter().all(|x| x.id > a.id));
    let bad =
        store.insert_articles(vec![article("丙", None, None, None, None), article("丁", None, Some(987_654), None, None)], "import").await;
    assert!(bad.is_err());
    assert_eq!(store.knowledge_stamp().await.unwrap().count, 3, "丙 was not kept");
}

async fn articles_filter_by_state_category_unit_and_date(store: Arc<dyn Store>) {
    let unit = store
        .insert_unit(minsheng_store::NewUnit {
            code: "HK-GJJ".into(),
            name: "住房公积金管理局".into(),
            kind: minsheng_domain::org::UnitKind::Department,
            parent_id: None,
            division_code: None,
            department_type: None,
        })
        .await
        .unwrap();
    let mut published = article("公积金提取", Some("05.02.001"), Some(unit.id), Some("2026-01-01"), Some("2026-12-31"));
    published.state = ReviewState::Published;
    let a = one(store.insert_articles(vec![published], "import").await.unwrap());
    let b = one(store.insert_articles(vec![article("公积金贷款", Some("05.02"), Some(unit.id), None, None)], "create").await.unwrap());
    let mut later = article("社保转移", Some("05_1"), None, Some("2027-01-01"), None);
    later.updated_at = T0 + 5;
    let c = one(store.insert_articles(vec![later], "create").await.unwrap());
    let d = one(store.insert_articles(vec![article("落户办理", Some("050"), None, None, Some("2025-12-31"))], "create").await.unwrap());

    let ids = |v: Vec<Article>| v.into_iter().map(|a| a.id).collect::<Vec<_>>();
    let list = |q: ArticleQuery| {
        let store = store.clone();
        async move { ids(store.list_articles(&q).await.unwrap()) }
    };
    assert_eq!(list(ArticleQuery::default()).await, [c.id, d.id, b.id, a.id], "newest change first, then id");
    assert_eq!(list(ArticleQuery { state: Some(ReviewState::Published), ..Default::default() }).await, [a.id]);
    assert_eq!(
        list(ArticleQuery { category: Some("05.02".into()), ..Default::default() }).await,
        [b.id, a.id],
        "a code and the codes below it"
    );
    assert_eq!(
        list(ArticleQuery { category: Some("05".into()), ..Default::default() }).await,
        [b.id, a.id],
        "05_1 and 050 are not below 05"
    );
    assert_eq!(list(ArticleQuery { unit_id: Some(unit.id), ..Default::default() }).await, [b.id, a.id]);
    assert_eq!(list(ArticleQuery { valid_on: Some(day("2026-06-01")), ..Default::default() }).await, [b.id, a.id]);
    assert_eq!(list(ArticleQuery { valid_on: Some(day("2027-06-01")), ..Default::default() }).await, [c.id, b.id]);
    assert_eq!(list(ArticleQuery { valid_on: Some(day("2025-06-01")), ..Default::default() }).await, [d.id, b.id]);
    assert_eq!(list(ArticleQuery { limit: Some(2), ..Default::default() }).await, [c.id, d.id]);
    let got = store.get_article(a.id).await.unwrap().unwrap();
    assert_eq!((got.valid_from, got.valid_to, got.keywords.len()), (Some(day("2026-01-01")), Some(day("2026-12-31")), 2));
}
