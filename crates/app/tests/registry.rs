//! 人员库 and 知识库 as use cases, on both engines: the demo registry and seed, proposals for a
//! case with loads, CSV import, the review path with role rules and conflicts, ranked search,
//! suggestions for a case's text, and two nodes on one database staying current.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::sync::Arc;

use minsheng_app::knowledge::{ArticleFilter, ArticleInput, RECHECK_MS};
use minsheng_app::people::{PersonInput, demo_registry};
use minsheng_app::service::AfterIntake;
use minsheng_app::{App, ManualClock, Settings};
use minsheng_domain::ErrorCode;
use minsheng_domain::case::{CaseType, Channel, Citizen, Intake, Place, Urgency};
use minsheng_domain::event::{ActorStamp, Event, EventKind};
use minsheng_domain::knowledge::{ArticleAction, ReviewState};
use minsheng_domain::org::{Actor, Role, UnitKind};
use minsheng_domain::people::PersonKind;
use minsheng_domain::value::{CaseText, PhoneNumber, Title};
use minsheng_store::{CaseChange, PeopleQuery};

const MON_9: i64 = 1_772_413_200_000; // 2026-03-02 09:00 China time
const DAY: i64 = 86_400_000;

async fn app_on(store: Arc<dyn minsheng_store::Store>, clock: &ManualClock) -> App {
    let app = App::new(store, Arc::new(clock.clone()), Settings::default());
    app.reload_catalogue().await.unwrap();
    app
}

async fn app(url: String) -> (App, ManualClock) {
    let store = minsheng_store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    minsheng_app::demo::load(store.as_ref(), "x", MON_9).await.unwrap();
    let clock = ManualClock::at(MON_9);
    (app_on(store, &clock).await, clock)
}

async fn who(app: &App, login: &str) -> Actor {
    let u = app.store.user_by_login(login).await.unwrap().unwrap();
    app.actor_for_user(&u).await.unwrap()
}

macro_rules! on_both_engines {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() { let (a, c) = super::app(format!("sqlite://{}", minsheng_testkit::fresh_sqlite_path())).await; super::$name(a, c).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() { let (a, c) = super::app(minsheng_testkit::fresh_pg_database().await).await; super::$name(a, c).await }
        }
    )+};
}

on_both_engines!(
    the_demo_loads_a_made_up_registry_and_the_seed_once,
    people_are_proposed_for_a_dispute_with_loads_and_reasons,
    registry_csv_imports_whole_or_not_at_all,
    articles_follow_the_review_path_with_roles_and_versions,
    search_ranks_and_suggestions_answer_a_consultation,
    a_second_node_sees_the_first_nodes_writes,
);

async fn the_demo_loads_a_made_up_registry_and_the_seed_once(app: App, _clock: ManualClock) {
    let people = app.store.list_people(&PeopleQuery::default()).await.unwrap();
    assert!((60..=120).contains(&people.len()), "{} people", people.len());
    let pairs: HashSet<(&str, &str)> = people.iter().map(|p| (p.name.as_str(), p.organisation.as_str())).collect();
    assert_eq!(pairs.len(), people.len(), "name and organisation identify a person");
    assert!(people.iter().all(|p| p.phone.is_none() && p.note.as_deref().is_some_and(|n| n.contains("虚构"))), "made-up people, no phones");
    for kind in PersonKind::ALL {
        assert!(people.iter().any(|p| p.kind == kind), "no {kind:?} in the demo registry");
    }
    // Every district and street of the demo city has someone serving it.
    let units = app.store.list_units().await.unwrap();
    for u in units.iter().filter(|u| matches!(u.kind, UnitKind::District | UnitKind::Street)) {
        assert!(people.iter().any(|p| p.areas.contains(&u.path)), "nobody serves {}", u.name);
    }
    assert_eq!(demo_registry(&units).len(), people.len(), "the registry is the plan");

    let seeded = app.articles(&who(&app, "operator").await, &ArticleFilter { limit: Some(500), ..Default::default() }).await.unwrap();
    assert!((40..=60).contains(&seeded.len()), "{} articles", seeded.len());
    assert!(seeded.iter().all(|a| a.article.state == ReviewState::Published && a.valid_now));
    assert!(seeded.iter().all(|a| a.article.source.as_deref().is_some_and(|s| s.starts_with("govmsg:"))));
    assert!(seeded.iter().all(|a| a.unit_name.is_some() && a.category_name.is_some()), "owned and categorised in the demo city");
    assert!(seeded.iter().all(|a| !a.article.body.contains("您的留言已收悉")), "greetings are cleaned");

    // Loading again changes nothing.
    minsheng_app::demo::load(app.store.as_ref(), "x", MON_9).await.unwrap();
    assert_eq!(app.store.list_people(&PeopleQuery::default()).await.unwrap().len(), people.len());
    assert_eq!(app.store.knowledge_stamp().await.unwrap().count as usize, seeded.len());
}

