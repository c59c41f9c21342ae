//! The clock watcher (时限预警): a step function that raises each due warning once — yellow at
//! 75 % of a limit, red when it runs out — with an automatic urge (自动催办). Deadlines live in
//! the database, so a restart loses nothing; with several nodes on one PostgreSQL each warning
//! is written once because firing marks its clock level in the same transaction as the case's
//! version-checked events, and a second node's attempt fails as a conflict. Past the red line
//! the case is supervised (督办) and, when the ladder's thresholds are met, escalated.

use std::collections::BTreeMap;

use minsheng_domain::DomainResult;
use minsheng_domain::case::CaseId;
use minsheng_domain::deadline::Light;
use minsheng_domain::escalation::supervision_for_overdue;
use minsheng_domain::event::EventKind;
use minsheng_domain::org::Actor;
use minsheng_store::{DueClock, StoreError};

use crate::App;

/// Cases worked on at once by one watcher step.
const WATCH_PARALLEL: usize = 8;

/// What one step of the watcher did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WatchReport {
    /// Warnings raised by this node.
    pub fired: usize,
    /// Warnings another node raised first, or whose case moved on meanwhile.
    pub lost: usize,
}

impl WatchReport {
    fn add(&mut self, other: WatchReport) {
        self.fired += other.fired;
        self.lost += other.lost;
    }
}

impl App {
    /// Raises the warnings due now, at most `limit` clock levels per call. Call it in a loop;
    /// tests call it directly with a controlled clock.
    pub async fn fire_due_warnings(&self, limit: u32) -> DomainResult<WatchReport> {
        let now = self.clock.now();
        let due = self.store.due_clocks(now, limit).await?;
        let mut by_case: BTreeMap<CaseId, Vec<DueClock>> = BTreeMap::new();
        for d in due {
            by_case.entry(d.case_id).or_default().push(d);
        }
        // Cases are independent: several in flight hide the round trips (PostgreSQL) and let
        // the SQLite writer commit them as one group.
        let mut report = WatchReport::default();
        let mut work = tokio::task::JoinSet::new();
        for (case_id, due) in by_case {
            let app = self.clone();
            work.spawn(async move { app.fire_case(case_id, due, now).await });
            while work.len() >= WATCH_PARALLEL {
                if let Some(done) = work.join_next().await {
                    report.add(done.map_err(|_| minsheng_domain::DomainError::internal())??);
                }
            }
        }
        while let Some(done) = work.join_next().await {
            report.add(done.map_err(|_| minsheng_domain::DomainError::internal())??);
        }
        Ok(report)
    }

    /// Raises one case's due warnings in one version-checked change.
    async fn fire_case(&self, case_id: CaseId, due: Vec<DueClock>, now: i64) -> DomainResult<WatchReport> {
        let clocks = |c: &minsheng_domain::case::Case| self.running_clocks(c);
        let mut report = WatchReport::default();
        let system = Actor::system();
        {
            let Some(case) = self.store.get_case(case_id).await? else { return Ok(report) };
            let fires: Vec<_> = due
                .iter()
                .map(|d| d.fire)
                .filter(|f| case.deadlines.iter().any(|d| d.step == f.step && d.started_at == f.started_at))
                .collect();
            if fires.is_empty() {
                return Ok(report);
            }
            let mut kinds: Vec<EventKind> = fires.iter().map(|f| EventKind::Warned { step: f.step, level: f.level }).collect();
            kinds.push(EventKind::Urged);
            let worst = fires.iter().map(|f| f.level).max().unwrap_or(Light::Yellow);
            let what: Vec<&str> = fires.iter().map(|f| f.step.label_zh()).collect();
            let note = match worst {
                Light::Red => format!("自动催办：{}已超时", what.join("、")),
                _ => format!("自动催办：{}已用 75%", what.join("、")),
            };
            let mut change = crate::service::change_for(&case, &system, kinds, Some(note.clone()), now, &clocks);
            change.fires = fires.clone();
            // First the handler; once a clock has run out, the unit's leader too.
            change.notices = self.urge_notices(&change.case, worst == Light::Red, &note, now).await?;
            let rules = &self.escalation_rules();
            for f in &fires {
                if let Some(level) = supervision_for_overdue(&change.case, f.step, f.level, rules) {
                    let note = format!("自动督办：{}已超时", f.step.label_zh());
                    crate::service::extend_change(&mut change, &system, EventKind::Supervised { level }, Some(note), now, &clocks);
                }
            }
            self.climb_ladder(&mut change, now).await?;
            match self.store.append(vec![change]).await {
                Ok(_) => {
                    report.fired += fires.len();
                    for f in &fires {
                        metrics::counter!("minsheng_warnings_total", "step" => f.step.as_str(), "level" => if f.level == Light::Red { "red" } else { "yellow" }).increment(1);
                    }
                }
                Err(StoreError::Conflict { .. }) => report.lost += fires.len(),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(report)
    }
}
