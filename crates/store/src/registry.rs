//! The stored shapes of the people registry (人员库) and the knowledge base (知识库), and the SQL
//! both engines share for them. Specialties, areas and keywords are JSON arrays in text columns;
//! filters over them are `LIKE` patterns built here so the two engines cannot disagree.

use chrono::NaiveDate;
use minsheng_domain::Millis;
use minsheng_domain::case::{CaseId, CaseState};
use minsheng_domain::knowledge::{Article, ReviewState};
use minsheng_domain::org::{UnitId, UserId};
use minsheng_domain::people::PersonKind;
use serde::{Deserialize, Serialize};

use crate::{StoreError, StoreResult};

/// A person of the registry as stored; [`minsheng_domain::people::Person::as_ref`] gives the
/// [`minsheng_domain::people::PersonRef`] a case's history names.
pub type PersonRecord = minsheng_domain::people::Person;

/// Which people to list. `None` means no filter.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PeopleQuery {
    pub kind: Option<PersonKind>,
    /// People with exactly this specialty (a tag or a catalogue code).
    pub specialty: Option<String>,
    /// People serving at least one area at or below this unit path (`/1/4/` lists those serving
    /// 龙华区 or any street or community in it; city-wide people have no areas and are not listed).
    pub area_prefix: Option<String>,
    pub active: Option<bool>,
}

/// How many open cases a person carries now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonLoad {
    pub person_id: i64,
    pub open: i64,
}

/// One person on one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CasePerson {
    pub case_id: CaseId,
    pub person_id: i64,
    pub assigned_at: Millis,
    pub assigned_by: Option<UserId>,
    pub released_at: Option<Millis>,
}

/// What a registry import did with one row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportedPerson {
    pub person: PersonRecord,
    /// False when a person of the same name and organisation was there and was updated.
    pub created: bool,
}

/// Which articles to list. Lists are newest change first.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ArticleQuery {
    pub state: Option<ReviewState>,
    /// A catalogue code: articles of this code or below it (`05` lists `05`, `05.02`, `05.02.001`).
    pub category: Option<String>,
    pub unit_id: Option<UnitId>,
    /// Articles whose validity range contains this China date (state is not implied).
    pub valid_on: Option<NaiveDate>,
    /// At most this many; `None` lists all (the search index is built from all of them).
    pub limit: Option<u32>,
}

/// One saved version of an article and the step that made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleRevision {
    pub article_id: i64,
    pub version: i64,
    /// `create`, `edit`, `submit`, `publish`, `reject`, `retire`, `import`.
    pub action: String,
    pub at: Millis,
    pub by: Option<UserId>,
    pub note: Option<String>,
    pub article: Article,
}

/// Changes whenever any article is added or changed: a node compares it with the one its search
/// index was built from to know whether another node wrote meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KnowledgeStamp {
    pub count: i64,
    pub max_updated_at: Millis,
    /// Every write adds one to an article's version, so the sum moves with every write.
    pub version_sum: i64,
}

/// The open case states as a SQL list (`'received', 'awaiting_dispatch', …`), from the domain's
/// own definition of "open" so the load of a person follows the lifecycle.
pub(crate) fn open_states_sql() -> String {
    CaseState::ALL.iter().filter(|s| s.is_open()).map(|s| format!("'{}'", s.as_str())).collect::<Vec<_>>().join(", ")
}

/// `LIKE` pattern (escape `\`) for a JSON array element equal to `value`.
pub(crate) fn json_element_pattern(value: &str) -> StoreResult<String> {
    let quoted = serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(escape_like(&quoted, true))
}

/// `LIKE` pattern for a JSON array element that starts with `prefix`.
pub(crate) fn json_prefix_pattern(prefix: &str) -> StoreResult<String> {
    let quoted = serde_json::to_string(prefix).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let open = quoted.strip_suffix('"').unwrap_or(&quoted);
    Ok(escape_like(open, true))
}

/// `LIKE` pattern for codes below `code` (`05.%`).
pub(crate) fn child_code_pattern(code: &str) -> String {
    let mut p = escape_like(code, false);
    p.push_str(".%");
    p
}

fn escape_like(text: &str, surround: bool) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    if surround {
        p.push('%');
    }
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    if surround {
        p.push('%');
    }
    p
}

pub(crate) fn parse_kind(s: &str) -> StoreResult<PersonKind> {
    PersonKind::parse(s).ok_or_else(|| StoreError::Corrupt(format!("unknown person kind {s:?}")))
}

pub(crate) fn parse_state(s: &str) -> StoreResult<ReviewState> {
    ReviewState::parse(s).ok_or_else(|| StoreError::Corrupt(format!("unknown review state {s:?}")))
}

pub(crate) fn parse_date(s: Option<String>) -> StoreResult<Option<NaiveDate>> {
    s.map(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|e| StoreError::Corrupt(format!("date {d:?}: {e}")))).transpose()
}

