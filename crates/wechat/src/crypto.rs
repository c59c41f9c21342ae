//! Signatures and the safe mode (安全模式) of the WeChat message push protocol.
//!
//! - A push is signed by `sha1` over the token, timestamp and nonce (and, in safe mode, the
//!   ciphertext) sorted as byte strings and concatenated, in lower-case hex.
//! - In safe mode the message is AES-256-CBC encrypted: the key is the 43-character
//!   EncodingAESKey (消息加解密密钥) read as base64 with a `=` appended, the IV its first 16 bytes,
//!   PKCS#7 padding to multiples of 32 bytes (not AES's 16), and the plaintext is
//!   `16 random bytes ‖ message length (4 bytes, big-endian) ‖ message ‖ AppID`.

use aes::Aes256;
use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use sha1::{Digest, Sha1};

use crate::WechatError;

/// WeChat pads to multiples of 32 bytes.
const PAD_BLOCK: usize = 32;
/// The random prefix and the length field before the message.
const HEADER: usize = 16 + 4;

/// Standard base64, lenient about the unused bits of the last symbol: WeChat's keys are 43
/// random characters, so most end in a symbol whose low bits a strict decoder refuses, and
/// every reference implementation (Java, Python, PHP) ignores them.
const LENIENT: GeneralPurpose =
    GeneralPurpose::new(&base64::alphabet::STANDARD, GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true));

/// The protocol's signature of some strings: sorted, concatenated, sha1, lower-case hex.
pub fn signature(parts: &[&str]) -> String {
    let mut sorted = parts.to_vec();
    sorted.sort_unstable();
    let mut hash = Sha1::new();
    for part in sorted {
        hash.update(part.as_bytes());
    }
    hex::encode(hash.finalize())
}

/// Whether `given` is the signature of `parts`, compared in constant time so the comparison does
/// not tell an attacker how many leading characters were right.
pub fn signature_matches(given: &str, parts: &[&str]) -> bool {
    let expected = signature(parts);
    let given = given.trim().to_ascii_lowercase();
    given.len() == expected.len() && given.bytes().zip(expected.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// The cipher of one official account: its AES key and AppID.
#[derive(Clone)]
pub struct MessageCrypt {
    key: [u8; 32],
    app_id: String,
}

impl std::fmt::Debug for MessageCrypt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key never reaches a log.
        f.debug_struct("MessageCrypt").field("app_id", &self.app_id).finish_non_exhaustive()
    }
}

