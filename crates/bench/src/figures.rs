//! `metrics` and `scheduler`: the figures of issue 3 — all metrics for every unit for one month
//! and one year on a seeded database (through the application, as the API computes them), and
//! the clock watcher draining a backlog of pending deadlines.

use std::sync::Arc;
use std::time::Instant;

use minsheng_app::metrics::{MetricsBy, MetricsRequest};
use minsheng_app::service::AfterIntake;
use minsheng_app::{App, ManualClock, Settings, SystemClock};
use minsheng_domain::case::{CaseType, Channel, Citizen, Intake, Place, Urgency};
use minsheng_domain::value::{CaseText, PhoneNumber, Title};
use serde_json::json;

use crate::stats::Latency;

#[derive(clap::Args)]
pub struct MetricsArgs {
    /// A database seeded with `minsheng-bench seed`.
    #[arg(long)]
    database: String,
    /// Measured calls per report.
    #[arg(long, default_value_t = 20)]
    iterations: usize,
    /// The month measured (YYYY-MM); the year is the 12 months ending with it.
    #[arg(long)]
    month: String,
}

async fn open(database: &str, clock: Arc<dyn minsheng_app::Clock>) -> Result<App, String> {
    let store = minsheng_store::open(database).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    Ok(App::new(store, clock, Settings::default()))
}

pub async fn metrics(a: MetricsArgs) -> Result<String, String> {
    let app = open(&a.database, Arc::new(SystemClock)).await?;
    let user = app.store.user_by_login("supervisor").await.map_err(|e| e.to_string())?.ok_or("no supervisor: seed the demo city first")?;
    let actor = app.actor_for_user(&user).await.map_err(|e| e.message_en)?;
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| e.to_string());
    let first = day(&format!("{}-01", a.month))?;
    let next = first.checked_add_months(chrono::Months::new(1)).ok_or("bad month")?;
    let year_from = next.checked_sub_months(chrono::Months::new(12)).ok_or("bad month")?;
    let mut out = serde_json::Map::new();
    out.insert("cases".into(), json!(app.store.count_cases().await.map_err(|e| e.to_string())?));
    for (name, from, by) in [
        ("month_by_unit", first, MetricsBy::Unit),
        ("month_by_unit_tree", first, MetricsBy::UnitTree),
        ("month_by_day", first, MetricsBy::Day),
        ("year_by_unit", year_from, MetricsBy::Unit),
        ("year_by_month", year_from, MetricsBy::Month),
    ] {
        let req = MetricsRequest { from, to: next, by, unit: None };
        let mut lat = Latency::new();
        let mut rows = 0;
        let mut received = 0;
        for i in 0..a.iterations + 2 {
            let t = Instant::now();
            let r = app.metrics_report(&actor, &req).await.map_err(|e| e.message_en)?;
            // Two unmeasured calls warm the page cache.
            if i >= 2 {
                lat.record(t.elapsed());
            }
            rows = r.rows.len();
            received = r.total.counts.get("received").copied().unwrap_or(0);
        }
        eprintln!("{name}: {} rows, {received} cases — {}", rows, lat.line());
        out.insert(name.into(), json!({"rows": rows, "cases_in_period": received, "latency": lat.json()}));
    }
    Ok(serde_json::Value::Object(out).to_string())
}

#[derive(clap::Args)]
pub struct SchedulerArgs {
    /// A fresh database (the demo city is loaded into it).
    #[arg(long)]
    database: String,
    /// Pending deadlines: cases waiting for dispatch, each with its dispatch clock running.
    #[arg(long, default_value_t = 100_000)]
    cases: usize,
    /// Cases created at once while filling.
    #[arg(long, default_value_t = 64)]
    parallel: usize,
    /// The yellow lines are spread over this many minutes of (simulated) time...
    #[arg(long, default_value_t = 10)]
    spread_minutes: i64,
    /// ...and the watcher wakes every this many milliseconds of simulated time.
    #[arg(long, default_value_t = 5000)]
    tick_ms: i64,
}

fn intake(i: usize) -> Intake {
    Intake {
        channel: Channel::Phone,
        case_type: CaseType::Complaint,
        title: Title::parse("夜间施工噪音扰民").unwrap_or_else(|_| unreachable!()),
        text: CaseText::parse(&format!("工地每晚施工到凌晨，编号 {i}")).unwrap_or_else(|_| unreachable!()),
        urgency: Urgency::Normal,
        citizen: Citizen { phone: PhoneNumber::parse(&format!("138{:08}", i % 100_000_000)).ok(), ..Default::default() },
        place: Place::default(),
        catalogue_item: None,
        catalogue_version: None,
        tags: vec![],
        external_id: None,
        attachments: vec![],
    }
}

