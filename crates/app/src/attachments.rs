//! Attachments (附件): files uploaded before they are named by a case or an addition, checked
//! here before a case may refer to them.
//!
//! (Upload, type sniffing, size limits, thumbnails and the blob store are being built in this
//! module; see the issue-5 notes.)

use minsheng_domain::attachment::AttachmentRef;
use minsheng_domain::org::{Actor, Role};
use minsheng_domain::{DomainError, DomainResult};

use crate::App;

/// At most this many files with one report or addition.
pub const MAX_PER_MESSAGE: usize = 9;

impl App {
    /// The references of uploaded files an actor names by id: each must exist, belong to no case
    /// yet, and have been uploaded by this actor (or by the platform for a channel).
    pub async fn attachment_refs(&self, actor: &Actor, ids: &[String]) -> DomainResult<Vec<AttachmentRef>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        if ids.len() > MAX_PER_MESSAGE {
            return Err(DomainError::invalid(
                "attachments",
                format!("附件最多 {MAX_PER_MESSAGE} 个"),
                format!("at most {MAX_PER_MESSAGE} attachments"),
            ));
        }
        let found = self.store.get_attachments(ids).await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(r) = found.iter().find(|r| &r.attachment.id == id) else {
                return Err(DomainError::invalid("attachments", format!("附件不存在：{id}"), format!("no such attachment: {id}")));
            };
            let own = r.uploaded_by == actor.user_id || actor.role == Role::System;
            if r.case_id.is_some() || !own {
                return Err(DomainError::invalid(
                    "attachments",
                    format!("附件不可用：{id}"),
                    format!("the attachment cannot be used here: {id}"),
                ));
            }
            out.push(r.attachment.clone());
        }
        Ok(out)
    }
}
