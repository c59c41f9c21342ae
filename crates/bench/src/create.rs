//! `create`: N concurrent operators take cases in over HTTP for a while, then the harness checks
//! that every acknowledged (201) case is stored.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::data::{Rng, create_body};
use crate::http::{self, DetailAnswer, ListAnswer, Session, UnitAnswer};
use crate::stats::Latency;

#[derive(clap::Args)]
pub struct Args {
    /// Base URL of a running server, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    url: String,
    /// Client tasks, each with its own keep-alive connection, sending one request at a time.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Measured seconds (after the warm-up).
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Seconds of load before measuring (their cases are still verified).
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    #[arg(long, default_value = "operator")]
    login: String,
    #[arg(long, default_value = "minsheng123")]
    password: String,
    /// Leave out `place.division_unit_id` (it costs the server one unit lookup per case).
    #[arg(long)]
    no_division: bool,
    /// Skip the check that every acknowledged case is stored.
    #[arg(long)]
    no_verify: bool,
    /// Also count cases directly in this database before and after (the server's own URL).
    #[arg(long)]
    database: Option<String>,
    /// Write the ids of all acknowledged cases here, one per line (for `verify` after a crash).
    #[arg(long)]
    ids_out: Option<std::path::PathBuf>,
}

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// Database URL (sqlite://PATH or postgres://…).
    #[arg(long)]
    database: String,
    /// File of case ids, one per line (from `create --ids-out`).
    #[arg(long)]
    ids: std::path::PathBuf,
}

#[derive(Default)]
struct TaskResult {
    latency: Option<Latency>,
    measured_ok: u64,
    acked: Vec<i64>,
    errors: u64,
    error_samples: Vec<String>,
}

