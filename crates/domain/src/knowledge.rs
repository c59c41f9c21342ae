//! 知识库 (knowledge base, after GB/T 44191): articles that answer common consultations — policy,
//! procedures, contacts — so an operator can answer on the spot. Each article has a category, an
//! owning unit, validity dates and a review state; this module holds the rules, the store keeps
//! the rows and the application the search index.
//!
//! Review: 草稿 Draft → 待审核 PendingReview → 已发布 Published → 已停用 Retired. Writers (the owning
//! unit's staff, administrators) create, edit and submit; reviewers (administrators, supervisors)
//! publish, reject (back to draft, with a reason) and retire. **Editing a published article sends
//! it back to review**: the knowledge base must only ever answer citizens with reviewed text, and
//! keeping a second, pending copy beside the published one is more than the centre's practice
//! needs (an urgent fix is a quick edit and a quick approval). Editing a retired article revives
//! it as a draft.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::org::{Actor, Role, UnitId, UserId};
use crate::{DomainError, DomainResult, ErrorCode, Millis};

pub const MAX_TITLE_CHARS: usize = 100;
pub const MAX_BODY_CHARS: usize = 20_000;
pub const MAX_KEYWORDS: usize = 20;
pub const MAX_KEYWORD_CHARS: usize = 20;
pub const MAX_SOURCE_CHARS: usize = 100;
pub const MAX_NOTE_CHARS: usize = 500;

/// 审核状态.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// 草稿
    Draft,
    /// 待审核
    PendingReview,
    /// 已发布
    Published,
    /// 已停用
    Retired,
}

impl ReviewState {
    pub const ALL: [ReviewState; 4] = [ReviewState::Draft, ReviewState::PendingReview, ReviewState::Published, ReviewState::Retired];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Draft => "draft",
            ReviewState::PendingReview => "pending_review",
            ReviewState::Published => "published",
            ReviewState::Retired => "retired",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ReviewState::Draft => "草稿",
            ReviewState::PendingReview => "待审核",
            ReviewState::Published => "已发布",
            ReviewState::Retired => "已停用",
        }
    }

    pub fn parse(s: &str) -> Option<ReviewState> {
        ReviewState::ALL.into_iter().find(|r| r.as_str() == s || r.label_zh() == s)
    }
}

/// A review step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArticleAction {
    /// 提交审核
    Submit,
    /// 审核通过并发布
    Publish,
    /// 退回修改 (a reason is required)
    Reject,
    /// 停用
    Retire,
}

impl ArticleAction {
    pub const ALL: [ArticleAction; 4] = [ArticleAction::Submit, ArticleAction::Publish, ArticleAction::Reject, ArticleAction::Retire];

    pub fn as_str(self) -> &'static str {
        match self {
            ArticleAction::Submit => "submit",
            ArticleAction::Publish => "publish",
            ArticleAction::Reject => "reject",
            ArticleAction::Retire => "retire",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ArticleAction::Submit => "提交审核",
            ArticleAction::Publish => "发布",
            ArticleAction::Reject => "退回",
            ArticleAction::Retire => "停用",
        }
    }

    pub fn parse(s: &str) -> Option<ArticleAction> {
        ArticleAction::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The state the action starts from and the one it leads to.
    fn transition(self) -> (ReviewState, ReviewState) {
        match self {
            ArticleAction::Submit => (ReviewState::Draft, ReviewState::PendingReview),
            ArticleAction::Publish => (ReviewState::PendingReview, ReviewState::Published),
            ArticleAction::Reject => (ReviewState::PendingReview, ReviewState::Draft),
            ArticleAction::Retire => (ReviewState::Published, ReviewState::Retired),
        }
    }
}

/// An article as written, before it has an id: the fields a writer edits. [`ArticleDraft::parse`]
/// is the only way to a valid one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleDraft {
    pub title: String,
    pub body: String,
    /// The catalogue code the article belongs to (a category, subcategory or item).
    pub category: Option<String>,
    /// The unit that owns (and answers for) the content.
    pub unit_id: Option<UnitId>,
    pub keywords: Vec<String>,
    /// First and last day the content holds (China dates, inclusive); open-ended when absent.
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    /// Where the content comes from, e.g. `govmsg:123456` for an official reply.
    pub source: Option<String>,
}

fn line(field: &str, value: &str, max: usize) -> DomainResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::invalid(field, "不能为空", "must not be empty"));
    }
    let n = v.chars().count();
    if n > max {
        return Err(DomainError::invalid(
            field,
            format!("过长（{n} 字，最多 {max} 字）"),
            format!("too long ({n} characters, at most {max})"),
        ));
    }
    if v.chars().any(char::is_control) {
        return Err(DomainError::invalid(field, "含有控制字符", "contains control characters"));
    }
    Ok(v.to_string())
}

