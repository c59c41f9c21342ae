//! The WeChat official account channel (微信公众号): citizens write to the city's account, the
//! WeChat platform pushes each message to our callback, and the message becomes a case or an
//! addition to the citizen's open case; the passive reply (被动回复) tells them the case number,
//! and later word about the case reaches them as a template message (模板消息).
//!
//! # Layout
//! - [`crypto`]: the signatures and the AES safe mode (安全模式) of the message push protocol.
//! - [`xml`]: the pushed XML, parsed into a [`xml::Message`]; the reply XML.
//! - [`callback`]: the callback protocol without HTTP — URL verification, opening a push in plain,
//!   compatible or safe mode, sealing the reply — and [`WechatChannel`], which answers a push.
//! - [`inbound`]: a WeChat message → [`minsheng_app::channels::InboundMessage`], pictures fetched
//!   and stored, and the words of the passive reply.
//! - [`transport`]: [`WechatTemplateTransport`], the outbox transport of template messages.
//! - [`settings`]: [`WechatSettings`], what the server configuration gives.
//!
//! The rules of which case a message belongs to (the same OpenID within seven days, a quoted case
//! number, the same MsgId again) live in `minsheng_app::channels`, once for every channel.

pub mod callback;
pub mod crypto;
pub mod error;
pub mod inbound;
pub mod settings;
pub mod transport;
pub mod xml;

pub use callback::{Answer, CallbackQuery, WechatChannel};
pub use error::WechatError;
pub use settings::WechatSettings;
pub use transport::WechatTemplateTransport;