pub async fn run(a: Args) -> Result<String, String> {
    let client = http::client()?;
    let engine = http::engine(&client, &a.url).await;
    let session = http::login(&client, &a.url, &a.login, &a.password).await?;

    // Pre-serialised bodies, so the client (which shares the CPU with the server) spends its
    // time on HTTP, not on building JSON.
    let divisions: Vec<i64> = if a.no_division {
        vec![]
    } else {
        let units: Vec<UnitAnswer> = session.get_json("/api/units").await?;
        units.iter().filter(|u| u.kind == "street" || u.kind == "community").map(|u| u.id).collect()
    };
    let mut rng = Rng::new(20261122);
    let bodies: Vec<&'static [u8]> = (0..4096)
        .map(|_| {
            let division = if divisions.is_empty() { None } else { Some(*rng.pick(&divisions)) };
            let bytes = serde_json::to_vec(&create_body(&mut rng, division)).unwrap_or_default();
            &*Box::leak(bytes.into_boxed_slice())
        })
        .collect();
    let bodies: Arc<Vec<&'static [u8]>> = Arc::new(bodies);

    let store_before = match &a.database {
        Some(url) => Some(count_in_store(url).await?),
        None => None,
    };

    let start = Instant::now();
    let measure_from = start + Duration::from_secs(a.warmup);
    let deadline = measure_from + Duration::from_secs(a.duration);
    let mut tasks = Vec::with_capacity(a.concurrency);
    for t in 0..a.concurrency {
        let session = session.clone();
        let bodies = bodies.clone();
        tasks.push(tokio::spawn(async move { client_task(t, session, bodies, measure_from, deadline).await }));
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

    if let Some(path) = &a.ids_out {
        let text: String = acked.iter().map(|id| format!("{id}\n")).collect();
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }

    let verify = if a.no_verify { json!(null) } else { verify_over_http(&session, &acked).await? };
    let store_after = match &a.database {
        Some(url) => Some(count_in_store(url).await?),
        None => None,
    };
    let store_delta = match (store_before, store_after) {
        (Some(b), Some(a)) => Some(a - b),
        _ => None,
    };

    eprintln!(
        "create [{engine}] concurrency {}: {:.0} cases/s over {:.1} s ({} ok, {} errors); latency {}",
        a.concurrency,
        rate,
        wall,
        ok,
        errors,
        latency.line()
    );
    if !verify.is_null() {
        eprintln!(
            "  durability: {} acknowledged (incl. warm-up), {} found by GET /api/cases, {} missing{}",
            verify["acknowledged"],
            verify["found"],
            verify["missing"],
            store_delta.map(|d| format!("; store count grew by {d}")).unwrap_or_default()
        );
    }
    for s in &samples {
        eprintln!("  error: {s}");
    }
    Ok(json!({
        "bench": "create",
        "engine": engine,
        "url": a.url,
        "concurrency": a.concurrency,
        "duration_s": wall,
        "warmup_s": a.warmup,
        "division_lookup": !a.no_division,
        "ok": ok,
        "errors": errors,
        "cases_per_s": rate.round(),
        "latency": latency.json(),
        "verify": verify,
        "store_count_delta": store_delta,
        "error_samples": samples,
    })
    .to_string())
}

async fn client_task(t: usize, session: Session, bodies: Arc<Vec<&'static [u8]>>, measure_from: Instant, deadline: Instant) -> TaskResult {
    let mut r = TaskResult { latency: Some(Latency::new()), ..TaskResult::default() };
    let mut i = t * 7919;
    loop {
        let sent = Instant::now();
        if sent >= deadline {
            break;
        }
        i += 1;
        let body = bodies[i % bodies.len()];
        let answer = session.post_raw("/api/cases", body).await;
        let took = sent.elapsed();
        let measured = sent >= measure_from;
        match answer {
            Ok((201, bytes)) => match serde_json::from_slice::<DetailAnswer>(&bytes) {
                Ok(d) => {
                    r.acked.push(d.case.id);
                    if measured {
                        r.measured_ok += 1;
                        if let Some(l) = r.latency.as_mut() {
                            l.record(took);
                        }
                    }
                }
                Err(e) => note_error(&mut r, format!("201 with an unreadable body: {e}")),
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

/// Pages through GET /api/cases (newest first, as a city-wide user) down to the oldest
/// acknowledged id and checks that every acknowledged case is listed.
async fn verify_over_http(session: &Session, acked: &[i64]) -> Result<serde_json::Value, String> {
    let Some(min) = acked.iter().copied().min() else {
        return Ok(json!({ "acknowledged": 0, "found": 0, "missing": 0 }));
    };
    let started = Instant::now();
    let mut listed: HashSet<i64> = HashSet::with_capacity(acked.len());
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/cases?limit=200&cursor={c}"),
            None => "/api/cases?limit=200".to_string(),
        };
        let page: ListAnswer = session.get_json(&path).await?;
        let mut below = false;
        for item in &page.items {
            if item.id >= min {
                listed.insert(item.id);
            } else {
                below = true;
            }
        }
        match page.next_cursor {
            Some(c) if !below => cursor = Some(c),
            _ => break,
        }
    }
    let acked_set: HashSet<i64> = acked.iter().copied().collect();
    let found = acked_set.iter().filter(|id| listed.contains(id)).count();
    let extra = listed.len().saturating_sub(found);
    Ok(json!({
        "method": "GET /api/cases paged (limit 200) down to the first acknowledged id",
        "acknowledged": acked_set.len(),
        "duplicates_acknowledged": acked.len() - acked_set.len(),
        "found": found,
        "missing": acked_set.len() - found,
        "stored_but_not_acknowledged": extra,
        "seconds": started.elapsed().as_secs_f64(),
    }))
}

async fn count_in_store(url: &str) -> Result<i64, String> {
    let store = minsheng_store::open(url).await.map_err(|e| e.to_string())?;
    store.count_cases().await.map_err(|e| e.to_string())
}

/// `verify`: every id in the file is a stored case.
pub async fn verify(a: VerifyArgs) -> Result<String, String> {
    let text = std::fs::read_to_string(&a.ids).map_err(|e| format!("cannot read {}: {e}", a.ids.display()))?;
    let ids: Vec<i64> = text.lines().filter_map(|l| l.trim().parse().ok()).collect();
    let store = minsheng_store::open(&a.database).await.map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut missing = Vec::new();
    for id in &ids {
        if store.get_case(*id).await.map_err(|e| e.to_string())?.is_none() {
            missing.push(*id);
        }
    }
    eprintln!(
        "verify: {} acknowledged ids, {} stored, {} missing ({:.1} s)",
        ids.len(),
        ids.len() - missing.len(),
        missing.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(json!({
        "bench": "verify",
        "database": redact(&a.database),
        "acknowledged": ids.len(),
        "missing": missing.len(),
        "missing_sample": missing.iter().take(20).collect::<Vec<_>>(),
    })
    .to_string())
}

/// A database URL without any password.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            match cred.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[derive(clap::Args)]
pub struct StoreArgs {
    /// Database URL (a scratch database: the demo city is loaded into it if missing).
    #[arg(long)]
    database: String,
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    #[arg(long, default_value_t = 10)]
    duration: u64,
}

/// `store-create`: the same intake without HTTP — N tasks call `Store::create_case` directly
/// (what the writer and the database can take, i.e. the ceiling under the HTTP figure).
pub async fn store_create(a: StoreArgs) -> Result<String, String> {
    use minsheng_domain::event::{ActorStamp, EventKind};
    use minsheng_store::{FollowUp, NewCase};
    let store = minsheng_store::open(&a.database).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let hash = minsheng_app::auth::hash_password(minsheng_app::demo::DEMO_PASSWORD).map_err(|e| e.message_en)?;
    minsheng_app::demo::load(store.as_ref(), &hash, crate::now_millis()).await.map_err(|e| e.to_string())?;
    let operator = store.user_by_login("operator").await.map_err(|e| e.to_string())?.ok_or("no operator")?;
    let actor = ActorStamp {
        user_id: Some(operator.id),
        name: operator.name.clone(),
        role: operator.role,
        unit_id: operator.unit_id,
        unit_name: None,
    };
    let deadline = Instant::now() + Duration::from_secs(a.duration);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..a.concurrency {
        let (store, actor) = (store.clone(), actor.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng::new(t as u64 + 7);
            let mut lat = Latency::new();
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let Ok(intake) = crate::data::intake(&mut rng, None) else {
                    errors += 1;
                    continue;
                };
                let new = NewCase {
                    number_prefix: "HK".into(),
                    intake,
                    at: crate::now_millis(),
                    actor: actor.clone(),
                    then: vec![FollowUp { kind: EventKind::Forwarded, note: None, at: None, actor: None }],
                    deadlines: None,
                    notices: Vec::new(),
                    inbound: None,
                };
                let t0 = Instant::now();
                match store.create_case(new).await {
                    Ok(_) => lat.record(t0.elapsed()),
                    Err(_) => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut lat = Latency::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.map_err(|e| e.to_string())?;
        lat.add(&l);
        errors += e;
    }
    let rate = lat.count() as f64 / started.elapsed().as_secs_f64();
    eprintln!("store-create [{:?}] concurrency {}: {rate:.0} cases/s, {errors} errors; {}", store.engine(), a.concurrency, lat.line());
    Ok(json!({
        "bench": "store-create",
        "engine": format!("{:?}", store.engine()),
        "concurrency": a.concurrency,
        "cases_per_s": rate.round(),
        "errors": errors,
        "latency": lat.json(),
    })
    .to_string())
}
