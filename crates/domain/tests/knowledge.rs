//! 知识库: article drafts are validated, review steps follow the state machine with role rules,
//! and only published articles within their validity dates are "valid now".
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use minsheng_domain::ErrorCode;
use minsheng_domain::knowledge::{Article, ArticleAction, ArticleDraft, ReviewState, available_actions, check_create, edit, review};
use minsheng_domain::org::{Actor, Role, UnitKind, UnitRef};

const HOUSING_FUND: i64 = 40;
const OTHER_UNIT: i64 = 41;

fn actor(role: Role, unit: Option<i64>) -> Actor {
    Actor {
        user_id: Some(9),
        name: "某人".into(),
        role,
        unit: unit.map(|id| UnitRef {
            id,
            name: format!("单位{id}"),
            kind: UnitKind::Department,
            parent_id: Some(1),
            path: format!("/1/{id}/"),
        }),
    }
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn draft() -> ArticleDraft {
    ArticleDraft {
        title: "  如何提取住房公积金？ ".into(),
        body: "职工购买自住住房的，可持购房合同到公积金管理中心办理提取。\n咨询电话：0898-12329。".into(),
        category: Some("05.02".into()),
        unit_id: Some(HOUSING_FUND),
        keywords: vec!["公积金".into(), "提取".into(), "公积金".into()],
        valid_from: Some(date("2026-01-01")),
        valid_to: Some(date("2026-12-31")),
        source: Some("govmsg:12345".into()),
    }
}

fn article() -> Article {
    Article::new(1, draft().parse().unwrap(), Some(9), 1_000)
}

#[test]
fn drafts_are_normalised_and_refusals_name_the_field() {
    let d = draft().parse().unwrap();
    assert_eq!(d.title, "如何提取住房公积金？");
    assert_eq!(d.keywords, ["公积金", "提取"]);
    assert!(d.body.contains('\n'), "paragraphs survive");

    let bad: Vec<(ArticleDraft, &str)> = vec![
        (ArticleDraft { title: " ".into(), ..draft() }, "title"),
        (ArticleDraft { title: "长".repeat(101), ..draft() }, "title"),
        (ArticleDraft { title: "换行\n标题".into(), ..draft() }, "title"),
        (ArticleDraft { body: String::new(), ..draft() }, "body"),
        (ArticleDraft { body: "字".repeat(20_001), ..draft() }, "body"),
        (ArticleDraft { body: "响铃\u{7}".into(), ..draft() }, "body"),
        (ArticleDraft { category: Some("政法 类".into()), ..draft() }, "category"),
        (ArticleDraft { keywords: vec!["关".repeat(21)], ..draft() }, "keywords"),
        (ArticleDraft { keywords: (0..21).map(|i| format!("词{i}")).collect(), ..draft() }, "keywords"),
        (ArticleDraft { valid_from: Some(date("2026-06-01")), valid_to: Some(date("2026-05-31")), ..draft() }, "valid_to"),
        (ArticleDraft { source: Some("源".repeat(101)), ..draft() }, "source"),
    ];
    for (d, field) in bad {
        let e = d.parse().unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert_eq!(e.details["field"], field, "{}", e.message_en);
    }
    // One-day validity is fine.
    assert!(ArticleDraft { valid_from: Some(date("2026-06-01")), valid_to: Some(date("2026-06-01")), ..draft() }.parse().is_ok());
}

#[test]
fn the_review_path_and_its_refusals() {
    let writer = actor(Role::UnitHandler, Some(HOUSING_FUND));
    let reviewer = actor(Role::Supervisor, Some(2));
    let a = article();
    assert_eq!((a.state, a.version), (ReviewState::Draft, 1));

    let e = review(&a, &writer, ArticleAction::Publish, None, 2_000).unwrap_err();
    assert_eq!(e.code, ErrorCode::RoleForbidden, "a writer cannot publish their own text");
    let e = review(&a, &reviewer, ArticleAction::Publish, None, 2_000).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidState, "a draft must be submitted first");
    assert!(e.message_zh.contains("草稿") && e.message_zh.contains("待审核"), "{}", e.message_zh);
    assert_eq!(e.details["state"], "draft");

    let a = review(&a, &writer, ArticleAction::Submit, None, 2_000).unwrap();
    assert_eq!((a.state, a.version, a.updated_at), (ReviewState::PendingReview, 2, 2_000));
    let e = review(&a, &reviewer, ArticleAction::Reject, Some("  "), 3_000).unwrap_err();
    assert_eq!(e.details["field"], "note", "a rejection needs a reason");
    let rejected = review(&a, &reviewer, ArticleAction::Reject, Some("电话号码需核实"), 3_000).unwrap();
    assert_eq!((rejected.state, rejected.review_note.as_deref()), (ReviewState::Draft, Some("电话号码需核实")));

    let published = review(&a, &reviewer, ArticleAction::Publish, None, 3_000).unwrap();
    assert_eq!((published.state, published.version), (ReviewState::Published, 3));
    assert_eq!(review(&published, &reviewer, ArticleAction::Submit, None, 4_000).unwrap_err().code, ErrorCode::RoleForbidden);
    assert_eq!(review(&published, &writer, ArticleAction::Submit, None, 4_000).unwrap_err().code, ErrorCode::InvalidState);
    let retired = review(&published, &reviewer, ArticleAction::Retire, None, 4_000).unwrap();
    assert_eq!(retired.state, ReviewState::Retired);
    assert_eq!(review(&retired, &reviewer, ArticleAction::Retire, None, 5_000).unwrap_err().code, ErrorCode::InvalidState);
}

