//! Who is asking: passwords (argon2id), session tokens (cookie for browsers, bearer for API
//! clients) and API keys for integrations, each turned into an [`Actor`]. Secrets are stored only
//! as hashes; tokens are random 256-bit values.

use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, PasswordHash};
use base64::Engine as _;
use minsheng_domain::org::{Actor, Role, UnitId};
use minsheng_domain::{DomainError, DomainResult, ErrorCode, Millis};
use minsheng_store::{ApiKeyRecord, NewApiKey, NewUser, UserRecord};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::App;

/// Sessions last 12 hours: one working day plus a night shift's overlap.
pub const SESSION_TTL_MS: i64 = 12 * 3600 * 1000;

pub fn hash_password(password: &str) -> DomainResult<String> {
    if password.chars().count() < 8 || password.len() > 256 {
        return Err(DomainError::invalid("password", "密码长度应为 8 至 256 个字符", "must be 8 to 256 characters"));
    }
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|_| DomainError::internal())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn unauthenticated() -> DomainError {
    DomainError::new(ErrorCode::Unauthenticated, "未登录或登录已过期", "not signed in, or the session has expired")
}

/// A freshly created API key: `key` is shown once and never stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CreatedApiKey {
    pub record: ApiKeyRecord,
    pub key: String,
}

impl App {
    /// Checks a password and opens a session. The same error for an unknown login and a wrong
    /// password, so logins cannot be enumerated.
    pub async fn login(&self, login: &str, password: &str) -> DomainResult<(String, UserRecord)> {
        let wrong = || DomainError::new(ErrorCode::Unauthenticated, "用户名或密码错误", "wrong login or password");
        let user = self.store.user_by_login(login.trim()).await?;
        let Some(user) = user.filter(|u| u.active) else {
            // Spend the same time as a real check so timing does not tell either.
            let _ = verify_password(
                password,
                "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3ZQZ5XnZbK2l6N0zX1c5aS8Qe4xPz3yI3u3y0b9QK0U",
            );
            return Err(wrong());
        };
        if !verify_password(password, &user.password_hash) {
            return Err(wrong());
        }
        let token = random_token(32);
        let now = self.clock.now();
        self.store.insert_session(&sha256_hex(&token), user.id, now, now + SESSION_TTL_MS).await?;
        Ok((token, user))
    }

    pub async fn logout(&self, token: &str) -> DomainResult<()> {
        let hash = sha256_hex(token);
        self.credentials.forget(&hash);
        self.store.delete_session(&hash).await?;
        Ok(())
    }

    /// The actor behind a session token (from the cookie or an `Authorization: Bearer` header).
    pub async fn actor_for_token(&self, token: &str) -> DomainResult<Actor> {
        let hash = sha256_hex(token);
        let now = self.clock.now();
        if let Some(actor) = self.credentials.get(&hash, now) {
            return Ok(actor);
        }
        let user_id = self.store.session_user(&hash, now).await?.ok_or_else(unauthenticated)?;
        let user = self.store.get_user(user_id).await?.ok_or_else(unauthenticated)?;
        let actor = self.actor_for_user(&user).await?;
        self.credentials.put(hash, actor.clone(), now);
        Ok(actor)
    }

    pub async fn actor_for_user(&self, user: &UserRecord) -> DomainResult<Actor> {
        let unit = match user.unit_id {
            Some(id) => self.store.get_unit(id).await?.map(|u| u.as_ref()),
            None => None,
        };
        Ok(Actor { user_id: Some(user.id), name: user.name.clone(), role: user.role, unit })
    }

    /// The actor behind an API key `msk_<prefix>_<secret>`.
    pub async fn actor_for_api_key(&self, key: &str) -> DomainResult<Actor> {
        let cache_key = format!("key:{}", sha256_hex(key));
        let now = self.clock.now();
        if let Some(actor) = self.credentials.get(&cache_key, now) {
            return Ok(actor);
        }
        let mut parts = key.splitn(3, '_');
        let (Some("msk"), Some(prefix), Some(secret)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(unauthenticated());
        };
        let record = self.store.api_key_by_prefix(prefix).await?.ok_or_else(unauthenticated)?;
        let presented = sha256_hex(secret);
        if record.revoked_at.is_some() || !constant_time_eq(presented.as_bytes(), record.secret_hash.as_bytes()) {
            return Err(unauthenticated());
        }
        let unit = match record.unit_id {
            Some(id) => self.store.get_unit(id).await?.map(|u| u.as_ref()),
            None => None,
        };
        let actor = Actor { user_id: None, name: format!("接口:{}", record.name), role: record.role, unit };
        self.credentials.put(cache_key, actor.clone(), now);
        Ok(actor)
    }

