//! Urging and the escalation ladder, as automatic steps that ride on a change: urges notify the
//! handler and then the unit leader through the outbox; a case that meets the thresholds goes to
//! a leader (领导领办) in the same transaction as the event that tipped it over.

use std::sync::Arc;
use std::time::{Duration, Instant};

use minsheng_domain::DomainResult;
use minsheng_domain::case::{Case, LeaderRef};
use minsheng_domain::escalation::needs_escalation;
use minsheng_domain::event::EventKind;
use minsheng_domain::org::{Actor, Role, UnitId};
use minsheng_store::{CaseChange, NewNotice, UnitRecord, UserRecord};

use crate::App;

/// Users and units, cached briefly: urging runs for every warning and must not list all users each time.
#[derive(Default)]
pub(crate) struct Directory {
    loaded: Option<(Instant, Arc<DirectoryData>)>,
}

pub(crate) struct DirectoryData {
    pub users: Vec<UserRecord>,
    pub units: Vec<UnitRecord>,
    /// The active units as routing takes them, made once per load (every intake routes).
    pub routable: Vec<minsheng_domain::routing::RoutableUnit>,
}

const DIRECTORY_TTL: Duration = Duration::from_secs(30);

impl App {
    pub(crate) async fn directory(&self) -> DomainResult<Arc<DirectoryData>> {
        if let Ok(d) = self.directory.lock()
            && let Some((at, data)) = &d.loaded
            && at.elapsed() < DIRECTORY_TTL
        {
            return Ok(data.clone());
        }
        let units = self.store.list_units().await?;
        let routable = units
            .iter()
            .filter(|u| u.active)
            .map(|u| minsheng_domain::routing::RoutableUnit { unit: u.as_ref(), department_type: u.department_type.clone() })
            .collect();
        let data = Arc::new(DirectoryData { users: self.store.list_users().await?, units, routable });
        if let Ok(mut d) = self.directory.lock() {
            d.loaded = Some((Instant::now(), data.clone()));
        }
        Ok(data)
    }

    /// The in-app notices of an urge (催办): to whoever signed for the order (or every handler of
    /// the unit holding it), and with `to_leader` to the unit's leaders too.
    pub(crate) async fn urge_notices(&self, case: &Case, to_leader: bool, text: &str, now: i64) -> DomainResult<Vec<NewNotice>> {
        let Some(holder) = case.handling_unit.as_ref().or(case.lead_unit.as_ref()) else { return Ok(Vec::new()) };
        let dir = self.directory().await?;
        let in_unit = |role: Role| dir.users.iter().filter(move |u| u.active && u.unit_id == Some(holder.id) && u.role == role);
        let mut to: Vec<&UserRecord> = match case.signed_by.and_then(|id| in_unit(Role::UnitHandler).find(|u| u.id == id)) {
            Some(signer) => vec![signer],
            None => in_unit(Role::UnitHandler).collect(),
        };
        if to_leader || to.is_empty() {
            to.extend(in_unit(Role::UnitLeader));
        }
        let body = format!("【催办】工单 {}「{}」：{}", case.number.as_str(), case.intake.title.as_str(), text);
        Ok(to
            .into_iter()
            .map(|u| NewNotice {
                dedup_key: format!("urge:{}:{}:{}", case.id, case.version, u.id),
                case_id: Some(case.id),
                channel: "inapp".into(),
                recipient: u.id.to_string(),
                template: "urge".into(),
                body: body.clone(),
                payload: serde_json::json!({
                    "case_number": case.number.as_str(),
                    "title": case.intake.title.as_str(),
                    "unit": holder.name,
                    "leader": u.role == Role::UnitLeader,
                }),
                created_at: now,
            })
            .collect())
    }

    /// The leader who takes an escalated case: the nearest active leader (领导) at or above the
    /// lead unit, else any active leader of the city.
    pub(crate) async fn leader_for(&self, case: &Case) -> DomainResult<Option<LeaderRef>> {
        let dir = self.directory().await?;
        let path_of = |id: Option<UnitId>| id.and_then(|id| dir.units.iter().find(|u| u.id == id)).map(|u| u.path.clone());
        let lead_path = case.lead_unit.as_ref().map(|u| u.path.clone()).unwrap_or_default();
        let best = dir
            .users
            .iter()
            .filter(|u| u.active && u.role == Role::Leader)
            .map(|u| {
                let p = path_of(u.unit_id).unwrap_or_default();
                // Prefer the deepest unit above the case; leaders elsewhere come last.
                let depth = if !p.is_empty() && lead_path.starts_with(&p) { p.len() as i64 } else { -1 };
                (depth, std::cmp::Reverse(u.id), u)
            })
            .max_by_key(|(d, id, _)| (*d, *id));
        Ok(best.map(|(_, _, u)| LeaderRef { user_id: u.id, name: u.name.clone() }))
    }

    /// If the change leaves the case meeting an escalation threshold, adds the escalation (by the
    /// system, with the reasons) and notifies the leader.
    pub(crate) async fn climb_ladder(&self, change: &mut CaseChange, now: i64) -> DomainResult<()> {
        let rules = &self.escalation_rules();
        let case = &change.case;
        if !rules.auto_escalate || case.escalated_to.is_some() || !case.state.is_open() {
            return Ok(());
        }
        let repeats = match &case.intake.catalogue_item {
            Some(item) => {
                let since = now - i64::from(rules.repeat_days) * 86_400_000;
                let phone = case.intake.citizen.phone.as_ref().map(|p| p.as_str().to_string());
                self.store.count_repeats(item, phone.as_deref(), case.intake.place.division_unit_id, since).await?
            }
            None => 0,
        };
        let triggers = needs_escalation(case, u32::try_from(repeats).unwrap_or(u32::MAX), rules);
        if triggers.is_empty() {
            return Ok(());
        }
        let Some(leader) = self.leader_for(case).await? else { return Ok(()) };
        let reasons: Vec<String> = triggers.iter().map(|t| t.label_zh()).collect();
        let note = format!("自动提级领办：{}", reasons.join("；"));
        let clocks = |c: &Case| self.running_clocks(c);
        crate::service::extend_change(
            change,
            &Actor::system(),
            EventKind::Escalated { leader: leader.clone() },
            Some(note.clone()),
            now,
            &clocks,
        );
        let case = &change.case;
        change.notices.push(NewNotice {
            dedup_key: format!("escalated:{}:{}:{}", case.id, case.version, leader.user_id),
            case_id: Some(case.id),
            channel: "inapp".into(),
            recipient: leader.user_id.to_string(),
            template: "escalated".into(),
            body: format!("【领导领办】工单 {}「{}」：{}", case.number.as_str(), case.intake.title.as_str(), note),
            payload: serde_json::json!({ "case_number": case.number.as_str(), "triggers": triggers }),
            created_at: now,
        });
        metrics::counter!("minsheng_escalations_total").increment(1);
        Ok(())
    }
}
