//! Abuse (防刷): rate limits on the public doors — reports per IP address and per phone number,
//! tracking lookups and uploads per IP — as token buckets on the application clock, so tests
//! drive them with a controlled clock and the figures are per node.
//!
//! A city's mobile carriers put many citizens behind one address (CGNAT), so the per-IP limits are
//! generous and the per-phone limit is what stops one person flooding the hotline.

use std::collections::HashMap;
use std::sync::Mutex;

use minsheng_domain::Millis;
use minsheng_domain::{DomainError, DomainResult, ErrorCode};
use serde::{Deserialize, Serialize};

use crate::App;

/// One limit: `burst` at once, then one more every `every_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    pub burst: u32,
    pub every_ms: Millis,
}

/// The limits of the public doors.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PublicLimits {
    /// New reports from one IP address (web, mobile page).
    pub report_per_ip: Rate,
    /// New reports from one phone number, whatever the address.
    pub report_per_phone: Rate,
    /// Tracking lookups and citizen actions from one IP address (case number + last four digits
    /// must not be guessable by trying).
    pub track_per_ip: Rate,
    /// Uploads of files from one IP address.
    pub upload_per_ip: Rate,
}

impl Default for PublicLimits {
    fn default() -> Self {
        PublicLimits {
            report_per_ip: Rate { burst: 30, every_ms: 2_000 },
            report_per_phone: Rate { burst: 5, every_ms: 12 * 60_000 },
            track_per_ip: Rate { burst: 30, every_ms: 2_000 },
            upload_per_ip: Rate { burst: 60, every_ms: 1_000 },
        }
    }
}

/// Which door a request knocks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Door {
    ReportIp,
    ReportPhone,
    TrackIp,
    UploadIp,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Millis,
}

/// Token buckets by door and key. Buckets that are full again are dropped now and then, so the
/// map holds only recent callers.
#[derive(Debug, Default)]
pub struct Limiter {
    buckets: Mutex<HashMap<(Door, String), Bucket>>,
}

impl Limiter {
    /// Takes one token; `Err(wait)` says how long until one is free.
    pub fn take(&self, door: Door, key: &str, rate: Rate, now: Millis) -> Result<(), Millis> {
        let burst = f64::from(rate.burst.max(1));
        let every = rate.every_ms.max(1) as f64;
        let mut map = match self.buckets.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        if map.len() > 100_000 {
            map.retain(|_, b| now - b.at < 3_600_000);
        }
        let b = map.entry((door, key.to_string())).or_insert(Bucket { tokens: burst, at: now });
        let elapsed = (now - b.at).max(0) as f64;
        b.tokens = (b.tokens + elapsed / every).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) * every).ceil() as Millis)
        }
    }
}

impl App {
    /// Counts one knock at a public door; too many gives `rate_limited` with the wait.
    pub fn knock(&self, door: Door, key: &str) -> DomainResult<()> {
        let limits = &self.settings.public_limits;
        let rate = match door {
            Door::ReportIp => limits.report_per_ip,
            Door::ReportPhone => limits.report_per_phone,
            Door::TrackIp => limits.track_per_ip,
            Door::UploadIp => limits.upload_per_ip,
        };
        self.limiter.take(door, key, rate, self.clock.now()).map_err(|wait| {
            metrics::counter!("minsheng_rate_limited_total").increment(1);
            let seconds = (wait + 999) / 1000;
            let mut e = DomainError::new(
                ErrorCode::RateLimited,
                format!("操作过于频繁，请 {seconds} 秒后再试"),
                format!("too many requests; try again in {seconds} s"),
            );
            e.details = serde_json::json!({ "retry_after": seconds });
            e
        })
    }
}