    pub async fn create_api_key(&self, actor: &Actor, name: &str, role: Role, unit_id: Option<UnitId>) -> DomainResult<CreatedApiKey> {
        require_admin(actor)?;
        let name = minsheng_domain::value::PersonName::parse(name)?;
        if matches!(role, Role::Admin | Role::Citizen) {
            return Err(DomainError::invalid(
                "role",
                "接口密钥不能使用管理员或市民角色",
                "an API key cannot have the admin or citizen role",
            ));
        }
        if let Some(id) = unit_id {
            self.store.get_unit(id).await?.ok_or_else(|| DomainError::invalid("unit_id", "单位不存在", "no such unit"))?;
        }
        let prefix = random_token(6).replace(['-', '_'], "x");
        let secret = random_token(24);
        let record = self
            .store
            .insert_api_key(NewApiKey {
                name: name.to_string(),
                prefix: prefix.clone(),
                secret_hash: sha256_hex(&secret),
                role,
                unit_id,
                created_at: self.clock.now(),
            })
            .await?;
        Ok(CreatedApiKey { record, key: format!("msk_{prefix}_{secret}") })
    }

    pub async fn list_api_keys(&self, actor: &Actor) -> DomainResult<Vec<ApiKeyRecord>> {
        require_admin(actor)?;
        Ok(self.store.list_api_keys().await?)
    }

    pub async fn revoke_api_key(&self, actor: &Actor, id: i64) -> DomainResult<()> {
        require_admin(actor)?;
        // Keys are cached by their secret's hash, which the id does not give: forget them all.
        self.credentials.clear();
        if self.store.revoke_api_key(id, self.clock.now()).await? {
            Ok(())
        } else {
            Err(DomainError::not_found("有效的接口密钥", "live API key"))
        }
    }

    /// Adds a user (administrators; the CLI acts as the system).
    pub async fn add_user(
        &self,
        actor: &Actor,
        login: &str,
        name: &str,
        role: Role,
        unit_id: Option<UnitId>,
        password: &str,
    ) -> DomainResult<UserRecord> {
        require_admin(actor)?;
        let login = login.trim();
        if login.is_empty() || login.len() > 64 || !login.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
            return Err(DomainError::invalid(
                "login",
                "登录名只能包含字母、数字、_ - .，最长 64 位",
                "letters, digits, _ - . only, at most 64",
            ));
        }
        let name = minsheng_domain::value::PersonName::parse(name)?;
        if role == Role::System || role == Role::Citizen {
            return Err(DomainError::invalid("role", "不能创建系统或市民账号", "system and citizen accounts cannot be created"));
        }
        match unit_id {
            Some(id) => {
                self.store.get_unit(id).await?.ok_or_else(|| DomainError::invalid("unit_id", "单位不存在", "no such unit"))?;
            }
            None if role.is_unit_role() || role == Role::GridWorker => {
                return Err(DomainError::invalid("unit_id", "该角色必须属于一个单位", "this role must belong to a unit"));
            }
            None => {}
        }
        let hash = hash_password(password)?;
        Ok(self
            .store
            .insert_user(NewUser {
                login: login.to_string(),
                name: name.to_string(),
                role,
                unit_id,
                phone: None,
                password_hash: hash,
                created_at: self.clock.now(),
            })
            .await?)
    }

    pub async fn reset_password(&self, actor: &Actor, login: &str, password: &str) -> DomainResult<()> {
        require_admin(actor)?;
        let user = self.store.user_by_login(login).await?.ok_or_else(|| DomainError::not_found("用户", "user"))?;
        let hash = hash_password(password)?;
        self.store.set_password_hash(user.id, &hash).await?;
        Ok(())
    }
}

/// Resolved credentials, kept for a few seconds so a busy client does not cost three database
/// reads per request. The price: a revoked session or key on another node lives on for at most
/// [`CredentialCache::TTL_MS`]; on this node logout and revocation take effect at once.
#[derive(Default)]
pub struct CredentialCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (Actor, Millis)>>,
}

impl CredentialCache {
    pub const TTL_MS: Millis = 10_000;
    /// Bounds memory under a flood of distinct tokens; past it the cache starts afresh.
    const MAX_ENTRIES: usize = 50_000;

    fn get(&self, key: &str, now: Millis) -> Option<Actor> {
        let entries = self.entries.lock().ok()?;
        entries.get(key).filter(|(_, until)| *until > now).map(|(a, _)| a.clone())
    }

    fn put(&self, key: String, actor: Actor, now: Millis) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= Self::MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, (actor, now + Self::TTL_MS));
        }
    }

    fn forget(&self, key: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }

    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

pub(crate) fn require_admin(actor: &Actor) -> DomainResult<()> {
    if matches!(actor.role, Role::Admin | Role::System) {
        Ok(())
    } else {
        Err(DomainError::new(ErrorCode::Forbidden, "仅管理员可以执行此操作", "only administrators may do this"))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse!", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(hash_password("short").is_err());
    }
}