impl ArticleDraft {
    /// Checks and normalises: trimmed title (one line, ≤ 100) and body (≤ 20,000, paragraphs
    /// allowed), at most 20 distinct keywords of ≤ 20 characters, a validity range that does not
    /// end before it starts.
    pub fn parse(self) -> DomainResult<ArticleDraft> {
        let title = line("title", &self.title, MAX_TITLE_CHARS)?;
        let body = self.body.trim().to_string();
        if body.is_empty() {
            return Err(DomainError::invalid("body", "不能为空", "must not be empty"));
        }
        let n = body.chars().count();
        if n > MAX_BODY_CHARS {
            return Err(DomainError::invalid(
                "body",
                format!("过长（{n} 字，最多 {MAX_BODY_CHARS} 字）"),
                format!("too long ({n} characters, at most {MAX_BODY_CHARS})"),
            ));
        }
        if body.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
            return Err(DomainError::invalid("body", "含有控制字符", "contains control characters"));
        }
        let category = match self.category.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) if c.len() > 40 || !c.chars().all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '_')) => {
                return Err(DomainError::invalid("category", format!("不是有效的分类代码：{c}"), format!("not a catalogue code: {c}")));
            }
            other => other.map(str::to_string),
        };
        let mut keywords: Vec<String> = Vec::new();
        for k in &self.keywords {
            let k = line("keywords", k, MAX_KEYWORD_CHARS)?;
            if !keywords.contains(&k) {
                keywords.push(k);
            }
        }
        if keywords.len() > MAX_KEYWORDS {
            return Err(DomainError::invalid(
                "keywords",
                format!("最多 {MAX_KEYWORDS} 个关键词"),
                format!("at most {MAX_KEYWORDS} keywords"),
            ));
        }
        if let (Some(from), Some(to)) = (self.valid_from, self.valid_to)
            && to < from
        {
            return Err(DomainError::invalid(
                "valid_to",
                format!("有效期截止日 {to} 早于起始日 {from}"),
                format!("validity ends ({to}) before it starts ({from})"),
            ));
        }
        let source = match self.source.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(line("source", s, MAX_SOURCE_CHARS)?),
            None => None,
        };
        Ok(ArticleDraft { title, body, category, keywords, source, ..self })
    }
}

/// A knowledge article as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub category: Option<String>,
    pub unit_id: Option<UnitId>,
    pub keywords: Vec<String>,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
    pub state: ReviewState,
    pub source: Option<String>,
    /// 1 at creation, +1 with every edit and review step (optimistic concurrency).
    pub version: i64,
    pub created_by: Option<UserId>,
    pub created_at: Millis,
    pub updated_by: Option<UserId>,
    pub updated_at: Millis,
    /// The reviewer's reason when the article was last sent back.
    pub review_note: Option<String>,
}

impl Article {
    /// A new article from a draft, in state [`ReviewState::Draft`] (the store gives the id).
    pub fn new(id: i64, d: ArticleDraft, by: Option<UserId>, at: Millis) -> Article {
        Article {
            id,
            title: d.title,
            body: d.body,
            category: d.category,
            unit_id: d.unit_id,
            keywords: d.keywords,
            valid_from: d.valid_from,
            valid_to: d.valid_to,
            state: ReviewState::Draft,
            source: d.source,
            version: 1,
            created_by: by,
            created_at: at,
            updated_by: by,
            updated_at: at,
            review_note: None,
        }
    }

    /// Whether `date` falls within the validity range.
    pub fn valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from.is_none_or(|f| f <= date) && self.valid_to.is_none_or(|t| date <= t)
    }

    /// 有效: published and in its validity range on `today` (a China date). Only such articles are
    /// proposed to operators.
    pub fn valid_now(&self, today: NaiveDate) -> bool {
        self.state == ReviewState::Published && self.valid_on(today)
    }

    pub fn draft(&self) -> ArticleDraft {
        ArticleDraft {
            title: self.title.clone(),
            body: self.body.clone(),
            category: self.category.clone(),
            unit_id: self.unit_id,
            keywords: self.keywords.clone(),
            valid_from: self.valid_from,
            valid_to: self.valid_to,
            source: self.source.clone(),
        }
    }
}

/// Writers: administrators for any article; the staff (handlers and leaders) of the owning unit
/// for that unit's articles. An article without an owning unit is the administrators' alone.
pub fn may_write(actor: &Actor, unit_id: Option<UnitId>) -> bool {
    match actor.role {
        Role::Admin => true,
        Role::UnitHandler | Role::UnitLeader => unit_id.is_some() && actor.unit_id() == unit_id,
        _ => false,
    }
}