fn dispute(text: &str, division: Option<i64>) -> Intake {
    Intake {
        channel: Channel::Phone,
        case_type: CaseType::Help,
        title: Title::parse("邻里纠纷求助").unwrap(),
        text: CaseText::parse(text).unwrap(),
        urgency: Urgency::Normal,
        citizen: Citizen { phone: Some(PhoneNumber::parse("13800138000").unwrap()), ..Default::default() },
        place: Place { division_unit_id: division, ..Default::default() },
        catalogue_item: None,
        catalogue_version: None,
        tags: vec![],
        external_id: None,
        attachments: Vec::new(),
    }
}

fn person(name: &str, kind: PersonKind, specialties: &[&str], areas: &[&str]) -> PersonInput {
    PersonInput {
        name: name.into(),
        kind,
        organisation: "测试调解委员会".into(),
        phone: Some("0898-66668888".into()),
        specialties: specialties.iter().map(|s| s.to_string()).collect(),
        areas: areas.iter().map(|s| s.to_string()).collect(),
        capacity: 2,
        active: true,
        note: None,
    }
}

async fn people_are_proposed_for_a_dispute_with_loads_and_reasons(app: App, _clock: ManualClock) {
    let (admin, op, jinmao) = (who(&app, "admin").await, who(&app, "operator").await, who(&app, "jinmao").await);
    let yusha = app.store.list_units().await.unwrap().into_iter().find(|u| u.name == "玉沙社区居民委员会").unwrap();
    let best = app.add_person(&admin, person("测试调解员", PersonKind::Mediator, &["邻里纠纷"], &[&yusha.path])).await.unwrap();
    assert_eq!((best.load, best.area_names.clone()), (0, vec!["玉沙社区居民委员会".to_string()]));

    // Writes are the administrator's; reads are everyone's on staff.
    let e = app.add_person(&op, person("越权", PersonKind::Mediator, &[], &[])).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::RoleForbidden);
    assert!(app.people(&jinmao, &PeopleQuery::default()).await.unwrap().len() > 60);
    let e = app.add_person(&admin, person("测试调解员", PersonKind::Expert, &[], &[])).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::AlreadyExists);
    let e = app.add_person(&admin, person("无处", PersonKind::Mediator, &[], &["/999999/"])).await.unwrap_err();
    assert_eq!(e.details["field"], "areas", "an area must be a unit of the tree");

    let text = "楼上邻居家装修，长期漏水到我家，协商不成发生纠纷，请求调解。";
    let created = app.create_case(&op, dispute(text, Some(yusha.id)), AfterIntake::Forward).await.unwrap();
    let number = created.case["number"].as_str().unwrap().to_string();
    let got = app.case_people(&op, &number).await.unwrap();
    assert_eq!(got.need_label, Some("矛盾纠纷"));
    assert!(got.assigned.is_empty());
    // Best-matched: the right specialty, the very community, room to spare, a mediator (demo
    // mediators of the same community may tie with it).
    let ours = got.proposals.iter().find(|m| m.person.id == best.person.id).expect("proposed");
    assert_eq!(ours.score, got.proposals[0].score, "{:?}", got.proposals);
    let reasons = ours.reasons.join("；");
    assert!(reasons.contains("邻里纠纷") && reasons.contains("玉沙社区") && reasons.contains("调解员适合矛盾纠纷"), "{reasons}");
    assert!(got.proposals.len() <= 5 && got.proposals.windows(2).all(|w| w[0].score >= w[1].score));

    // Assigned (the case's person_assigned event): on the case, out of the proposals, one more open case.
    let case = app.store.case_by_number(&number).await.unwrap().unwrap();
    let mut next = case.clone();
    let stamp = ActorStamp { user_id: Some(1), name: "派单员".into(), role: Role::Dispatcher, unit_id: None, unit_name: None };
    let e = Event {
        seq: case.version + 1,
        at: MON_9,
        actor: stamp,
        kind: EventKind::PersonAssigned { person: best.person.as_ref() },
        note: None,
        deadlines: None,
    };
    next.apply(&e);
    app.store
        .append(vec![CaseChange { case: next, expected_version: case.version, events: vec![e], fires: vec![], notices: vec![] }])
        .await
        .unwrap();
    let got = app.case_people(&op, &number).await.unwrap();
    assert_eq!(got.assigned.iter().map(|a| a.person.id).collect::<Vec<_>>(), [best.person.id]);
    assert!(got.proposals.iter().all(|p| p.person.id != best.person.id));
    assert_eq!(app.person(&op, best.person.id).await.unwrap().load, 1);

    // An ordinary matter proposes nobody.
    let light = app
        .create_case(
            &op,
            Intake { title: Title::parse("路灯不亮").unwrap(), ..dispute("玉沙路的路灯坏了三天", Some(yusha.id)) },
            AfterIntake::Forward,
        )
        .await
        .unwrap();
    let got = app.case_people(&op, light.case["number"].as_str().unwrap()).await.unwrap();
    assert!(got.need.is_none() && got.proposals.is_empty(), "{:?}", got.proposals);
    // A unit outside the case's subtree does not learn it exists.
    let water = who(&app, "water").await;
    assert_eq!(app.case_people(&water, &number).await.unwrap_err().code, ErrorCode::NotFound);

    // An administrator edits; deactivating takes the person out of proposals.
    let mut input = person("测试调解员", PersonKind::Mediator, &["邻里纠纷"], &[&yusha.path]);
    input.active = false;
    let edited = app.edit_person(&admin, best.person.id, input.clone()).await.unwrap();
    assert!(!edited.person.active);
    assert_eq!(app.edit_person(&admin, 999_999, input).await.unwrap_err().code, ErrorCode::NotFound);
}

