//! `inbox`: list latency on a seeded database — a unit's inbox (cases it holds, one state) and
//! its subtree list (one state) — through the `Store` directly and through HTTP as a unit user.

use std::sync::Arc;
use std::time::Instant;

use minsheng_domain::case::CaseState;
use minsheng_store::{CaseFilter, CaseQuery, Scope, Store};
use serde_json::{Value, json};

use crate::http::{self, ListAnswer, Session};
use crate::stats::Latency;

#[derive(clap::Args)]
pub struct Args {
    /// The seeded database (the same one the server serves, if --url is given).
    #[arg(long)]
    database: String,
    /// Measured calls per query.
    #[arg(long, default_value_t = 2000)]
    iterations: usize,
    /// Unmeasured calls per query first (warms the page cache and prepared statements).
    #[arg(long, default_value_t = 100)]
    warmup: usize,
    /// The unit whose lists are measured, by code (460106 = 龙华区, the demo user `longhua`).
    #[arg(long, default_value = "460106")]
    unit: String,
    /// Also measure over HTTP against this server (serving --database).
    #[arg(long)]
    url: Option<String>,
    /// The unit user for the HTTP part (must belong to --unit).
    #[arg(long, default_value = "longhua")]
    login: String,
    #[arg(long, default_value = "minsheng123")]
    password: String,
    /// Calls of the full-scan text search (q=…, no index; seconds each on 1M cases). 0 = skip.
    #[arg(long, default_value_t = 0)]
    text_iterations: usize,
    /// Concurrent HTTP clients for an extra throughput figure of the inbox request (0 = skip).
    #[arg(long, default_value_t = 0)]
    http_concurrency: usize,
    /// Seconds for that throughput figure.
    #[arg(long, default_value_t = 10)]
    http_duration: u64,
}

fn query(scope: Scope, states: &[CaseState]) -> CaseQuery {
    CaseQuery { scope, filter: CaseFilter { states: states.to_vec(), ..CaseFilter::default() }, before_id: None, limit: 20 }
}

async fn time_store(store: &Arc<dyn Store>, queries: &[CaseQuery], iterations: usize, warmup: usize) -> Result<(Latency, f64), String> {
    let mut lat = Latency::new();
    let mut rows = 0usize;
    for i in 0..warmup + iterations {
        let q = &queries[i % queries.len()];
        let t = Instant::now();
        let page = store.list_cases(q).await.map_err(|e| e.to_string())?;
        let took = t.elapsed();
        if i >= warmup {
            lat.record(took);
            rows += page.cases.len();
        }
    }
    Ok((lat, rows as f64 / iterations.max(1) as f64))
}

async fn time_http(session: &Session, paths: &[String], iterations: usize, warmup: usize) -> Result<(Latency, f64), String> {
    let mut lat = Latency::new();
    let mut items = 0usize;
    for i in 0..warmup + iterations {
        let path = &paths[i % paths.len()];
        let t = Instant::now();
        let (status, body) = session.get(path).await?;
        let took = t.elapsed();
        if status != 200 {
            return Err(format!("GET {path}: HTTP {status}: {}", String::from_utf8_lossy(&body)));
        }
        if i >= warmup {
            lat.record(took);
            items += serde_json::from_slice::<ListAnswer>(&body).map(|l| l.items.len()).unwrap_or(1);
        }
    }
    Ok((lat, items as f64 / iterations.max(1) as f64))
}

fn entry(name: &str, what: &str, lat: &Latency, rows: f64) -> Value {
    eprintln!("  {name:<34} {}  (rows/page {rows:.1})", lat.line());
    json!({ "name": name, "what": what, "rows_per_page": rows, "latency": lat.json() })
}

