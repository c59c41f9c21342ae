//! The heart of minsheng: what a case (工单) is, which actions its lifecycle allows to whom, and
//! how the organisation decides who may see what. No HTTP, no SQL; time is always passed in.
//!
//! # Layout
//! - [`value`]: parsed values (phone numbers, case numbers, texts) that cannot exist invalid.
//! - [`org`]: units, roles and the acting person ([`org::Actor`]).
//! - [`case`]: the current state of a case, a fold of its history.
//! - [`event`]: the history entries; every change of a case is one of them.
//! - [`lifecycle`]: the commands and the pure `decide` function that turns a command into events
//!   or refuses it with a reason naming the state, the action and why.
//! - [`deadline`]: which clocks (时限) run in which state and when each is due.
//! - [`attachment`]: files that come with a report or an addition (附件), by reference.
//! - [`access`]: visibility of cases and masking of personal data.
//! - [`people`]: the registry of mediators, legal aid and experts (人员库) and who suits a case.
//! - [`knowledge`]: knowledge-base articles (知识库) and their review.
//! - [`error`]: the refusal type with stable codes and Chinese and English messages.

pub mod access;
pub mod attachment;
pub mod case;
pub mod catalogue;
pub mod deadline;
pub mod error;
pub mod escalation;
pub mod event;
pub mod knowledge;
pub mod lifecycle;
pub mod metrics;
pub mod org;
pub mod people;
pub mod routing;
pub mod value;

pub use error::{DomainError, DomainResult, ErrorCode};

/// Milliseconds since the Unix epoch, UTC. Every time in the domain is one of these, passed in by
/// the caller so that tests control the clock.
pub type Millis = i64;

/// China has one time zone and no daylight saving: Asia/Shanghai is a fixed UTC+8.
pub const CHINA: chrono::FixedOffset = match chrono::FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// Formats a time for people and APIs in China time, RFC 3339 with the +08:00 offset.
pub fn format_time(ms: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&CHINA).to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
        .unwrap_or_default()
}
