//! The official account's settings, as the server configuration gives them (`[wechat]` in the
//! TOML file or `MINSHENG_WECHAT_*`).

use serde::Deserialize;

/// WeChat's API.
pub const DEFAULT_API_BASE: &str = "https://api.weixin.qq.com";

/// Where WeChat keeps the pictures citizens send (PicUrl).
pub const DEFAULT_PICTURE_HOSTS: &[&str] = &["mmbiz.qpic.cn", "mmbiz.qlogo.cn", "*.qpic.cn"];

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WechatSettings {
    /// 令牌 (Token): the shared secret of the push signatures, as entered in the account's
    /// server settings.
    pub token: String,
    /// 消息加解密密钥 (EncodingAESKey), 43 characters; needed for compatible and safe mode.
    #[serde(default)]
    pub encoding_aes_key: Option<String>,
    /// 开发者ID (AppID).
    pub app_id: String,
    /// 开发者密码 (AppSecret), for access tokens; without it no template message is sent.
    #[serde(default)]
    pub app_secret: Option<String>,
    /// The API's base address (a test server, or a gateway in front of WeChat).
    #[serde(default = "default_api_base")]
    pub api_base: String,
    /// The id of the template (模板ID) the notices are sent with; without it none is sent.
    #[serde(default)]
    pub template_id: Option<String>,
    /// Hosts a PicUrl may point at; `*.example.com` allows its subdomains. Nothing else is fetched,
    /// so a forged push cannot make the server fetch an internal address.
    #[serde(default = "default_picture_hosts")]
    pub picture_hosts: Vec<String>,
}

fn default_api_base() -> String {
    DEFAULT_API_BASE.to_string()
}

fn default_picture_hosts() -> Vec<String> {
    DEFAULT_PICTURE_HOSTS.iter().map(|h| h.to_string()).collect()
}

impl WechatSettings {
    /// Settings with a token and AppID and the defaults for the rest.
    pub fn new(token: impl Into<String>, app_id: impl Into<String>) -> Self {
        WechatSettings {
            token: token.into(),
            encoding_aes_key: None,
            app_id: app_id.into(),
            app_secret: None,
            api_base: default_api_base(),
            template_id: None,
            picture_hosts: default_picture_hosts(),
        }
    }

    /// Whether template messages can be sent (AppSecret and template id given).
    pub fn sends_templates(&self) -> bool {
        self.app_secret.as_deref().is_some_and(|s| !s.trim().is_empty())
            && self.template_id.as_deref().is_some_and(|t| !t.trim().is_empty())
    }

    /// Whether a picture may be fetched from this host.
    pub fn picture_host_allowed(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.picture_hosts.iter().any(|allowed| {
            let allowed = allowed.trim().to_ascii_lowercase();
            match allowed.strip_prefix("*.") {
                Some(domain) => host.strip_suffix(domain).is_some_and(|rest| rest.ends_with('.') && rest.len() > 1),
                None => host == allowed,
            }
        })
    }
}

impl std::fmt::Debug for WechatSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token, key and secret never reach a log.
        f.debug_struct("WechatSettings")
            .field("app_id", &self.app_id)
            .field("safe_mode", &self.encoding_aes_key.is_some())
            .field("api_base", &self.api_base)
            .field("template_id", &self.template_id)
            .field("picture_hosts", &self.picture_hosts)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picture_hosts_match_exactly_or_by_subdomain() {
        let s = WechatSettings::new("t", "wx1");
        assert!(s.picture_host_allowed("mmbiz.qpic.cn"));
        assert!(s.picture_host_allowed("MMBIZ.QPIC.CN"));
        assert!(s.picture_host_allowed("a.qpic.cn"));
        assert!(!s.picture_host_allowed("qpic.cn"));
        assert!(!s.picture_host_allowed("evilqpic.cn"));
        assert!(!s.picture_host_allowed("127.0.0.1"));
        assert!(!s.picture_host_allowed("mmbiz.qpic.cn.evil.com"));
    }

    #[test]
    fn secrets_stay_out_of_debug() {
        let mut s = WechatSettings::new("tok-secret", "wx1");
        s.app_secret = Some("app-secret".into());
        s.encoding_aes_key = Some("k".repeat(43));
        let shown = format!("{s:?}");
        assert!(!shown.contains("secret") && !shown.contains("kkkk"), "{shown}");
    }

    #[test]
    fn reads_from_toml_like_maps_with_defaults() {
        let s: WechatSettings = serde_json::from_value(serde_json::json!({"token": "t", "app_id": "wx1"})).unwrap();
        assert_eq!(s.api_base, DEFAULT_API_BASE);
        assert!(!s.sends_templates());
        assert!(serde_json::from_value::<WechatSettings>(serde_json::json!({"token": "t", "app_id": "wx1", "typo": 1})).is_err());
    }
}