async fn registry_csv_imports_whole_or_not_at_all(app: App, _clock: ManualClock) {
    let admin = who(&app, "admin").await;
    let before = app.store.list_people(&PeopleQuery::default()).await.unwrap().len();
    let bad = "name,kind,organisation,phone,specialties,areas,capacity,active,note\n\
               甲调解员,调解员,龙华区人民调解委员会,,婚姻家庭|邻里纠纷,460106,8,是,\n\
               乙律师,律师,龙华区法律援助中心,,,,,,\n\
               丙专家,expert,海口市专家库,,,999999999,5,是,\n\
               丁专家,expert,海口市专家库,,,,0,是,\n";
    let e = app.import_people_csv(&admin, bad).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    let lines: Vec<i64> = e.details["errors"].as_array().unwrap().iter().map(|p| p["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, [3, 4, 5], "{}", e.details);
    assert_eq!(app.store.list_people(&PeopleQuery::default()).await.unwrap().len(), before, "nothing imported");

    let good = "\u{feff}name,kind,organisation,specialties,areas,capacity\n\
                甲调解员,调解员,龙华区人民调解委员会,婚姻家庭|邻里纠纷,460106；460106001,8\n\
                乙律师,legal_aid,龙华区法律援助中心,劳动争议,,\n";
    let done = app.import_people_csv(&admin, good).await.unwrap();
    assert_eq!((done.created, done.updated), (2, 0));
    let again = app.import_people_csv(&admin, good).await.unwrap();
    assert_eq!((again.created, again.updated), (0, 2), "re-importing updates by name and organisation");
    let jia = app.store.list_people(&PeopleQuery::default()).await.unwrap().into_iter().find(|p| p.name == "甲调解员").unwrap();
    assert_eq!((jia.capacity, jia.areas.len(), jia.specialties.len()), (8, 2, 2));
    let yi = app.store.list_people(&PeopleQuery::default()).await.unwrap().into_iter().find(|p| p.name == "乙律师").unwrap();
    assert_eq!((yi.kind, yi.capacity, yi.areas.len()), (PersonKind::LegalAid, 10, 0), "defaults: capacity 10, the whole city");

    for text in ["", "name,kind\n甲,调解员\n", "name,kind,organisation\n"] {
        assert_eq!(app.import_people_csv(&admin, text).await.unwrap_err().code, ErrorCode::InvalidInput, "{text:?}");
    }
    assert_eq!(app.import_people_csv(&who(&app, "dispatcher").await, good).await.unwrap_err().code, ErrorCode::RoleForbidden);
}

fn input(title: &str, body: &str, unit_id: Option<i64>) -> ArticleInput {
    ArticleInput {
        title: title.into(),
        body: body.into(),
        category: Some("01.02".into()),
        unit_id,
        keywords: vec!["占道经营".into()],
        valid_from: None,
        valid_to: None,
        source: None,
    }
}

async fn articles_follow_the_review_path_with_roles_and_versions(app: App, _clock: ManualClock) {
    let (cgj, water, sup, op, admin) = (
        who(&app, "cgj").await,
        who(&app, "water").await,
        who(&app, "supervisor").await,
        who(&app, "operator").await,
        who(&app, "admin").await,
    );
    let body = "流动摊贩占道经营由属地综合行政执法局负责查处，市民可拨打 12345 反映具体位置和时间。";
    // Unit staff write for their own unit (the owner defaults to it).
    let a = app.create_article(&cgj, input("占道经营向谁反映", body, None)).await.unwrap();
    assert_eq!((a.article.state, a.article.version, a.article.unit_id), (ReviewState::Draft, 1, cgj.unit_id()));
    assert_eq!(a.actions, [ArticleAction::Submit]);
    assert!(a.editable);
    let id = a.article.id;
    let e = app.create_article(&water, input("越权", body, cgj.unit_id())).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::RoleForbidden, "another unit cannot write for this one");
    let e = app.create_article(&op, input("越权", body, None)).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::RoleForbidden, "operators read, they do not write");

    // Bad input is refused by field and changes nothing.
    let count = app.store.knowledge_stamp().await.unwrap().count;
    for (bad, field) in [
        (ArticleInput { title: "".into(), ..input("x", body, None) }, "title"),
        (ArticleInput { body: "长".repeat(20_001), ..input("x", body, None) }, "body"),
        (ArticleInput { category: Some("99.99".into()), ..input("x", body, None) }, "category"),
        (ArticleInput { valid_from: Some("2026-13-01".into()), ..input("x", body, None) }, "valid_from"),
        (ArticleInput { valid_from: Some("2026-06-01".into()), valid_to: Some("2026-01-01".into()), ..input("x", body, None) }, "valid_to"),
    ] {
        let e = app.create_article(&cgj, bad).await.unwrap_err();
        assert_eq!((e.code, e.details["field"].as_str()), (ErrorCode::InvalidInput, Some(field)), "{}", e.message_en);
    }
    assert_eq!(app.store.knowledge_stamp().await.unwrap().count, count);

    // A draft is invisible to operators until published.
    assert_eq!(app.article(&op, id).await.unwrap_err().code, ErrorCode::NotFound);
    let e = app.review_article(&sup, id, 1, ArticleAction::Publish, None).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidState, "a draft is submitted first");
    let a = app.review_article(&cgj, id, 1, ArticleAction::Submit, None).await.unwrap();
    assert_eq!((a.article.state, a.article.version), (ReviewState::PendingReview, 2));
    let e = app.review_article(&cgj, id, 2, ArticleAction::Publish, None).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::RoleForbidden, "writers do not publish their own text");
    let e = app.review_article(&sup, id, 1, ArticleAction::Publish, None).await.unwrap_err();
    assert_eq!((e.code, e.details["current_version"].as_i64()), (ErrorCode::VersionConflict, Some(2)));
    let rejected = app.review_article(&sup, id, 2, ArticleAction::Reject, Some("请补充投诉渠道")).await.unwrap();
    assert_eq!((rejected.article.state, rejected.article.review_note.as_deref()), (ReviewState::Draft, Some("请补充投诉渠道")));
    app.review_article(&cgj, id, 3, ArticleAction::Submit, None).await.unwrap();
    let published = app.review_article(&sup, id, 4, ArticleAction::Publish, None).await.unwrap();
    assert!(published.valid_now);
    assert_eq!(app.article(&op, id).await.unwrap().view.article.version, 5);

    // Two editors at version 5: one wins, the other is told, and nothing of theirs is stored.
    let first = app.edit_article(&cgj, id, 5, input("占道经营向谁反映", "新的答复口径：可在“椰城市民云”上报。", None)).await.unwrap();
    assert_eq!((first.article.state, first.article.version), (ReviewState::PendingReview, 6), "an edited article goes back to review");
    let e = app.edit_article(&admin, id, 5, input("别人的版本", body, cgj.unit_id())).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::VersionConflict);
    assert_eq!(app.article(&admin, id).await.unwrap().view.article.title, "占道经营向谁反映");
    assert_eq!(app.article(&op, id).await.unwrap_err().code, ErrorCode::NotFound, "under review again: out of operators' sight");

    let detail = app.article(&sup, id).await.unwrap();
    let steps: Vec<&str> = detail.history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(steps, ["create", "submit", "reject", "submit", "publish", "edit"]);
    assert_eq!(detail.view.actions, [ArticleAction::Publish, ArticleAction::Reject]);
    assert_eq!(app.article(&sup, 999_999).await.unwrap_err().code, ErrorCode::NotFound);
}

