//! Attachments (附件) as the case history names them: a reference to a stored file with what was
//! sniffed from its bytes. The bytes live in a blob store outside the domain.

use serde::{Deserialize, Serialize};

use crate::case::labelled_enum;

labelled_enum!(
    /// What kind of file, decided from its bytes, never from its name.
    AttachmentKind {
        Photo = "photo" / "照片",
        Document = "document" / "文档",
        Audio = "audio" / "录音",
        Video = "video" / "视频",
    }
);

/// One stored file. `id` is the key to fetch it with; `sha256` identifies identical uploads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentRef {
    pub id: String,
    /// The file name as uploaded (shown, never used as a path).
    pub name: String,
    /// The MIME type sniffed from the bytes.
    pub content_type: String,
    pub kind: AttachmentKind,
    pub size: u64,
    pub sha256: String,
    /// Whether a thumbnail exists (photos).
    #[serde(default)]
    pub thumbnail: bool,
}
