//! Parsed values: each has a private field and a `parse` constructor, so a value that exists is
//! valid. Channels parse at their edge and the rest of the system never re-checks.

use serde::{Deserialize, Serialize};

use crate::error::{DomainError, DomainResult};

/// Rejects control characters. Newlines and tabs are allowed only where `multiline` is set,
/// because titles and names are shown on one line in lists and on the big screen.
fn check_text(field: &str, value: &str, max_chars: usize, multiline: bool) -> DomainResult<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(DomainError::invalid(field, "不能为空", "must not be empty"));
    }
    let count = trimmed.chars().count();
    if count > max_chars {
        return Err(DomainError::invalid(
            field,
            format!("过长（{count} 字，最多 {max_chars} 字）"),
            format!("too long ({count} characters, at most {max_chars})"),
        ));
    }
    if let Some(c) = trimmed.chars().find(|c| c.is_control() && !(multiline && (*c == '\n' || *c == '\t' || *c == '\r'))) {
        return Err(DomainError::invalid(
            field,
            format!("含有控制字符 U+{:04X}", c as u32),
            format!("contains the control character U+{:04X}", c as u32),
        ));
    }
    Ok(trimmed.to_string())
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, $field:literal, $max:expr, $multiline:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;
            pub fn parse(value: &str) -> DomainResult<Self> {
                check_text($field, value, $max, $multiline).map($name)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = DomainError;
            fn try_from(value: String) -> DomainResult<Self> {
                Self::parse(&value)
            }
        }
        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_type!(
    /// 标题: one line, shown in every list.
    Title, "title", 100, false
);
text_type!(
    /// 诉求内容: what the citizen said, several paragraphs at most.
    CaseText, "text", 5000, true
);
text_type!(
    /// A reason or note attached to an action (退单理由, 办理情况, 回复内容...).
    Note, "note", 5000, true
);
text_type!(
    /// A person's name as given; may be a surname only ("王先生").
    PersonName, "name", 50, false
);
text_type!(
    /// 地址: free text as the citizen says it.
    Address, "address", 200, false
);

/// A Chinese telephone number: an 11-digit mobile number or a landline with its area code.
/// Stored as digits only; `+86`, spaces and dashes are accepted on input.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(value: &str) -> DomainResult<Self> {
        let bad = || {
            DomainError::invalid(
                "phone",
                "不是有效的电话号码（手机 11 位或带区号的固话）",
                "not a valid phone number (11-digit mobile or landline with area code)",
            )
        };
        let mut s: String = value.trim().chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if let Some(rest) = s.strip_prefix("+86").or_else(|| s.strip_prefix("0086")) {
            s = rest.to_string();
        }
        if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let bytes = s.as_bytes();
        let mobile = s.len() == 11 && bytes[0] == b'1' && (b'3'..=b'9').contains(&bytes[1]);
        let landline = bytes[0] == b'0' && (10..=12).contains(&s.len()) && bytes.get(1) != Some(&b'0');
        if mobile || landline { Ok(PhoneNumber(s)) } else { Err(bad()) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// 138****1234 for a mobile; landlines keep the area code and the last four digits.
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }

    /// The last four digits, which a citizen gives with the case number to track it.
    pub fn last_four(&self) -> &str {
        &self.0[self.0.len().saturating_sub(4)..]
    }
}

/// Masks any digit string the way [`PhoneNumber::masked`] does; used where a raw number was stored.
pub fn mask_phone(digits: &str) -> String {
    let n = digits.chars().count();
    if n <= 4 {
        return "*".repeat(n);
    }
    let keep_head = if n == 11 && digits.starts_with('1') { 3 } else { (n - 4).min(4) };
    let head: String = digits.chars().take(keep_head).collect();
    let tail: String = digits.chars().skip(n - 4).collect();
    format!("{head}{}{tail}", "*".repeat(n - keep_head - 4))
}

impl TryFrom<String> for PhoneNumber {
    type Error = DomainError;
    fn try_from(value: String) -> DomainResult<Self> {
        Self::parse(&value)
    }
}
impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> String {
        value.0
    }
}

/// An e-mail address as a citizen gave it (or as their mail came from). Checked only for shape:
/// one `@`, a dotted domain, no spaces or control characters, at most 254 characters; stored in
/// lower case so one citizen is one address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(value: &str) -> DomainResult<Self> {
        let s = value.trim().to_lowercase();
        let bad = || DomainError::invalid("email", "不是有效的电子邮件地址", "not a valid e-mail address");
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"')) {
            return Err(bad());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
        let domain_ok = domain.contains('.')
            && domain.split('.').all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'))
            && !domain.contains('@');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(bad());
        }
        Ok(EmailAddress(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// zh***@example.com: the first two characters of the local part and the domain.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or((&self.0, ""));
        let head: String = local.chars().take(2).collect();
        format!("{head}***@{domain}")
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = DomainError;
    fn try_from(value: String) -> DomainResult<Self> {
        Self::parse(&value)
    }
}
impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> String {
        value.0
    }
}

