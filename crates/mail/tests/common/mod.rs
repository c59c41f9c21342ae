//! The e-mail test harness: the demo city on SQLite or PostgreSQL with a controlled clock, our
//! SMTP listener on a free port, real clients to speak to it (lettre's SMTP client and Python's
//! smtplib), and a real SMTP server (aiosmtpd) to catch what the platform sends.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::transport::smtp::response::Response;
use lettre::{Address, AsyncTransport, Tokio1Executor};
use minsheng_app::{App, ManualClock, Settings};
use minsheng_domain::case::Case;
use minsheng_mail::{ListenerConfig, SmtpServer};

/// Monday 2026-03-02 09:00 China time.
pub const MON_9: i64 = 1_772_413_200_000;
pub const HOTLINE: &str = "12345@hotline.haikou.gov.cn";
pub const PUBLIC_URL: &str = "https://12345.haikou.gov.cn";
/// The listener's message size limit in the tests (small, to test 552 cheaply).
pub const MAX_MESSAGE: usize = 256 * 1024;

pub struct Env {
    pub app: App,
    pub clock: ManualClock,
    pub smtp: SocketAddr,
    /// Resolves the listener's shutdown when sent to.
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

pub async fn env(url: String) -> Env {
    env_with(url, |a| a).await
}

/// The environment with the app changed before the listener starts (a failing blob store).
pub async fn env_with(url: String, change: impl FnOnce(App) -> App) -> Env {
    let store = minsheng_store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    let clock = ManualClock::at(MON_9);
    let settings = Settings { public_url: PUBLIC_URL.into(), ..Settings::default() };
    let app = App::new(store, Arc::new(clock.clone()), settings);
    minsheng_app::demo::load(app.store.as_ref(), "x", MON_9).await.unwrap();
    app.reload_catalogue().await.unwrap();
    let app = change(app);
    let config = ListenerConfig {
        addresses: vec![HOTLINE.to_uppercase(), "xinfang@hotline.haikou.gov.cn".into()],
        hostname: "mx.hotline.haikou.gov.cn".into(),
        max_message_bytes: MAX_MESSAGE,
        max_connections: 8,
        command_timeout: Duration::from_secs(20),
        shutdown_grace: Duration::from_secs(5),
        ..ListenerConfig::default()
    };
    let server = SmtpServer::bind("127.0.0.1:0", app.clone(), config).await.unwrap();
    let smtp = server.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    Env { app, clock, smtp, stop: Some(stop), server: Some(handle) }
}

impl Env {
    /// lettre's SMTP client pointed at our listener (no TLS, no pool: one exchange per mail).
    pub fn client(&self) -> AsyncSmtpTransport<Tokio1Executor> {
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.smtp.ip().to_string())
            .port(self.smtp.port())
            .timeout(Some(Duration::from_secs(30)))
            .build()
    }

    /// Sends raw message bytes with lettre: the listener's final answer or lettre's error.
    pub async fn send_raw(&self, from: &str, to: &str, raw: &[u8]) -> Result<Response, lettre::transport::smtp::Error> {
        let envelope = Envelope::new(Some(from.parse::<Address>().unwrap()), vec![to.parse::<Address>().unwrap()]).unwrap();
        self.client().send_raw(&envelope, raw).await
    }

    /// Sends and expects 250; returns the case number the answer names.
    pub async fn deliver(&self, from: &str, raw: &[u8]) -> String {
        let r = self.send_raw(from, HOTLINE, raw).await.unwrap_or_else(|e| panic!("mail refused: {e}"));
        assert_eq!(u16::from(r.code()), 250, "{r:?}");
        number_in(&r.message().collect::<Vec<_>>().join(" "))
    }

    pub async fn case(&self, number: &str) -> Case {
        self.app.store.case_by_number(number).await.unwrap().unwrap_or_else(|| panic!("no case {number}"))
    }

    pub async fn count(&self) -> i64 {
        self.app.store.count_cases().await.unwrap()
    }

    /// Stops the listener and waits for it.
    pub async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(h) = self.server.take() {
            h.await.unwrap().unwrap();
        }
    }
}

/// The case number in an SMTP answer ("2.0.0 Ok: case HK20260302000001 created").
pub fn number_in(text: &str) -> String {
    minsheng_mail::parse::case_number_in(text).unwrap_or_else(|| panic!("no case number in {text:?}"))
}

/// RFC 2047 B-encoding of a header in a legacy charset, as Chinese mailers write it.
pub fn encoded_word(charset: &'static encoding_rs::Encoding, label: &str, text: &str) -> String {
    use base64::Engine;
    let (bytes, _, bad) = charset.encode(text);
    assert!(!bad, "{text} not representable in {label}");
    format!("=?{label}?B?{}?=", base64::engine::general_purpose::STANDARD.encode(&bytes))
}

/// Base64 in lines of 76, as MIME wants.
pub fn base64_lines(bytes: &[u8]) -> String {
    use base64::Engine;
    let b = base64::engine::general_purpose::STANDARD.encode(bytes);
    b.as_bytes().chunks(76).map(|c| String::from_utf8_lossy(c).to_string()).collect::<Vec<_>>().join("\r\n")
}

/// A 1×1 pixel JPEG (a real one: SOI, JFIF, a baseline frame, EOI).
pub fn tiny_jpeg() -> Vec<u8> {
    use base64::Engine;
    let b64 = "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=";
    base64::engine::general_purpose::STANDARD.decode(b64).unwrap()
}

/// Runs a Python script (with the test suite's interpreter) with arguments; returns stdout.
pub fn python(script: &str, args: &[&str]) -> String {
    let dir = std::env::temp_dir().join(format!("minsheng-mail-py-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("s{}.py", rand_suffix()));
    std::fs::write(&path, script).unwrap();
    let out = std::process::Command::new(minsheng_testkit::python()).arg(&path).args(args).output().unwrap();
    assert!(out.status.success(), "python failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// A real SMTP server (aiosmtpd with its Maildir handler) on a free port, catching mail into a
/// directory. Killed when dropped.
pub struct Catcher {
    pub port: u16,
    pub dir: PathBuf,
    child: std::process::Child,
}

impl Catcher {
    pub async fn start() -> Catcher {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Catcher::start_on(port).await
    }

    pub async fn start_on(port: u16) -> Catcher {
        let dir = std::env::temp_dir().join(format!("minsheng-mail-caught-{}-{port}-{}", std::process::id(), rand_suffix()));
        std::fs::create_dir_all(&dir).unwrap();
        let child = std::process::Command::new(minsheng_testkit::python())
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.join("maildir"))
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Owned before waiting, so a server that never comes up is still killed (by Drop).
        let catcher = Catcher { port, dir, child };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return catcher;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not start on port {port}");
    }

    /// The raw mails caught so far, oldest first.
    pub fn caught(&self) -> Vec<Vec<u8>> {
        let new = self.dir.join("maildir").join("new");
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&new)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| (e.metadata().unwrap().modified().unwrap(), e.path())).collect())
            .unwrap_or_default();
        files.sort();
        files.into_iter().map(|(_, p)| std::fs::read(p).unwrap()).collect()
    }
}

impl Drop for Catcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs each named `async fn(String)` once on a fresh SQLite and once on a fresh PostgreSQL.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() { super::$name(format!("sqlite://{}", minsheng_testkit::fresh_sqlite_path())).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() { super::$name(minsheng_testkit::fresh_pg_database().await).await }
        }
    )+};
}
