//! Reference data for clients: every enumeration with its code and Chinese label, the actions
//! with the roles and states that allow them, and the error-code table.

use minsheng_domain::ErrorCode;
use minsheng_domain::case::{
    CallbackOutcome, CaseState, CaseType, Channel, ContactMethod, ReturnReason, Solved, Supervision, Urgency, VoidReason,
};
use minsheng_domain::lifecycle::{Action, NoteRule};
use minsheng_domain::org::{Role, UnitKind};
use serde_json::{Value, json};

use crate::error::status_of;
use crate::extract::Json;

macro_rules! labels {
    ($t:ty) => {
        <$t>::ALL.iter().map(|v| json!({ "code": v.as_str(), "label": v.label_zh() })).collect::<Vec<_>>()
    };
}

fn unit_kinds() -> Vec<&'static str> {
    ["city", "centre", "district", "street", "community", "department", "company"]
        .iter()
        .filter_map(|k| UnitKind::parse(k))
        .map(|k| k.as_str())
        .collect()
}

pub fn meta_value() -> Value {
    json!({
        "states": labels!(CaseState),
        "case_types": labels!(CaseType),
        "channels": labels!(Channel),
        "urgencies": labels!(Urgency),
        "solved": labels!(Solved),
        "callback_outcomes": labels!(CallbackOutcome),
        "return_reasons": labels!(ReturnReason),
        "void_reasons": labels!(VoidReason),
        "supervision": labels!(Supervision),
        "contact_methods": labels!(ContactMethod),
        "roles": Role::ALL.iter().map(|r| json!({ "code": r.as_str(), "label": r.label_zh() })).collect::<Vec<_>>(),
        "unit_kinds": unit_kinds(),
        "actions": Action::ALL.iter().map(|a| json!({
            "code": a.as_str(),
            "label": a.label_zh(),
            "roles": a.roles().iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            "states": a.states().iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "note_required": a.note_rule() == NoteRule::Required,
        })).collect::<Vec<_>>(),
        "errors": ErrorCode::ALL.iter().map(|c| json!({ "code": c.as_str(), "http_status": status_of(*c).as_u16() })).collect::<Vec<_>>(),
    })
}

/// Enumerations, actions and error codes, with Chinese labels.
#[utoipa::path(get, path = "/api/meta", tag = "meta", responses((status = 200, description = "reference data")))]
pub async fn meta() -> Json<Value> {
    Json(meta_value())
}