async fn search_ranks_and_suggestions_answer_a_consultation(app: App, clock: ManualClock) {
    let op = who(&app, "operator").await;
    let hits = app.articles(&op, &ArticleFilter { q: Some("公积金贷款".into()), ..Default::default() }).await.unwrap();
    assert!(!hits.is_empty());
    assert!(hits[0].article.title.contains("公积金"), "{}", hits[0].article.title);
    assert!(hits.iter().all(|h| h.score.is_some() && h.snippet.as_deref().is_some_and(|s| s.contains("<mark>"))));
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score), "ranked");
    let in_category =
        app.articles(&op, &ArticleFilter { q: Some("公积金".into()), category: Some("13".into()), ..Default::default() }).await.unwrap();
    assert!(in_category.iter().all(|h| h.article.category.as_deref().is_some_and(|c| c.starts_with("13."))));
    assert!(app.articles(&op, &ArticleFilter { q: Some("量子纠缠超导体".into()), ..Default::default() }).await.unwrap().is_empty());
    let e = app.articles(&op, &ArticleFilter { q: Some("长".repeat(201)), ..Default::default() }).await.unwrap_err();
    assert_eq!(e.details["field"], "q");

    let s = app.suggest_articles(&op, "您好，我在海口工作，想咨询一下用住房公积金贷款买房需要什么条件，首付几成？").await.unwrap();
    assert!(!s.is_empty() && s.len() <= 5);
    assert!(s[0].title.contains("公积金") || s[0].body.contains("公积金"), "{}", s[0].title);
    assert!(!s[0].body.is_empty() && s[0].snippet.contains("<mark>"));
    assert!(app.suggest_articles(&op, "路灯").await.unwrap().is_empty(), "too little to go on");
    let e = app.suggest_articles(&op, &"字".repeat(5_001)).await.unwrap_err();
    assert_eq!(e.details["field"], "text");

    // An article valid only until today is suggested today and not tomorrow.
    let admin = who(&app, "admin").await;
    let mut only_today = input("电动自行车上牌办理", "电动自行车上牌请携带购车发票、合格证和身份证到交警车管所办理，当日可取牌。", None);
    only_today.valid_to = Some("2026-03-02".into());
    only_today.category = None;
    let a = app.create_article(&admin, only_today).await.unwrap();
    app.review_article(&admin, a.article.id, 1, ArticleAction::Submit, None).await.unwrap();
    app.review_article(&admin, a.article.id, 2, ArticleAction::Publish, None).await.unwrap();
    let text = "请问电动自行车上牌需要带什么材料，到哪里办理上牌？";
    assert!(app.suggest_articles(&op, text).await.unwrap().iter().any(|x| x.id == a.article.id), "published today: suggested at once");
    clock.advance(DAY);
    assert!(!app.suggest_articles(&op, text).await.unwrap().iter().any(|x| x.id == a.article.id), "expired overnight");
    let valid = app.articles(&op, &ArticleFilter { valid: Some(true), limit: Some(500), ..Default::default() }).await.unwrap();
    assert!(valid.iter().all(|v| v.valid_now) && !valid.iter().any(|v| v.article.id == a.article.id));
    let expired = app.articles(&admin, &ArticleFilter { valid: Some(false), ..Default::default() }).await.unwrap();
    assert!(expired.iter().any(|v| v.article.id == a.article.id));
}

