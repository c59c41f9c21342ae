//! 知识库 in the application: writing and reviewing articles (the rules are in
//! [`minsheng_domain::knowledge`]), ranked Chinese full-text search, and articles proposed to the
//! operator from the text of a new case so a consultation can be answered on the spot.
//!
//! Search runs on an in-memory [`ArticleIndex`] (`minsheng-search`) in each node. It is built
//! from the database on first use and updated in place by every write of this node. With several
//! nodes, each stays current by comparing the database's [`KnowledgeStamp`] (count, newest change,
//! sum of versions) with the one it expects — at most once every [`RECHECK_MS`] — and rebuilding
//! when another node wrote; it also rebuilds when the China date changes, since "valid" depends on
//! the day. The knowledge base is small (hundreds to a few thousand articles), so a rebuild is cheap.

use std::collections::HashMap;

use chrono::NaiveDate;
use minsheng_domain::knowledge::{self, Article, ArticleAction, ArticleDraft, ReviewState};
use minsheng_domain::org::{Actor, Role};
use minsheng_domain::{DomainError, DomainResult, ErrorCode, Millis};
use minsheng_search::{ArticleDoc, ArticleIndex};
use minsheng_store::{ArticleQuery, KnowledgeStamp, Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::App;

/// How often a node asks the database whether another node changed the knowledge base.
pub const RECHECK_MS: Millis = 3_000;
/// Articles proposed for a case's text.
pub const SUGGESTIONS: usize = 5;
/// Most articles one list returns.
pub const MAX_LIST: u32 = 500;
/// The longest case text read for suggestions (a case's text is at most 5,000 characters).
pub const MAX_SUGGEST_CHARS: usize = 5_000;

const SEED_CSV: &str = include_str!("../data/knowledge_seed.csv");

/// The node's search index and what it was built from.
#[derive(Default)]
pub(crate) struct KnowledgeIndex {
    state: tokio::sync::Mutex<Option<Loaded>>,
}

struct Loaded {
    index: ArticleIndex,
    /// The database's stamp as this index reflects it (including this node's own writes).
    stamp: KnowledgeStamp,
    day: NaiveDate,
    checked_at: Millis,
}

/// An article as pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleView {
    #[serde(flatten)]
    pub article: Article,
    pub state_label: &'static str,
    pub unit_name: Option<String>,
    /// `城乡建设 / 住房保障与房地产` for the article's category code.
    pub category_name: Option<String>,
    /// Published and within its dates today.
    pub valid_now: bool,
    /// The review steps the viewer may take now.
    pub actions: Vec<ArticleAction>,
    /// Whether the viewer may edit it.
    pub editable: bool,
    /// With a search: the relevance and a highlighted excerpt (HTML, escaped, matches in `<mark>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
}

/// One article with its history.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleDetail {
    #[serde(flatten)]
    pub view: ArticleView,
    pub history: Vec<RevisionView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RevisionView {
    pub version: i64,
    pub action: String,
    pub at: Millis,
    pub by: Option<i64>,
    pub note: Option<String>,
    pub state: ReviewState,
}

/// An article proposed for a case's text.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleSuggestion {
    pub id: i64,
    pub title: String,
    /// HTML: escaped, matches in `<mark>`.
    pub snippet: String,
    pub score: f32,
    /// The whole answer, for 采用答复.
    pub body: String,
    pub category: Option<String>,
    pub category_name: Option<String>,
    pub unit_name: Option<String>,
}

/// An article as clients send it (create and edit).
#[derive(Debug, Clone, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleInput {
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub category: Option<String>,
    /// The owning unit; unit staff may leave it out (their own unit).
    #[serde(default)]
    pub unit_id: Option<i64>,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// `YYYY-MM-DD`, China dates, inclusive.
    #[serde(default)]
    pub valid_from: Option<String>,
    #[serde(default)]
    pub valid_to: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
}

