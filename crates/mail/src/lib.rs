//! The e-mail channel (电子邮件渠道): citizens write to the hotline address and their mail becomes
//! a case, or an addition to the case its conversation belongs to; the platform answers them by
//! mail (acknowledgement with the case number and tracking link, the result with the callback
//! invitation) through a configured relay.
//!
//! # Layout
//! - [`server`]: the SMTP listener — the protocol, its limits, shutdown.
//! - [`intake`]: one received mail into the platform: files stored, [`App::receive_inbound`]
//!   called, the SMTP answer (250 / 451 / 554) chosen.
//! - [`parse`]: a mail's bytes to sender, thread keys, quoted case number, text and files (pure).
//! - [`html`]: HTML-only mail to readable text.
//! - [`outbound`]: the outbox transport that sends `email` notices through an SMTP relay, with
//!   Message-IDs stable across re-sends and linked to the case for replies.
//!
//! Which case a mail joins is not decided here but in [`App::receive_inbound`], once for every
//! channel; this crate only reads and writes mail.
//!
//! [`App::receive_inbound`]: minsheng_app::App::receive_inbound

pub mod html;
pub mod intake;
pub mod outbound;
pub mod parse;
pub mod server;

pub use intake::{Reply, accept_mail};
pub use outbound::{RelayConfig, SmtpTransport};
pub use server::{ListenerConfig, SmtpServer};
