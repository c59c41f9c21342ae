//! Attachments (附件): photos, PDFs, recordings and videos that come with a report or an addition.
//!
//! # Flow
//! 1. Upload: staff through `POST /api/attachments`, the citizen's mobile page through
//!    `POST /api/public/attachments`, channels (e-mail, WeChat) through [`App::store_attachment`]
//!    directly. The type is sniffed from the bytes (never the name or the declared type), the size
//!    is checked, a photo gets a small JPEG thumbnail, the bytes go to the [`BlobStore`] and a
//!    metadata row with no case is written.
//! 2. Use: a new case (`attachments` of `POST /api/cases`) or an addition (`add_info`) names the
//!    ids; [`App::attachment_refs`] checks each one exists, belongs to no case yet and was uploaded
//!    by the same actor (a citizen's anonymous upload: by a citizen or the platform).
//! 3. Claim: once the case or the addition is saved, the files become the case's
//!    (`claim_attachments`); from then on the case's access rules decide who may read them.
//!
//! # Who may read a file
//! - Before it belongs to a case: only the signed-in user who uploaded it (an anonymous upload
//!   cannot be read back by anyone: the mobile page previews the file it already holds).
//! - On a case: whoever may see the case ([`App::visible_case`]); anyone else gets "not found",
//!   never "forbidden", so ids cannot be probed.
//! - Confidential requests and 举报: the handling units do not learn who reported
//!   ([`minsheng_domain::access::identity_hidden_from`]). A photo of a pothole is not an identity,
//!   but the original file may be: a recording carries the voice, a PDF a signed letter, a phone
//!   photo its EXIF (GPS position of the reporter's home, the device). So from an actor the
//!   identity is hidden from, the originals are withheld (404) and only the thumbnails of photos
//!   are listed and served — re-encoded pixels with no metadata, under a neutral name. The centre
//!   (city-wide roles) sees everything and can pass on what the unit needs. Files the actor
//!   uploaded themselves stay theirs.
//!
//! # Blob store and S3-compatible object stores
//! [`BlobStore`] is the seam: three calls on opaque keys. Keys are ours, never a user's file name:
//! the attachment id (32 lowercase hex digits) for the original and `{id}.thumb` for the
//! thumbnail. [`LocalBlobStore`] keeps them on the local disk. An S3-compatible store (AWS S3,
//! MinIO, Ceph RGW, OSS or COS in S3 mode) implements the trait with its own client:
//! - `put` = `PutObject` of the whole body (at most [`MAX_ATTACHMENT_BYTES`], far below the
//!   single-request limit, so no multipart upload). S3 replaces an object atomically, which is the
//!   same "a reader sees the old or the new bytes, never half" the local store gets by renaming.
//! - `get` = `GetObject`; `NoSuchKey` (404) is `Ok(None)`, any other failure an `io::Error`.
//! - `delete` = `DeleteObject`, which S3 already treats as success for a missing key.
//! - Keep the bucket private and validate keys as [`LocalBlobStore`] does; an optional key prefix
//!   (`minsheng/attachments/`) lets one bucket serve several installations. Reads go through the
//!   API so the access rules above apply; a presigned short-lived URL after the same check would
//!   be an optimisation, never a replacement. S3 has been read-after-write consistent since 2020,
//!   so a file is readable as soon as `put` returns, on every node.
//! - Pass it to [`App::with_blob_store`] at start-up. The conformance test of the local store in
//!   this module (`blob_store_conformance`) is the behaviour an S3 implementation should pass too.

use std::sync::Arc;

use minsheng_domain::attachment::{AttachmentKind, AttachmentRef};
use minsheng_domain::case::{Case, CaseId};
use minsheng_domain::event::{Event, EventKind};
use minsheng_domain::org::{Actor, Role};
use minsheng_domain::{DomainError, DomainResult, ErrorCode};
use serde::Serialize;

use crate::App;

