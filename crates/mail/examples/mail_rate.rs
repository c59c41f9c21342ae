//! The figure of BENCHMARKS.md §14: inbound e-mail to case, messages per second. Our listener on
//! a fresh SQLite database with the demo city; several concurrent SMTP clients (lettre, one
//! reused connection each, as a relaying MTA keeps one) each send GBK mail, every one a new
//! case; the rate is cases committed (250 received) per second of wall time; median of runs.
//!
//! `cargo run --release -p minsheng-mail --example mail_rate -- [--clients 8] [--messages 150] [--runs 3]`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::PoolConfig;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use minsheng_app::{App, Settings, SystemClock};
use minsheng_mail::{ListenerConfig, SmtpServer};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn mail(run: usize, client: usize, i: usize) -> Vec<u8> {
    use base64::Engine;
    let gbk = encoding_rs::GBK;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(gbk.encode(s).0);
    let body = format!("龙华区金贸街道玉沙社区第{i}号路灯不亮已经一周，晚上出行不便，请尽快维修。来信人 {client}。");
    format!(
        "From: =?GBK?B?{}?= <citizen{client}@example.cn>\r\nTo: 12345@hotline.haikou.gov.cn\r\nSubject: =?GBK?B?{}?=\r\n\
         Message-ID: <bench-{run}-{client}-{i}@example.cn>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=GBK\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        b64("市民"),
        b64("路灯不亮"),
        b64(&body)
    )
    .into_bytes()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let (clients, messages, runs) = (arg("--clients", 8), arg("--messages", 150), arg("--runs", 3));
    let dir = std::env::temp_dir().join(format!("minsheng-mail-rate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = minsheng_store::open(&format!("sqlite://{}", dir.join("bench.db").display())).await.unwrap();
    store.migrate().await.unwrap();
    let app = App::new(store, Arc::new(SystemClock), Settings::default());
    minsheng_app::demo::load(app.store.as_ref(), "x", 0).await.unwrap();
    app.reload_catalogue().await.unwrap();
    let config = ListenerConfig { addresses: vec!["12345@hotline.haikou.gov.cn".into()], ..Default::default() };
    let server = SmtpServer::bind("127.0.0.1:0", app.clone(), config).await.unwrap();
    let addr = server.local_addr().unwrap();
    tokio::spawn(server.run(std::future::pending()));

    let mut rates = Vec::new();
    for run in 0..runs {
        let started = Instant::now();
        let mut tasks = Vec::new();
        for client in 0..clients {
            tasks.push(tokio::spawn(async move {
                let smtp = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string())
                    .port(addr.port())
                    .timeout(Some(Duration::from_secs(60)))
                    .pool_config(PoolConfig::new().max_size(1))
                    .build();
                let from: Address = format!("citizen{client}@example.cn").parse().unwrap();
                let envelope = Envelope::new(Some(from), vec!["12345@hotline.haikou.gov.cn".parse().unwrap()]).unwrap();
                for i in 0..messages {
                    let r = smtp.send_raw(&envelope, &mail(run, client, i)).await.unwrap();
                    assert!(r.is_positive(), "{r:?}");
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let secs = started.elapsed().as_secs_f64();
        let rate = (clients * messages) as f64 / secs;
        println!("run {}: {} mails in {secs:.2} s = {rate:.1} mails/s", run + 1, clients * messages);
        rates.push(rate);
    }
    let cases = app.store.count_cases().await.unwrap();
    assert_eq!(cases as usize, runs * clients * messages, "every mail is one case");
    let mut sorted = rates.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "{}",
        serde_json::json!({ "bench": "mail_rate", "clients": clients, "messages_per_client": messages, "runs": rates,
            "median_mails_per_s": (median * 10.0).round() / 10.0, "cases": cases, "loadavg_after": load.trim() })
    );
    let _ = std::fs::remove_dir_all(&dir);
}
