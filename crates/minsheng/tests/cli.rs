//! The command-line tool as an administrator uses it: the real binary, a real database file or
//! PostgreSQL database, real output.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_minsheng");

fn run(db: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .arg("--database")
        .arg(db)
        .args(args)
        .env_remove("MINSHENG_DATABASE_URL")
        .env("MINSHENG_PASSWORD", "password123")
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string(), String::from_utf8_lossy(&out.stderr).to_string())
}

fn sqlite_url() -> String {
    format!("sqlite://{}", minsheng_testkit::fresh_sqlite_path())
}

#[test]
fn help_reads_well() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["serve", "migrate", "demo", "user", "apikey", "import", "--database", "sqlite://"] {
        assert!(text.contains(word), "--help lacks {word}: {text}");
    }
    let out = Command::new(BIN).args(["import", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("--unit"));
    let out = Command::new(BIN).arg("frobnicate").output().unwrap();
    assert!(!out.status.success());
}

fn admin_story(db: &str) {
    let (ok, out, err) = run(db, &["migrate"]);
    assert!(ok, "{err}");
    assert!(out.contains("migrated"));
    let (ok, out, err) = run(db, &["demo"]);
    assert!(ok, "{err}");
    assert!(out.contains("community: 467") && out.contains("street: 46") && out.contains("district: 4"), "{out}");
    let (ok, out, _) = run(db, &["demo"]);
    assert!(ok && out.contains(" 0 个用户新建"), "the demo is idempotent: {out}");

    let (ok, _, err) = run(db, &["user", "add", "zhangsan", "--name", "张三", "--role", "operator", "--unit", "HK-12345"]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(db, &["user", "add", "zhangsan", "--name", "张三", "--role", "operator", "--unit", "HK-12345"]);
    assert!(!ok && err.contains("already exists") || err.contains("已存在"), "{err}");
    let (ok, _, err) = run(db, &["user", "add", "lisi", "--name", "李四", "--role", "wizard"]);
    assert!(!ok && err.contains("unknown role"), "{err}");
    let (ok, _, err) = run(db, &["user", "add", "wangwu", "--name", "王五", "--role", "unit_handler"]);
    assert!(!ok && err.contains("unit"), "a unit role needs a unit: {err}");
    let (ok, _, err) = run(db, &["user", "passwd", "zhangsan", "--password", "another-secret"]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(db, &["user", "passwd", "zhangsan", "--password", "short"]);
    assert!(!ok, "weak passwords are refused: {err}");
    let (ok, out, _) = run(db, &["user", "list"]);
    assert!(ok && out.contains("zhangsan") && out.contains("话务员") && out.contains("operator"), "{out}");

    let (ok, key, err) = run(db, &["apikey", "create", "open311-app"]);
    assert!(ok, "{err}");
    assert!(key.trim().starts_with("msk_"), "{key}");
    assert!(err.contains("shown only this once"));
    let (ok, out, _) = run(db, &["apikey", "list"]);
    assert!(ok && out.contains("open311-app") && out.contains("live"), "{out}");
    assert!(!out.contains(key.trim()), "the secret is never listed again");
    let id = out.split_whitespace().next().unwrap().to_string();
    let (ok, _, _) = run(db, &["apikey", "revoke", &id]);
    assert!(ok);
    let (ok, out, _) = run(db, &["apikey", "list"]);
    assert!(ok && out.contains("revoked"), "{out}");
    let (ok, _, _) = run(db, &["apikey", "revoke", &id]);
    assert!(!ok, "revoking twice fails");
}

#[test]
fn administrators_story_on_sqlite() {
    admin_story(&sqlite_url());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_story_on_postgres() {
    let db = minsheng_testkit::fresh_pg_database().await;
    tokio::task::spawn_blocking(move || admin_story(&db)).await.unwrap();
}

#[test]
fn import_of_the_real_closed_cases() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/govmsg/messages_with_replies.csv");
    let file = if file.exists() { file } else { std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/replies_sample.csv") };
    let db = sqlite_url();
    assert!(run(&db, &["demo"]).0);
    let (ok, out, err) = run(&db, &["import", file.to_str().unwrap(), "--unit", "460106"]);
    assert!(ok, "{err}");
    let imported: u64 = out.split("imported: ").nth(1).unwrap().split(';').next().unwrap().trim().parse().unwrap();
    assert!(imported >= 20, "{out}");
    let (ok, _, err) = run(&db, &["import", "/no/such/file.csv"]);
    assert!(!ok && err.contains("cannot open"), "{err}");
    let (ok, _, err) = run(&db, &["import", file.to_str().unwrap(), "--unit", "NOPE"]);
    assert!(!ok && err.contains("NOPE"), "{err}");
}

#[test]
fn bad_database_urls_fail_clearly() {
    let out = Command::new(BIN).args(["--database", "mysql://x", "migrate"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sqlite://"), "the error says what is supported");
    let dir = std::env::temp_dir().join(format!("minsheng-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("bad.toml");
    std::fs::write(&cfg, "database_url = 12\n").unwrap();
    let out = Command::new(BIN).args(["--config", cfg.to_str().unwrap(), "migrate"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.toml"));
}

/// The quick start's server: prints the address and the demo logins, serves, and on SIGTERM
/// finishes the request in flight before it exits.
#[test]
fn serve_prints_logins_and_shuts_down_gracefully() {
    let dir = std::env::temp_dir().join(format!("minsheng-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("minsheng.toml");
    std::fs::write(&cfg, format!("database_url = \"sqlite://{}/m.db\"\nlisten = \"127.0.0.1:0\"\n", dir.display())).unwrap();
    let mut child = Command::new(BIN)
        .args(["--config", cfg.to_str().unwrap(), "serve", "--demo"])
        .env("MINSHENG_CLASSIFIER_BOOTSTRAP", "0")
        .env_remove("MINSHENG_DATABASE_URL")
        .env_remove("MINSHENG_LISTEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut address = None;
    let mut printed = String::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        let Some(Ok(line)) = lines.next() else { break };
        printed.push_str(&line);
        printed.push('\n');
        if let Some(a) = line.split("http://").nth(1).filter(|_| line.contains("address")) {
            address = Some(a.trim().to_string());
        }
        if line.contains("meilan") {
            break;
        }
    }
    let address = address.unwrap_or_else(|| panic!("no address printed: {printed}"));
    for login in ["operator", "dispatcher", "supervisor", "leader", "admin", "longhua", "grid", "minsheng123"] {
        assert!(printed.contains(login), "{login} missing from {printed}");
    }
    assert!(printed.contains(&format!("{}/m.db", dir.display())), "the database is printed");
    // A request in flight — its body still arriving when SIGTERM comes — still gets its answer.
    let addr = address.clone();
    let in_flight = std::thread::spawn(move || {
        let body = r#"{"login":"operator","password":"minsheng123"}"#;
        let (head, tail) = body.split_at(10);
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        use std::io::{Read, Write};
        write!(s, "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}", body.len()).unwrap();
        s.flush().unwrap();
        std::thread::sleep(Duration::from_millis(600));
        s.write_all(tail.as_bytes()).unwrap();
        let mut resp = String::new();
        let _ = s.read_to_string(&mut resp);
        resp
    });
    std::thread::sleep(Duration::from_millis(300));
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let resp = in_flight.join().unwrap();
    assert!(resp.starts_with("HTTP/1.1 200"), "the in-flight request finished: {resp}");
    let status = child.wait().unwrap();
    assert!(status.success(), "clean exit after SIGTERM: {status:?}");
    assert!(std::net::TcpStream::connect(&address).is_err(), "no longer listening");
}

#[test]
fn calendar_and_deadlines_from_the_command_line() {
    let db = sqlite_url();
    // 3 working days from the Friday before 春节 2026: Sat 02-14 is a make-up working day, the
    // holiday runs to 02-23, so day 3 is 02-25 and the deadline is its end.
    let (ok, out, err) = run(&db, &["deadline", "--start", "2026-02-13T10:00:00+08:00", "--working-days", "3"]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "2026-02-26T00:00:00+08:00");
    let (_, out, _) = run(&db, &["deadline", "--start", "2026-11-20T17:00:00+08:00", "--working-hours", "2"]);
    assert_eq!(out.trim(), "2026-11-23T09:30:00+08:00", "one hour Friday, one hour Monday morning");
    let (_, out, _) = run(&db, &["deadline", "--start", "2026-11-20T17:00:00+08:00", "--hours", "8"]);
    assert_eq!(out.trim(), "2026-11-21T01:00:00+08:00", "wall clock, 7x24");
    let (ok, _, err) = run(&db, &["deadline", "--start", "yesterday", "--working-days", "1"]);
    assert!(!ok && err.contains("RFC 3339"), "{err}");
    // A year without data warns; importing it makes the warning go away.
    let (ok, out, err) = run(&db, &["deadline", "--start", "2027-09-30T10:00:00+08:00", "--working-days", "1"]);
    assert!(ok && err.contains("2027"), "{err}");
    assert_eq!(out.trim(), "2027-10-02T00:00:00+08:00", "weekends only without 2027 data");
    let dir = std::env::temp_dir().join(format!("minsheng-cal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("2027.json");
    std::fs::write(&file, r#"{"year": 2027, "source": "测试用", "holidays": [{"date": "2027-10-01", "name": "国庆节"}], "workdays": []}"#)
        .unwrap();
    let (ok, out, err) = run(&db, &["calendar", "import", file.to_str().unwrap()]);
    assert!(ok && out.contains("2027"), "{err}");
    let (_, out, err) = run(&db, &["deadline", "--start", "2027-09-30T10:00:00+08:00", "--working-days", "1"]);
    assert_eq!(out.trim(), "2027-10-05T00:00:00+08:00", "10-01 is a holiday now: {err}");
    assert!(!err.contains("2027"), "no warning once the year is there: {err}");
    let (ok, out, _) = run(&db, &["calendar", "show", "2026"]);
    assert!(ok && out.contains("国办发明电") && out.contains("春节"), "{out}");
    std::fs::write(&file, r#"{"year": 2027, "source": "x", "holidays": [{"date": "2026-10-01", "name": "错年"}], "workdays": []}"#)
        .unwrap();
    let (ok, _, err) = run(&db, &["calendar", "import", file.to_str().unwrap()]);
    assert!(!ok && err.contains("2026"), "a date in another year is refused: {err}");
}

/// The classifier's command-line contract on a sample of the real labelled messages (every 8th
/// row of train_raw.csv for training, the rows after those for evaluation).
#[test]
fn classifier_train_predict_evaluate() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/govmsg/train_raw.csv");
    let text = std::fs::read_to_string(&shared).unwrap_or_else(|e| panic!("the labelled messages are needed at {}: {e}", shared.display()));
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let dir = std::env::temp_dir().join(format!("minsheng-clf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, pick: &dyn Fn(usize) -> bool| {
        let path = dir.join(name);
        let mut w = csv::Writer::from_path(&path).unwrap();
        w.write_record(["text", "label"]).unwrap();
        for (i, r) in rows.iter().enumerate().filter(|(i, _)| pick(*i)) {
            let _ = i;
            w.write_record(r).unwrap();
        }
        w.flush().unwrap();
        path
    };
    let train = write("train.csv", &|i| i % 8 == 0);
    let test = write("test.csv", &|i| i % 8 == 1);
    let model = dir.join("model.json");
    let out = Command::new(BIN)
        .args(["classifier", "train", "--input", train.to_str().unwrap(), "--output", model.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let predicted = dir.join("out.csv");
    let out = Command::new(BIN)
        .args([
            "classifier",
            "predict",
            "--model",
            model.to_str().unwrap(),
            "--input",
            test.to_str().unwrap(),
            "--output",
            predicted.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut r = csv::Reader::from_path(&predicted).unwrap();
    let headers = r.headers().unwrap().clone();
    assert_eq!(headers.iter().collect::<Vec<_>>(), ["text", "label", "predicted", "confidence"]);
    let out_rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(out_rows.len(), rows.iter().enumerate().filter(|(i, _)| i % 8 == 1).count(), "every input row is written");
    let correct = out_rows.iter().filter(|x| x[1] == x[2]).count();
    assert!(correct * 10 > out_rows.len() * 6, "better than 60 % on held-out rows with 1/8 of the data: {correct}/{}", out_rows.len());
    assert!(out_rows.iter().all(|x| x[3].parse::<f64>().is_ok_and(|c| (0.0..=1.0).contains(&c))));
    let out = Command::new(BIN)
        .args(["classifier", "evaluate", "--model", model.to_str().unwrap(), "--input", test.to_str().unwrap()])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && report.contains("macro-F1") && report.contains("城乡建设"), "{report}");
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "text\n没有标签\n").unwrap();
    let out = Command::new(BIN)
        .args(["classifier", "train", "--input", bad.to_str().unwrap(), "--output", model.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a file without labels is refused");
}

/// The hotspot command's contract on the real messages: a JSON array of the top N clusters.
#[test]
fn hotspots_writes_the_top_clusters() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/govmsg/messages_unlabelled.csv");
    assert!(shared.is_file(), "the unlabelled messages are needed at {}", shared.display());
    let out = std::env::temp_dir().join(format!("minsheng-hot-{}.json", std::process::id()));
    let o = Command::new(BIN)
        .args(["hotspots", "--input", shared.to_str().unwrap(), "--top", "5", "--output", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 5);
    for (i, h) in list.iter().enumerate() {
        assert_eq!(h["rank"], i as u64 + 1);
        for key in ["heat", "title", "place", "from", "to"] {
            assert!(!h[key].is_null(), "{key} in {h}");
        }
        assert!(h["msg_ids"].as_array().unwrap().len() >= 2, "a hotspot has several reports: {h}");
    }
    assert!(list[0]["heat"].as_f64().unwrap() >= list[4]["heat"].as_f64().unwrap(), "ranked by heat");
    let _ = std::fs::remove_file(&out);
    // A missing file fails clearly.
    let o = Command::new(BIN).args(["hotspots", "--input", "/nonexistent.csv", "--output", out.to_str().unwrap()]).output().unwrap();
    assert!(!o.status.success());
    assert!(!String::from_utf8_lossy(&o.stderr).trim().is_empty());
}