async fn a_second_node_sees_the_first_nodes_writes(one: App, clock: ManualClock) {
    // Two processes on one database, each with its own index (and its own clock, here the same time).
    let other_clock = ManualClock::at(MON_9);
    let two = app_on(one.store.clone(), &other_clock).await;
    let (admin1, op2) = (who(&one, "admin").await, who(&two, "operator").await);
    let q = ArticleFilter { q: Some("犬只登记".into()), ..Default::default() };
    assert!(two.articles(&op2, &q).await.unwrap().is_empty(), "node two builds its index");

    let a = one
        .create_article(&admin1, input("犬只登记办理", "养犬人应当到居住地派出所办理犬只登记，携带身份证和免疫证明。", None))
        .await
        .unwrap();
    one.review_article(&admin1, a.article.id, 1, ArticleAction::Submit, None).await.unwrap();
    one.review_article(&admin1, a.article.id, 2, ArticleAction::Publish, None).await.unwrap();
    assert_eq!(one.articles(&admin1, &q).await.unwrap().len(), 1, "node one sees its own write at once");

    // Node two checks the database at most every few seconds.
    assert!(two.articles(&op2, &q).await.unwrap().is_empty(), "within the recheck interval node two may lag");
    other_clock.advance(RECHECK_MS);
    let seen = two.articles(&op2, &q).await.unwrap();
    assert_eq!(seen.iter().map(|v| v.article.id).collect::<Vec<_>>(), [a.article.id]);

    // And the other way round: node two edits (new words), node one finds them after its recheck.
    let admin2 = who(&two, "admin").await;
    let q2 = ArticleFilter { q: Some("狂犬疫苗".into()), ..Default::default() };
    two.edit_article(&admin2, a.article.id, 3, input("犬只登记办理", "养犬人应当到派出所办理犬只登记，并为犬只接种狂犬疫苗。", None))
        .await
        .unwrap();
    assert!(one.articles(&admin1, &q2).await.unwrap().is_empty(), "within the recheck interval node one may lag");
    clock.advance(RECHECK_MS);
    let found = one.articles(&admin1, &q2).await.unwrap();
    assert_eq!(found.iter().map(|v| (v.article.id, v.article.state)).collect::<Vec<_>>(), [(a.article.id, ReviewState::PendingReview)]);
    // Node one's own writes keep its index current without a rebuild hiding anything.
    one.review_article(&admin1, a.article.id, 4, ArticleAction::Publish, None).await.unwrap();
    let op1 = who(&one, "operator").await;
    assert_eq!(one.articles(&op1, &q2).await.unwrap().len(), 1);
}
