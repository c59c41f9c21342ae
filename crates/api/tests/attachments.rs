//! Attachments (附件) end to end on both engines: upload (staff and public), sniffing and limits,
//! thumbnails, decompression bombs, the files of a case and who may read them, additions, and
//! the headers a browser gets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;

use minsheng_app::attachments::{LocalBlobStore, MAX_ATTACHMENT_BYTES};
use minsheng_app::{App, Settings, SystemClock};
use reqwest::StatusCode;
use serde_json::{Value, json};

mod common;
use common::*;

/// A server like `common::start`, with its blobs in a directory of its own so a test can count
/// what was stored.
async fn start(url: String) -> (Server, PathBuf) {
    let dir = std::env::temp_dir().join(format!("minsheng-attach-test-{}-{:016x}", std::process::id(), rand_u64()));
    let store = minsheng_store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    let app = App::new(store, Arc::new(SystemClock), Settings::default()).with_blob_store(Arc::new(LocalBlobStore::new(&dir)));
    let hash = minsheng_app::auth::hash_password(minsheng_app::demo::DEMO_PASSWORD).unwrap();
    minsheng_app::demo::load(app.store.as_ref(), &hash, 0).await.unwrap();
    app.reload_catalogue().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = minsheng_api::router(app.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (Server { base, http: reqwest::Client::new(), app }, dir)
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
    h.finish()
}

macro_rules! on_both {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let (s, dir) = super::start(format!("sqlite://{}", minsheng_testkit::fresh_sqlite_path())).await;
                super::$name(s, dir).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let (s, dir) = super::start(minsheng_testkit::fresh_pg_database().await).await;
                super::$name(s, dir).await
            }
        }
    )+};
}

on_both!(
    photos_documents_and_audio_are_accepted_with_thumbnails,
    refused_files_store_nothing,
    decompression_bombs_are_refused,
    files_follow_the_case,
    additions_by_staff_and_citizens,
    confidential_cases_show_units_thumbnails_only,
);

// ---- files made in the test ----

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(w, h, |x, y| image::Rgba([(x % 256) as u8, (y % 256) as u8, 90, 255]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgba8(img).write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x % 256) as u8, 120, (y % 256) as u8]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img).write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Jpeg).unwrap();
    out
}

/// A one-page PDF, as small as a real one gets.
fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
        .to_vec()
}

/// A tenth of a second of 8 kHz mono 16-bit silence.
fn wav() -> Vec<u8> {
    let samples = 800u32;
    let data = samples * 2;
    let mut w = Vec::new();
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + data).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&16u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes()); // PCM
    w.extend_from_slice(&1u16.to_le_bytes()); // mono
    w.extend_from_slice(&8000u32.to_le_bytes());
    w.extend_from_slice(&16000u32.to_le_bytes());
    w.extend_from_slice(&2u16.to_le_bytes());
    w.extend_from_slice(&16u16.to_le_bytes());
    w.extend_from_slice(b"data");
    w.extend_from_slice(&data.to_le_bytes());
    w.resize(w.len() + data as usize, 0);
    w
}