#[test]
fn only_the_owning_unit_and_administrators_write() {
    let d = draft().parse().unwrap();
    assert!(check_create(&actor(Role::UnitHandler, Some(HOUSING_FUND)), &d).is_ok());
    assert!(check_create(&actor(Role::UnitLeader, Some(HOUSING_FUND)), &d).is_ok());
    assert!(check_create(&actor(Role::Admin, Some(2)), &d).is_ok());
    for a in [
        actor(Role::UnitHandler, Some(OTHER_UNIT)),
        actor(Role::Operator, Some(2)),
        actor(Role::Supervisor, Some(2)),
        actor(Role::Citizen, None),
    ] {
        assert_eq!(check_create(&a, &d).unwrap_err().code, ErrorCode::RoleForbidden, "{:?}", a.role);
    }
    let unowned = ArticleDraft { unit_id: None, ..d.clone() };
    assert!(check_create(&actor(Role::UnitHandler, Some(HOUSING_FUND)), &unowned).is_err(), "no unit: administrators only");
    assert!(check_create(&actor(Role::Admin, None), &unowned).is_ok());

    // A unit cannot hand its article to another unit; an administrator can.
    let a = article();
    let moved = ArticleDraft { unit_id: Some(OTHER_UNIT), ..d.clone() };
    assert!(edit(&a, &actor(Role::UnitHandler, Some(HOUSING_FUND)), moved.clone(), 2_000).is_err());
    assert_eq!(edit(&a, &actor(Role::Admin, None), moved, 2_000).unwrap().unit_id, Some(OTHER_UNIT));
}

#[test]
fn editing_a_published_article_sends_it_back_to_review_and_a_retired_one_to_draft() {
    let writer = actor(Role::UnitHandler, Some(HOUSING_FUND));
    let reviewer = actor(Role::Admin, None);
    let a = review(&article(), &writer, ArticleAction::Submit, None, 2_000).unwrap();
    let published = review(&a, &reviewer, ArticleAction::Publish, None, 3_000).unwrap();
    let changed = ArticleDraft { body: "新的答复口径。".into(), ..published.draft() };
    let edited = edit(&published, &writer, changed.clone(), 4_000).unwrap();
    assert_eq!((edited.state, edited.version, edited.body.as_str()), (ReviewState::PendingReview, 4, "新的答复口径。"));
    assert_eq!((edited.created_at, edited.updated_at), (1_000, 4_000));
    let retired = review(&published, &reviewer, ArticleAction::Retire, None, 4_000).unwrap();
    assert_eq!(edit(&retired, &writer, changed.clone(), 5_000).unwrap().state, ReviewState::Draft);
    let draft_again = edit(&article(), &writer, changed, 5_000).unwrap();
    assert_eq!(draft_again.state, ReviewState::Draft);
}

#[test]
fn valid_now_means_published_and_within_the_dates() {
    let reviewer = actor(Role::Admin, None);
    let a = article();
    assert!(!a.valid_now(date("2026-06-01")), "a draft is never valid");
    let a = review(&a, &reviewer, ArticleAction::Submit, None, 2).unwrap();
    let a = review(&a, &reviewer, ArticleAction::Publish, None, 3).unwrap();
    assert!(a.valid_now(date("2026-01-01")) && a.valid_now(date("2026-12-31")));
    assert!(!a.valid_now(date("2025-12-31")) && !a.valid_now(date("2027-01-01")));
    let open = Article { valid_from: None, valid_to: None, ..a.clone() };
    assert!(open.valid_now(date("2099-01-01")));
    let retired = review(&a, &reviewer, ArticleAction::Retire, None, 4).unwrap();
    assert!(!retired.valid_now(date("2026-06-01")));
}

#[test]
fn available_actions_follow_role_and_state() {
    let a = article();
    assert_eq!(available_actions(&a, &actor(Role::UnitHandler, Some(HOUSING_FUND))), [ArticleAction::Submit]);
    assert!(available_actions(&a, &actor(Role::Supervisor, Some(2))).is_empty());
    let pending = review(&a, &actor(Role::Admin, None), ArticleAction::Submit, None, 2).unwrap();
    assert_eq!(available_actions(&pending, &actor(Role::Supervisor, Some(2))), [ArticleAction::Publish, ArticleAction::Reject]);
    assert!(available_actions(&pending, &actor(Role::Operator, Some(2))).is_empty());
    for s in ReviewState::ALL {
        assert_eq!(ReviewState::parse(s.as_str()), Some(s));
        assert_eq!(ReviewState::parse(s.label_zh()), Some(s));
    }
}
