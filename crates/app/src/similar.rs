//! 并单建议: open cases that are probably the same matter as a new one (similar text, same or
//! nearby place, close in time), scored by `minsheng-cluster` with its reasons, for the operator
//! at intake and for the dispatcher who merges.

use std::sync::OnceLock;

use minsheng_cluster::{PlaceKey, Report, Scorer};
use minsheng_domain::DomainResult;
use minsheng_domain::case::{Case, CaseState, Intake};
use minsheng_domain::org::Actor;
use minsheng_store::{CaseFilter, CaseQuery, Scope};
use serde::Serialize;

use crate::App;

/// The open cases compared with a new one: the most recent this many within the window.
const CANDIDATES: u32 = 200;
/// How far back a duplicate is looked for.
const WINDOW_MS: i64 = 14 * 86_400_000;
/// Proposed from this score (the threshold measured in crates/cluster/EVALUATION.md).
pub const PROPOSE_FROM: f64 = 0.40;

fn scorer() -> &'static Scorer {
    static SCORER: OnceLock<Scorer> = OnceLock::new();
    SCORER.get_or_init(Scorer::default)
}

#[derive(Debug, Clone, Serialize)]
pub struct SimilarCase {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub state: CaseState,
    pub state_label: &'static str,
    pub score: f64,
    pub reasons: Vec<String>,
}

fn report_of(id: String, intake: &Intake, at_ms: i64, district: Option<String>) -> Report {
    Report {
        id,
        title: intake.title.as_str().to_string(),
        text: format!("{} {}", intake.text.as_str(), intake.place.address.as_ref().map(|a| a.as_str()).unwrap_or("")),
        at_ms,
        place: Some(PlaceKey {
            district,
            street: None,
            community: intake.place.division_unit_id.map(|u| u.to_string()),
            point: intake.place.longitude.zip(intake.place.latitude),
        }),
        reporter: None,
        likes: 0,
        dislikes: 0,
    }
}

impl App {
    /// Open cases probably about the same matter as `intake`, best first (at most `k`).
    pub async fn similar_open_cases(
        &self,
        actor: &Actor,
        intake: &Intake,
        exclude: Option<i64>,
        k: usize,
    ) -> DomainResult<Vec<SimilarCase>> {
        let now = self.clock.now();
        let (place, _) = self.read_place(&intake.place, intake.text.as_str()).await?;
        let district = place.district.as_ref().map(|d| d.id.to_string());
        let open = [
            CaseState::Received,
            CaseState::AwaitingDispatch,
            CaseState::Dispatched,
            CaseState::Handling,
            CaseState::ReturnRequested,
            CaseState::Replied,
            CaseState::AwaitingCallback,
            CaseState::Unsatisfied,
            CaseState::Suspended,
        ];
        let query = CaseQuery {
            scope: Scope::All,
            filter: CaseFilter { states: open.to_vec(), from: Some(now - WINDOW_MS), ..Default::default() },
            before_id: None,
            limit: CANDIDATES,
        };
        let page = self.store.list_cases(&query).await?;
        let scorer = scorer();
        let draft = scorer.prepare(&report_of("draft".into(), intake, now, district.clone()));
        let mut out: Vec<SimilarCase> = Vec::new();
        for c in page.cases.iter().filter(|c| Some(c.id) != exclude && minsheng_domain::access::can_see(actor, c)) {
            let district = self.district_of(c).await?;
            let other = scorer.prepare(&report_of(c.id.to_string(), &c.intake, c.received_at, district));
            let s = scorer.score(&draft, &other);
            if s.score >= PROPOSE_FROM {
                out.push(similar_of(c, s.score, s.reasons));
            }
        }
        out.sort_by(|a, b| b.score.total_cmp(&a.score));
        out.truncate(k);
        Ok(out)
    }

    async fn district_of(&self, case: &Case) -> DomainResult<Option<String>> {
        let (place, _) = self.read_place(&case.intake.place, "").await?;
        Ok(place.district.map(|d| d.id.to_string()))
    }
}

fn similar_of(c: &Case, score: f64, reasons: Vec<String>) -> SimilarCase {
    SimilarCase {
        id: c.id,
        number: c.number.as_str().to_string(),
        title: c.intake.title.as_str().to_string(),
        state: c.state,
        state_label: c.state.label_zh(),
        score: (score * 1000.0).round() / 1000.0,
        reasons,
    }
}

/// 回潮: how soon after closing a new report of the same matter and place flags the closed case.
pub const RECURRENCE_WINDOW_MS: i64 = 72 * 3_600_000;

impl App {
    /// Cases closed in the last 72 hours that a new intake probably reports again (same item or
    /// place, and alike by the duplicate scorer), best first, at most 3.
    pub async fn recurrence_of(&self, intake: &Intake) -> DomainResult<Vec<minsheng_domain::case::CaseLink>> {
        let now = self.clock.now();
        let item = intake.catalogue_item.as_deref();
        if item.is_none() && intake.place.division_unit_id.is_none() {
            return Ok(Vec::new());
        }
        let closed = self.store.closed_since(now - RECURRENCE_WINDOW_MS, item, intake.place.division_unit_id, 50).await?;
        if closed.is_empty() {
            return Ok(Vec::new());
        }
        let (place, _) = self.read_place(&intake.place, intake.text.as_str()).await?;
        let scorer = scorer();
        let draft = scorer.prepare(&report_of("draft".into(), intake, now, place.district.as_ref().map(|d| d.id.to_string())));
        let mut found: Vec<(f64, minsheng_domain::case::CaseLink)> = Vec::new();
        for c in &closed {
            // Two different catalogue items are two matters, however close the places.
            if let (Some(a), Some(b)) = (item, c.intake.catalogue_item.as_deref())
                && a != b
            {
                continue;
            }
            let district = self.district_of(c).await?;
            // The closed case is compared as of its closing: a report days later is still "now" for it.
            let other = scorer.prepare(&report_of(c.id.to_string(), &c.intake, now, district));
            let s = scorer.score(&draft, &other).score;
            if s >= PROPOSE_FROM {
                found.push((s, minsheng_domain::case::CaseLink { id: c.id, number: c.number.clone() }));
            }
        }
        found.sort_by(|a, b| b.0.total_cmp(&a.0));
        Ok(found.into_iter().take(3).map(|(_, l)| l).collect())
    }
}