/// Which articles to list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ArticleFilter {
    /// Ranked full-text search when given.
    pub q: Option<String>,
    pub category: Option<String>,
    pub state: Option<ReviewState>,
    /// `Some(true)`: only articles valid today; `Some(false)`: only the others.
    pub valid: Option<bool>,
    pub unit_id: Option<i64>,
    pub limit: Option<u32>,
}

fn forbidden_read() -> DomainError {
    DomainError::new(ErrorCode::Forbidden, "无权查看知识库", "you may not read the knowledge base")
}

fn article_not_found() -> DomainError {
    DomainError::not_found("知识条目", "article")
}

fn article_conflict(expected: i64, actual: i64) -> DomainError {
    DomainError::new(
        ErrorCode::VersionConflict,
        "知识条目已被他人修改，请刷新后重试",
        "the article was changed by someone else; reload and try again",
    )
    .with_details(serde_json::json!({ "expected_version": expected, "current_version": actual }))
}

fn store_conflict(e: StoreError) -> DomainError {
    match e {
        StoreError::Conflict { expected, actual, .. } => article_conflict(expected, actual),
        StoreError::NotFound(_) => article_not_found(),
        other => other.into(),
    }
}

fn search_error(e: minsheng_search::Error) -> DomainError {
    match e {
        minsheng_search::Error::QueryTooLong { chars, max } => DomainError::invalid(
            "q",
            format!("搜索词过长（{chars} 字，最多 {max} 字）"),
            format!("search text too long ({chars} characters, at most {max})"),
        ),
        other => {
            tracing::error!(error = %other, "knowledge search failed");
            DomainError::internal()
        }
    }
}

/// Published articles are for every staff member; drafts and articles under review only for
/// reviewers and the owning unit's writers.
fn may_see(actor: &Actor, a: &Article) -> bool {
    knowledge::may_read(actor)
        && (a.state == ReviewState::Published || knowledge::may_review(actor) || knowledge::may_write(actor, a.unit_id))
}

fn doc_of(a: &Article, today: NaiveDate) -> ArticleDoc {
    ArticleDoc {
        id: a.id,
        version: a.version,
        title: a.title.clone(),
        body: a.body.clone(),
        category: a.category.clone(),
        unit: a.unit_id.map(|u| u.to_string()),
        keywords: a.keywords.clone(),
        valid: a.valid_now(today),
    }
}

fn parse_date(field: &str, text: Option<&str>) -> DomainResult<Option<NaiveDate>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => Ok(Some(crate::notify::parse_day(field, t)?)),
        None => Ok(None),
    }
}

impl App {
    fn today(&self) -> NaiveDate {
        minsheng_calendar::time::china_date(self.clock.now())
    }

    /// The node's index, built or refreshed as needed.
    async fn knowledge_index(&self) -> DomainResult<ArticleIndex> {
        let now = self.clock.now();
        let today = self.today();
        let mut state = self.knowledge.state.lock().await;
        if let Some(l) = state.as_mut() {
            if l.day == today && now - l.checked_at < RECHECK_MS {
                return Ok(l.index.clone());
            }
            let stamp = self.store.knowledge_stamp().await?;
            if l.day == today && stamp == l.stamp {
                l.checked_at = now;
                return Ok(l.index.clone());
            }
        }
        let fresh = self.build_knowledge_index(now, today).await?;
        let index = fresh.index.clone();
        *state = Some(fresh);
        Ok(index)
    }

    async fn build_knowledge_index(&self, now: Millis, today: NaiveDate) -> DomainResult<Loaded> {
        // The stamp is read first: a write that lands during the listing makes the next check rebuild.
        let stamp = self.store.knowledge_stamp().await?;
        let articles = self.store.list_articles(&ArticleQuery::default()).await?;
        let index = ArticleIndex::in_memory().map_err(search_error)?;
        let docs: Vec<ArticleDoc> = articles.iter().map(|a| doc_of(a, today)).collect();
        index.upsert(&docs).map_err(search_error)?;
        index.commit().map_err(search_error)?;
        tracing::debug!(articles = docs.len(), "knowledge index built");
        Ok(Loaded { index, stamp, day: today, checked_at: now })
    }

