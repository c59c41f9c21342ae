//! `minsheng-bench`: the benchmark harness of the case engine (issue 2).
//!
//! Every subcommand prints one JSON line with its results on stdout and a human summary on
//! stderr, so `minsheng-bench … | tee -a results.jsonl` keeps the machine-readable part. See
//! `BENCHMARKS.md` at the repository root for the figures and the exact commands behind them.
//!
//! - `create`: N concurrent clients POST /api/cases for a while; cases/s, latency, durability check.
//! - `seed`: fills a database through the `Store` trait (demo city + N cases in realistic states).
//! - `inbox`: list latency on a seeded database, through the store and through HTTP.
//! - `lifecycle`: whole lifecycles per second over HTTP (create → … → closed), per-step latency.
//! - `store-create`: the same intake straight into the store, no HTTP (the writer's ceiling).
//! - `verify`: checks that a list of acknowledged case ids is in a database (after a kill -9).
//! - `rss`: the resident set of a process (VmRSS, VmHWM).

mod create;
mod data;
mod figures;
mod http;
mod inbox;
mod lifecycle;
mod notify;
mod open311;
mod rss;
mod seed;
mod stats;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "minsheng-bench", version, about = "Benchmarks of the minsheng case engine (issue 2)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Concurrent case intake over HTTP (operator, POST /api/cases, after = forward).
    Create(create::Args),
    /// Fill a database directly through the Store trait: demo city + N cases in realistic states.
    Seed(seed::Args),
    /// Inbox and subtree list latency on a seeded database: through the store and through HTTP.
    Inbox(inbox::Args),
    /// Whole lifecycles over HTTP: create → dispatch → sign → reply → review → callback (closed).
    Lifecycle(lifecycle::Args),
    /// The same intake without HTTP: N tasks call Store::create_case directly (the writer's ceiling).
    StoreCreate(create::StoreArgs),
    /// Check that every case id in a file (one per line, from `create --ids-out`) is stored.
    Verify(create::VerifyArgs),
    /// All metrics for every unit for a month and a year on a seeded database (issue 3).
    Metrics(figures::MetricsArgs),
    /// The clock watcher draining N pending deadlines spread over a window (issue 3).
    Scheduler(figures::SchedulerArgs),
    /// Routing of one new case end to end with the database as seeded (issue 4).
    Route(figures::RouteArgs),
    /// Resident memory of a process: VmRSS and VmHWM from /proc/PID/status.
    Rss(rss::Args),
    /// Notification delivery through the outbox to an HTTP SMS gateway: drain rate and delay (issue 5).
    Notify(notify::Args),
    /// Concurrent Open311 GeoReport v2 `POST requests` (form-encoded, API key) over HTTP (issue 5).
    Open311(open311::Args),
}

fn main() {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => fail(format!("cannot start the runtime: {e}")),
    };
    let load_before = loadavg();
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Create(a) => create::run(a).await,
            Command::Seed(a) => seed::run(a).await,
            Command::Route(a) => figures::route(a).await,
            Command::Inbox(a) => inbox::run(a).await,
            Command::Lifecycle(a) => lifecycle::run(a).await,
            Command::Verify(a) => create::verify(a).await,
            Command::StoreCreate(a) => create::store_create(a).await,
            Command::Rss(a) => rss::run(a),
            Command::Metrics(a) => figures::metrics(a).await,
            Command::Scheduler(a) => figures::scheduler(a).await,
            Command::Open311(a) => open311::run(a).await,
            Command::Notify(a) => notify::run(a).await,
        }
    });
    match result {
        Ok(json) => {
            // Stamp every result with the machine's load: the box is shared with other builds.
            let mut v: serde_json::Value = serde_json::from_str(&json).unwrap_or(serde_json::Value::Null);
            if let Some(obj) = v.as_object_mut() {
                obj.insert("unix_time".into(), serde_json::json!(now_millis() / 1000));
                obj.insert("loadavg_before".into(), serde_json::json!(load_before));
                obj.insert("loadavg_after".into(), serde_json::json!(loadavg()));
                println!("{v}");
            } else {
                println!("{json}");
            }
        }
        Err(e) => fail(e),
    }
}

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("minsheng-bench: {msg}");
    std::process::exit(1);
}

/// The 1-minute load average from /proc/loadavg.
fn loadavg() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg").ok()?.split_whitespace().next()?.parse().ok()
}

/// Milliseconds since the Unix epoch, now.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
