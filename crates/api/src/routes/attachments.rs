//! Attachments (附件): upload a file (staff, or the citizen's mobile page without logging in),
//! read it back with its thumbnail, list a case's files. The rules — accepted types, sizes, who
//! may read what — live in `minsheng_app::attachments`; this is the HTTP around them.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minsheng_app::attachments::{AttachmentContent, CaseAttachment};
use minsheng_domain::attachment::AttachmentRef;
use minsheng_domain::org::Actor;
use minsheng_domain::{DomainError, ErrorCode};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Authed, ClientIp, Json, Path, Query, credentials};

/// The body limit of an upload: the largest file plus room for a multipart envelope.
pub const MAX_UPLOAD_BODY_BYTES: usize = minsheng_app::attachments::MAX_ATTACHMENT_BYTES + 64 * 1024;

/// How long a browser may reuse a file without asking again. Short and private: the bytes never
/// change under an id, but who may see them can (a case passed to another unit).
const CACHE_CONTROL: &str = "private, max-age=3600";

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadParams {
    /// The file name to show (a multipart upload's own file name is used when this is absent).
    pub name: Option<String>,
}

/// Upload a file (上传附件) as a signed-in user: operators, dispatchers, grid workers and unit
/// staff. The body is the file's bytes with any Content-Type (the type is sniffed from the bytes),
/// or `multipart/form-data` with one `file` field. The returned `id` is then named in
/// `attachments` of a new case or of `add_info`, by the same user.
#[utoipa::path(post, path = "/api/attachments", tag = "attachments", params(UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the file's bytes, or multipart/form-data with a `file` field"),
    responses((status = 201, description = "the stored file", body = AttachmentRef),
        (status = 400, description = "empty, unsupported type (photos, PDF, audio, video are accepted) or an image too large to decode"),
        (status = 403, description = "this role may not upload"), (status = 413, description = "larger than 10 MB")))]
pub async fn upload(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Query(p): Query<UploadParams>,
    req: Request,
) -> ApiResult<Response> {
    let (name, bytes) = read_upload(&state, p.name, req).await?;
    let stored = state.app.upload_attachment(&actor, &name, bytes).await?;
    Ok((StatusCode::CREATED, Json(stored)).into_response())
}

/// Upload a file without logging in (the citizen's mobile page). Same body and answer as
/// `POST /api/attachments`; the id may be named by the citizen's `add_info` on the tracking page.
/// An anonymous upload cannot be read back until it belongs to a case.
#[utoipa::path(post, path = "/api/public/attachments", tag = "public", params(UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the file's bytes, or multipart/form-data with a `file` field"),
    responses((status = 201, description = "the stored file", body = AttachmentRef), (status = 400, description = "empty or unsupported"),
        (status = 413, description = "larger than 10 MB")))]
pub async fn upload_public(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Query(p): Query<UploadParams>,
    req: Request,
) -> ApiResult<Response> {
    state.app.knock(minsheng_app::abuse::Door::UploadIp, &ip)?;
    let (name, bytes) = read_upload(&state, p.name, req).await?;
    let stored = state.app.store_attachment(None, &name, bytes).await?;
    Ok((StatusCode::CREATED, Json(stored)).into_response())
}

/// The file: for whoever may see its case, or its uploader before it belongs to one; "not found"
/// for anyone else, signed in or not. From a handling unit of a confidential case or a 举报 only
/// the thumbnails of photos are served. Supports `If-None-Match` and single byte ranges (audio
/// and video players ask for them).
#[utoipa::path(get, path = "/api/attachments/{id}", tag = "attachments", params(("id" = String, Path, description = "attachment id")),
    responses((status = 200, description = "the bytes with their sniffed Content-Type"), (status = 206, description = "a byte range"),
        (status = 304, description = "unchanged"), (status = 404, description = "no such file, or not yours to see")))]
pub async fn download(
    State(state): State<AppState>,
    MaybeAuthed(actor): MaybeAuthed,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let content = state.app.attachment_content(actor.as_ref(), &id).await?;
    Ok(serve(content, &headers))
}

/// A photo's thumbnail: a JPEG of at most 320 pixels a side, without the original's metadata.
/// The same access rule as the file; 404 when it has none.
#[utoipa::path(get, path = "/api/attachments/{id}/thumbnail", tag = "attachments", params(("id" = String, Path, description = "attachment id")),
    responses((status = 200, description = "image/jpeg"), (status = 304, description = "unchanged"), (status = 404, description = "no thumbnail, or not yours to see")))]
pub async fn thumbnail(
    State(state): State<AppState>,
    MaybeAuthed(actor): MaybeAuthed,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let content = state.app.attachment_thumbnail(actor.as_ref(), &id).await?;
    Ok(serve(content, &headers))
}

/// A case's files, oldest first, as this user may see them (`original_withheld`: only the
/// thumbnail may be opened).
#[utoipa::path(get, path = "/api/cases/{key}/attachments", tag = "attachments", params(("key" = String, Path, description = "case id or number")),
    responses((status = 200, description = "the case's files", body = [CaseAttachment]), (status = 404, description = "no such case")))]
pub async fn case_files(
    State(state): State<AppState>,
    Authed(actor): Authed,
    Path(key): Path<String>,
) -> ApiResult<Json<Vec<CaseAttachment>>> {
    Ok(Json(state.app.case_attachments(&actor, &key).await?))
}

/// The signed-in actor when the request carries credentials (bad credentials are still 401);
/// `None` without any, so a file answers "not found" to the anonymous rather than "sign in".
pub struct MaybeAuthed(pub Option<Actor>);

impl FromRequestParts<AppState> for MaybeAuthed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if credentials(parts).is_none() {
            return Ok(MaybeAuthed(None));
        }
        let Authed(actor) = Authed::from_request_parts(parts, state).await?;
        Ok(MaybeAuthed(Some(actor)))
    }
}

