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

/// Where attachment bytes live: the local disk by default; an S3-compatible object store
/// implements the same three calls.
#[async_trait::async_trait]
pub trait BlobStore: Send + Sync {
    async fn put(&self, key: &str, bytes: &[u8]) -> std::io::Result<()>;
    async fn get(&self, key: &str) -> std::io::Result<Option<Vec<u8>>>;
    async fn delete(&self, key: &str) -> std::io::Result<()>;
}

/// Files under a directory, one per key, written to a temporary name and renamed so a reader
/// never sees half a file.
pub struct LocalBlobStore {
    root: std::path::PathBuf,
}

impl LocalBlobStore {
    pub fn new(root: impl Into<std::path::PathBuf>) -> Self {
        LocalBlobStore { root: root.into() }
    }

    /// Keys are ours (hex and dots), never a citizen's file name; anything else is refused.
    fn path(&self, key: &str) -> std::io::Result<std::path::PathBuf> {
        if key.is_empty()
            || key.len() > 128
            || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            || key.starts_with('.')
        {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "bad blob key"));
        }
        // Two levels of fan-out keep directories small.
        Ok(self.root.join(&key[..2.min(key.len())]).join(key))
    }
}

#[async_trait::async_trait]
impl BlobStore for LocalBlobStore {
    async fn put(&self, key: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(key)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let tmp = path.with_extension(format!("tmp{}", rand::random::<u32>()));
        tokio::fs::write(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, &path).await
    }

    async fn get(&self, key: &str) -> std::io::Result<Option<Vec<u8>>> {
        match tokio::fs::read(self.path(key)?).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn delete(&self, key: &str) -> std::io::Result<()> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// The largest file accepted (a phone photo, a scanned PDF, a minute of audio).
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// What a file is, from its first bytes; `None` for anything not accepted (executables, archives,
/// HTML, unknown).
pub fn sniff(bytes: &[u8]) -> Option<(&'static str, minsheng_domain::attachment::AttachmentKind)> {
    use minsheng_domain::attachment::AttachmentKind as K;
    let t = infer::get(bytes)?;
    let kind = match t.mime_type() {
        "image/jpeg" | "image/png" | "image/gif" | "image/webp" | "image/heif" | "image/heic" | "image/bmp" => K::Photo,
        "application/pdf" => K::Document,
        "audio/mpeg" | "audio/x-wav" | "audio/amr" | "audio/aac" | "audio/m4a" | "audio/ogg" | "audio/x-flac" => K::Audio,
        "video/mp4" | "video/quicktime" => K::Video,
        _ => return None,
    };
    Some((t.mime_type(), kind))
}

impl App {
    /// Stores a file and its metadata; the returned reference may then be named by a case or an
    /// addition (by the same uploader; `None` is the platform: a channel storing what came with
    /// a message). Refuses empty, oversized and unaccepted files with a field error.
    pub async fn store_attachment(
        &self,
        uploaded_by: Option<minsheng_domain::org::UserId>,
        name: &str,
        bytes: Vec<u8>,
    ) -> DomainResult<AttachmentRef> {
        use sha2::Digest;
        if bytes.is_empty() {
            return Err(DomainError::invalid("file", "文件为空", "the file is empty"));
        }
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(DomainError::new(
                minsheng_domain::ErrorCode::PayloadTooLarge,
                format!("文件超过 {} MB", MAX_ATTACHMENT_BYTES / 1024 / 1024),
                format!("the file is larger than {} MB", MAX_ATTACHMENT_BYTES / 1024 / 1024),
            ));
        }
        let Some((content_type, kind)) = sniff(&bytes) else {
            return Err(DomainError::invalid(
                "file",
                "不支持的文件类型（可上传照片、PDF、录音、视频）",
                "unsupported file type (photos, PDF, audio, video)",
            ));
        };
        let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
        let id = format!("{}{:08x}", &sha256[..24], rand::random::<u32>());
        let clean: String = name.chars().filter(|c| !c.is_control() && !matches!(c, '/' | '\\')).take(100).collect();
        let name = if clean.trim().is_empty() {
            format!("{}.{}", kind.as_str(), content_type.rsplit('/').next().unwrap_or("bin"))
        } else {
            clean.trim().to_string()
        };
        self.blobs.put(&id, &bytes).await.map_err(|e| {
            tracing::error!(error = %e, "attachment not stored");
            DomainError::internal()
        })?;
        let attachment =
            AttachmentRef { id, name, content_type: content_type.to_string(), kind, size: bytes.len() as u64, sha256, thumbnail: false };
        let record =
            minsheng_store::AttachmentRecord { attachment: attachment.clone(), case_id: None, uploaded_by, uploaded_at: self.clock.now() };
        self.store.save_attachment(&record).await?;
        Ok(attachment)
    }
}