impl MessageCrypt {
    /// Reads the 43-character EncodingAESKey; anything else is a configuration error.
    pub fn new(encoding_aes_key: &str, app_id: &str) -> Result<Self, WechatError> {
        let k = encoding_aes_key.trim();
        if k.len() != 43 || !k.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(WechatError::Config("the EncodingAESKey must be 43 letters and digits".into()));
        }
        if app_id.trim().is_empty() {
            return Err(WechatError::Config("the AppID is empty".into()));
        }
        let bytes = LENIENT.decode(format!("{k}=")).map_err(|e| WechatError::Config(format!("the EncodingAESKey is not base64: {e}")))?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| WechatError::Config("the EncodingAESKey does not give 32 bytes".into()))?;
        Ok(MessageCrypt { key, app_id: app_id.trim().to_string() })
    }

    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// Encrypts a message (a reply) with a fresh random prefix; base64.
    pub fn encrypt(&self, message: &str) -> String {
        self.encrypt_with(message, rand::random::<[u8; 16]>())
    }

    /// Encrypts with a given random prefix (the published test vectors fix it).
    pub fn encrypt_with(&self, message: &str, random: [u8; 16]) -> String {
        let mut buf = Vec::with_capacity(HEADER + message.len() + self.app_id.len() + PAD_BLOCK);
        buf.extend_from_slice(&random);
        buf.extend_from_slice(&(message.len() as u32).to_be_bytes());
        buf.extend_from_slice(message.as_bytes());
        buf.extend_from_slice(self.app_id.as_bytes());
        // PKCS#7 always pads, a whole block of 32 when the text already fits.
        let pad = PAD_BLOCK - buf.len() % PAD_BLOCK;
        buf.resize(buf.len() + pad, pad as u8);
        let len = buf.len();
        let encryptor = cbc::Encryptor::<Aes256>::new(&self.key.into(), &self.iv().into());
        // The buffer is a whole number of blocks, so padding "none" cannot fail; were it to,
        // the reply would be empty and WeChat shows nothing, which is what "success" does too.
        match encryptor.encrypt_padded_mut::<NoPadding>(&mut buf, len) {
            Ok(cipher) => base64::engine::general_purpose::STANDARD.encode(cipher),
            Err(_) => String::new(),
        }
    }

    /// Decrypts a base64 ciphertext and checks that it was meant for this AppID.
    pub fn decrypt(&self, encrypted: &str) -> Result<String, WechatError> {
        let mut buf = LENIENT.decode(encrypted.trim()).map_err(|e| WechatError::Decrypt(format!("not base64: {e}")))?;
        if buf.is_empty() || buf.len() % 16 != 0 {
            return Err(WechatError::Decrypt("not a whole number of AES blocks".into()));
        }
        let decryptor = cbc::Decryptor::<Aes256>::new(&self.key.into(), &self.iv().into());
        let plain = decryptor.decrypt_padded_mut::<NoPadding>(&mut buf).map_err(|_| WechatError::Decrypt("bad blocks".into()))?;
        let pad = plain.last().copied().map(usize::from).unwrap_or(0);
        if pad == 0 || pad > PAD_BLOCK || pad > plain.len() || plain[plain.len() - pad..].iter().any(|&b| usize::from(b) != pad) {
            return Err(WechatError::Decrypt("bad padding (wrong key?)".into()));
        }
        let content = &plain[..plain.len() - pad];
        if content.len() < HEADER {
            return Err(WechatError::Decrypt("too short".into()));
        }
        let mut len_bytes = [0u8; 4];
        len_bytes.copy_from_slice(&content[16..HEADER]);
        let len = u32::from_be_bytes(len_bytes) as usize;
        let Some(end) = HEADER.checked_add(len).filter(|&end| end <= content.len()) else {
            return Err(WechatError::Decrypt("the length field exceeds the text".into()));
        };
        if &content[end..] != self.app_id.as_bytes() {
            return Err(WechatError::AppIdMismatch);
        }
        String::from_utf8(content[HEADER..end].to_vec()).map_err(|_| WechatError::Decrypt("the message is not UTF-8".into()))
    }

    fn iv(&self) -> [u8; 16] {
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&self.key[..16]);
        iv
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The published sample of the protocol (WeChat's WXBizMsgCrypt demo): a key whose last symbol
    // has non-zero unused bits, a text message, its ciphertext and msg_signature. Checked
    // independently with `openssl enc -d -aes-256-cbc -nopad` and `sha1sum`.
    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    const SAMPLE_ENCRYPT: &str = "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=";

    #[test]
    fn the_published_sample_verifies_and_decrypts() {
        assert!(signature_matches("5d197aaffba7e9b25a30732f161a50dee96bd5fa", &["spamtest", "1409735669", "1320562132", SAMPLE_ENCRYPT]));
        let crypt = MessageCrypt::new(KEY, "wx2c2769f8efd9abc2").unwrap();
        let xml = crypt.decrypt(SAMPLE_ENCRYPT).unwrap();
        assert!(xml.starts_with("<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"), "{xml}");
        assert!(xml.contains("<Content><![CDATA[abcdteT]]></Content>"));
        assert!(xml.contains("<MsgId>6054768590064713728</MsgId>"));
        assert!(xml.ends_with("</xml>"));
    }

    #[test]
    fn the_published_encryption_vector_is_reproduced() {
        // The demo's fixed random prefix "aaaabbbbccccdddd" and AppID wxb11529c136998cb6.
        let crypt = MessageCrypt::new(KEY, "wxb11529c136998cb6").unwrap();
        let random: [u8; 16] = *b"aaaabbbbccccdddd";
        assert_eq!(
            crypt.encrypt_with("我是中文abcd123", random),
            "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
        );
    }

    #[test]
    fn another_appid_is_refused() {
        let crypt = MessageCrypt::new(KEY, "wx0000000000000000").unwrap();
        assert_eq!(crypt.decrypt(SAMPLE_ENCRYPT), Err(WechatError::AppIdMismatch));
    }

    #[test]
    fn round_trips_at_every_padding_length() {
        let crypt = MessageCrypt::new("0123456789abcdefghijklmnopqrstuvwxyzABCDEFG", "wxappid").unwrap();
        for n in 0..70 {
            let text: String = "测".repeat(n % 3) + &"x".repeat(n);
            let sealed = crypt.encrypt(&text);
            assert_eq!(crypt.decrypt(&sealed).unwrap(), text, "length {n}");
        }
        // A fresh random prefix each time: the same reply never repeats its ciphertext.
        assert_ne!(crypt.encrypt("同一条"), crypt.encrypt("同一条"));
    }

    #[test]
    fn a_wrong_key_or_corrupted_text_is_an_error_not_a_panic() {
        let other = MessageCrypt::new("ZZZZefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2").unwrap();
        assert!(matches!(other.decrypt(SAMPLE_ENCRYPT), Err(WechatError::Decrypt(_) | WechatError::AppIdMismatch)));
        let crypt = MessageCrypt::new(KEY, "wx2c2769f8efd9abc2").unwrap();
        for bad in ["", "!!!!", "aGVsbG8=", &SAMPLE_ENCRYPT[..40]] {
            assert!(crypt.decrypt(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn keys_of_the_wrong_shape_are_refused() {
        for bad in ["", "short", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF", "abcdefghijklmnopqrstuvwxyz0123456789ABCDE+/"] {
            assert!(matches!(MessageCrypt::new(bad, "wx1"), Err(WechatError::Config(_))), "{bad}");
        }
        assert!(MessageCrypt::new(KEY, " ").is_err());
    }

    #[test]
    fn signatures_sort_their_parts() {
        // sha1("123abcxyz") — the order given does not matter.
        let a = signature(&["xyz", "abc", "123"]);
        assert_eq!(a, signature(&["123", "abc", "xyz"]));
        // `printf 123abcxyz | sha1sum`
        assert_eq!(a, "94ffbd20c84766e871799062cb1bc3e3f40c5e13");
        assert!(signature_matches(&a.to_uppercase(), &["abc", "xyz", "123"]));
        assert!(!signature_matches(&a[..39], &["abc", "xyz", "123"]));
        assert!(!signature_matches("", &["abc", "xyz", "123"]));
    }
}