/// At most this many files with one report or addition.
pub const MAX_PER_MESSAGE: usize = 9;

/// The largest file accepted (a phone photo, a scanned PDF, a minute of audio).
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// Thumbnails fit in this square (the case page and the unit's list show them small).
pub const THUMBNAIL_SIDE: u32 = 320;

/// Photos larger than this are refused rather than decoded: 50 megapixels covers the 48 MP mode
/// of current phones; a tiny file declaring far more is a decompression bomb.
pub const MAX_PHOTO_PIXELS: u64 = 50_000_000;
/// The longest side accepted (a panorama), checked from the header before any allocation.
pub const MAX_PHOTO_SIDE: u32 = 16_384;
/// What one decode may allocate (50 MP as RGBA with room to spare).
const MAX_DECODE_BYTES: u64 = 320 * 1024 * 1024;

/// Decoding is CPU- and memory-heavy; this many at a time on one server, the others wait.
static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// Roles that may upload while signed in: those who take in or add to cases (话务员, 派单员,
/// 网格员) and the units, for files of their handling and replies.
const UPLOAD_ROLES: [Role; 6] = [Role::Operator, Role::Dispatcher, Role::GridWorker, Role::UnitHandler, Role::UnitLeader, Role::System];

/// The blob key of a file's thumbnail.
pub fn thumbnail_key(id: &str) -> String {
    format!("{id}.thumb")
}

/// Attachment ids are 32 lowercase hex digits; anything else is not one of ours.
fn is_attachment_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn attachment_not_found() -> DomainError {
    DomainError::not_found("附件", "attachment")
}

/// One file of a case as the case page lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseAttachment {
    #[serde(flatten)]
    pub attachment: AttachmentRef,
    /// When it was uploaded (RFC 3339).
    pub uploaded_at: String,
    /// True when only the thumbnail may be opened by this user (a confidential case or 举报 seen
    /// by a handling unit: the original may identify the reporter).
    pub original_withheld: bool,
}

/// The bytes of a file with what to tell the browser about them.
#[derive(Debug, Clone)]
pub struct AttachmentContent {
    pub attachment: AttachmentRef,
    pub bytes: Vec<u8>,
    /// The entity tag: the sha256 of the original, or the thumbnail's key.
    pub etag: String,
}

