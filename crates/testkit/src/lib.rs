//! Test support: finds PostgreSQL for the test suite, or starts a throwaway cluster, and makes a
//! fresh database per test. Order of preference:
//! 1. `MINSHENG_TEST_PG` (a server URL, e.g. `postgres://postgres@127.0.0.1:5432`), as set by
//!    `scripts/test.sh` after it found or started a server;
//! 2. a server on 127.0.0.1:5432 with trust auth;
//! 3. a throwaway cluster made with `initdb` and started with `pg_ctl` on a free loopback port.
//!
//! If none works the tests fail (never skip), with a message saying what was tried.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

static SERVER: OnceLock<Result<String, String>> = OnceLock::new();

/// The URL of a PostgreSQL server (without a database name) that tests may create databases on.
pub fn pg_server_url() -> String {
    match SERVER.get_or_init(find_or_start) {
        Ok(url) => url.clone(),
        Err(why) => panic!("PostgreSQL is required for the test suite and none could be found or started:\n{why}"),
    }
}

fn reachable(addr: &str) -> bool {
    addr.parse::<SocketAddr>().is_ok_and(|a| TcpStream::connect_timeout(&a, Duration::from_millis(500)).is_ok())
}

fn find_or_start() -> Result<String, String> {
    let mut tried = Vec::new();
    if let Ok(url) = std::env::var("MINSHENG_TEST_PG") {
        return Ok(url.trim_end_matches('/').to_string());
    }
    tried.push("MINSHENG_TEST_PG is not set".to_string());
    if reachable("127.0.0.1:5432") {
        return Ok("postgres://postgres@127.0.0.1:5432".to_string());
    }
    tried.push("nothing listens on 127.0.0.1:5432".to_string());
    match start_throwaway() {
        Ok(url) => Ok(url),
        Err(e) => {
            tried.push(e);
            Err(tried.join("\n"))
        }
    }
}

fn pg_bin(name: &str) -> Option<PathBuf> {
    if let Ok(out) = Command::new("sh").arg("-c").arg(format!("command -v {name}")).output() {
        let p = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !p.is_empty() {
            return Some(PathBuf::from(p));
        }
    }
    let mut candidates: Vec<PathBuf> =
        std::fs::read_dir("/usr/lib/postgresql").ok()?.filter_map(|e| e.ok()).map(|e| e.path().join("bin").join(name)).collect();
    candidates.sort();
    candidates.into_iter().rev().find(|p| p.exists())
}

fn start_throwaway() -> Result<String, String> {
    let initdb = pg_bin("initdb").ok_or("initdb not found (install PostgreSQL)")?;
    let pg_ctl = pg_bin("pg_ctl").ok_or("pg_ctl not found (install PostgreSQL)")?;
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
    let dir = std::env::temp_dir().join(format!("minsheng-pg-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    // PostgreSQL refuses to run as root; run it as the postgres user when we are root.
    let as_root = Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false);
    let run = |args: Vec<String>| -> Result<(), String> {
        let mut cmd = if as_root {
            let _ = Command::new("chown").arg("-R").arg("postgres").arg(&dir).status();
            let mut c = Command::new("runuser");
            c.arg("-u").arg("postgres").arg("--");
            c.args(&args);
            c
        } else {
            let mut c = Command::new(&args[0]);
            c.args(&args[1..]);
            c
        };
        let out = cmd.output().map_err(|e| e.to_string())?;
        if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).to_string()) }
    };
    let data = dir.join("data");
    run(vec![
        initdb.display().to_string(),
        "-D".into(),
        data.display().to_string(),
        "-U".into(),
        "postgres".into(),
        "--auth=trust".into(),
        "-E".into(),
        "UTF8".into(),
    ])?;
    run(vec![
        pg_ctl.display().to_string(),
        "-D".into(),
        data.display().to_string(),
        "-l".into(),
        dir.join("log").display().to_string(),
        "-w".into(),
        "-o".into(),
        format!("-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", dir.display()),
        "start".into(),
    ])?;
    Ok(format!("postgres://postgres@127.0.0.1:{port}"))
}

/// Creates an empty database with a unique name and returns its URL.
pub async fn fresh_pg_database() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let server = pg_server_url();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let name = format!("minsheng_t{}_{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed), nanos);
    let (client, conn) = match tokio_postgres::connect(&format!("{server}/postgres"), tokio_postgres::NoTls).await {
        Ok(pair) => pair,
        Err(e) => panic!("cannot connect to PostgreSQL at {server}: {e}"),
    };
    let handle = tokio::spawn(conn);
    drop_leftovers(&client).await;
    if let Err(e) = client.batch_execute(&format!("CREATE DATABASE {name}")).await {
        panic!("cannot create a test database on {server}: {e}");
    }
    drop(client);
    let _ = handle.await;
    format!("{server}/{name}")
}

/// Drops test databases whose creating process has ended, so runs do not pile them up. Once per
/// process; failures are ignored (another process may be dropping the same one).
async fn drop_leftovers(client: &tokio_postgres::Client) {
    static DONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if DONE.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let Ok(rows) = client.query("SELECT datname FROM pg_database WHERE datname LIKE 'minsheng_t%'", &[]).await else { return };
    for row in rows {
        let name: String = row.get(0);
        let pid = name.trim_start_matches("minsheng_t").split('_').next().and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid
            && pid != std::process::id()
            && !std::path::Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        }
    }
}

/// A fresh SQLite database file in a temporary directory (kept until the process ends).
pub fn fresh_sqlite_path() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!("minsheng-test-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir.join(format!("t{}.db", N.fetch_add(1, Ordering::Relaxed))).display().to_string()
}

static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();

/// The Python interpreter with the test suite's third-party peers installed (an SMTP server, an
/// Open311 client; `scripts/test-requirements.txt`): `MINSHENG_TEST_PYTHON` if set, else the one
/// `scripts/test-python.sh` makes (and makes now if need be). Panics with the reason if it cannot.
pub fn python() -> PathBuf {
    let found = PYTHON.get_or_init(|| {
        if let Ok(p) = std::env::var("MINSHENG_TEST_PYTHON") {
            return Ok(PathBuf::from(p));
        }
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let out = Command::new("bash")
            .arg(root.join("scripts/test-python.sh"))
            .output()
            .map_err(|e| format!("cannot run scripts/test-python.sh: {e}"))?;
        if !out.status.success() {
            return Err(format!("scripts/test-python.sh failed:\n{}", String::from_utf8_lossy(&out.stderr)));
        }
        Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
    });
    match found {
        Ok(p) => p.clone(),
        Err(why) => panic!("the test suite needs Python with its third-party peers:\n{why}"),
    }
}
