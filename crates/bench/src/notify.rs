//! `notify`: notification delivery through the outbox (issue 5). Cases come in through the SMS
//! channel (each writes its acknowledgement into the outbox with the case); a delivery worker
//! like the server's sends them to a real HTTP gateway in this process over loopback.
//!
//! Two figures: **drain** — N notices waiting, how fast the worker empties the outbox (messages/s);
//! **steady** — cases arriving at a fixed rate while the worker runs as `serve` runs it (a round
//! when this node writes notices, else every second; at once again after a full round), the delay from the causing event (the
//! notice's `created_at`, the case's intake) to the gateway's receipt.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Args as ClapArgs;
use minsheng_app::channels::InboundMessage;
use minsheng_app::sms::SmsGatewayTransport;
use minsheng_app::{App, Settings, SystemClock};
use minsheng_domain::case::{Channel, Citizen};
use minsheng_domain::value::PhoneNumber;
use serde_json::json;

use crate::stats::Latency;

#[derive(ClapArgs)]
pub struct Args {
    /// `sqlite://PATH` or `postgres://…` (a fresh database: the demo city is loaded).
    #[arg(long)]
    database: String,
    /// Notices to drain in the first figure.
    #[arg(long, default_value_t = 5000)]
    drain: usize,
    /// Cases per second in the steady figure.
    #[arg(long, default_value_t = 100)]
    rate: u64,
    /// Seconds of steady arrivals.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Notices a round claims, and how many are in flight at once (the server's: 200 and 16).
    #[arg(long, default_value_t = 200)]
    round: u32,
    #[arg(long, default_value_t = 16)]
    parallel: usize,
}

/// Receipt times by message id, as the gateway saw them (milliseconds since the epoch).
type Receipts = Arc<std::sync::Mutex<std::collections::HashMap<String, i64>>>;

async fn gateway() -> Result<(String, Receipts, Arc<AtomicU64>), String> {
    let receipts: Receipts = Arc::default();
    let count = Arc::new(AtomicU64::new(0));
    let (r, c) = (receipts.clone(), count.clone());
    let router = axum_router(r, c);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok((format!("http://{addr}/send"), receipts, count))
}

fn axum_router(receipts: Receipts, count: Arc<AtomicU64>) -> axum::Router {
    axum::Router::new().route(
        "/send",
        axum::routing::post(move |body: axum::body::Bytes| {
            let (receipts, count) = (receipts.clone(), count.clone());
            async move {
                let now = chrono::Utc::now().timestamp_millis();
                if let Ok(m) = serde_json::from_slice::<minsheng_app::sms::OutboundSms>(&body)
                    && let Ok(mut r) = receipts.lock()
                {
                    r.insert(m.id, now);
                }
                count.fetch_add(1, Ordering::Relaxed);
                axum::http::StatusCode::OK
            }
        }),
    )
}

fn message(i: u64, phone_base: u64) -> Result<InboundMessage, String> {
    let phone = PhoneNumber::parse(&format!("139{:08}", phone_base + i)).map_err(|e| e.message_en)?;
    Ok(InboundMessage {
        channel: Some(Channel::Sms),
        message_id: format!("bench-{phone_base}-{i}"),
        citizen: Citizen { phone: Some(phone), ..Citizen::default() },
        text: format!("龙华区金贸街道玉沙社区{i}号楼前路灯不亮，晚上出行不便"),
        ..InboundMessage::default()
    })
}

pub async fn run(a: Args) -> Result<String, String> {
    let store = minsheng_store::open(&a.database).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let app = App::new(store, Arc::new(SystemClock), Settings::default());
    minsheng_app::demo::load(app.store.as_ref(), "x", chrono::Utc::now().timestamp_millis()).await.map_err(|e| e.to_string())?;
    app.reload_catalogue().await.map_err(|e| e.message_en)?;
    let (url, receipts, count) = gateway().await?;
    let transport = SmsGatewayTransport::new(url, "bench");

    // Drain: N acknowledgements waiting.
    eprintln!("writing {} cases through the SMS channel…", a.drain);
    let writers = 8u64;
    let per = a.drain as u64 / writers;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..per {
                app.receive_inbound(message(i, w * 1_000_000)?).await.map_err(|e| e.message_en)?;
            }
            Ok::<_, String>(())
        }));
    }
    for t in tasks {
        t.await.map_err(|e| e.to_string())??;
    }
    let waiting = per * writers;
    let started = Instant::now();
    let report = app.deliver_all(&transport, a.round, a.parallel).await.map_err(|e| e.message_en)?;
    let drain_s = started.elapsed().as_secs_f64();
    let drain_rate = report.sent as f64 / drain_s;
    eprintln!("drain: {} sent in {drain_s:.2} s = {drain_rate:.0} messages/s (gateway saw {})", report.sent, count.load(Ordering::Relaxed));
    if report.sent as u64 != waiting {
        return Err(format!("sent {} of {waiting}", report.sent));
    }

    // Steady: arrivals at `rate`/s for `seconds`, the worker as the server runs it.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let worker = {
        let (app, stop) = (app.clone(), stop.clone());
        let (round, parallel) = (a.round, a.parallel);
        tokio::spawn(async move {
            let transport = transport;
            let mut written = app.outbox_written.subscribe();
            while !stop.load(Ordering::Relaxed) {
                match app.deliver_round(&transport, round, parallel).await {
                    Ok(r) if r.total() >= round as usize => continue,
                    Ok(_) => {}
                    Err(e) => eprintln!("round failed: {}", e.message_en),
                }
                let _ = tokio::time::timeout(Duration::from_secs(1), written.changed()).await;
            }
        })
    };
    let total = a.rate * a.seconds;
    let gap = Duration::from_secs_f64(1.0 / a.rate.max(1) as f64);
    let mut next = tokio::time::Instant::now();
    let mut numbers = Vec::with_capacity(total as usize);
    for i in 0..total {
        tokio::time::sleep_until(next).await;
        next += gap;
        let out = app.receive_inbound(message(i, 9_000_000)?).await.map_err(|e| e.message_en)?;
        numbers.push(out.number().to_string());
    }
    // Let the last round run.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut delay = Latency::new();
    let mut missing = 0usize;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let got = receipts.lock().map(|r| r.len()).unwrap_or(0);
        if got as u64 >= waiting + total || Instant::now() > deadline {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let _ = worker.await;
    let receipts = receipts.lock().map_err(|e| e.to_string())?.clone();
    for number in &numbers {
        let Some(case) = app.store.case_by_number(number).await.map_err(|e| e.to_string())? else { continue };
        let notices = app
            .store
            .list_notices(&minsheng_store::NoticeQuery { case_id: Some(case.id), limit: 10, ..Default::default() })
            .await
            .map_err(|e| e.to_string())?;
        match notices.iter().find(|n| n.channel == "sms").and_then(|n| receipts.get(&n.dedup_key).map(|at| at - n.created_at)) {
            Some(ms) => delay.record(Duration::from_millis(ms.max(0) as u64)),
            None => missing += 1,
        }
    }
    eprintln!("steady {}/s for {} s: delay event → gateway {}; {missing} not delivered", a.rate, a.seconds, delay.line());
    Ok(json!({
        "bench": "notify",
        "drain": { "notices": waiting, "seconds": drain_s, "per_second": drain_rate, "round": a.round, "parallel": a.parallel },
        "steady": { "rate": a.rate, "seconds": a.seconds, "notices": total, "missing": missing, "delay": delay.json() },
    })
    .to_string())
}