impl App {
    /// The references of uploaded files an actor names by id: each must exist, belong to no case
    /// yet, and have been uploaded by this actor (or by the platform for a channel). An anonymous
    /// upload (the citizen's mobile page) has no uploader and may be named by a citizen acting
    /// on their case or by the platform.
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
        let mut seen = std::collections::HashSet::new();
        if let Some(id) = ids.iter().find(|id| !seen.insert(id.as_str())) {
            return Err(DomainError::invalid("attachments", format!("附件重复：{id}"), format!("attachment named twice: {id}")));
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

    /// A signed-in user's upload (`POST /api/attachments`): refused for roles that never attach
    /// files to anything, else stored as theirs.
    pub async fn upload_attachment(&self, actor: &Actor, name: &str, bytes: Vec<u8>) -> DomainResult<AttachmentRef> {
        if !UPLOAD_ROLES.contains(&actor.role) {
            return Err(DomainError::new(
                ErrorCode::RoleForbidden,
                format!("角色「{}」不能上传附件", actor.role.label_zh()),
                format!("role {} may not upload attachments", actor.role.as_str()),
            ));
        }
        self.store_attachment(actor.user_id, name, bytes).await
    }

    /// Stores a file and its metadata; the returned reference may then be named by a case or an
    /// addition (by the same uploader; `None` is an anonymous citizen or the platform: a channel
    /// storing what came with a message). Refuses empty, oversized, unaccepted files and photos
    /// too large to decode with a field error; nothing is stored then. A photo that cannot be
    /// decoded (HEIC, a damaged file) is kept without a thumbnail.
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
            return Err(too_large());
        }
        let Some((content_type, kind)) = sniff(&bytes) else {
            return Err(DomainError::invalid(
                "file",
                "不支持的文件类型（可上传照片、PDF、录音、视频）",
                "unsupported file type (photos, PDF, audio, video)",
            ));
        };
        let (bytes, thumbnail) = if kind == AttachmentKind::Photo { thumbnail_off_thread(bytes).await? } else { (bytes, None) };
        let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
        // Random, not derived from the content: an id must not tell whether a known file was sent.
        let id = format!("{:032x}", rand::random::<u128>());
        let name = clean_name(name, kind, content_type);
        self.blobs.put(&id, &bytes).await.map_err(blob_error)?;
        if let Some(thumb) = &thumbnail
            && let Err(e) = self.blobs.put(&thumbnail_key(&id), thumb).await
        {
            self.forget_blobs(&id).await;
            return Err(blob_error(e));
        }
        let attachment = AttachmentRef {
            id,
            name,
            content_type: content_type.to_string(),
            kind,
            size: bytes.len() as u64,
            sha256,
            thumbnail: thumbnail.is_some(),
        };
        let record =
            minsheng_store::AttachmentRecord { attachment: attachment.clone(), case_id: None, uploaded_by, uploaded_at: self.clock.now() };
        if let Err(e) = self.store.save_attachment(&record).await {
            // No row names these bytes: leave nothing behind.
            self.forget_blobs(&attachment.id).await;
            return Err(e.into());
        }
        metrics::counter!("minsheng_attachments_stored_total", "kind" => kind.as_str()).increment(1);
        Ok(attachment)
    }

    async fn forget_blobs(&self, id: &str) {
        for key in [id.to_string(), thumbnail_key(id)] {
            if let Err(e) = self.blobs.delete(&key).await {
                tracing::warn!(error = %e, key, "orphan attachment blob not deleted");
            }
        }
    }

    /// Makes the files named by a new case or an addition the case's. The case is already saved,
    /// so a failure here is logged rather than refused (refusing would invite a duplicate case);
    /// a file another case claimed in the meantime stays with that case.
    pub(crate) async fn claim_attachments(&self, case_id: CaseId, files: &[AttachmentRef]) {
        if files.is_empty() {
            return;
        }
        let ids: Vec<String> = files.iter().map(|a| a.id.clone()).collect();
        if let Err(e) = self.store.attach_to_case(&ids, case_id).await {
            tracing::error!(error = %e, case = case_id, "attachments not claimed by the case");
            return;
        }
        if let Ok(records) = self.store.get_attachments(&ids).await {
            for r in records.iter().filter(|r| r.case_id != Some(case_id)) {
                tracing::warn!(case = case_id, attachment = %r.attachment.id, other = ?r.case_id, "attachment already claimed by another case");
            }
        }
    }

    /// The metadata of a file this actor may open (`thumbnail`: the thumbnail rather than the
    /// original), and whether its original is withheld from them; else "not found" whether it
    /// exists or not.
    async fn readable_attachment(&self, actor: Option<&Actor>, id: &str, thumbnail: bool) -> DomainResult<(AttachmentRef, bool)> {
        let Some(actor) = actor else { return Err(attachment_not_found()) };
        if !is_attachment_id(id) {
            return Err(attachment_not_found());
        }
        let record = self.store.get_attachments(&[id.to_string()]).await?.into_iter().next().ok_or_else(attachment_not_found)?;
        let own = actor.user_id.is_some() && record.uploaded_by == actor.user_id;
        let (allowed, hidden) = match record.case_id {
            None => (own, false),
            Some(case_id) => match self.visible_case(actor, &case_id.to_string()).await {
                Ok(case) => {
                    let hidden = !own && withheld(actor, &case);
                    (thumbnail || !hidden, hidden)
                }
                Err(e) if e.code == ErrorCode::NotFound => (false, false),
                Err(e) => return Err(e),
            },
        };
        if !allowed || (thumbnail && !record.attachment.thumbnail) {
            return Err(attachment_not_found());
        }
        Ok((record.attachment, hidden))
    }

    /// A file's bytes for `GET /api/attachments/{id}`.
    pub async fn attachment_content(&self, actor: Option<&Actor>, id: &str) -> DomainResult<AttachmentContent> {
        let (attachment, _) = self.readable_attachment(actor, id, false).await?;
        let bytes = self.blobs.get(&attachment.id).await.map_err(blob_error)?.ok_or_else(|| missing_blob(&attachment.id))?;
        Ok(AttachmentContent { etag: attachment.sha256.clone(), attachment, bytes })
    }

    /// A photo's thumbnail (JPEG) for `GET /api/attachments/{id}/thumbnail`.
    pub async fn attachment_thumbnail(&self, actor: Option<&Actor>, id: &str) -> DomainResult<AttachmentContent> {
        let (original, hidden) = self.readable_attachment(actor, id, true).await?;
        let key = thumbnail_key(&original.id);
        let bytes = self.blobs.get(&key).await.map_err(blob_error)?.ok_or_else(|| missing_blob(&key))?;
        // Withheld: not even the name (it may be the reporter's).
        let stem = if hidden { "照片" } else { original.name.rsplit_once('.').map_or(original.name.as_str(), |(s, _)| s) };
        let attachment = AttachmentRef {
            id: original.id.clone(),
            name: format!("{stem}-缩略图.jpg"),
            content_type: "image/jpeg".into(),
            kind: AttachmentKind::Photo,
            size: bytes.len() as u64,
            sha256: String::new(),
            thumbnail: true,
        };
        Ok(AttachmentContent { attachment, bytes, etag: key })
    }

    /// The files of a case this actor may see (`GET /api/cases/{key}/attachments`), oldest first.
    pub async fn case_attachments(&self, actor: &Actor, key: &str) -> DomainResult<Vec<CaseAttachment>> {
        let case = self.visible_case(actor, key).await?;
        let hidden = withheld(actor, &case);
        let mut photos = 0;
        let mut out = Vec::new();
        for r in self.store.case_attachments(case.id).await? {
            let own = actor.user_id.is_some() && r.uploaded_by == actor.user_id;
            let uploaded_at = minsheng_domain::format_time(r.uploaded_at);
            if !hidden || own {
                out.push(CaseAttachment { attachment: r.attachment, uploaded_at, original_withheld: false });
            } else if r.attachment.kind == AttachmentKind::Photo && r.attachment.thumbnail {
                // Only what the thumbnail shows: no name, no fingerprint of the original.
                photos += 1;
                let attachment = AttachmentRef { name: format!("照片{photos}.jpg"), sha256: String::new(), ..r.attachment };
                out.push(CaseAttachment { attachment, uploaded_at, original_withheld: true });
            }
        }
        Ok(out)
    }
}