/// A WeChat user's OpenID within the city's official account (公众号): 1–64 characters of
/// letters, digits, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct WechatOpenId(String);

impl WechatOpenId {
    pub fn parse(value: &str) -> DomainResult<Self> {
        let s = value.trim();
        if s.is_empty() || s.len() > 64 || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(DomainError::invalid("wechat_openid", "不是有效的微信 OpenID", "not a valid WeChat OpenID"));
        }
        Ok(WechatOpenId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for WechatOpenId {
    type Error = DomainError;
    fn try_from(value: String) -> DomainResult<Self> {
        Self::parse(&value)
    }
}
impl From<WechatOpenId> for String {
    fn from(value: WechatOpenId) -> String {
        value.0
    }
}

/// 工单编号: the city prefix, the intake date (China time) and a daily sequence, e.g.
/// `HK20261122000123`. A child order takes a `-01` suffix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct CaseNumber(String);

impl CaseNumber {
    pub const SEQUENCE_DIGITS: usize = 6;

    pub fn parse(value: &str) -> DomainResult<Self> {
        let s = value.trim().to_ascii_uppercase();
        let (main, suffix) = match s.split_once('-') {
            Some((m, x)) => (m, Some(x)),
            None => (s.as_str(), None),
        };
        let prefix_len = main.chars().take_while(|c| c.is_ascii_uppercase()).count();
        let digits = &main[prefix_len..];
        let ok = (1..=6).contains(&prefix_len)
            && digits.len() == 8 + Self::SEQUENCE_DIGITS
            && digits.chars().all(|c| c.is_ascii_digit())
            && suffix.is_none_or(|x| x.len() == 2 && x.chars().all(|c| c.is_ascii_digit()));
        if ok {
            Ok(CaseNumber(s))
        } else {
            Err(DomainError::invalid(
                "case_number",
                "格式应为 城市代码+日期+6位序号，如 HK20261122000123",
                "expected city prefix + date + 6-digit sequence, e.g. HK20261122000123",
            ))
        }
    }

    /// Builds the number of the `sequence`-th case of `day` (YYYYMMDD).
    pub fn compose(prefix: &str, day: &str, sequence: i64) -> DomainResult<Self> {
        Self::parse(&format!("{prefix}{day}{sequence:06}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CaseNumber {
    type Error = DomainError;
    fn try_from(value: String) -> DomainResult<Self> {
        Self::parse(&value)
    }
}
impl From<CaseNumber> for String {
    fn from(value: CaseNumber) -> String {
        value.0
    }
}
impl std::fmt::Display for CaseNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The day part of a case number for an intake time: YYYYMMDD in China time.
pub fn case_day(at: crate::Millis) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|t| t.with_timezone(&crate::CHINA).format("%Y%m%d").to_string())
        .unwrap_or_else(|| "19700101".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_parse_and_mask() {
        let p = PhoneNumber::parse("+86 138-0013-1234").unwrap();
        assert_eq!(p.as_str(), "13800131234");
        assert_eq!(p.masked(), "138****1234");
        assert_eq!(p.last_four(), "1234");
        let l = PhoneNumber::parse("0898-66661234").unwrap();
        assert_eq!(l.as_str(), "089866661234");
        assert_eq!(l.masked(), "0898****1234");
        for bad in ["", "12345", "23800131234", "1380013123a", "138001312345", "0012345678", "12800131234"] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn texts_refuse_control_characters_and_overlength() {
        assert!(Title::parse("路灯不亮").is_ok());
        assert!(Title::parse("路灯\n不亮").is_err());
        assert!(CaseText::parse("第一段\n第二段").is_ok());
        assert!(CaseText::parse("坏\u{0007}字符").is_err());
        assert!(Title::parse(&"长".repeat(101)).is_err());
        assert!(Title::parse("   ").is_err());
        assert_eq!(Title::parse("  路灯  ").unwrap().as_str(), "路灯");
    }

    #[test]
    fn case_numbers() {
        let n = CaseNumber::compose("HK", "20261122", 123).unwrap();
        assert_eq!(n.as_str(), "HK20261122000123");
        assert!(CaseNumber::parse("hk20261122000123-01").is_ok());
        assert!(CaseNumber::parse("HK2026112200012").is_err());
        assert!(CaseNumber::parse("2026112200012345").is_err());
        assert_eq!(case_day(1_795_363_200_000 - 1), "20261122"); // 23:59:59.999 China time on the 22nd
    }
}
