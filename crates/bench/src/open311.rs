//! `open311`: N concurrent third-party apps file service requests through Open311 GeoReport v2
//! (`POST /open311/v2/requests.json`, form-encoded, with an API key) for a while; requests/s and
//! latency, then a check that the acknowledged requests read back.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::data::{Rng, create_body, phone};
use crate::http;
use crate::stats::Latency;

#[derive(clap::Args)]
pub struct Args {
    /// Base URL of a running server, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    url: String,
    /// Client tasks, each sending one request at a time over keep-alive connections.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Measured seconds (after the warm-up).
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Seconds of load before measuring.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// An operator's API key (`msk_…`); without one, the administrator below creates one.
    #[arg(long)]
    api_key: Option<String>,
    #[arg(long, default_value = "admin")]
    admin: String,
    #[arg(long, default_value = "minsheng123")]
    password: String,
    /// Where requests are: `coords` (lat/long), `address` (address_string) or `mixed` (half each).
    #[arg(long, default_value = "mixed")]
    location: String,
    /// How many acknowledged requests to read back (GET requests/{id}.json) after the run.
    #[arg(long, default_value_t = 200)]
    verify: usize,
}

#[derive(Default)]
struct TaskResult {
    latency: Option<Latency>,
    measured_ok: u64,
    acked: Vec<String>,
    errors: u64,
    error_samples: Vec<String>,
}

/// `application/x-www-form-urlencoded` encoding of one value.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn form(pairs: &[(&str, String)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

pub async fn run(a: Args) -> Result<String, String> {
    let client = http::client()?;
    let base = a.url.trim_end_matches('/').to_string();
    let engine = http::engine(&client, &base).await;
    let key = match &a.api_key {
        Some(k) => k.clone(),
        None => {
            let admin = http::login(&client, &base, &a.admin, &a.password).await?;
            let name = format!("bench-open311-{}", crate::now_millis());
            let (status, body) = admin.post("/api/apikeys", &json!({ "name": name, "role": "operator" })).await?;
            if status != 201 {
                return Err(format!("cannot create an API key: HTTP {status}: {}", String::from_utf8_lossy(&body)));
            }
            let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
            v["key"].as_str().ok_or("no key in the answer")?.to_string()
        }
    };
    let services: serde_json::Value = client
        .get(format!("{base}/open311/v2/services.json"))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let codes: Vec<String> =
        services.as_array().map(|l| l.iter().filter_map(|s| s["service_code"].as_str().map(str::to_string)).collect()).unwrap_or_default();
    if codes.is_empty() {
        return Err("the server offers no Open311 services (no catalogue?)".into());
    }

    // Pre-encoded bodies: the client shares the CPU with the server and should spend it on HTTP.
    let mut rng = Rng::new(20261122);
    let bodies: Vec<&'static [u8]> = (0..4096)
        .map(|i| {
            let c = create_body(&mut rng, None);
            let mut pairs = vec![
                ("api_key", key.clone()),
                ("service_code", rng.pick(&codes).clone()),
                ("description", c["text"].as_str().unwrap_or("路灯不亮").to_string()),
                ("attribute[CASE_TYPE]", c["case_type"].as_str().unwrap_or("help").to_string()),
                ("attribute[TITLE]", c["title"].as_str().unwrap_or("路灯不亮").to_string()),
                ("phone", phone(&mut rng)),
                ("first_name", "先生".to_string()),
                ("last_name", "王".to_string()),
            ];
            let coords = match a.location.as_str() {
                "coords" => true,
                "address" => false,
                _ => i % 2 == 0,
            };
            if coords {
                // Inside Haikou's main districts (WGS-84).
                pairs.push(("lat", format!("{:.6}", 19.98 + rng.unit() * 0.07)));
                pairs.push(("long", format!("{:.6}", 110.28 + rng.unit() * 0.12)));
            } else {
                let address = c["place"]["address"].as_str().unwrap_or("海口市龙华区金贸街道").to_string();
                pairs.push(("address_string", address));
            }
            &*Box::leak(form(&pairs).into_bytes().into_boxed_slice())
        })
        .collect();
    let bodies = Arc::new(bodies);

    let start = Instant::now();
    let measure_from = start + Duration::from_secs(a.warmup);
    let deadline = measure_from + Duration::from_secs(a.duration);
    let url: Arc<str> = format!("{base}/open311/v2/requests.json").into();
    let mut tasks = Vec::with_capacity(a.concurrency);
    for t in 0..a.concurrency {
        let (client, bodies, url) = (client.clone(), bodies.clone(), url.clone());
        tasks.push(tokio::spawn(async move { client_task(t, client, url, bodies, measure_from, deadline).await }));
    }
    let mut latency = Latency::new();
    let (mut ok, mut errors, mut acked, mut samples) = (0u64, 0u64, Vec::new(), Vec::new());
    for t in tasks {
        let r = t.await.map_err(|e| format!("client task failed: {e}"))?;
        if let Some(l) = &r.latency {
            latency.add(l);
        }
        ok += r.measured_ok;
        errors += r.errors;
        acked.extend(r.acked);
        for s in r.error_samples {
            if samples.len() < 5 {
                samples.push(s);
            }
        }
    }
    let wall = Instant::now().saturating_duration_since(measure_from).as_secs_f64().max(0.001);
    let rate = ok as f64 / wall;

    // Read a spread of the acknowledged requests back through Open311 itself.
    let mut found = 0usize;
    let step = (acked.len() / a.verify.max(1)).max(1);
    let sample: Vec<&String> = acked.iter().step_by(step).take(a.verify).collect();
    for id in &sample {
        let r = client.get(format!("{base}/open311/v2/requests/{id}.json")).send().await.map_err(|e| e.to_string())?;
        if r.status().as_u16() == 200 {
            found += 1;
        }
    }
    eprintln!(
        "open311 [{engine}] concurrency {}: {:.0} requests/s over {:.1} s ({} ok, {} errors); latency {}",
        a.concurrency,
        rate,
        wall,
        ok,
        errors,
        latency.line()
    );
    eprintln!("  read back {found} of {} sampled requests ({} acknowledged in all)", sample.len(), acked.len());
    for s in &samples {
        eprintln!("  error: {s}");
    }
    Ok(json!({
        "bench": "open311",
        "engine": engine,
        "url": a.url,
        "concurrency": a.concurrency,
        "duration_s": wall,
        "warmup_s": a.warmup,
        "location": a.location,
        "ok": ok,
        "errors": errors,
        "requests_per_s": rate.round(),
        "latency": latency.json(),
        "acknowledged": acked.len(),
        "read_back": { "sampled": sample.len(), "found": found },
        "error_samples": samples,
    })
    .to_string())
}