/// Whether the originals of this case's files are kept from this actor (see the module notes).
fn withheld(actor: &Actor, case: &Case) -> bool {
    minsheng_domain::access::identity_hidden_from(actor, case)
}

/// The files a decision's events name (an addition with attachments).
pub(crate) fn named_by(events: &[Event]) -> Vec<AttachmentRef> {
    events
        .iter()
        .flat_map(|e| match &e.kind {
            EventKind::InfoAdded { attachments } => attachments.clone(),
            _ => Vec::new(),
        })
        .collect()
}

fn too_large() -> DomainError {
    DomainError::new(
        ErrorCode::PayloadTooLarge,
        format!("文件超过 {} MB", MAX_ATTACHMENT_BYTES / 1024 / 1024),
        format!("the file is larger than {} MB", MAX_ATTACHMENT_BYTES / 1024 / 1024),
    )
}

fn blob_error(e: std::io::Error) -> DomainError {
    tracing::error!(error = %e, "attachment blob store failed");
    DomainError::internal()
}

/// A row without its bytes: the blob store lost them (or another node's store is not shared).
fn missing_blob(key: &str) -> DomainError {
    tracing::error!(key, "attachment row without bytes in the blob store");
    DomainError::internal()
}

/// The name shown for a file: the uploaded one without path separators or control characters,
/// at most 100 characters; a neutral one when nothing is left.
fn clean_name(name: &str, kind: AttachmentKind, content_type: &str) -> String {
    let clean: String = name.chars().filter(|c| !c.is_control() && !matches!(c, '/' | '\\')).take(100).collect();
    if clean.trim().is_empty() {
        format!("{}.{}", kind.as_str(), content_type.rsplit('/').next().unwrap_or("bin"))
    } else {
        clean.trim().to_string()
    }
}