/// The file name and bytes of an upload: the raw body, or the `file` field of a form.
async fn read_upload(state: &AppState, name: Option<String>, req: Request) -> ApiResult<(String, Vec<u8>)> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| body_error(e.status(), &e.body_text()))?;
        return Ok((name.unwrap_or_default(), bytes.to_vec()));
    }
    let mut form = Multipart::from_request(req, state).await.map_err(|e| body_error(e.status(), &e.body_text()))?;
    let mut file: Option<(String, Vec<u8>)> = None;
    while let Some(field) = form.next_field().await.map_err(|e| body_error(e.status(), &e.body_text()))? {
        if field.name() != Some("file") {
            continue;
        }
        if file.is_some() {
            return Err(ApiError(DomainError::invalid("file", "每次只能上传一个文件", "one file per upload")));
        }
        let field_name = field.file_name().map(str::to_string);
        let bytes = field.bytes().await.map_err(|e| body_error(e.status(), &e.body_text()))?;
        file = Some((name.clone().or(field_name).unwrap_or_default(), bytes.to_vec()));
    }
    file.ok_or_else(|| ApiError(DomainError::invalid("file", "表单中没有 file 字段", "the form has no `file` field")))
}

/// A body that could not be read: too large (413) or malformed (400).
fn body_error(status: StatusCode, detail: &str) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        let mb = minsheng_app::attachments::MAX_ATTACHMENT_BYTES / 1024 / 1024;
        return ApiError(DomainError::new(
            ErrorCode::PayloadTooLarge,
            format!("文件超过 {mb} MB"),
            format!("the file is larger than {mb} MB"),
        ));
    }
    ApiError(
        DomainError::new(ErrorCode::InvalidInput, format!("上传内容无法读取：{detail}"), format!("the upload cannot be read: {detail}"))
            .with_details(serde_json::json!({ "field": "file", "reason": detail })),
    )
}

/// The response for a file: its type, an inline disposition with the name (RFC 6266/5987), no
/// sniffing by the browser, private caching with the entity tag, byte ranges.
fn serve(content: AttachmentContent, request: &HeaderMap) -> Response {
    let AttachmentContent { attachment, bytes, etag } = content;
    let etag = format!("\"{etag}\"");
    let mut headers = HeaderMap::new();
    let mut set = |name: header::HeaderName, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    set(header::ETAG, &etag);
    set(header::CACHE_CONTROL, CACHE_CONTROL);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::ACCEPT_RANGES, "bytes");
    let matches = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    set(header::CONTENT_TYPE, &attachment.content_type);
    set(header::CONTENT_DISPOSITION, &content_disposition(&attachment.name));
    let len = bytes.len();
    match request.get(header::RANGE).and_then(|v| v.to_str().ok()).map(|r| byte_range(r, len)) {
        Some(Some((start, end))) => {
            set(header::CONTENT_RANGE, &format!("bytes {start}-{end}/{len}"));
            (StatusCode::PARTIAL_CONTENT, headers, bytes[start..=end].to_vec()).into_response()
        }
        Some(None) => {
            set(header::CONTENT_RANGE, &format!("bytes */{len}"));
            (StatusCode::RANGE_NOT_SATISFIABLE, headers).into_response()
        }
        None => (StatusCode::OK, headers, bytes).into_response(),
    }
}

/// One range of `bytes=a-b`, `bytes=a-` or `bytes=-n` as inclusive offsets; `None` when it cannot
/// be satisfied. Several ranges are answered with the first only (allowed, and all players need).
fn byte_range(header: &str, len: usize) -> Option<(usize, usize)> {
    let spec = header.trim().strip_prefix("bytes=")?.split(',').next()?.trim();
    let (a, b) = spec.split_once('-')?;
    if len == 0 {
        return None;
    }
    let (start, end) = if a.is_empty() {
        let n: usize = b.parse().ok()?;
        if n == 0 {
            return None;
        }
        (len.saturating_sub(n), len - 1)
    } else {
        let start: usize = a.parse().ok()?;
        let end = if b.is_empty() { len - 1 } else { b.parse::<usize>().ok()?.min(len - 1) };
        (start, end)
    };
    (start <= end && start < len).then_some((start, end))
}

/// `inline; filename="ascii fallback"; filename*=UTF-8''percent-encoded` so every browser shows
/// the uploaded name, Chinese included, and none can be led out of the header by it.
pub fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| if (c.is_ascii_graphic() && !matches!(c, '"' | '\\' | ';' | ',' | '%')) || c == ' ' { c } else { '_' })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        // RFC 5987 attr-char; everything else percent-encoded.
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("inline; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_and_ranges() {
        assert_eq!(
            content_disposition("门口 照片.jpg"),
            "inline; filename=\"__ __.jpg\"; filename*=UTF-8''%E9%97%A8%E5%8F%A3%20%E7%85%A7%E7%89%87.jpg"
        );
        assert_eq!(content_disposition("a\"b;c.pdf"), "inline; filename=\"a_b_c.pdf\"; filename*=UTF-8''a%22b%3Bc.pdf");
        assert_eq!(byte_range("bytes=0-99", 1000), Some((0, 99)));
        assert_eq!(byte_range("bytes=900-", 1000), Some((900, 999)));
        assert_eq!(byte_range("bytes=-100", 1000), Some((900, 999)));
        assert_eq!(byte_range("bytes=990-2000", 1000), Some((990, 999)));
        assert_eq!(byte_range("bytes=1000-", 1000), None);
        assert_eq!(byte_range("bytes=5-2", 1000), None);
        assert_eq!(byte_range("items=0-1", 1000), None);
    }
}