async fn client_task(
    t: usize,
    client: reqwest::Client,
    url: Arc<str>,
    bodies: Arc<Vec<&'static [u8]>>,
    measure_from: Instant,
    deadline: Instant,
) -> TaskResult {
    let mut r = TaskResult { latency: Some(Latency::new()), ..TaskResult::default() };
    let mut i = t * 7919;
    loop {
        let sent = Instant::now();
        if sent >= deadline {
            break;
        }
        i += 1;
        let answer = client
            .post(&*url)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(bodies[i % bodies.len()])
            .send()
            .await;
        let answer = match answer {
            Ok(resp) => {
                let status = resp.status().as_u16();
                resp.bytes().await.map(|b| (status, b)).map_err(|e| e.to_string())
            }
            Err(e) => Err(e.to_string()),
        };
        let took = sent.elapsed();
        match answer {
            Ok((200, bytes)) => match serde_json::from_slice::<serde_json::Value>(&bytes) {
                Ok(v) if v[0]["service_request_id"].is_string() => {
                    r.acked.push(v[0]["service_request_id"].as_str().unwrap_or_default().to_string());
                    if sent >= measure_from {
                        r.measured_ok += 1;
                        if let Some(l) = r.latency.as_mut() {
                            l.record(took);
                        }
                    }
                }
                _ => note_error(&mut r, format!("200 without a service_request_id: {}", String::from_utf8_lossy(&bytes))),
            },
            Ok((status, bytes)) => {
                note_error(&mut r, format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes).chars().take(200).collect::<String>()))
            }
            Err(e) => note_error(&mut r, e),
        }
    }
    r
}

fn note_error(r: &mut TaskResult, msg: String) {
    r.errors += 1;
    if r.error_samples.len() < 3 {
        r.error_samples.push(msg);
    }
}