/// What a file is, from its first bytes; `None` for anything not accepted (executables, archives,
/// HTML, unknown).
pub fn sniff(bytes: &[u8]) -> Option<(&'static str, AttachmentKind)> {
    use AttachmentKind as K;
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

/// Why a photo got no thumbnail.
#[derive(Debug, PartialEq, Eq)]
pub enum ThumbnailError {
    /// Larger than the decode limits: refused (a decompression bomb looks exactly like this).
    TooLarge,
    /// Not decodable here (HEIC, damaged): kept without a thumbnail.
    Undecodable,
}

/// Makes the thumbnail on the blocking pool, at most [`DECODES`] at a time; returns the bytes
/// (moved there and back rather than copied).
async fn thumbnail_off_thread(bytes: Vec<u8>) -> DomainResult<(Vec<u8>, Option<Vec<u8>>)> {
    let _permit = DECODES.acquire().await.map_err(|_| DomainError::internal())?;
    let (bytes, result) = tokio::task::spawn_blocking(move || {
        let r = make_thumbnail(&bytes);
        (bytes, r)
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "thumbnail task failed");
        DomainError::internal()
    })?;
    match result {
        Ok(t) => Ok((bytes, Some(t))),
        Err(ThumbnailError::Undecodable) => Ok((bytes, None)),
        Err(ThumbnailError::TooLarge) => Err(DomainError::invalid(
            "file",
            format!("图片尺寸过大（最多 {} 万像素，每边不超过 {MAX_PHOTO_SIDE} 像素），请缩小后再传", MAX_PHOTO_PIXELS / 10_000),
            format!(
                "the image is too large (at most {} megapixels and {MAX_PHOTO_SIDE} pixels a side); send a smaller one",
                MAX_PHOTO_PIXELS / 1_000_000
            ),
        )),
    }
}

/// A JPEG of at most [`THUMBNAIL_SIDE`] pixels a side, upright (EXIF orientation applied), over
/// white where the photo is transparent, without any of the original's metadata. The image's
/// size is read from its header and checked before any pixel is decoded.
pub fn make_thumbnail(bytes: &[u8]) -> Result<Vec<u8>, ThumbnailError> {
    use image::{ImageDecoder, ImageError};
    let limit = |e: ImageError| if matches!(e, ImageError::Limits(_)) { ThumbnailError::TooLarge } else { ThumbnailError::Undecodable };
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().map_err(|_| ThumbnailError::Undecodable)?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_PHOTO_SIDE);
    limits.max_image_height = Some(MAX_PHOTO_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(limit)?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PHOTO_PIXELS || decoder.total_bytes() > MAX_DECODE_BYTES {
        return Err(ThumbnailError::TooLarge);
    }
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = image::DynamicImage::from_decoder(decoder).map_err(limit)?;
    img.apply_orientation(orientation);
    // Never enlarged: a photo already small is only re-encoded.
    let small =
        if img.width() <= THUMBNAIL_SIDE && img.height() <= THUMBNAIL_SIDE { img } else { img.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE) };
    let small = small.into_rgba8();
    // JPEG has no alpha: blend onto white so a transparent PNG does not turn black.
    let rgb = image::RgbImage::from_fn(small.width(), small.height(), |x, y| {
        let [r, g, b, a] = small.get_pixel(x, y).0;
        let over = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([over(r), over(g), over(b)])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80).encode_image(&rgb).map_err(|_| ThumbnailError::Undecodable)?;
    Ok(out)
}