pub async fn run(a: Args) -> Result<String, String> {
    let store = minsheng_store::open(&a.database).await.map_err(|e| e.to_string())?;
    let unit = store.unit_by_code(&a.unit).await.map_err(|e| e.to_string())?.ok_or_else(|| format!("no unit {}", a.unit))?;
    let total = store.count_cases().await.map_err(|e| e.to_string())?;
    let holders: Vec<i64> = store
        .list_units()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|u| u.kind.handles_cases() && u.kind != minsheng_domain::org::UnitKind::Community)
        .map(|u| u.id)
        .collect();
    let (n, w) = (a.iterations, a.warmup);
    use CaseState as S;
    eprintln!("inbox [{:?}] on {total} cases, unit {} ({}), {n} iterations per query:", store.engine(), unit.name, unit.id);
    eprintln!(" through the Store:");
    let mut store_results = Vec::new();
    let uid = unit.id;
    let cases: Vec<(&str, &str, Vec<CaseQuery>, usize)> = vec![
        (
            "store.inbox_dispatched",
            "Holder{unit}, states=[dispatched], limit 20 (target: p95 ≤ 10 ms)",
            vec![query(Scope::Holder { unit_id: uid }, &[S::Dispatched])],
            n,
        ),
        (
            "store.subtree_one_state",
            "Subtree{unit}, states=[handling], limit 20 (target: p95 ≤ 10 ms)",
            vec![query(Scope::Subtree { unit_id: uid }, &[S::Handling])],
            n,
        ),
        (
            "store.inbox_dispatched_all_units",
            "Holder{u} for every district/street/department/company in turn, [dispatched]",
            holders.iter().map(|id| query(Scope::Holder { unit_id: *id }, &[S::Dispatched])).collect(),
            n,
        ),
        (
            "store.inbox_any_state",
            "Holder{unit}, no state filter (the default inbox view; sorts every case the unit ever held: n/10 iterations)",
            vec![query(Scope::Holder { unit_id: uid }, &[])],
            (n / 10).max(20),
        ),
        (
            "store.inbox_two_states",
            "Holder{unit}, states=[dispatched, handling]",
            vec![query(Scope::Holder { unit_id: uid }, &[S::Dispatched, S::Handling])],
            n,
        ),
        ("store.subtree_any_state", "Subtree{unit}, no state filter", vec![query(Scope::Subtree { unit_id: uid }, &[])], n),
        (
            "store.subtree_two_states",
            "Subtree{unit}, states=[dispatched, handling]",
            vec![query(Scope::Subtree { unit_id: uid }, &[S::Dispatched, S::Handling])],
            n,
        ),
        (
            "store.pool_awaiting_dispatch",
            "All, states=[awaiting_dispatch] (the dispatcher's pool)",
            vec![query(Scope::All, &[S::AwaitingDispatch])],
            n,
        ),
        (
            "store.all_text_search",
            "All, q=楼道积水 (matches nothing: title/text LIKE scans every case; fewer iterations)",
            vec![CaseQuery {
                scope: Scope::All,
                filter: CaseFilter { text: Some("楼道积水".into()), ..CaseFilter::default() },
                before_id: None,
                limit: 20,
            }],
            a.text_iterations,
        ),
    ];
    for (name, what, qs, iters) in &cases {
        if *iters == 0 {
            continue;
        }
        let warm = if *iters < n { (*iters / 20).min(w) } else { w };
        let (lat, rows) = time_store(&store, qs, *iters, warm).await?;
        store_results.push(entry(name, what, &lat, rows));
    }

    let mut http_results = Vec::new();
    let mut throughput = Value::Null;
    if let Some(url) = &a.url {
        let client = http::client()?;
        let session = http::login(&client, url, &a.login, &a.password).await?;
        if session.unit_id != Some(uid) {
            return Err(format!("{} is not in unit {} ({:?} ≠ {uid})", a.login, a.unit, session.unit_id));
        }
        eprintln!(" through HTTP as {} (GET, one client, keep-alive):", a.login);
        let inbox = "/api/cases?view=inbox&state=dispatched".to_string();
        let paths: Vec<(&str, &str, Vec<String>)> = vec![
            ("http.inbox_dispatched", "GET /api/cases?view=inbox&state=dispatched (target: p95 ≤ 10 ms)", vec![inbox.clone()]),
            ("http.subtree_one_state", "GET /api/cases?state=handling (subtree)", vec!["/api/cases?state=handling".into()]),
            ("http.inbox_any_state", "GET /api/cases?view=inbox", vec!["/api/cases?view=inbox".into()]),
        ];
        for (name, what, ps) in &paths {
            let (lat, items) = time_http(&session, ps, n, w).await?;
            http_results.push(entry(name, what, &lat, items));
        }
        // Detail pages of cases in the subtree list.
        let list: ListAnswer = session.get_json("/api/cases?state=handling&limit=200").await?;
        let details: Vec<String> = list.items.iter().map(|i| format!("/api/cases/{}", i.id)).collect();
        if !details.is_empty() {
            let mut lat = Latency::new();
            for i in 0..w + n {
                let p = &details[i % details.len()];
                let t = Instant::now();
                let (status, body) = session.get(p).await?;
                let took = t.elapsed();
                if status != 200 {
                    return Err(format!("GET {p}: HTTP {status}: {}", String::from_utf8_lossy(&body)));
                }
                if i >= w {
                    lat.record(took);
                }
            }
            http_results.push(entry("http.case_detail", "GET /api/cases/{id} (with timeline)", &lat, 1.0));
        }
        if a.http_concurrency > 0 {
            throughput = http_throughput(&session, &inbox, a.http_concurrency, a.http_duration).await?;
        }
    }

    Ok(json!({
        "bench": "inbox",
        "engine": format!("{:?}", store.engine()),
        "cases_in_store": total,
        "unit": { "id": unit.id, "code": unit.code, "name": unit.name },
        "iterations": n,
        "store": store_results,
        "http": http_results,
        "http_inbox_throughput": throughput,
    })
    .to_string())
}

async fn http_throughput(session: &Session, path: &str, concurrency: usize, secs: u64) -> Result<Value, String> {
    let deadline = Instant::now() + std::time::Duration::from_secs(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (s, p) = (session.clone(), path.to_string());
        tasks.push(tokio::spawn(async move {
            let mut lat = Latency::new();
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let t = Instant::now();
                match s.get(&p).await {
                    Ok((200, _)) => lat.record(t.elapsed()),
                    _ => errors += 1,
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
    eprintln!(" inbox throughput, {concurrency} clients: {rate:.0} req/s, {errors} errors; {}", lat.line());
    Ok(json!({ "concurrency": concurrency, "requests_per_s": rate.round(), "errors": errors, "latency": lat.json() }))
}
