//! 工单检索: ranked Chinese full-text search over case text, replies and addresses, with the
//! structured filters, from this node's index (`minsheng-search`). The database is the source of
//! truth: each node follows the cases changed since its index's checkpoint (`sync_search`, run
//! every second by the server) and rebuilds from scratch when the index is new or unreadable, so
//! with several nodes each stays current on its own and both engines give the same results.

use std::collections::HashMap;
use std::sync::Arc;

use minsheng_domain::access;
use minsheng_domain::case::Case;
use minsheng_domain::org::{Actor, Role, UnitId};
use minsheng_domain::{DomainError, DomainResult, ErrorCode, Millis};
use minsheng_search::{CaseDoc, CaseIndex, CaseSearch};
use serde::{Deserialize, Serialize};

use crate::App;

/// Changes are re-read this far behind the checkpoint: a transaction that committed after a later
/// one (several nodes, or clocks a little apart) is still seen. Re-reading is harmless: an
/// unchanged version is skipped.
const LAG_MS: Millis = 5_000;
/// Cases read from the database per batch.
const BATCH: u32 = 1_000;
/// A rebuild commits (with its position) after this many cases.
const REBUILD_COMMIT_EVERY: usize = 100_000;

/// A search as clients ask for it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// Words to find (at most 200 characters); empty: newest first.
    pub q: Option<String>,
    /// Comma-separated states.
    pub state: Option<String>,
    #[serde(rename = "type")]
    pub case_type: Option<String>,
    pub channel: Option<String>,
    /// A catalogue item, subcategory or category code.
    pub item: Option<String>,
    /// Received from / before: RFC 3339, a China date `YYYY-MM-DD`, or milliseconds.
    pub from: Option<String>,
    pub to: Option<String>,
    pub offset: Option<usize>,
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchHitView {
    pub id: i64,
    pub number: String,
    pub title: String,
    /// HTML: the text escaped, the matches in `<mark>`.
    pub snippet: String,
    pub score: f32,
    pub state: &'static str,
    pub state_label: &'static str,
    pub received_at: String,
    pub lead_unit: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResponse {
    /// Cases matching in the searcher's reach (before the per-case access check of the page).
    pub total: usize,
    pub took_ms: f64,
    pub hits: Vec<SearchHitView>,
}

/// What one `sync_search` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub rebuilt: bool,
    pub read: usize,
    pub written: usize,
}

impl App {
    /// Uses `index` (a directory on a server) for case search; without one, an in-memory index
    /// is made on first use.
    pub fn attach_search(&self, index: CaseIndex) {
        if let Ok(mut s) = self.search.write() {
            *s = Some(index);
        }
    }

    fn search_index(&self) -> DomainResult<CaseIndex> {
        if let Some(index) = self.search.read().ok().and_then(|s| s.clone()) {
            return Ok(index);
        }
        let index = CaseIndex::in_memory().map_err(search_error)?;
        if let Ok(mut s) = self.search.write() {
            return Ok(s.get_or_insert(index).clone());
        }
        Err(DomainError::internal())
    }