/// Where attachment bytes live: the local disk by default; an S3-compatible object store
/// implements the same three calls (see the module notes). Keys are ours: `[0-9A-Za-z.-]`, not
/// starting with a dot, at most 128 characters; `put` replaces whole, `get` of a missing key is
/// `None`, `delete` of a missing key succeeds.
#[async_trait::async_trait]
pub trait BlobStore: Send + Sync {
    async fn put(&self, key: &str, bytes: &[u8]) -> std::io::Result<()>;
    async fn get(&self, key: &str) -> std::io::Result<Option<Vec<u8>>>;
    async fn delete(&self, key: &str) -> std::io::Result<()>;
}

/// Files under a directory, one per key, written to a temporary name, flushed and renamed so a
/// reader never sees half a file and a crash never leaves a truncated one under the key.
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
        // Fan-out by the first two characters keeps directories small.
        Ok(self.root.join(&key[..2.min(key.len())]).join(key))
    }
}

#[async_trait::async_trait]
impl BlobStore for LocalBlobStore {
    async fn put(&self, key: &str, bytes: &[u8]) -> std::io::Result<()> {
        use tokio::io::AsyncWriteExt;
        let path = self.path(key)?;
        let dir = path.parent().map(std::path::Path::to_path_buf).unwrap_or_else(|| self.root.clone());
        tokio::fs::create_dir_all(&dir).await?;
        // A leading dot: never a valid key, so a temporary file can never be read as one.
        let tmp = dir.join(format!(".{key}.{:08x}.tmp", rand::random::<u32>()));
        let written = async {
            let mut f = tokio::fs::File::create(&tmp).await?;
            f.write_all(bytes).await?;
            f.sync_all().await?;
            tokio::fs::rename(&tmp, &path).await
        }
        .await;
        if written.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        written
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

/// The behaviour every [`BlobStore`] must have, as a function an implementation's own test can
/// call (an S3 store against MinIO, say): put/get/delete, overwrite, missing keys, bad keys and
/// concurrent puts of one key.
pub async fn blob_store_conformance(store: Arc<dyn BlobStore>) {
    async fn get(store: &Arc<dyn BlobStore>, key: &str) -> Option<Vec<u8>> {
        match store.get(key).await {
            Ok(v) => v,
            Err(e) => panic!("get {key}: {e}"),
        }
    }
    let key = format!("{:032x}", rand::random::<u128>());
    assert_eq!(get(&store, &key).await, None, "a missing key reads as none");
    assert!(store.delete(&key).await.is_ok(), "deleting a missing key succeeds");
    assert!(store.put(&key, b"first").await.is_ok());
    assert_eq!(get(&store, &key).await.as_deref(), Some(&b"first"[..]));
    assert!(store.put(&key, b"second, longer").await.is_ok());
    assert_eq!(get(&store, &key).await.as_deref(), Some(&b"second, longer"[..]), "put replaces whole");
    assert!(store.put(&key, b"").await.is_ok());
    assert_eq!(get(&store, &key).await.as_deref(), Some(&b""[..]), "an empty blob is a blob");
    let thumb = thumbnail_key(&key);
    assert!(store.put(&thumb, b"thumb").await.is_ok());
    assert!(store.delete(&key).await.is_ok());
    assert_eq!(get(&store, &key).await, None);
    assert_eq!(get(&store, &thumb).await.as_deref(), Some(&b"thumb"[..]), "keys are independent");
    assert!(store.delete(&thumb).await.is_ok());
    for bad in ["", ".hidden", "../etc/passwd", "a/b", "a\\b", "照片", "a b", &"x".repeat(129)] {
        assert!(store.put(bad, b"x").await.is_err(), "put {bad:?} refused");
        assert!(store.get(bad).await.is_err(), "get {bad:?} refused");
        assert!(store.delete(bad).await.is_err(), "delete {bad:?} refused");
    }
    // Concurrent writers of one key: the result is exactly one of them, never a mixture.
    let bodies: Vec<Vec<u8>> = (0..16u8).map(|i| vec![i; 64 * 1024 + usize::from(i)]).collect();
    let mut tasks = Vec::new();
    for body in bodies.clone() {
        let (store, key) = (store.clone(), key.clone());
        tasks.push(tokio::spawn(async move { store.put(&key, &body).await.is_ok() }));
    }
    for t in tasks {
        assert!(matches!(t.await, Ok(true)), "every concurrent put succeeds");
    }
    let last = get(&store, &key).await;
    assert!(last.as_ref().is_some_and(|b| bodies.contains(b)), "the key holds one whole body");
    // Concurrent writers of different keys all land.
    let keys: Vec<String> = (0..16).map(|_| format!("{:032x}", rand::random::<u128>())).collect();
    let mut tasks = Vec::new();
    for k in keys.clone() {
        let store = store.clone();
        tasks.push(tokio::spawn(async move { store.put(&k, k.as_bytes()).await.is_ok() }));
    }
    for t in tasks {
        assert!(matches!(t.await, Ok(true)));
    }
    for k in &keys {
        assert_eq!(get(&store, k).await.as_deref(), Some(k.as_bytes()));
        assert!(store.delete(k).await.is_ok());
    }
    assert!(store.delete(&key).await.is_ok());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn local_blob_store_conformance() {
        let dir = std::env::temp_dir().join(format!("minsheng-blob-test-{}-{}", std::process::id(), rand::random::<u32>()));
        let store = Arc::new(LocalBlobStore::new(&dir));
        blob_store_conformance(store).await;
        // Nothing half-written is left behind.
        let mut leftovers = Vec::new();
        for sub in std::fs::read_dir(&dir).unwrap() {
            for f in std::fs::read_dir(sub.unwrap().path()).unwrap() {
                leftovers.push(f.unwrap().file_name());
            }
        }
        assert!(leftovers.is_empty(), "{leftovers:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn thumbnails_fit_and_bombs_are_refused() {
        let img = image::RgbaImage::from_fn(1000, 400, |x, _| image::Rgba([(x % 256) as u8, 0, 0, if x < 500 { 255 } else { 0 }]));
        let mut png = Vec::new();
        image::DynamicImage::ImageRgba8(img).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        let thumb = make_thumbnail(&png).unwrap();
        let t = image::load_from_memory_with_format(&thumb, image::ImageFormat::Jpeg).unwrap();
        assert_eq!((t.width(), t.height()), (320, 128));
        assert_eq!(make_thumbnail(b"\x89PNG\r\n\x1a\nnot really"), Err(ThumbnailError::Undecodable));
        assert_eq!(sniff(&png).map(|s| s.1), Some(AttachmentKind::Photo));
        assert_eq!(sniff(b"MZ\x90\x00\x03\x00\x00\x00"), None);
    }

    #[test]
    fn ids_are_ours() {
        assert!(is_attachment_id(&format!("{:032x}", rand::random::<u128>())));
        assert!(!is_attachment_id("../../etc/passwd"));
        assert!(!is_attachment_id("ABCDEF0123456789ABCDEF0123456789"));
        assert_eq!(clean_name("../a/照片\u{0}.jpg", AttachmentKind::Photo, "image/jpeg"), "..a照片.jpg");
        assert_eq!(clean_name(" \n", AttachmentKind::Audio, "audio/mpeg"), "audio.mpeg");
    }
}