    /// Puts this node's own write into its index and into the stamp it expects, so that the next
    /// check rebuilds only if another node wrote too.
    async fn index_written(&self, article: &Article, previous_version: Option<i64>) {
        let today = self.today();
        let mut state = self.knowledge.state.lock().await;
        let Some(l) = state.as_mut() else { return };
        let done = l.index.upsert(&[doc_of(article, today)]).and_then(|_| l.index.commit());
        match done {
            Ok(()) => {
                l.stamp.count += i64::from(previous_version.is_none());
                l.stamp.version_sum += article.version - previous_version.unwrap_or(0);
                l.stamp.max_updated_at = l.stamp.max_updated_at.max(article.updated_at);
            }
            Err(e) => {
                tracing::warn!(error = %e, "knowledge index update failed; it will be rebuilt");
                *state = None;
            }
        }
    }

    async fn article_view(&self, actor: &Actor, article: Article, hit: Option<(f32, String)>) -> DomainResult<ArticleView> {
        let catalogue = self.current_catalogue().await?;
        let dir = self.directory().await?;
        let unit_name = article.unit_id.and_then(|id| dir.units.iter().find(|u| u.id == id)).map(|u| u.name.clone());
        let category_name = article.category.as_deref().filter(|c| catalogue.item(c).is_some()).map(|c| catalogue.path_name(c));
        let (score, snippet) = match hit {
            Some((s, snip)) => (Some(s), Some(snip)),
            None => (None, None),
        };
        Ok(ArticleView {
            state_label: article.state.label_zh(),
            valid_now: article.valid_now(self.today()),
            actions: knowledge::available_actions(&article, actor),
            editable: knowledge::may_write(actor, article.unit_id),
            unit_name,
            category_name,
            score,
            snippet,
            article,
        })
    }

