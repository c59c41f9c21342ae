//! Who may see a case and how much of the citizen they see. Decided here, in the domain, so every
//! edge — API, web, exports, channels — applies the same rule.

use serde::Serialize;

use crate::case::{Case, CaseType};
use crate::event::Event;
use crate::org::{Actor, Role, UnitId};
use crate::value::mask_phone;

/// Whether the actor may know that this case exists. A unit sees its subtree's cases: those that
/// any unit in its subtree holds, leads, assists or once did. Anything else is "not found".
pub fn can_see(actor: &Actor, case: &Case) -> bool {
    if actor.role.is_city_wide() {
        return true;
    }
    if actor.role == Role::GridWorker && actor.user_id.is_some() && case.received_by == actor.user_id {
        return true;
    }
    match (&actor.unit, actor.role) {
        (Some(unit), Role::UnitHandler | Role::UnitLeader | Role::GridWorker) => case.involved_units.iter().any(|u| u.is_within(unit)),
        _ => false,
    }
}

/// The unit ids whose lists must show this case: every involved unit and all their ancestors.
/// The store indexes these so a unit's subtree list is one index range, not a tree walk.
pub fn audience_units(case: &Case) -> Vec<UnitId> {
    let mut ids: Vec<UnitId> = case.involved_units.iter().flat_map(|u| u.ancestor_ids()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The citizen as this actor may see them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CitizenView {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub caller_number: Option<String>,
    pub confidential: bool,
    pub anonymous: bool,
    /// True when the identity is withheld from this actor (保密 or 举报).
    pub identity_hidden: bool,
    /// True when the phone numbers shown are masked.
    pub phone_masked: bool,
}

/// Confidential requests and reports of wrongdoing (举报) never reveal the reporter to the
/// units handling them; only the centre sees who it was.
pub fn identity_hidden_from(actor: &Actor, case: &Case) -> bool {
    let c = &case.intake.citizen;
    (c.confidential || case.intake.case_type == CaseType::Report) && !actor.role.is_city_wide()
}

/// Roles that call back see full numbers; so does the lead unit's leader while the case waits
/// for the callback (Haikou: whoever handles it calls back).
fn sees_full_phone(actor: &Actor, case: &Case) -> bool {
    actor.role.sees_full_phone()
        || (actor.role == Role::UnitLeader
            && case.state == crate::case::CaseState::AwaitingCallback
            && actor.unit_id().is_some()
            && case.lead_unit.as_ref().map(|u| u.id) == actor.unit_id())
}

pub fn citizen_view(actor: &Actor, case: &Case) -> CitizenView {
    let c = &case.intake.citizen;
    let hidden = identity_hidden_from(actor, case);
    let full = sees_full_phone(actor, case);
    let phone = |p: &Option<crate::value::PhoneNumber>| -> Option<String> {
        p.as_ref().map(|p| if full { p.as_str().to_string() } else { mask_phone(p.as_str()) })
    };
    if hidden {
        return CitizenView {
            name: Some("保密".into()),
            phone: None,
            caller_number: None,
            confidential: c.confidential,
            anonymous: c.anonymous,
            identity_hidden: true,
            phone_masked: true,
        };
    }
    CitizenView {
        name: c.name.as_ref().map(|n| n.as_str().to_string()),
        phone: phone(&c.phone),
        caller_number: phone(&c.caller_number),
        confidential: c.confidential,
        anonymous: c.anonymous,
        identity_hidden: false,
        phone_masked: !full && (c.phone.is_some() || c.caller_number.is_some()),
    }
}

/// One step of the citizen-facing timeline: no staff names, no internal notes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicStep {
    pub at: String,
    pub step: String,
    /// Text meant for the citizen: the reply, the on-the-spot answer, what they added themselves.
    pub text: Option<String>,
}

pub fn public_timeline(events: &[Event]) -> Vec<PublicStep> {
    use crate::event::EventKind as K;
    events
        .iter()
        .filter(|e| e.kind.citizen_visible())
        .map(|e| PublicStep {
            at: crate::format_time(e.at),
            step: e.kind.public_label_zh(),
            text: match &e.kind {
                K::Replied { text, .. } => Some(text.clone()),
                K::AnsweredOnSpot { answer } => Some(answer.clone()),
                K::InfoAdded { .. } => e.note.clone(),
                _ => None,
            },
        })
        .collect()
}
