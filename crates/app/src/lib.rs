//! Use cases of minsheng: each loads what it needs, asks the domain to decide, and saves the
//! result in one transaction. Access is decided here (and in the domain), never only in handlers.
//!
//! # Layout
//! - `service`: the case use cases (create, act, list, read, track).
//! - `auth`: passwords (argon2), sessions, bearer tokens and API keys → an [`minsheng_domain::org::Actor`].
//! - `demo`: the demo city of 海口市 (units, departments, companies, users for every role).
//! - `import`: historical cases from CSV.

pub mod demo;
pub mod import;
