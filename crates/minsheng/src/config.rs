//! Configuration: a TOML file, then environment variables, then command-line flags, each
//! overriding the one before. The database URL picks the engine.

use std::path::{Path, PathBuf};

use minsheng_api::routes::wechat::WechatSettings;
use serde::Deserialize;

pub const DEFAULT_DATABASE: &str = "sqlite://./data/minsheng.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// The address citizens reach the platform at, for tracking links in notices (e.g.
    /// `https://12345.haikou.gov.cn`); default `http://` + the listen address.
    pub public_url: Option<String>,
    /// The SMS gateway (短信网关): `inbound_secret`, `gateway_url`, `gateway_secret`.
    pub sms: Option<minsheng_app::sms::SmsSettings>,
    /// `sqlite://PATH` or `postgres://user@host:port/db`.
    pub database_url: Option<String>,
    /// `HOST:PORT` to listen on.
    pub listen: Option<String>,
    /// The case-number prefix (城市代码), e.g. `HK`.
    pub number_prefix: Option<String>,
    /// Where this node keeps its search index (default: beside an SQLite database, else
    /// `./data/search`). One server process per directory.
    pub search_dir: Option<String>,
    /// The WeChat official account (微信公众号): `token`, `app_id`, `encoding_aes_key`, `app_secret`,
    /// `template_id`, `api_base`, `picture_hosts`. Unset: no callback, no template messages.
    pub wechat: Option<WechatSettings>,
    /// Where uploaded attachments (附件) are kept (default: beside an SQLite database as
    /// `x.attachments`, else `./data/attachments`). Several nodes must share it (or use an
    /// object store).
    pub attachments_dir: Option<String>,
    /// E-mail channel: `HOST:PORT` the SMTP listener takes mail on (unset: no listener).
    pub smtp_listen: Option<String>,
    /// The hotline's address(es) mail is accepted for, comma-separated.
    pub hotline_address: Option<String>,
    /// The relay mail to citizens goes out through: `smtp://host:25`,
    /// `smtp://user:pass@host:587?tls=required`, `smtps://user:pass@host:465` (unset: e-mail
    /// notices wait in the outbox).
    pub smtp_relay: Option<String>,
    /// The sender of outgoing mail, e.g. `12345热线 <12345@hotline.example.gov.cn>` (default:
    /// the first hotline address).
    pub mail_from: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub public_url: Option<String>,
    pub sms: minsheng_app::sms::SmsSettings,
    pub database_url: String,
    pub listen: String,
    pub number_prefix: Option<String>,
    pub search_dir: PathBuf,
    pub wechat: Option<WechatSettings>,
    pub attachments_dir: PathBuf,
    pub mail: MailConfig,
}

/// The e-mail channel's settings; each part is off while unset.
#[derive(Debug, Clone, Default)]
pub struct MailConfig {
    pub smtp_listen: Option<String>,
    pub hotline_addresses: Vec<String>,
    pub smtp_relay: Option<String>,
    pub mail_from: Option<String>,
}

/// `x.db` → `x.search` beside it for SQLite; `./data/search` otherwise.
fn default_search_dir(database_url: &str) -> PathBuf {
    match database_url.strip_prefix("sqlite://") {
        Some(path) => Path::new(path).with_extension("search"),
        None => PathBuf::from("./data/search"),
    }
}

/// `x.db` → `x.attachments` beside it for SQLite; `./data/attachments` otherwise.
fn default_attachments_dir(database_url: &str) -> PathBuf {
    match database_url.strip_prefix("sqlite://") {
        Some(path) => Path::new(path).with_extension("attachments"),
        None => PathBuf::from("./data/attachments"),
    }
}

/// Reads `path` if given, else `./minsheng.toml` if present.
pub fn load(path: Option<&Path>, database_flag: Option<String>, listen_flag: Option<String>) -> Result<Config, String> {
    let default_path = PathBuf::from("minsheng.toml");
    let chosen = path.map(Path::to_path_buf).or_else(|| default_path.exists().then_some(default_path));
    let file: FileConfig = match &chosen {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            toml::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?
        }
        None => FileConfig::default(),
    };
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let database_url =
        database_flag.or_else(|| env("MINSHENG_DATABASE_URL")).or(file.database_url).unwrap_or_else(|| DEFAULT_DATABASE.into());
    let search_dir = env("MINSHENG_SEARCH_DIR").or(file.search_dir).map_or_else(|| default_search_dir(&database_url), PathBuf::from);
    let attachments_dir =
        env("MINSHENG_ATTACHMENTS_DIR").or(file.attachments_dir).map_or_else(|| default_attachments_dir(&database_url), PathBuf::from);
    let mut sms = file.sms.unwrap_or_default();
    sms.inbound_secret = env("MINSHENG_SMS_INBOUND_SECRET").or(sms.inbound_secret);
    sms.gateway_url = env("MINSHENG_SMS_GATEWAY_URL").or(sms.gateway_url);
    sms.gateway_secret = env("MINSHENG_SMS_GATEWAY_SECRET").or(sms.gateway_secret);
    let hotline = env("MINSHENG_HOTLINE_ADDRESS").or(file.hotline_address).unwrap_or_default();
    let mail = MailConfig {
        smtp_listen: env("MINSHENG_SMTP_LISTEN").or(file.smtp_listen),
        hotline_addresses: hotline.split(',').map(str::trim).filter(|a| !a.is_empty()).map(str::to_string).collect(),
        smtp_relay: env("MINSHENG_SMTP_RELAY").or(file.smtp_relay),
        mail_from: env("MINSHENG_MAIL_FROM").or(file.mail_from),
    };
    let wechat = wechat_settings(file.wechat, &env);
    Ok(Config {
        mail,
        public_url: env("MINSHENG_PUBLIC_URL").or(file.public_url),
        sms,
        listen: listen_flag.or_else(|| env("MINSHENG_LISTEN")).or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.into()),
        number_prefix: env("MINSHENG_NUMBER_PREFIX").or(file.number_prefix),
        database_url,
        search_dir,
        wechat,
        attachments_dir,
    })
}

/// The `[wechat]` table with `MINSHENG_WECHAT_*` over it (the secrets are best given there);
/// `MINSHENG_WECHAT_TOKEN` alone is enough to start one without a table.
fn wechat_settings(file: Option<WechatSettings>, env: &dyn Fn(&str) -> Option<String>) -> Option<WechatSettings> {
    let mut s = file.or_else(|| env("MINSHENG_WECHAT_TOKEN").map(|t| WechatSettings::new(t, "")))?;
    if let Some(v) = env("MINSHENG_WECHAT_TOKEN") {
        s.token = v;
    }
    if let Some(v) = env("MINSHENG_WECHAT_APP_ID") {
        s.app_id = v;
    }
    if let Some(v) = env("MINSHENG_WECHAT_API_BASE") {
        s.api_base = v;
    }
    s.encoding_aes_key = env("MINSHENG_WECHAT_AES_KEY").or(s.encoding_aes_key);
    s.app_secret = env("MINSHENG_WECHAT_APP_SECRET").or(s.app_secret);
    s.template_id = env("MINSHENG_WECHAT_TEMPLATE_ID").or(s.template_id);
    Some(s)
}
