//! What can be wrong with a push from WeChat, each a clear refusal that changes nothing.

/// A refused push or a configuration that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WechatError {
    /// The signature (or msg_signature) does not match: not from WeChat, or another token.
    #[error("signature mismatch")]
    BadSignature,
    /// The timestamp is missing, not a number, or more than the allowed window from now (a replay).
    #[error("timestamp missing or outside the allowed window")]
    StaleTimestamp,
    /// The body is not a message we can read: malformed XML, missing fields, bad numbers.
    #[error("malformed message: {0}")]
    BadMessage(String),
    /// The body is larger than any WeChat push.
    #[error("message larger than {0} bytes")]
    TooLarge(usize),
    /// The ciphertext does not decrypt to the protocol's layout (wrong key, corrupted).
    #[error("cannot decrypt: {0}")]
    Decrypt(String),
    /// The decrypted message names another official account's AppID.
    #[error("the message is for another AppID")]
    AppIdMismatch,
    /// A safe-mode push while no EncodingAESKey is configured, or a setting is unusable.
    #[error("configuration: {0}")]
    Config(String),
}

impl WechatError {
    /// Whether this refusal is about who sent the push (answered 403) rather than what it says (400).
    pub fn is_authentication(&self) -> bool {
        matches!(self, WechatError::BadSignature | WechatError::StaleTimestamp | WechatError::AppIdMismatch)
    }

    /// The refusal in Chinese, for the error body.
    pub fn message_zh(&self) -> String {
        match self {
            WechatError::BadSignature => "签名校验失败".into(),
            WechatError::StaleTimestamp => "时间戳缺失或超出允许范围".into(),
            WechatError::BadMessage(m) => format!("消息格式有误：{m}"),
            WechatError::TooLarge(n) => format!("消息超过 {n} 字节"),
            WechatError::Decrypt(m) => format!("消息无法解密：{m}"),
            WechatError::AppIdMismatch => "消息不属于本公众号".into(),
            WechatError::Config(m) => format!("微信配置有误：{m}"),
        }
    }
}