pub async fn scheduler(a: SchedulerArgs) -> Result<String, String> {
    const T0: i64 = 1_772_413_200_000; // Monday 2026-03-02 09:00 China time
    let clock = ManualClock::at(T0);
    let app = open(&a.database, Arc::new(clock.clone())).await?;
    minsheng_app::demo::load(app.store.as_ref(), "x", T0).await.map_err(|e| e.to_string())?;
    let op = app.store.user_by_login("operator").await.map_err(|e| e.to_string())?.ok_or("no operator")?;
    let op = app.actor_for_user(&op).await.map_err(|e| e.message_en)?;
    // Fill: intake times spread over `spread_minutes` in steps of one tick, so the yellow lines
    // (6 h later for the dispatch clock) are spread the same way.
    let fill = Instant::now();
    let spread = a.spread_minutes * 60_000;
    let steps = (spread / a.tick_ms).max(1) as usize;
    for step in 0..steps {
        clock.set(T0 + step as i64 * a.tick_ms);
        let (from, to) = (a.cases * step / steps, a.cases * (step + 1) / steps);
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(from));
        let mut tasks = Vec::new();
        for _ in 0..a.parallel {
            let (app, op, next) = (app.clone(), op.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= to {
                        return Ok::<(), String>(());
                    }
                    app.create_case(&op, intake(i), AfterIntake::Forward).await.map_err(|e| e.message_en)?;
                }
            }));
        }
        for t in tasks {
            t.await.map_err(|e| e.to_string())??;
        }
    }
    let fill_s = fill.elapsed().as_secs_f64();
    eprintln!("filled {} cases in {fill_s:.1} s", a.cases);

    // Drain: walk simulated time in ticks across the yellow lines; each tick fires what is due.
    let yellow0 = T0 + 6 * 3_600_000;
    let mut now = yellow0;
    let mut fired = 0usize;
    let mut busy = 0f64;
    let mut tick_lat = Latency::new();
    let mut worst_delay_ms = 0f64;
    while now <= yellow0 + spread + a.tick_ms {
        clock.set(now);
        let t = Instant::now();
        loop {
            let r = app.fire_due_warnings(500).await.map_err(|e| e.message_en)?;
            fired += r.fired;
            if r.fired + r.lost < 500 {
                break;
            }
        }
        let took = t.elapsed();
        busy += took.as_secs_f64();
        tick_lat.record(took);
        // A warning due just after the previous tick waits one tick, then this tick's work.
        worst_delay_ms = worst_delay_ms.max(a.tick_ms as f64 + took.as_secs_f64() * 1000.0);
        now += a.tick_ms;
    }
    let rate = fired as f64 / busy.max(1e-9);
    eprintln!("fired {fired} warnings in {busy:.1} s of work: {rate:.0}/s; worst delay {worst_delay_ms:.0} ms");
    Ok(json!({
        "cases": a.cases,
        "fill_seconds": fill_s,
        "fired": fired,
        "work_seconds": busy,
        "warnings_per_second": rate,
        "tick_ms": a.tick_ms,
        "tick_work": tick_lat.json(),
        "worst_delay_ms": worst_delay_ms,
    })
    .to_string())
}

#[derive(clap::Args)]
pub struct RouteArgs {
    /// A database seeded with `minsheng-bench seed` (a classifier is trained first if it has none).
    #[arg(long)]
    database: String,
    /// Measured new cases.
    #[arg(long, default_value_t = 500)]
    iterations: usize,
    /// Also take each case in (create_case: routing plus the write); off, only the decision.
    #[arg(long)]
    create: bool,
}

/// Issue 4: routing of one new case end to end — place, classification, routing and the
/// duplicate search over the open cases — with the database as seeded.
pub async fn route(a: RouteArgs) -> Result<String, String> {
    let app = open(&a.database, Arc::new(SystemClock)).await?;
    app.reload_catalogue().await.map_err(|e| e.message_en)?;
    let err = |e: minsheng_domain::DomainError| e.message_en;
    let started = Instant::now();
    let trained = app.bootstrap_classifier().await.map_err(err)?;
    let train_s = started.elapsed().as_secs_f64();
    if let Some(v) = trained {
        eprintln!("trained classifier v{v} from the base data in {train_s:.1} s");
    }
    let user = app.store.user_by_login("operator").await.map_err(|e| e.to_string())?.ok_or("no operator: seed the demo city first")?;
    let actor = app.actor_for_user(&user).await.map_err(err)?;
    let mut rng = crate::data::Rng::new(4);
    let mut preview = Latency::new();
    let mut create = Latency::new();
    let (mut classified, mut similar_found) = (0usize, 0usize);
    for i in 0..a.iterations + 20 {
        let intake = crate::data::intake(&mut rng, None)?;
        let t = Instant::now();
        let p = app.preview_intake(&actor, &intake).await.map_err(err)?;
        // The first calls load the model, the catalogue and the gazetteer: not measured.
        if i >= 20 {
            preview.record(t.elapsed());
            classified += usize::from(p.classification.is_some_and(|c| !c.proposals.is_empty()));
            similar_found += usize::from(!p.similar.is_empty());
        }
        if a.create {
            let t = Instant::now();
            app.create_case(&actor, intake, AfterIntake::Forward).await.map_err(err)?;
            if i >= 20 {
                create.record(t.elapsed());
            }
        }
    }
    eprintln!("preview (place + classification + routing + duplicates): {}", preview.line());
    if a.create {
        eprintln!("create_case (the same, plus recurrence and the write): {}", create.line());
    }
    Ok(json!({
        "cases": app.store.count_cases().await.map_err(|e| e.to_string())?,
        "classifier_trained_s": trained.map(|_| train_s),
        "with_proposals": classified,
        "with_similar": similar_found,
        "preview": preview.json(),
        "create": a.create.then(|| create.json()),
    })
    .to_string())
}
