//! Latency histograms (microseconds) and their summaries.

use hdrhistogram::Histogram;
use serde_json::{Value, json};

/// A latency histogram in microseconds, 1 µs to 120 s, three significant digits.
pub struct Latency(Histogram<u64>);

impl Latency {
    pub fn new() -> Latency {
        // The bounds are constants that hdrhistogram accepts; fall back to an auto-resizing one.
        Latency(Histogram::new_with_bounds(1, 120_000_000, 3).or_else(|_| Histogram::new(3)).unwrap_or_else(|_| unreachable_hist()))
    }

    pub fn record(&mut self, d: std::time::Duration) {
        self.0.saturating_record((d.as_micros() as u64).max(1));
    }

    pub fn add(&mut self, other: &Latency) {
        // Both have the same bounds; an error would only lose samples beyond 120 s.
        let _ = self.0.add(&other.0);
    }

    pub fn count(&self) -> u64 {
        self.0.len()
    }

    pub fn quantile(&self, q: f64) -> u64 {
        self.0.value_at_quantile(q)
    }

    /// `{count, p50_us, p90_us, p95_us, p99_us, max_us, mean_us}`.
    pub fn json(&self) -> Value {
        json!({
            "count": self.count(),
            "p50_us": self.quantile(0.50),
            "p90_us": self.quantile(0.90),
            "p95_us": self.quantile(0.95),
            "p99_us": self.quantile(0.99),
            "max_us": self.0.max(),
            "mean_us": self.0.mean().round() as u64,
        })
    }

    /// `p50 1.2 ms  p90 …` for the human summary.
    pub fn line(&self) -> String {
        format!(
            "n={:<7} p50 {}  p90 {}  p95 {}  p99 {}  max {}",
            self.count(),
            ms(self.quantile(0.50)),
            ms(self.quantile(0.90)),
            ms(self.quantile(0.95)),
            ms(self.quantile(0.99)),
            ms(self.0.max())
        )
    }
}

fn unreachable_hist() -> Histogram<u64> {
    // Histogram::new(3) cannot fail (3 significant digits is valid); keep the type checker happy
    // without unwrap: a 2-digit histogram is the last resort.
    match Histogram::new(2) {
        Ok(h) => h,
        Err(e) => crate::fail(format!("cannot build a histogram: {e}")),
    }
}

/// Microseconds as milliseconds with two decimals.
pub fn ms(us: u64) -> String {
    format!("{:.2} ms", us as f64 / 1000.0)
}