    /// Articles the actor may see, filtered; ranked by relevance when `q` is given, else newest
    /// change first.
    pub async fn articles(&self, actor: &Actor, filter: &ArticleFilter) -> DomainResult<Vec<ArticleView>> {
        if !knowledge::may_read(actor) {
            return Err(forbidden_read());
        }
        let today = self.today();
        let limit = filter.limit.unwrap_or(200).clamp(1, MAX_LIST);
        let mut query =
            ArticleQuery { state: filter.state, category: filter.category.clone(), unit_id: filter.unit_id, ..Default::default() };
        if filter.valid == Some(true) {
            if filter.state.is_some_and(|s| s != ReviewState::Published) {
                return Ok(Vec::new());
            }
            query.state = Some(ReviewState::Published);
            query.valid_on = Some(today);
        }
        let keep = |a: &Article| may_see(actor, a) && (filter.valid != Some(false) || !a.valid_now(today));
        let q = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        let mut out = Vec::new();
        match q {
            None => {
                // Visibility is decided here, so fetch generously and cut after filtering.
                query.limit = Some(MAX_LIST);
                for a in self.store.list_articles(&query).await?.into_iter().filter(|a| keep(a)).take(limit as usize) {
                    out.push(self.article_view(actor, a, None).await?);
                }
            }
            Some(q) => {
                let hits = self
                    .knowledge_index()
                    .await?
                    .search(q, filter.valid == Some(true), minsheng_search::MAX_LIMIT)
                    .map_err(search_error)?;
                let mut by_id: HashMap<i64, Article> = self.store.list_articles(&query).await?.into_iter().map(|a| (a.id, a)).collect();
                for h in hits {
                    if let Some(a) = by_id.remove(&h.id).filter(|a| keep(a)) {
                        out.push(self.article_view(actor, a, Some((h.score, h.snippet))).await?);
                        if out.len() == limit as usize {
                            break;
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// One article with its history (404 when the actor may not see it).
    pub async fn article(&self, actor: &Actor, id: i64) -> DomainResult<ArticleDetail> {
        let a = self.visible_article(actor, id).await?;
        let history = self
            .store
            .article_history(id)
            .await?
            .into_iter()
            .map(|r| RevisionView { version: r.version, action: r.action, at: r.at, by: r.by, note: r.note, state: r.article.state })
            .collect();
        Ok(ArticleDetail { view: self.article_view(actor, a, None).await?, history })
    }

    async fn visible_article(&self, actor: &Actor, id: i64) -> DomainResult<Article> {
        if !knowledge::may_read(actor) {
            return Err(forbidden_read());
        }
        self.store.get_article(id).await?.filter(|a| may_see(actor, a)).ok_or_else(article_not_found)
    }

    /// Checks an input against the rules and the data: dates, the catalogue code, the unit.
    async fn article_draft(&self, actor: &Actor, input: ArticleInput) -> DomainResult<ArticleDraft> {
        let unit_id = match input.unit_id {
            Some(u) => Some(u),
            None if actor.role.is_unit_role() => actor.unit_id(),
            None => None,
        };
        let draft = ArticleDraft {
            title: input.title,
            body: input.body,
            category: input.category,
            unit_id,
            keywords: input.keywords,
            valid_from: parse_date("valid_from", input.valid_from.as_deref())?,
            valid_to: parse_date("valid_to", input.valid_to.as_deref())?,
            source: input.source,
        }
        .parse()?;
        if let Some(code) = &draft.category
            && self.current_catalogue().await?.item(code).is_none()
        {
            return Err(DomainError::invalid(
                "category",
                format!("职责清单中没有分类 {code}"),
                format!("the catalogue has no code {code}"),
            ));
        }
        if let Some(u) = draft.unit_id
            && self.store.get_unit(u).await?.is_none()
        {
            return Err(DomainError::invalid("unit_id", format!("没有这个单位：{u}"), format!("no such unit: {u}")));
        }
        Ok(draft)
    }

    /// Writes a new article as a draft (the owning unit's staff, administrators).
    pub async fn create_article(&self, actor: &Actor, input: ArticleInput) -> DomainResult<ArticleView> {
        if !knowledge::may_read(actor) {
            return Err(forbidden_read());
        }
        let draft = self.article_draft(actor, input).await?;
        knowledge::check_create(actor, &draft)?;
        let article = Article::new(0, draft, actor.user_id, self.clock.now());
        let saved = self.store.insert_articles(vec![article], "create").await?.into_iter().next().ok_or_else(DomainError::internal)?;
        self.index_written(&saved, None).await;
        self.article_view(actor, saved, None).await
    }

    /// Edits an article seen at `version`; a published one goes back to review.
    pub async fn edit_article(&self, actor: &Actor, id: i64, version: i64, input: ArticleInput) -> DomainResult<ArticleView> {
        let current = self.visible_article(actor, id).await?;
        if current.version != version {
            return Err(article_conflict(version, current.version));
        }
        let draft = self.article_draft(actor, input).await?;
        let next = knowledge::edit(&current, actor, draft, self.clock.now())?;
        let saved = self.store.update_article(next, version, "edit", None).await.map_err(store_conflict)?;
        self.index_written(&saved, Some(current.version)).await;
        self.article_view(actor, saved, None).await
    }

    /// A review step (submit, publish, reject, retire) on an article seen at `version`.
    pub async fn review_article(
        &self,
        actor: &Actor,
        id: i64,
        version: i64,
        action: ArticleAction,
        note: Option<&str>,
    ) -> DomainResult<ArticleView> {
        let current = self.visible_article(actor, id).await?;
        if current.version != version {
            return Err(article_conflict(version, current.version));
        }
        let next = knowledge::review(&current, actor, action, note, self.clock.now())?;
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let saved = self.store.update_article(next, version, action.as_str(), note).await.map_err(store_conflict)?;
        self.index_written(&saved, Some(current.version)).await;
        self.article_view(actor, saved, None).await
    }

    /// The valid articles that best answer a case's text, best first (at most five).
    pub async fn suggest_articles(&self, actor: &Actor, text: &str) -> DomainResult<Vec<ArticleSuggestion>> {
        if !knowledge::may_read(actor) || actor.role == Role::System {
            return Err(forbidden_read());
        }
        let n = text.chars().count();
        if n > MAX_SUGGEST_CHARS {
            return Err(DomainError::invalid(
                "text",
                format!("过长（{n} 字，最多 {MAX_SUGGEST_CHARS} 字）"),
                format!("too long ({n} characters, at most {MAX_SUGGEST_CHARS})"),
            ));
        }
        if text.trim().chars().count() < 2 {
            return Ok(Vec::new());
        }
        let hits = self.knowledge_index().await?.suggest(text, SUGGESTIONS).map_err(search_error)?;
        let today = self.today();
        let catalogue = self.current_catalogue().await?;
        let dir = self.directory().await?;
        let mut out = Vec::with_capacity(hits.len());
        for h in hits {
            // The index may trail the database by a moment: check the article itself.
            let Some(a) = self.store.get_article(h.id).await?.filter(|a| a.valid_now(today)) else { continue };
            out.push(ArticleSuggestion {
                id: a.id,
                title: a.title,
                snippet: h.snippet,
                score: h.score,
                body: a.body,
                category_name: a.category.as_deref().filter(|c| catalogue.item(c).is_some()).map(|c| catalogue.path_name(c)),
                category: a.category,
                unit_name: a.unit_id.and_then(|id| dir.units.iter().find(|u| u.id == id)).map(|u| u.name.clone()),
            });
        }
        Ok(out)
    }
}

/// One row of the embedded seed (`data/knowledge_seed.csv`, see `data/README.md`).
#[derive(Debug, Clone, PartialEq)]
pub struct SeedArticle {
    /// `govmsg:<msg_id>`.
    pub source: String,
    pub title: String,
    pub category: String,
    pub unit_code: String,
    pub keywords: Vec<String>,
    pub body: String,
}

/// The embedded seed of the demo knowledge base.
pub fn seed_articles() -> DomainResult<Vec<SeedArticle>> {
    let mut reader = csv::Reader::from_reader(SEED_CSV.as_bytes());
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| {
            DomainError::new(
                ErrorCode::Internal,
                format!("内置知识库第 {} 行有误：{e}", i + 2),
                format!("knowledge seed line {}: {e}", i + 2),
            )
        })?;
        let f = |k: usize| row.get(k).unwrap_or("").to_string();
        let keywords = f(4).split('|').filter(|k| !k.is_empty()).map(str::to_string).collect();
        out.push(SeedArticle { source: f(0), title: f(1), category: f(2), unit_code: f(3), keywords, body: f(5) });
    }
    Ok(out)
}

/// Stores the seed as published articles if the knowledge base is empty (idempotent; one
/// transaction). Each article is owned by its seed unit when that unit exists.
pub async fn load_demo(store: &dyn Store, now: Millis) -> Result<usize, StoreError> {
    if store.knowledge_stamp().await?.count > 0 {
        return Ok(0);
    }
    let seed = seed_articles().map_err(|e| StoreError::Corrupt(e.message_en))?;
    let mut units: HashMap<String, Option<i64>> = HashMap::new();
    let mut articles = Vec::with_capacity(seed.len());
    for s in seed {
        let unit_id = match units.get(&s.unit_code) {
            Some(u) => *u,
            None => {
                let u = store.unit_by_code(&s.unit_code).await?.map(|u| u.id);
                units.insert(s.unit_code.clone(), u);
                u
            }
        };
        let draft = ArticleDraft {
            title: s.title,
            body: s.body,
            category: Some(s.category).filter(|c| !c.is_empty()),
            unit_id,
            keywords: s.keywords,
            valid_from: None,
            valid_to: None,
            source: Some(s.source),
        }
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("knowledge seed: {}", e.message_en)))?;
        let mut a = Article::new(0, draft, None, now);
        a.state = ReviewState::Published;
        articles.push(a);
    }
    let n = articles.len();
    store.insert_articles(articles, "import").await?;
    Ok(n)
}
