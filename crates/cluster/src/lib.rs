//! Duplicates (并单建议), hotspots (热点) and recurrence (回潮) over citizen reports.
//!
//! Three questions about a stream of reports, all answered from the same two signals: what the
//! text says (TF-IDF over character bigrams and title words) and where it happens (place phrases
//! spotted in the text, and the division codes or point the caller may have).
//!
//! - **Duplicates**: at intake, which open cases does this report probably repeat? The
//!   [`DuplicateIndex`] holds the open cases and answers with scored [`Candidate`]s and reasons in
//!   Chinese. Precision and recall were measured on hand-labelled pairs (EVALUATION.md).
//! - **Hotspots**: which matters at which places drew many reports in a period? [`hotspots`]
//!   clusters the reports and ranks the clusters by a documented heat; [`run_hotspots_cli`] is the
//!   `minsheng hotspots` command.
//! - **Recurrence**: does a new report of the same place and matter within 72 hours of a case's
//!   closure suggest the case was closed on paper only? [`recurrence()`] and [`recurrences`].
//!
//! # Layout
//!
//! - [`report`]: the [`Report`] this crate works on, Beijing time, the CSV reader of message exports.
//! - [`place`]: place phrases in Chinese text (路, 小区, 村, 学校 …) and whether two reports share a place.
//! - [`features`]: text features and their weights; the built-in document frequencies.
//! - [`score`]: the duplicate score of a pair — the one formula everything else builds on.
//! - [`index`]: the incremental duplicate index for intake.
//! - [`hotspot`]: clustering, heat, the CLI.
//! - [`mod@recurrence`]: 回潮 flags.
//! - [`eval`]: precision and recall against labelled pairs.
//! - [`error`]: [`ClusterError`] with stable codes and Chinese and English messages.

pub mod error;
pub mod eval;
pub mod features;
pub mod hotspot;
pub mod index;
pub mod place;
pub mod recurrence;
pub mod report;
pub mod score;

pub use error::ClusterError;
pub use features::{TermStats, TermVector};
pub use hotspot::{Hotspot, HotspotParams, HotspotStats, hotspots, hotspots_prepared, hotspots_with, prepare_all, run_hotspots_cli};
pub use index::{Candidate, DuplicateIndex};
pub use place::{PlaceAgreement, PlaceLevel, PlacePhrase, extract_places};
pub use recurrence::{RecurrenceFlag, RecurrenceParams, recurrence, recurrences};
pub use report::{PlaceKey, Report, format_time, parse_time, read_reports, read_reports_csv};
pub use score::{PairScore, Prepared, ScoreParams, Scorer};