    /// Brings this node's index up to date with the database: the cases changed since its
    /// checkpoint, or all of them when it has none (new, reset, or an interrupted rebuild).
    pub async fn sync_search(&self) -> DomainResult<SyncReport> {
        let _one_at_a_time = self.search_sync.lock().await;
        let index = self.search_index()?;
        let mut report = SyncReport::default();
        let checkpoint = index.checkpoint().map_err(search_error)?;
        let (mut since, mut after) = match checkpoint.as_deref().and_then(parse_checkpoint) {
            Some((at, _)) => ((at - LAG_MS).max(0), 0),
            None => {
                let i = index.clone();
                tokio::task::spawn_blocking(move || i.clear()).await.map_err(|_| DomainError::internal())?.map_err(search_error)?;
                report.rebuilt = true;
                (0, 0)
            }
        };
        let paths = self.unit_paths().await?;
        let mut last: Option<(Millis, i64)> = checkpoint.as_deref().and_then(parse_checkpoint).filter(|_| !report.rebuilt);
        let mut uncommitted = 0;
        loop {
            let cases = self.store.cases_changed_since(since, after, BATCH).await?;
            let Some(tail) = cases.last() else { break };
            (since, after) = (tail.updated_at, tail.id);
            if last.is_none_or(|l| (since, after) > l) {
                last = Some((since, after));
            }
            report.read += cases.len();
            let docs: Vec<CaseDoc> = cases.iter().map(|c| doc_of(c, &paths)).collect();
            let i = index.clone();
            let stats =
                tokio::task::spawn_blocking(move || i.upsert(&docs)).await.map_err(|_| DomainError::internal())?.map_err(search_error)?;
            report.written += stats.written;
            // A long rebuild keeps its progress: an interruption resumes from here.
            uncommitted += cases.len();
            if report.rebuilt && uncommitted >= REBUILD_COMMIT_EVERY {
                self.commit_search(&index, last).await?;
                uncommitted = 0;
            }
            if cases.len() < BATCH as usize {
                break;
            }
        }
        if report.written > 0 || report.rebuilt || checkpoint.is_none() {
            self.commit_search(&index, last).await?;
        }
        Ok(report)
    }

    async fn commit_search(&self, index: &CaseIndex, at: Option<(Millis, i64)>) -> DomainResult<()> {
        let mark = at.map_or_else(|| "0:0".to_string(), |(t, id)| format!("{t}:{id}"));
        let i = index.clone();
        tokio::task::spawn_blocking(move || i.commit_with_checkpoint(&mark))
            .await
            .map_err(|_| DomainError::internal())?
            .map_err(search_error)
    }

    /// Unit id → its path, for the subtree filters.
    async fn unit_paths(&self) -> DomainResult<Arc<HashMap<UnitId, String>>> {
        let dir = self.directory().await?;
        Ok(Arc::new(dir.units.iter().map(|u| (u.id, u.path.clone())).collect()))
    }

    /// 全文检索: the cases this actor may see that match, best first (newest first without words).
    pub async fn search_cases(&self, actor: &Actor, req: SearchRequest) -> DomainResult<SearchResponse> {
        let started = std::time::Instant::now();
        let unit_path_prefix = match (actor.role, &actor.unit) {
            (r, _) if r.is_city_wide() => None,
            (Role::UnitHandler | Role::UnitLeader, Some(unit)) => Some(unit.path.clone()),
            _ => return Err(DomainError::new(ErrorCode::Forbidden, "无权检索工单", "you may not search cases")),
        };
        let time = |field: &str, v: &Option<String>| -> DomainResult<Option<Millis>> {
            v.as_deref().filter(|s| !s.is_empty()).map(|s| parse_time(field, s)).transpose()
        };
        let limit = req.limit.unwrap_or(20);
        if !(1..=minsheng_search::MAX_LIMIT).contains(&limit) {
            return Err(DomainError::invalid("limit", "每页 1 至 100 条", "limit must be 1 to 100"));
        }
        if req.q.as_ref().is_some_and(|q| q.chars().any(char::is_control)) {
            return Err(DomainError::invalid("q", "搜索词不能含控制字符", "no control characters in the search words"));
        }
        let list = |v: &Option<String>| -> Vec<String> {
            v.as_deref().map(|s| s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect()).unwrap_or_default()
        };
        let states = list(&req.state);
        if let Some(bad) = states.iter().find(|s| minsheng_domain::case::CaseState::parse(s).is_none()) {
            return Err(DomainError::invalid("state", format!("未知状态：{bad}"), format!("unknown state: {bad}")));
        }
        let query = CaseSearch {
            text: req.q.clone(),
            states,
            case_type: req.case_type.clone().filter(|s| !s.is_empty()),
            channel: req.channel.clone().filter(|s| !s.is_empty()),
            catalogue_prefix: req.item.clone().filter(|s| !s.is_empty()),
            unit_path_prefix,
            division_prefix: None,
            received_from: time("from", &req.from)?,
            received_to: time("to", &req.to)?,
            limit,
            offset: req.offset.unwrap_or(0),
            show_phones: false,
        };
        let index = self.search_index()?;
        let found =
            tokio::task::spawn_blocking(move || index.search(&query)).await.map_err(|_| DomainError::internal())?.map_err(search_error)?;
        let mut hits = Vec::with_capacity(found.hits.len());
        for hit in found.hits {
            // The index narrows by subtree; who may see a case is decided here, on the case.
            let Some(case) = self.store.get_case(hit.id).await?.filter(|c| access::can_see(actor, c)) else { continue };
            hits.push(SearchHitView {
                id: hit.id,
                number: hit.number,
                title: case.intake.title.as_str().to_string(),
                snippet: hit.snippet,
                score: hit.score,
                state: case.state.as_str(),
                state_label: case.state.label_zh(),
                received_at: minsheng_domain::format_time(case.received_at),
                lead_unit: case.lead_unit.as_ref().map(|u| u.name.clone()),
            });
        }
        Ok(SearchResponse { total: found.total, took_ms: started.elapsed().as_secs_f64() * 1000.0, hits })
    }
}

