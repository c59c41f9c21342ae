//! The harness of the storage contract's test files: a fresh store on each engine, the test macro
//! that runs a story on both, and the few helpers every story uses.
#![allow(dead_code)]

use std::sync::Arc;

use minsheng_domain::case::Case;
use minsheng_domain::event::{ActorStamp, Event, EventKind};
use minsheng_domain::org::Role;
use minsheng_store::{CaseChange, Store, StoreError};

pub async fn sqlite() -> Arc<dyn Store> {
    let s = minsheng_store::open(&format!("sqlite://{}", minsheng_testkit::fresh_sqlite_path())).await.unwrap();
    s.migrate().await.unwrap();
    s
}

pub async fn postgres() -> Arc<dyn Store> {
    let s = minsheng_store::open(&minsheng_testkit::fresh_pg_database().await).await.unwrap();
    s.migrate().await.unwrap();
    s
}

/// Runs each named `async fn(Arc<dyn Store>)` once on a fresh SQLite and once on a fresh PostgreSQL.
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

pub const T0: i64 = 1_795_320_000_000; // 2026-11-22 12:00 China time

pub fn actor() -> ActorStamp {
    ActorStamp { user_id: Some(1), name: "话务员甲".into(), role: Role::Operator, unit_id: None, unit_name: None }
}

/// Appends one domain event the way the application does.
pub async fn push(store: &Arc<dyn Store>, case: &Case, kind: EventKind, at: i64) -> Result<Case, StoreError> {
    let mut next = case.clone();
    let e = Event { seq: case.version + 1, at, actor: actor(), kind, note: Some("说明".into()), deadlines: None };
    next.apply(&e);
    let mut out = store
        .append(vec![CaseChange { case: next, expected_version: case.version, events: vec![e], fires: vec![], notices: vec![] }])
        .await?;
    Ok(out.remove(0))
}
