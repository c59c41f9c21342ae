//! Time limits (时限) on a case: which clocks run in which state, from when, and when each is
//! due on the working calendar. Pure: the case, the limits and the calendar in, deadlines out.
//!
//! The clocks, after DOMAIN.md:
//! - dispatch (派单): from intake (or from a return to the pool) while the case awaits dispatch;
//! - sign (签收): from when the holding unit received the order, until it signs;
//! - first contact (响应): from dispatch to the current lead, until the citizen is contacted;
//! - reply (反馈): from dispatch to the current lead (or from the last redo), until it replies,
//!   moved by approved extensions;
//! - callback (回访): from when the reply passed review (or the on-the-spot answer).
//!
//! Every clock stops while the case is suspended and resumes with what was left.

use minsheng_calendar::{DeadlineConventions, Limit, LimitKind, WorkingCalendar};
use serde::{Deserialize, Serialize};

use crate::Millis;
use crate::case::{Case, CaseState, CaseType, Urgency};
use crate::org::UnitKind;

/// A step that has a time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Dispatch,
    Sign,
    Contact,
    Reply,
    Callback,
}

impl Step {
    pub const ALL: [Step; 5] = [Step::Dispatch, Step::Sign, Step::Contact, Step::Reply, Step::Callback];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Dispatch => "dispatch",
            Step::Sign => "sign",
            Step::Contact => "contact",
            Step::Reply => "reply",
            Step::Callback => "callback",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Step::Dispatch => "派单时限",
            Step::Sign => "签收时限",
            Step::Contact => "响应时限",
            Step::Reply => "办理时限",
            Step::Callback => "回访时限",
        }
    }
}

/// The limits of the five steps for one urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepLimits {
    pub dispatch: Limit,
    pub sign: Limit,
    pub contact: Limit,
    pub reply: Limit,
    pub callback: Limit,
}

/// Every limit is a setting; the defaults are DOMAIN.md's table. (Per catalogue item limits come
/// with the catalogue and override these.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimeLimits {
    pub normal: StepLimits,
    pub urgent: StepLimits,
    pub very_urgent: StepLimits,
    /// Consultations are answered sooner (一般: 3 working days).
    pub consultation_reply: Limit,
    /// Water, power, gas and heating companies make first contact within 24 h when urgent.
    pub utility_urgent_contact: Limit,
    pub conventions: DeadlineConventions,
}

const fn wall(minutes: u32) -> Limit {
    Limit::WallClock { minutes }
}

const fn days(days: u32) -> Limit {
    Limit::WorkingDays { days }
}

impl Default for TimeLimits {
    fn default() -> Self {
        TimeLimits {
            normal: StepLimits { dispatch: wall(8 * 60), sign: days(1), contact: days(1), reply: days(5), callback: days(2) },
            urgent: StepLimits { dispatch: wall(2 * 60), sign: wall(60), contact: wall(24 * 60), reply: days(3), callback: days(1) },
            very_urgent: StepLimits { dispatch: wall(30), sign: wall(30), contact: wall(2 * 60), reply: wall(24 * 60), callback: days(1) },
            consultation_reply: days(3),
            utility_urgent_contact: wall(24 * 60),
            conventions: DeadlineConventions::default(),
        }
    }
}

impl TimeLimits {
    pub fn limit(&self, case: &Case, step: Step) -> Limit {
        let table = match case.intake.urgency {
            Urgency::Normal => &self.normal,
            Urgency::Urgent => &self.urgent,
            Urgency::VeryUrgent => &self.very_urgent,
        };
        match step {
            Step::Dispatch => table.dispatch,
            Step::Sign => table.sign,
            Step::Contact
                if case.intake.urgency == Urgency::Urgent && case.lead_unit.as_ref().is_some_and(|u| u.kind == UnitKind::Company) =>
            {
                self.utility_urgent_contact
            }
            Step::Contact => table.contact,
            Step::Reply if case.intake.case_type == CaseType::Consultation && case.intake.urgency == Urgency::Normal => {
                self.consultation_reply
            }
            Step::Reply => table.reply,
            Step::Callback => table.callback,
        }
    }
}

/// One running clock.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deadline {
    pub step: Step,
    pub started_at: Millis,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub limit: Limit,
    /// Extra working days granted by approved extensions (reply only).
    pub extension_days: u32,
    /// `None` while the case is suspended: the deadline is not known until it resumes.
    pub due_at: Option<Millis>,
    /// When 75 % of the limit is used (预警, yellow).
    pub yellow_at: Option<Millis>,
}

/// The traffic light of a clock at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Light {
    Green,
    Yellow,
    Red,
}

impl Deadline {
    pub fn light(&self, now: Millis) -> Light {
        match (self.due_at, self.yellow_at) {
            (Some(due), _) if now >= due => Light::Red,
            (_, Some(yellow)) if now >= yellow => Light::Yellow,
            _ => Light::Green,
        }
    }
}

/// The clocks that run for `case` as it stands, with their deadlines.
pub fn running(case: &Case, limits: &TimeLimits, calendar: &WorkingCalendar) -> Vec<Deadline> {
    let effective = if case.state == CaseState::Suspended { case.suspended_from.unwrap_or(case.state) } else { case.state };
    let mut starts: Vec<(Step, Millis, u32)> = Vec::new();
    match effective {
        CaseState::Received | CaseState::AwaitingDispatch => starts.push((Step::Dispatch, case.pooled_at.unwrap_or(case.received_at), 0)),
        CaseState::Dispatched | CaseState::Handling => {
            if let (CaseState::Dispatched, Some(since)) = (effective, case.holder_since) {
                starts.push((Step::Sign, since, 0));
            }
            if let Some(dispatched) = case.dispatched_at {
                if case.contacted_at.is_none_or(|c| c < dispatched) {
                    starts.push((Step::Contact, dispatched, 0));
                }
                let reply_from = case.redone_at.map_or(dispatched, |r| r.max(dispatched));
                starts.push((Step::Reply, reply_from, case.extension_days));
            }
        }
        CaseState::AwaitingCallback => {
            if let Some(since) = case.callback_since {
                starts.push((Step::Callback, since, 0));
            }
        }
        _ => {}
    }
    starts
        .into_iter()
        .map(|(step, start, extension_days)| {
            let limit = limits.limit(case, step);
            let pauses: Vec<(Millis, Option<Millis>)> =
                case.suspensions.iter().filter(|s| s.to.is_none_or(|to| to > start)).map(|s| (s.from.max(start), s.to)).collect();
            let conv = &limits.conventions;
            let due_at = minsheng_calendar::due_extended(start, limit, extension_days, &pauses, calendar, conv);
            let yellow_at = due_at.and_then(|due| yellow_point(start, due, limit.kind(), &pauses, calendar, conv));
            Deadline { step, started_at: start, limit, extension_days, due_at, yellow_at }
        })
        .collect()
}

/// The first instant at which 75 % of the clock is used, found by bisection on the calendar's
/// own measure (working time for working limits), to the second.
fn yellow_point(
    start: Millis,
    due: Millis,
    kind: LimitKind,
    pauses: &[(Millis, Option<Millis>)],
    calendar: &WorkingCalendar,
    conv: &DeadlineConventions,
) -> Option<Millis> {
    if due <= start || due == Millis::MAX {
        return None;
    }
    let used = |t: Millis| minsheng_calendar::elapsed_fraction(start, due, t, pauses, kind, calendar, conv);
    let (mut lo, mut hi) = (start, due);
    while hi - lo > 1000 {
        let mid = lo + (hi - lo) / 2;
        if used(mid) >= minsheng_calendar::YELLOW_FRACTION {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}