pub(crate) fn date_text(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

pub(crate) const PERSON_COLUMNS: &str = "id, name, kind, organisation, phone, specialties, areas, capacity, active, note, updated_at";
pub(crate) const ARTICLE_COLUMNS: &str = "id, title, body, category, unit_id, keywords, valid_from, valid_to, state, source, version, \
     created_by, created_at, updated_by, updated_at, review_note";

/// A person row as both engines read it, in [`PERSON_COLUMNS`] order.
pub(crate) struct PersonRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub organisation: String,
    pub phone: Option<String>,
    pub specialties: String,
    pub areas: String,
    pub capacity: i64,
    pub active: bool,
    pub note: Option<String>,
    pub updated_at: Millis,
}

impl PersonRow {
    pub fn into_record(self) -> StoreResult<PersonRecord> {
        Ok(PersonRecord {
            id: self.id,
            name: self.name,
            kind: parse_kind(&self.kind)?,
            organisation: self.organisation,
            phone: self.phone,
            specialties: crate::from_json(&self.specialties)?,
            areas: crate::from_json(&self.areas)?,
            capacity: u32::try_from(self.capacity).map_err(|_| StoreError::Corrupt(format!("capacity {}", self.capacity)))?,
            active: self.active,
            note: self.note,
            updated_at: self.updated_at,
        })
    }
}

/// An article row as both engines read it, in [`ARTICLE_COLUMNS`] order.
pub(crate) struct ArticleRow {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub category: Option<String>,
    pub unit_id: Option<UnitId>,
    pub keywords: String,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub state: String,
    pub source: Option<String>,
    pub version: i64,
    pub created_by: Option<UserId>,
    pub created_at: Millis,
    pub updated_by: Option<UserId>,
    pub updated_at: Millis,
    pub review_note: Option<String>,
}

impl ArticleRow {
    pub fn into_article(self) -> StoreResult<Article> {
        Ok(Article {
            id: self.id,
            title: self.title,
            body: self.body,
            category: self.category,
            unit_id: self.unit_id,
            keywords: crate::from_json(&self.keywords)?,
            valid_from: parse_date(self.valid_from)?,
            valid_to: parse_date(self.valid_to)?,
            state: parse_state(&self.state)?,
            source: self.source,
            version: self.version,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_by: self.updated_by,
            updated_at: self.updated_at,
            review_note: self.review_note,
        })
    }
}

/// The conditions of a people list; `mark(i)` writes the engine's i-th placeholder (1-based).
pub(crate) fn people_conditions(q: &PeopleQuery, mark: impl Fn(usize) -> String) -> StoreResult<(String, Vec<SqlValue>)> {
    let mut conds = vec!["1 = 1".to_string()];
    let mut args = Vec::new();
    if let Some(kind) = q.kind {
        args.push(SqlValue::Text(kind.as_str().into()));
        conds.push(format!("kind = {}", mark(args.len())));
    }
    if let Some(spec) = &q.specialty {
        args.push(SqlValue::Text(json_element_pattern(spec)?));
        conds.push(format!("specialties LIKE {} ESCAPE '\\'", mark(args.len())));
    }
    if let Some(prefix) = &q.area_prefix {
        args.push(SqlValue::Text(json_prefix_pattern(prefix)?));
        conds.push(format!("areas LIKE {} ESCAPE '\\'", mark(args.len())));
    }
    if let Some(active) = q.active {
        args.push(SqlValue::Bool(active));
        conds.push(format!("active = {}", mark(args.len())));
    }
    Ok((conds.join(" AND "), args))
}

/// The conditions of an article list.
pub(crate) fn article_conditions(q: &ArticleQuery, mark: impl Fn(usize) -> String) -> (String, Vec<SqlValue>) {
    let mut conds = vec!["1 = 1".to_string()];
    let mut args = Vec::new();
    if let Some(state) = q.state {
        args.push(SqlValue::Text(state.as_str().into()));
        conds.push(format!("state = {}", mark(args.len())));
    }
    if let Some(code) = &q.category {
        args.push(SqlValue::Text(code.clone()));
        let exact = mark(args.len());
        args.push(SqlValue::Text(child_code_pattern(code)));
        conds.push(format!("(category = {exact} OR category LIKE {} ESCAPE '\\')", mark(args.len())));
    }
    if let Some(unit) = q.unit_id {
        args.push(SqlValue::Int(unit));
        conds.push(format!("unit_id = {}", mark(args.len())));
    }
    if let Some(day) = q.valid_on {
        args.push(SqlValue::Text(day.format("%Y-%m-%d").to_string()));
        let m = mark(args.len());
        conds.push(format!("(valid_from IS NULL OR valid_from <= {m}) AND (valid_to IS NULL OR valid_to >= {m})"));
    }
    (conds.join(" AND "), args)
}

/// A bind value of a query built at run time, turned into each engine's own type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SqlValue {
    Text(String),
    Int(i64),
    Bool(bool),
}
