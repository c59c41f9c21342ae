//! `rss`: the resident memory of a process, from /proc/PID/status.

use serde_json::json;

#[derive(clap::Args)]
pub struct Args {
    /// The process to look at (e.g. the server's pid).
    #[arg(long)]
    pid: u32,
    /// A free-form label stored with the figure (e.g. "idle", "after inbox load").
    #[arg(long, default_value = "")]
    label: String,
}

pub fn run(a: Args) -> Result<String, String> {
    let path = format!("/proc/{}/status", a.pid);
    let status = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let field = |name: &str| -> Option<u64> {
        status.lines().find_map(|l| l.strip_prefix(name)).and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    };
    let (rss, hwm, threads) = (field("VmRSS:"), field("VmHWM:"), field("Threads:"));
    let (anon, file) = (field("RssAnon:"), field("RssFile:"));
    let mb = |kb: Option<u64>| kb.map(|k| format!("{:.1} MB", k as f64 / 1024.0)).unwrap_or_else(|| "?".into());
    eprintln!(
        "rss pid {} {}: VmRSS {} (anon {}, file {}), VmHWM {}, {} threads",
        a.pid,
        a.label,
        mb(rss),
        mb(anon),
        mb(file),
        mb(hwm),
        threads.unwrap_or(0)
    );
    Ok(json!({
        "bench": "rss",
        "pid": a.pid,
        "label": a.label,
        "vm_rss_kb": rss,
        "rss_anon_kb": anon,
        "rss_file_kb": file,
        "vm_hwm_kb": hwm,
        "threads": threads,
    })
    .to_string())
}