fn parse_checkpoint(s: &str) -> Option<(Millis, i64)> {
    let (t, id) = s.split_once(':')?;
    Some((t.parse().ok()?, id.parse().ok()?))
}

fn parse_time(field: &str, s: &str) -> DomainResult<Millis> {
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0).and_then(|t| t.and_local_timezone(minsheng_domain::CHINA).single())
    {
        return Ok(t.timestamp_millis());
    }
    Err(DomainError::invalid(field, "时间格式应为 YYYY-MM-DD 或 RFC 3339", "expected YYYY-MM-DD or RFC 3339"))
}

/// The document a case is found by.
pub fn doc_of(c: &Case, paths: &HashMap<UnitId, String>) -> CaseDoc {
    let mut unit_paths: Vec<String> = c
        .lead_unit
        .iter()
        .chain(c.handling_unit.iter())
        .chain(c.assisting.iter().map(|a| &a.unit))
        .chain(c.involved_units.iter())
        .map(|u| u.path.clone())
        .collect();
    unit_paths.sort();
    unit_paths.dedup();
    let mut replies: Vec<String> = c.reply.iter().map(|r| r.text.clone()).collect();
    replies.extend(c.rating_comment.clone());
    CaseDoc {
        id: c.id,
        number: c.number.as_str().to_string(),
        version: c.version,
        title: c.intake.title.as_str().to_string(),
        text: c.intake.text.as_str().to_string(),
        replies,
        address: c.intake.place.address.as_ref().map(|a| a.as_str().to_string()),
        state: c.state.as_str().to_string(),
        case_type: c.intake.case_type.as_str().to_string(),
        channel: c.intake.channel.as_str().to_string(),
        catalogue_item: c.intake.catalogue_item.clone(),
        unit_paths,
        division_path: c.intake.place.division_unit_id.and_then(|id| paths.get(&id).cloned()),
        received_at: c.received_at,
        updated_at: c.updated_at,
    }
}

fn search_error(e: minsheng_search::Error) -> DomainError {
    match e {
        minsheng_search::Error::QueryTooLong { chars, max } => DomainError::invalid(
            "q",
            format!("搜索词过长（{chars} 字，最多 {max} 字）"),
            format!("search words too long ({chars} characters, at most {max})"),
        ),
        minsheng_search::Error::InvalidRequest(m) => {
            DomainError::invalid("search", format!("检索条件有误：{m}"), format!("invalid search: {m}"))
        }
        other => {
            tracing::error!(error = %other, "case search failed");
            DomainError::internal()
        }
    }
}