/// An MP3 with an ID3v2 tag and one silent MPEG-1 layer III frame.
fn mp3() -> Vec<u8> {
    let mut m = b"ID3\x03\x00\x00\x00\x00\x00\x00".to_vec();
    m.extend_from_slice(&[0xFF, 0xFB, 0x90, 0x64]);
    m.resize(m.len() + 413, 0);
    m
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A decompression bomb: a PNG of a few dozen bytes declaring `w`×`h` pixels.
fn bomb(w: u32, h: u32) -> Vec<u8> {
    let chunk = |out: &mut Vec<u8>, kind: &[u8], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    // A zlib stream of a few zero bytes: the rest would "decompress" from nothing.
    chunk(&mut out, b"IDAT", &[0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]);
    chunk(&mut out, b"IEND", &[]);
    out
}

// ---- requests ----

/// Uploads raw bytes as `token` (`None`: the public endpoint).
async fn upload(s: &Server, token: Option<&str>, name: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let path = if token.is_some() { "/api/attachments" } else { "/api/public/attachments" };
    let mut r =
        s.http.post(format!("{}{path}", s.base)).query(&[("name", name)]).header("content-type", "application/octet-stream").body(bytes);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    s.send(r).await
}

async fn uploaded(s: &Server, token: Option<&str>, name: &str, bytes: Vec<u8>) -> Value {
    let (st, v) = upload(s, token, name, bytes).await;
    assert_eq!(st, StatusCode::CREATED, "{name}: {v}");
    v
}

async fn fetch(s: &Server, token: Option<&str>, path: &str) -> reqwest::Response {
    let mut r = s.http.get(format!("{}{path}", s.base));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.unwrap()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// Every file under the blob directory (none while nothing was stored).
fn stored_files(dir: &std::path::Path) -> usize {
    let Ok(subs) = std::fs::read_dir(dir) else { return 0 };
    subs.map(|d| std::fs::read_dir(d.unwrap().path()).map_or(0, Iterator::count)).sum()
}

fn report(kind: &str, title: &str, attachments: &[String]) -> Value {
    json!({
        "channel": "phone", "case_type": kind, "title": title,
        "text": format!("{title}，请尽快处理。"),
        "citizen": {"name": "张先生", "phone": "13800138000"},
        "place": {"address": "海口市龙华区金贸街道玉沙路"},
        "attachments": attachments,
    })
}

fn thumbnail_size(bytes: &[u8]) -> (u32, u32) {
    let t = image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg).expect("the thumbnail is a JPEG");
    (t.width(), t.height())
}

// ---- the tests ----

async fn photos_documents_and_audio_are_accepted_with_thumbnails(s: Server, dir: PathBuf) {
    let op = s.token("operator").await;
    let photo = png(800, 600);
    let v = uploaded(&s, Some(&op), "玉沙路 积水.png", photo.clone()).await;
    assert_eq!((v["kind"].as_str(), v["content_type"].as_str()), (Some("photo"), Some("image/png")), "{v}");
    assert_eq!(v["thumbnail"], true);
    assert_eq!(v["size"], photo.len());
    assert_eq!(v["name"], "玉沙路 积水.png");
    let png_id = id(&v);
    assert_eq!(png_id.len(), 32);

    // The original, byte for byte, with the headers a browser needs.
    let r = fetch(&s, Some(&op), &format!("/api/attachments/{png_id}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h["cache-control"].to_str().unwrap().starts_with("private"), "{:?}", h["cache-control"]);
    let disposition = h["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("inline;"), "{disposition}");
    assert!(disposition.contains("filename*=UTF-8''%E7%8E%89%E6%B2%99%E8%B7%AF%20%E7%A7%AF%E6%B0%B4.png"), "{disposition}");
    assert_eq!(h["etag"].to_str().unwrap(), format!("\"{}\"", v["sha256"].as_str().unwrap()));
    assert_eq!(r.bytes().await.unwrap().as_ref(), photo.as_slice());
    // Revalidation and byte ranges.
    let etag = h["etag"].to_str().unwrap().to_string();
    let again =
        s.http.get(format!("{}/api/attachments/{png_id}", s.base)).bearer_auth(&op).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let part =
        s.http.get(format!("{}/api/attachments/{png_id}", s.base)).bearer_auth(&op).header("range", "bytes=0-7").send().await.unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.headers()["content-range"].to_str().unwrap(), format!("bytes 0-7/{}", photo.len()));
    assert_eq!(part.bytes().await.unwrap().as_ref(), &photo[..8]);

    // The thumbnail: a JPEG within 320 px, proportions kept.
    let r = fetch(&s, Some(&op), &format!("/api/attachments/{png_id}/thumbnail")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(thumbnail_size(&r.bytes().await.unwrap()), (320, 240));

    let v = uploaded(&s, Some(&op), "IMG_0001.JPG", jpeg(300, 1000)).await;
    assert_eq!((v["content_type"].as_str(), v["thumbnail"].as_bool()), (Some("image/jpeg"), Some(true)));
    let r = fetch(&s, Some(&op), &format!("/api/attachments/{}/thumbnail", id(&v))).await;
    assert_eq!(thumbnail_size(&r.bytes().await.unwrap()), (96, 320));

    // A small photo is thumbnailed too (re-encoded, nothing of the original's metadata).
    let v = uploaded(&s, Some(&op), "tiny.png", png(40, 30)).await;
    let r = fetch(&s, Some(&op), &format!("/api/attachments/{}/thumbnail", id(&v))).await;
    assert_eq!(thumbnail_size(&r.bytes().await.unwrap()), (40, 30));

    // A PDF and recordings: stored, no thumbnail.
    let v = uploaded(&s, Some(&op), "投诉材料.pdf", pdf()).await;
    assert_eq!(
        (v["kind"].as_str(), v["content_type"].as_str(), v["thumbnail"].as_bool()),
        (Some("document"), Some("application/pdf"), Some(false))
    );
    let r = fetch(&s, Some(&op), &format!("/api/attachments/{}/thumbnail", id(&v))).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = fetch(&s, Some(&op), &format!("/api/attachments/{}", id(&v))).await;
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let v = uploaded(&s, Some(&op), "录音.wav", wav()).await;
    assert_eq!((v["kind"].as_str(), v["content_type"].as_str()), (Some("audio"), Some("audio/x-wav")), "{v}");
    let v = uploaded(&s, Some(&op), "", mp3()).await;
    assert_eq!((v["kind"].as_str(), v["content_type"].as_str()), (Some("audio"), Some("audio/mpeg")), "{v}");
    assert_eq!(v["name"], "audio.mpeg", "a neutral name when none was given");

    // The declared type does not matter; a browser form (multipart) works as well.
    let boundary = "----minsheng-test";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nignored\r\n--{boundary}\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"现场.jpg\"\r\nContent-Type: text/plain\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&jpeg(64, 64));
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let (st, v) = s
        .send(
            s.http
                .post(format!("{}/api/attachments", s.base))
                .bearer_auth(&op)
                .header("content-type", format!("multipart/form-data; boundary={boundary}"))
                .body(body),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    assert_eq!((v["name"].as_str(), v["kind"].as_str(), v["thumbnail"].as_bool()), (Some("现场.jpg"), Some("photo"), Some(true)));
    // Photos: original + thumbnail; the others one file each.
    assert_eq!(stored_files(&dir), 4 * 2 + 3);

    // Who may upload: the roles that take in or handle cases; not an administrator or supervisor.
    let grid = s.token("grid").await;
    uploaded(&s, Some(&grid), "巡查.jpg", jpeg(50, 50)).await;
    let lh = s.token("longhua").await;
    uploaded(&s, Some(&lh), "办理记录.pdf", pdf()).await;
    for login in ["admin", "supervisor"] {
        let t = s.token(login).await;
        let (st, v) = upload(&s, Some(&t), "x.pdf", pdf()).await;
        assert_eq!((st, v["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("role_forbidden")), "{login}: {v}");
    }
    // Without a login the staff endpoint asks for one.
    let (st, _) = s.send(s.http.post(format!("{}/api/attachments", s.base)).body(pdf())).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

async fn refused_files_store_nothing(s: Server, dir: PathBuf) {
    let op = s.token("operator").await;
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00".to_vec();
    exe.resize(512, 0);
    let html = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>".to_vec();
    let mut zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec();
    zip.resize(200, 0);
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec();
    for (name, bytes) in [("a.exe", exe), ("a.html", html), ("a.zip", zip), ("a.svg", svg), ("empty.jpg", Vec::new())] {
        for token in [Some(op.as_str()), None] {
            let (st, v) = upload(&s, token, name, bytes.clone()).await;
            assert_eq!(st, StatusCode::BAD_REQUEST, "{name}: {v}");
            assert_eq!(v["error"]["code"], "invalid_input");
            assert!(v["error"]["message_zh"].as_str().unwrap().contains("文件"), "{v}");
            assert!(!v["error"]["message_en"].as_str().unwrap().is_empty());
        }
    }
    // Over 10 MB: refused by size, before anything is sniffed or stored (just over the file limit,
    // and far over the body limit).
    let mut big = png(8, 8);
    big.resize(MAX_ATTACHMENT_BYTES + 1, 0);
    let (st, v) = upload_retrying(&s, Some(&op), big).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert_eq!(v["error"]["code"], "payload_too_large");
    let huge = vec![0u8; MAX_ATTACHMENT_BYTES + 2 * 1024 * 1024];
    let (st, _) = upload_retrying(&s, None, huge).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
    // A form without a file field.
    let (st, v) = s
        .send(
            s.http
                .post(format!("{}/api/attachments", s.base))
                .bearer_auth(&op)
                .header("content-type", "multipart/form-data; boundary=XX")
                .body("--XX\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nhi\r\n--XX--\r\n"),
        )
        .await;
    assert_eq!((st, v["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_input")), "{v}");
    assert_eq!(stored_files(&dir), 0, "nothing refused was stored");
}

/// A large body: the server may answer 413 and close before reading it all; try again then. A
/// client of its own, so the closed connection is not reused by the next request.
async fn upload_retrying(s: &Server, token: Option<&str>, bytes: Vec<u8>) -> (StatusCode, Value) {
    let path = if token.is_some() { "/api/attachments" } else { "/api/public/attachments" };
    let http = reqwest::Client::new();
    for _ in 0..9 {
        let mut r = http.post(format!("{}{path}?name=big.png", s.base)).body(bytes.clone());
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Ok(r) = r.send().await {
            let status = r.status();
            return (status, r.json().await.unwrap_or(Value::Null));
        }
    }
    panic!("no answer to an oversized upload")
}

async fn decompression_bombs_are_refused(s: Server, dir: PathBuf) {
    let op = s.token("operator").await;
    // 60000 × 60000 (past the side limit) and 16000 × 16000 (within it, but 256 megapixels): a
    // few dozen bytes each, gigabytes once decoded. Refused from the header, nothing decoded.
    for (w, h) in [(60_000, 60_000), (16_000, 16_000)] {
        let b = bomb(w, h);
        assert!(b.len() < 100);
        let (st, v) = upload(&s, Some(&op), "bomb.png", b).await;
        assert_eq!((st, v["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_input")), "{w}x{h}: {v}");
        assert!(v["error"]["message_zh"].as_str().unwrap().contains("图片尺寸过大"), "{v}");
        assert!(v["error"]["message_en"].as_str().unwrap().contains("too large"), "{v}");
    }
    assert_eq!(stored_files(&dir), 0);
    // A photo that is sniffed as one but cannot be decoded is kept, without a thumbnail.
    let mut broken = png(100, 100);
    broken.truncate(60);
    let v = uploaded(&s, Some(&op), "broken.png", broken).await;
    assert_eq!((v["kind"].as_str(), v["thumbnail"].as_bool()), (Some("photo"), Some(false)), "{v}");
    assert_eq!(stored_files(&dir), 1);
}

async fn files_follow_the_case(s: Server, _dir: PathBuf) {
    let (op, di, lh, ml) = (s.token("operator").await, s.token("dispatcher").await, s.token("longhua").await, s.token("meilan").await);
    let photo = png(640, 480);
    let p = id(&uploaded(&s, Some(&op), "门口积水.png", photo.clone()).await);
    let d = id(&uploaded(&s, Some(&op), "材料.pdf", pdf()).await);

    // Before it belongs to a case only its uploader may read it.
    assert_eq!(fetch(&s, Some(&op), &format!("/api/attachments/{p}")).await.status(), StatusCode::OK);
    for (who, t) in [("dispatcher", Some(di.as_str())), ("a unit", Some(lh.as_str())), ("anonymous", None)] {
        assert_eq!(fetch(&s, t, &format!("/api/attachments/{p}")).await.status(), StatusCode::NOT_FOUND, "{who}");
        assert_eq!(fetch(&s, t, &format!("/api/attachments/{p}/thumbnail")).await.status(), StatusCode::NOT_FOUND, "{who}");
    }
    // Ids that are not ours, or not there, are simply not found.
    for bad in ["..%2F..%2Fetc%2Fpasswd", "0123456789abcdef0123456789abcdef", "ABC"] {
        assert_eq!(fetch(&s, Some(&op), &format!("/api/attachments/{bad}")).await.status(), StatusCode::NOT_FOUND, "{bad}");
    }
    // A bad credential is still refused as such.
    assert_eq!(fetch(&s, Some("not-a-token"), &format!("/api/attachments/{p}")).await.status(), StatusCode::UNAUTHORIZED);

    let created = s.create(&op, report("complaint", "玉沙路积水", &[p.clone(), d.clone()])).await;
    let n = created["case"]["number"].as_str().unwrap().to_string();
    let names: Vec<&str> =
        created["case"]["intake"]["attachments"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["门口积水.png", "材料.pdf"]);
    let (st, list) = s.get(&op, &format!("/api/cases/{n}/attachments")).await;
    assert_eq!(st, StatusCode::OK);
    let ids: Vec<&str> = list.as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [p.as_str(), d.as_str()]);
    assert!(list.as_array().unwrap().iter().all(|a| a["original_withheld"] == false && a["uploaded_at"].is_string()));

    // Now the case decides: the dispatcher sees it at once, the unit once it is dispatched there.
    assert_eq!(fetch(&s, Some(&di), &format!("/api/attachments/{p}")).await.status(), StatusCode::OK);
    assert_eq!(fetch(&s, Some(&lh), &format!("/api/attachments/{p}")).await.status(), StatusCode::NOT_FOUND);
    let longhua = s.unit("460106").await;
    s.act(&di, &n, "dispatch", json!({"lead_unit_id": longhua})).await;
    let r = fetch(&s, Some(&lh), &format!("/api/attachments/{p}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().as_ref(), photo.as_slice());
    assert_eq!(fetch(&s, Some(&lh), &format!("/api/attachments/{d}")).await.status(), StatusCode::OK);
    let (st, list) = s.get(&lh, &format!("/api/cases/{n}/attachments")).await;
    assert_eq!((st, list.as_array().unwrap().len()), (StatusCode::OK, 2));
    // An unrelated unit and the anonymous: not found, for the files and for the list.
    for t in [Some(ml.as_str()), None] {
        assert_eq!(fetch(&s, t, &format!("/api/attachments/{p}")).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(fetch(&s, t, &format!("/api/attachments/{p}/thumbnail")).await.status(), StatusCode::NOT_FOUND);
    }
    assert_eq!(s.get(&ml, &format!("/api/cases/{n}/attachments")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(fetch(&s, None, &format!("/api/cases/{n}/attachments")).await.status(), StatusCode::UNAUTHORIZED);

    // A file already on a case cannot be attached to another; nor can another user's upload.
    let before = s.count().await;
    let (st, v) = s.post(&op, "/api/cases", report("complaint", "另一件事", std::slice::from_ref(&p))).await;
    assert_eq!((st, v["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_input")), "{v}");
    assert_eq!(v["error"]["details"]["field"], "attachments");
    let theirs = id(&uploaded(&s, Some(&di), "派单员的.pdf", pdf()).await);
    let (st, v) = s.post(&op, "/api/cases", report("complaint", "另一件事", &[theirs])).await;
    assert_eq!((st, v["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_input")), "{v}");
    let public = id(&uploaded(&s, None, "市民的.jpg", jpeg(20, 20)).await);
    let (st, _) = s.post(&op, "/api/cases", report("complaint", "另一件事", &[public])).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "staff cannot use an anonymous upload");
    let (st, _) = s.post(&op, "/api/cases", report("complaint", "另一件事", &["0123456789abcdef0123456789abcdef".into()])).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert_eq!(s.count().await, before, "no case was created by a refused request");

    // A grid worker reports with a photo and reads it back on the case they took in.
    let grid = s.token("grid").await;
    let g = id(&uploaded(&s, Some(&grid), "巡查发现.jpg", jpeg(200, 100)).await);
    let mut body = report("complaint", "井盖缺失", std::slice::from_ref(&g));
    body["channel"] = json!("grid_worker");
    let created = s.create(&grid, body).await;
    let gn = created["case"]["number"].as_str().unwrap();
    let (st, list) = s.get(&grid, &format!("/api/cases/{gn}/attachments")).await;
    assert_eq!((st, list[0]["id"].as_str()), (StatusCode::OK, Some(g.as_str())));
    assert_eq!(fetch(&s, Some(&grid), &format!("/api/attachments/{g}/thumbnail")).await.status(), StatusCode::OK);
}

async fn additions_by_staff_and_citizens(s: Server, _dir: PathBuf) {
    let (op, di) = (s.token("operator").await, s.token("dispatcher").await);
    let created = s.create(&op, report("complaint", "噪音扰民", &[])).await;
    let n = created["case"]["number"].as_str().unwrap().to_string();

    // The operator adds a recording the citizen sent in.
    let a = id(&uploaded(&s, Some(&op), "夜间噪音.wav", wav()).await);
    let v = s.act(&op, &n, "add_info", json!({"note": "市民补充夜间录音", "attachments": [a]})).await;
    let last = v["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "info_added");
    assert_eq!(last["data"]["attachments"][0]["id"], a.as_str());
    assert_eq!(fetch(&s, Some(&di), &format!("/api/attachments/{a}")).await.status(), StatusCode::OK);

    // The citizen, from the mobile tracking page: an anonymous upload, then add_info.
    let photo = jpeg(500, 500);
    let c = id(&uploaded(&s, None, "楼下施工.jpg", photo.clone()).await);
    assert_eq!(
        fetch(&s, None, &format!("/api/attachments/{c}")).await.status(),
        StatusCode::NOT_FOUND,
        "anonymous uploads are not readable back"
    );
    // The wrong digits change nothing; staff uploads are not the citizen's to use.
    let theirs = id(&uploaded(&s, Some(&op), "坐席的.pdf", pdf()).await);
    let citizen_add = |phone4: &str, ids: Vec<String>| {
        s.http
            .post(format!("{}/api/track/{n}/actions/add_info", s.base))
            .json(&json!({"phone4": phone4, "note": "补充现场照片", "attachments": ids}))
            .send()
    };
    assert_eq!(citizen_add("0000", vec![c.clone()]).await.unwrap().status(), StatusCode::NOT_FOUND);
    let r = citizen_add("8000", vec![theirs]).await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = citizen_add("8000", vec![c.clone()]).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());

    let (_, list) = s.get(&op, &format!("/api/cases/{n}/attachments")).await;
    let ids: Vec<&str> = list.as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [a.as_str(), c.as_str()]);
    let r = fetch(&s, Some(&op), &format!("/api/attachments/{c}")).await;
    assert_eq!(r.bytes().await.unwrap().as_ref(), photo.as_slice());
    // Used once, it cannot be added again (to this case or any other).
    assert_eq!(citizen_add("8000", vec![c]).await.unwrap().status(), StatusCode::BAD_REQUEST);
    let version = s.get(&op, &format!("/api/cases/{n}")).await.1["case"]["version"].clone();
    let (st, _) =
        s.post(&op, &format!("/api/cases/{n}/actions/add_info"), json!({"version": version, "note": "再补充", "attachments": [a]})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
}

async fn confidential_cases_show_units_thumbnails_only(s: Server, _dir: PathBuf) {
    let (op, di, lh) = (s.token("operator").await, s.token("dispatcher").await, s.token("longhua").await);
    let p = id(&uploaded(&s, Some(&op), "张三家门口.png", png(400, 400)).await);
    let d = id(&uploaded(&s, Some(&op), "张三举报信.pdf", pdf()).await);
    let created = s.create(&op, report("report", "工地夜间违规施工", &[p.clone(), d.clone()])).await;
    let n = created["case"]["number"].as_str().unwrap().to_string();
    let longhua = s.unit("460106").await;
    s.act(&di, &n, "dispatch", json!({"lead_unit_id": longhua})).await;

    // The centre sees everything.
    let (_, list) = s.get(&op, &format!("/api/cases/{n}/attachments")).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["name"], "张三家门口.png");
    // The unit: the photo's thumbnail under a neutral name; no original, no document, no names.
    let (st, list) = s.get(&lh, &format!("/api/cases/{n}/attachments")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], p.as_str());
    assert_eq!(list[0]["name"], "照片1.jpg");
    assert_eq!(list[0]["original_withheld"], true);
    assert_eq!(list[0]["sha256"], "");
    assert_eq!(fetch(&s, Some(&lh), &format!("/api/attachments/{p}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(fetch(&s, Some(&lh), &format!("/api/attachments/{d}")).await.status(), StatusCode::NOT_FOUND);
    let r = fetch(&s, Some(&lh), &format!("/api/attachments/{p}/thumbnail")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        !r.headers()["content-disposition"].to_str().unwrap().contains("%E5%BC%A0%E4%B8%89"),
        "the name is not in the thumbnail's header"
    );
    let (_, detail) = s.get(&lh, &format!("/api/cases/{n}")).await;
    assert!(!detail.to_string().contains("张三"), "no file name reaches the unit: {detail}");
    assert_eq!(fetch(&s, Some(&op), &format!("/api/attachments/{d}")).await.status(), StatusCode::OK);
}
