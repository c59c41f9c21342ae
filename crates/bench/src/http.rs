//! A thin HTTP client for the minsheng API: bearer-token sessions over one keep-alive pool.

use std::time::Duration;

use serde::Deserialize;

/// One HTTP client (connection pool) for a whole run; cheap to clone.
pub fn client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .tcp_nodelay(true)
        .pool_idle_timeout(Duration::from_secs(90))
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// A signed-in user.
#[derive(Clone)]
pub struct Session {
    pub client: reqwest::Client,
    pub base: String,
    pub auth: String,
    pub login: String,
    pub unit_id: Option<i64>,
}

#[derive(Deserialize)]
struct LoginAnswer {
    token: String,
    user: LoginUser,
}

#[derive(Deserialize)]
struct LoginUser {
    unit_id: Option<i64>,
}

/// The parts of a case answer (`{case: {...}, ...}`) the benchmarks need.
#[derive(Deserialize)]
pub struct DetailAnswer {
    pub case: CaseHead,
}

#[derive(Deserialize)]
pub struct CaseHead {
    pub id: i64,
    pub version: i64,
    pub state: String,
}

#[derive(Deserialize)]
pub struct ListAnswer {
    pub items: Vec<ListItem>,
    pub next_cursor: Option<String>,
}

#[derive(Deserialize)]
pub struct ListItem {
    pub id: i64,
}

#[derive(Deserialize)]
pub struct UnitAnswer {
    pub id: i64,
    pub kind: String,
}

/// Signs in with a password; the returned session sends the token as a bearer token.
pub async fn login(client: &reqwest::Client, base: &str, login: &str, password: &str) -> Result<Session, String> {
    let base = base.trim_end_matches('/').to_string();
    let resp = client
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({ "login": login, "password": password }))
        .send()
        .await
        .map_err(|e| format!("login {login}: {e}"))?;
    let status = resp.status();
    let body = resp.bytes().await.map_err(|e| format!("login {login}: {e}"))?;
    if !status.is_success() {
        return Err(format!("login {login}: HTTP {status}: {}", String::from_utf8_lossy(&body)));
    }
    let answer: LoginAnswer = serde_json::from_slice(&body).map_err(|e| format!("login {login}: {e}"))?;
    Ok(Session {
        client: client.clone(),
        base,
        auth: format!("Bearer {}", answer.token),
        login: login.to_string(),
        unit_id: answer.user.unit_id,
    })
}

impl Session {
    /// POST a JSON body; the status and the raw body.
    pub async fn post(&self, path: &str, body: &serde_json::Value) -> Result<(u16, Vec<u8>), String> {
        let resp = self
            .client
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::AUTHORIZATION, &self.auth)
            .json(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| e.to_string())?.to_vec();
        Ok((status, bytes))
    }

    /// POST a prepared JSON body (no serialisation on the client's hot path).
    pub async fn post_raw(&self, path: &str, body: &'static [u8]) -> Result<(u16, Vec<u8>), String> {
        let resp = self
            .client
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::AUTHORIZATION, &self.auth)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| e.to_string())?.to_vec();
        Ok((status, bytes))
    }

    pub async fn get(&self, path: &str) -> Result<(u16, Vec<u8>), String> {
        let resp = self
            .client
            .get(format!("{}{path}", self.base))
            .header(reqwest::header::AUTHORIZATION, &self.auth)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|e| e.to_string())?.to_vec();
        Ok((status, bytes))
    }

    /// GET that must answer 200, parsed.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, String> {
        let (status, body) = self.get(path).await?;
        if status != 200 {
            return Err(format!("GET {path}: HTTP {status}: {}", String::from_utf8_lossy(&body)));
        }
        serde_json::from_slice(&body).map_err(|e| format!("GET {path}: {e}"))
    }

    /// Takes an action on a case; the case after it.
    pub async fn act(&self, case_id: i64, action: &str, body: serde_json::Value) -> Result<CaseHead, String> {
        let (status, bytes) = self.post(&format!("/api/cases/{case_id}/actions/{action}"), &body).await?;
        if status != 200 {
            return Err(format!("{action} by {}: HTTP {status}: {}", self.login, String::from_utf8_lossy(&bytes)));
        }
        serde_json::from_slice::<DetailAnswer>(&bytes).map(|d| d.case).map_err(|e| format!("{action}: {e}"))
    }
}

/// The engine the server runs on, from /healthz (`Sqlite` or `Postgres`).
pub async fn engine(client: &reqwest::Client, base: &str) -> String {
    let url = format!("{}/healthz", base.trim_end_matches('/'));
    match client.get(url).send().await {
        Ok(r) => r.json::<serde_json::Value>().await.ok().and_then(|v| v["engine"].as_str().map(str::to_string)).unwrap_or_default(),
        Err(_) => String::new(),
    }
}
