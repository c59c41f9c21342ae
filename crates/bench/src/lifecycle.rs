//! `lifecycle`: whole case lifecycles over HTTP, each by the people who do it in practice:
//! create (operator) → dispatch (dispatcher, to 龙华区 or 金贸街道) → sign → reply (a handler of
//! that unit) → review pass (dispatcher) → callback satisfied (supervisor) → closed.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::data::{REPLIES, Rng, create_body};
use crate::http::{self, DetailAnswer, Session};
use crate::stats::Latency;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    url: String,
    /// Concurrent lifecycles in flight.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Measured seconds (after the warm-up).
    #[arg(long, default_value_t = 20)]
    duration: u64,
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    #[arg(long, default_value = "minsheng123")]
    password: String,
}

const STEPS: [&str; 6] = ["create", "dispatch", "sign", "reply", "review_reply", "callback"];

struct People {
    operator: Session,
    dispatcher: Session,
    supervisor: Session,
    /// (unit id, its handler).
    units: Vec<(i64, Session)>,
}

struct TaskResult {
    steps: Vec<Latency>,
    whole: Latency,
    completed: u64,
    errors: u64,
    samples: Vec<String>,
}

pub async fn run(a: Args) -> Result<String, String> {
    let client = http::client()?;
    let engine = http::engine(&client, &a.url).await;
    let login = |l: &'static str| http::login(&client, &a.url, l, &a.password);
    let longhua = login("longhua").await?;
    let jinmao = login("jinmao").await?;
    let people = std::sync::Arc::new(People {
        operator: login("operator").await?,
        dispatcher: login("dispatcher").await?,
        supervisor: login("supervisor").await?,
        units: vec![
            (longhua.unit_id.ok_or("longhua has no unit")?, longhua.clone()),
            (jinmao.unit_id.ok_or("jinmao has no unit")?, jinmao.clone()),
        ],
    });
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(a.warmup);
    let deadline = measure_from + Duration::from_secs(a.duration);
    let mut tasks = Vec::new();
    for t in 0..a.concurrency {
        let people = people.clone();
        tasks.push(tokio::spawn(async move { task(t, &people, measure_from, deadline).await }));
    }
    let mut steps: Vec<Latency> = STEPS.iter().map(|_| Latency::new()).collect();
    let mut whole = Latency::new();
    let (mut completed, mut errors, mut samples) = (0u64, 0u64, Vec::new());
    for t in tasks {
        let r = t.await.map_err(|e| format!("lifecycle task failed: {e}"))?;
        for (s, l) in steps.iter_mut().zip(&r.steps) {
            s.add(l);
        }
        whole.add(&r.whole);
        completed += r.completed;
        errors += r.errors;
        for s in r.samples {
            if samples.len() < 5 {
                samples.push(s);
            }
        }
    }
    let wall = Instant::now().saturating_duration_since(measure_from).as_secs_f64().max(0.001);
    let rate = completed as f64 / wall;
    eprintln!(
        "lifecycle [{engine}] concurrency {}: {:.0} closed lifecycles/s ({:.0} HTTP writes/s) over {:.1} s, {} errors",
        a.concurrency,
        rate,
        rate * STEPS.len() as f64,
        wall,
        errors
    );
    let mut per_step = serde_json::Map::new();
    for (name, l) in STEPS.iter().zip(&steps) {
        eprintln!("  {name:<13} {}", l.line());
        per_step.insert((*name).to_string(), l.json());
    }
    eprintln!("  {:<13} {}", "whole", whole.line());
    for s in &samples {
        eprintln!("  error: {s}");
    }
    Ok(json!({
        "bench": "lifecycle",
        "engine": engine,
        "concurrency": a.concurrency,
        "duration_s": wall,
        "completed": completed,
        "errors": errors,
        "lifecycles_per_s": rate.round(),
        "http_writes_per_s": (rate * STEPS.len() as f64).round(),
        "steps": per_step,
        "whole": whole.json(),
        "error_samples": samples,
    })
    .to_string())
}

async fn task(t: usize, p: &People, measure_from: Instant, deadline: Instant) -> TaskResult {
    let mut r = TaskResult {
        steps: STEPS.iter().map(|_| Latency::new()).collect(),
        whole: Latency::new(),
        completed: 0,
        errors: 0,
        samples: vec![],
    };
    let mut rng = Rng::new(t as u64 + 1);
    while Instant::now() < deadline {
        let began = Instant::now();
        let mut took = [Duration::ZERO; 6];
        match one(p, &mut rng, &mut took).await {
            Ok(()) => {
                if began >= measure_from && Instant::now() <= deadline + Duration::from_secs(5) {
                    r.completed += 1;
                    r.whole.record(began.elapsed());
                    for (l, d) in r.steps.iter_mut().zip(took) {
                        l.record(d);
                    }
                }
            }
            Err(e) => {
                r.errors += 1;
                if r.samples.len() < 3 {
                    r.samples.push(e);
                }
            }
        }
    }
    r
}

async fn one(p: &People, rng: &mut Rng, took: &mut [Duration; 6]) -> Result<(), String> {
    let body = create_body(rng, None);
    let t = Instant::now();
    let (status, bytes) = p.operator.post("/api/cases", &body).await?;
    took[0] = t.elapsed();
    if status != 201 {
        return Err(format!("create: HTTP {status}: {}", String::from_utf8_lossy(&bytes)));
    }
    let case = serde_json::from_slice::<DetailAnswer>(&bytes).map_err(|e| e.to_string())?.case;
    let (unit_id, handler) = &p.units[rng.below(p.units.len())];

    let t = Instant::now();
    let case = p.dispatcher.act(case.id, "dispatch", json!({ "version": case.version, "lead_unit_id": unit_id })).await?;
    took[1] = t.elapsed();
    let t = Instant::now();
    let case = handler.act(case.id, "sign", json!({ "version": case.version })).await?;
    took[2] = t.elapsed();
    let t = Instant::now();
    let case = handler.act(case.id, "reply", json!({ "version": case.version, "text": rng.pick(REPLIES), "solved": "solved" })).await?;
    took[3] = t.elapsed();
    let t = Instant::now();
    let case = p.dispatcher.act(case.id, "review_reply", json!({ "version": case.version, "pass": true })).await?;
    took[4] = t.elapsed();
    let t = Instant::now();
    let case =
        p.supervisor.act(case.id, "callback", json!({ "version": case.version, "outcome": "satisfied", "solved": "solved" })).await?;
    took[5] = t.elapsed();
    if case.state != "closed" {
        return Err(format!("case {} ended {} instead of closed", case.id, case.state));
    }
    Ok(())
}
