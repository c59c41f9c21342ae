//! The stored shapes of the channels (渠道): attachment metadata and the citizen flag. Threads and
//! inbound ids need no type of their own.

use minsheng_domain::Millis;
use minsheng_domain::attachment::AttachmentRef;
use minsheng_domain::case::CaseId;
use minsheng_domain::org::UserId;
use serde::{Deserialize, Serialize};

/// A stored file's metadata: the reference a case names, and who uploaded it when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRecord {
    pub attachment: AttachmentRef,
    /// Set once the file belongs to a case (until then only its uploader may use it).
    pub case_id: Option<CaseId>,
    pub uploaded_by: Option<UserId>,
    pub uploaded_at: Millis,
}

/// 恶意重复诉求: a supervisor's flag on a citizen (by phone number). A cleared flag keeps its row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CitizenFlag {
    pub phone: String,
    pub active: bool,
    pub reason: String,
    pub set_by: Option<UserId>,
    pub set_at: Millis,
}