/// Reviewers: administrators and supervisors (督办员 check content as they check replies).
pub fn may_review(actor: &Actor) -> bool {
    matches!(actor.role, Role::Admin | Role::Supervisor)
}

/// Staff read the knowledge base; citizens and the system only through what staff give them.
pub fn may_read(actor: &Actor) -> bool {
    !matches!(actor.role, Role::Citizen)
}

fn forbidden_write() -> DomainError {
    DomainError::new(
        ErrorCode::RoleForbidden,
        "只有管理员或知识条目所属单位的工作人员可以编写该条目",
        "only administrators or staff of the article's owning unit may write it",
    )
}

/// Whether `actor` may create an article with this draft.
pub fn check_create(actor: &Actor, draft: &ArticleDraft) -> DomainResult<()> {
    if may_write(actor, draft.unit_id) { Ok(()) } else { Err(forbidden_write()) }
}

/// Applies an edit: the writer must own the article as it is and as it will be (a unit cannot
/// hand an article to another unit; an administrator can). Returns the edited article with its
/// next state: published → back to review, retired → draft, otherwise unchanged.
pub fn edit(article: &Article, actor: &Actor, draft: ArticleDraft, at: Millis) -> DomainResult<Article> {
    if !may_write(actor, article.unit_id) || !may_write(actor, draft.unit_id) {
        return Err(forbidden_write());
    }
    let state = match article.state {
        ReviewState::Published => ReviewState::PendingReview,
        ReviewState::Retired => ReviewState::Draft,
        s => s,
    };
    Ok(Article {
        title: draft.title,
        body: draft.body,
        category: draft.category,
        unit_id: draft.unit_id,
        keywords: draft.keywords,
        valid_from: draft.valid_from,
        valid_to: draft.valid_to,
        source: draft.source,
        state,
        version: article.version + 1,
        updated_by: actor.user_id,
        updated_at: at,
        ..article.clone()
    })
}

/// Decides a review step: the role, the state and the reason are checked; refusals name all
/// three. Returns the article after the step.
pub fn review(article: &Article, actor: &Actor, action: ArticleAction, note: Option<&str>, at: Millis) -> DomainResult<Article> {
    let allowed = match action {
        ArticleAction::Submit => may_write(actor, article.unit_id),
        ArticleAction::Publish | ArticleAction::Reject | ArticleAction::Retire => may_review(actor),
    };
    if !allowed {
        let (zh, en) = match action {
            ArticleAction::Submit => {
                ("只有管理员或所属单位工作人员可以提交审核", "only administrators or the owning unit's staff may submit")
            }
            _ => (
                "只有管理员或督办员可以审核、发布或停用知识条目",
                "only administrators or supervisors may review, publish or retire articles",
            ),
        };
        return Err(DomainError::new(ErrorCode::RoleForbidden, zh, en)
            .with_details(serde_json::json!({ "action": action.as_str(), "role": actor.role.as_str() })));
    }
    let (from, to) = action.transition();
    if article.state != from {
        return Err(DomainError::new(
            ErrorCode::InvalidState,
            format!("知识条目当前为“{}”，不能{}（需为“{}”）", article.state.label_zh(), action.label_zh(), from.label_zh()),
            format!("the article is {}; {} needs it to be {}", article.state.as_str(), action.as_str(), from.as_str()),
        )
        .with_details(serde_json::json!({ "state": article.state.as_str(), "action": action.as_str() })));
    }
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if let Some(n) = note
        && n.chars().count() > MAX_NOTE_CHARS
    {
        return Err(DomainError::invalid("note", format!("最多 {MAX_NOTE_CHARS} 字"), format!("at most {MAX_NOTE_CHARS} characters")));
    }
    if action == ArticleAction::Reject && note.is_none() {
        return Err(DomainError::invalid("note", "退回须说明理由", "a rejection needs a reason"));
    }
    Ok(Article {
        state: to,
        version: article.version + 1,
        updated_by: actor.user_id,
        updated_at: at,
        review_note: if action == ArticleAction::Reject { note.map(str::to_string) } else { article.review_note.clone() },
        ..article.clone()
    })
}

/// The review steps `actor` may take on `article` now (for the buttons of the page).
pub fn available_actions(article: &Article, actor: &Actor) -> Vec<ArticleAction> {
    ArticleAction::ALL.into_iter().filter(|a| review(article, actor, *a, Some("-"), article.updated_at).is_ok()).collect()
}
