//! The escalation ladder (督办 → 领导领办): which automatic steps a case's facts call for.
//! Pure: the application supplies the counts it looked up (repeat reports) and writes the events.

use serde::{Deserialize, Serialize};

use crate::case::{Case, Supervision};
use crate::deadline::{Light, Step};

/// Thresholds of the ladder; a setting (every city draws the lines a little differently).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct EscalationRules {
    /// Raise supervision automatically when a clock runs out (past the red line).
    pub auto_supervise: bool,
    /// Escalate to a leader automatically when a trigger below is met.
    pub auto_escalate: bool,
    /// 归属争议: return requests (approved or refused) before a leader takes the case.
    pub disputes: u32,
    /// Reports of the same matter by the same citizen or at the same place...
    pub repeats: u32,
    /// ...within this many days.
    pub repeat_days: u32,
    /// Unsatisfied callbacks before a leader takes the case.
    pub unsatisfied: u32,
    /// Escalate when the reply clock ran out (超期红线).
    pub on_reply_overdue: bool,
}

impl Default for EscalationRules {
    fn default() -> Self {
        EscalationRules {
            auto_supervise: true,
            auto_escalate: true,
            disputes: 2,
            repeats: 3,
            repeat_days: 30,
            unsatisfied: 2,
            on_reply_overdue: true,
        }
    }
}

/// Why a case goes to a leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// 归属争议: ownership disputed (returned) this many times.
    Disputed { returns: u32 },
    /// 超期: the reply clock ran out.
    ReplyOverdue,
    /// 重复诉求: the same matter reported this many times within the window.
    Repeated { reports: u32 },
    /// 多次不满意
    Unsatisfied { times: u32 },
}

impl Trigger {
    pub fn label_zh(&self) -> String {
        match self {
            Trigger::Disputed { returns } => format!("归属争议 {returns} 次"),
            Trigger::ReplyOverdue => "办理超期（红线）".into(),
            Trigger::Repeated { reports } => format!("同一事项 {reports} 次重复诉求"),
            Trigger::Unsatisfied { times } => format!("市民 {times} 次不满意"),
        }
    }
}

/// What met the ladder's thresholds. `repeats` is how many reports of the same matter by the
/// same citizen or at the same place fell within the window (this case included).
pub fn escalation_triggers(case: &Case, repeats: u32, rules: &EscalationRules) -> Vec<Trigger> {
    let mut out = Vec::new();
    let returns = case.returns_approved + case.returns_refused;
    if rules.disputes > 0 && returns >= rules.disputes {
        out.push(Trigger::Disputed { returns });
    }
    if rules.on_reply_overdue && case.reply_overdue {
        out.push(Trigger::ReplyOverdue);
    }
    if rules.repeats > 0 && repeats >= rules.repeats {
        out.push(Trigger::Repeated { reports: repeats });
    }
    if rules.unsatisfied > 0 && case.unsatisfied_count >= rules.unsatisfied {
        out.push(Trigger::Unsatisfied { times: case.unsatisfied_count });
    }
    out
}

/// Whether an automatic escalation is due: something triggered and no leader has the case yet.
pub fn needs_escalation(case: &Case, repeats: u32, rules: &EscalationRules) -> Vec<Trigger> {
    if !rules.auto_escalate || case.escalated_to.is_some() || !case.state.is_open() {
        return Vec::new();
    }
    escalation_triggers(case, repeats, rules)
}

/// The supervision level a clock running out calls for: any step past its deadline earns at
/// least a yellow card (黄牌督办); the reply clock running out, or a second clock running out
/// while already supervised, a red one (红牌督办). `None` when nothing changes.
pub fn supervision_for_overdue(case: &Case, step: Step, level: Light, rules: &EscalationRules) -> Option<Supervision> {
    if !rules.auto_supervise || level != Light::Red || !case.state.is_open() {
        return None;
    }
    let wanted = if step == Step::Reply || case.supervision == Supervision::Yellow { Supervision::Red } else { Supervision::Yellow };
    (rank(wanted) > rank(case.supervision)).then_some(wanted)
}

fn rank(s: Supervision) -> u8 {
    match s {
        Supervision::None => 0,
        Supervision::Yellow => 1,
        Supervision::Red => 2,
    }
}
