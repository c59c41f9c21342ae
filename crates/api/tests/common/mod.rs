//! The HTTP test harness shared by the API's test files: a real server on a free port over the
//! demo city, on SQLite or PostgreSQL, and a client speaking JSON with a bearer token.
#![allow(dead_code)]

use std::sync::Arc;

use minsheng_app::{App, Settings, SystemClock};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub struct Server {
    pub base: String,
    pub http: reqwest::Client,
    pub app: App,
}

pub async fn start(url: String) -> Server {
    start_with(url, Settings::default()).await
}

/// A server with these settings (channels' secrets, limits).
pub async fn start_with(url: String, settings: Settings) -> Server {
    let store = minsheng_store::open(&url).await.unwrap();
    store.migrate().await.unwrap();
    let app = App::new(store, Arc::new(SystemClock), settings);
    let hash = minsheng_app::auth::hash_password(minsheng_app::demo::DEMO_PASSWORD).unwrap();
    minsheng_app::demo::load(app.store.as_ref(), &hash, 0).await.unwrap();
    app.reload_catalogue().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = minsheng_api::router(app.clone());
    tokio::spawn(async move { axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>()).await });
    Server { base, http: reqwest::Client::new(), app }
}

pub async fn sqlite() -> Server {
    start(format!("sqlite://{}", minsheng_testkit::fresh_sqlite_path())).await
}

pub async fn postgres() -> Server {
    start(minsheng_testkit::fresh_pg_database().await).await
}

/// Runs each named `async fn(Server)` once on a fresh SQLite and once on a fresh PostgreSQL.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() { super::$name(super::common::sqlite().await).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() { super::$name(super::common::postgres().await).await }
        }
    )+};
}

impl Server {
    pub async fn token(&self, login: &str) -> String {
        let r = self
            .http
            .post(format!("{}/api/auth/login", self.base))
            .json(&json!({"login": login, "password": "minsheng123"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "login {login}");
        r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
    }

    pub async fn send(&self, r: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let r = r.send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.send(self.http.get(format!("{}{path}", self.base)).bearer_auth(token)).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.http.post(format!("{}{path}", self.base)).bearer_auth(token).json(&body)).await
    }

    pub async fn put(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.http.put(format!("{}{path}", self.base)).bearer_auth(token).json(&body)).await
    }

    /// A POST with a body that is not JSON (CSV imports).
    pub async fn raw(&self, token: &str, path: &str, content_type: &str, body: impl Into<reqwest::Body>) -> (StatusCode, Value) {
        self.send(self.http.post(format!("{}{path}", self.base)).bearer_auth(token).header("content-type", content_type).body(body)).await
    }

    /// Posts a body over the size limit. The server answers 413 without reading the rest and closes
    /// the connection, so a client still writing may see the close before the answer; it tries again.
    pub async fn oversized(&self, token: &str, path: &str, body: String) -> (StatusCode, Value) {
        for _ in 0..9 {
            let sent = self.http.post(format!("{}{path}", self.base)).bearer_auth(token).header("content-type", "application/json");
            if let Ok(r) = sent.body(body.clone()).send().await {
                let status = r.status();
                return (status, r.json().await.unwrap_or(Value::Null));
            }
        }
        self.raw(token, path, "application/json", body).await
    }

    pub async fn unit(&self, code: &str) -> i64 {
        self.app.store.unit_by_code(code).await.unwrap().unwrap().id
    }

    pub async fn create(&self, token: &str, body: Value) -> Value {
        let (s, v) = self.post(token, "/api/cases", body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v
    }

    /// Acts and expects success; returns the case detail after the action.
    pub async fn act(&self, token: &str, number: &str, action: &str, mut body: Value) -> Value {
        let version = self.get(token, &format!("/api/cases/{number}")).await.1["case"]["version"].clone();
        body["version"] = version;
        let (s, v) = self.post(token, &format!("/api/cases/{number}/actions/{action}"), body).await;
        assert_eq!(s, StatusCode::OK, "{action}: {v}");
        v
    }

    pub async fn count(&self) -> i64 {
        self.app.store.count_cases().await.unwrap()
    }
}
