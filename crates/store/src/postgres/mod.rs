//! The PostgreSQL engine of [`Store`], for deployments on several machines: a pool of
//! tokio-postgres connections, one transaction per trait method, migrations in `0001_init.sql`.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use minsheng_domain::Millis;
use minsheng_domain::case::{Case, CaseId};
use minsheng_domain::event::Event;
use minsheng_domain::org::{Role, UnitId, UnitKind, UserId};
use minsheng_domain::value::{CaseNumber, case_day};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{FromSql, ToSql};
use tokio_postgres::{NoTls, Row};

use minsheng_domain::deadline::Light;
use minsheng_domain::knowledge::Article;
use minsheng_domain::people::PersonDraft;

use crate::PersonRecord;
use crate::{
    ApiKeyRecord, CaseChange, CaseColumns, CasePage, CaseQuery, ClockFire, ColumnShape, DueClock, Engine, NewApiKey, NewCase, NewUnit,
    NewUser, Scope, Store, StoreError, StoreResult, UnitRecord, UserRecord, from_json, like_pattern, to_json,
};

/// Every migration, in order. A version is applied once and recorded in `schema_migrations`.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("0001_init.sql")),
    (2, include_str!("0002_clocks.sql")),
    (3, include_str!("0003_inbox.sql")),
    (4, include_str!("0004_facts_outbox.sql")),
    (5, include_str!("0005_catalogue.sql")),
    (6, include_str!("0006_rollups.sql")),
    (7, include_str!("0007_supervision.sql")),
    (8, include_str!("0008_classifier.sql")),
    (9, include_str!("0009_knowledge_people.sql")),
    (10, include_str!("0010_channels.sql")),
];

/// Key of the advisory lock that serialises migrations across processes ("minsheng" in ASCII).
const MIGRATION_LOCK: i64 = 0x6d69_6e73_6865_6e67;

const POOL_SIZE: usize = 16;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request waits for a free connection before failing instead of hanging.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_PAGE: u32 = 200;

const UNIT_COLUMNS: &str = "id, code, name, kind, parent_id, path, division_code, department_type, active";
const USER_COLUMNS: &str = "id, login, name, role, unit_id, phone, password_hash, active, created_at";
const API_KEY_COLUMNS: &str = "id, name, prefix, secret_hash, role, unit_id, created_at, revoked_at";

#[derive(Clone, Debug)]
pub struct PgStore {
    pool: Pool,
}

impl PgStore {
    /// Builds the pool for a `postgres://` URL and checks that the server answers.
    pub async fn connect(url: &str) -> StoreResult<PgStore> {
        // The URL may carry a password, so errors never repeat it.
        let config: tokio_postgres::Config = url.parse().map_err(|e| StoreError::Database(format!("invalid PostgreSQL URL: {e}")))?;
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .create_timeout(Some(CONNECT_TIMEOUT))
            .wait_timeout(Some(CHECKOUT_TIMEOUT))
            .build()
            .map_err(|e| StoreError::Database(format!("cannot build the PostgreSQL pool: {e}")))?;
        // Fail at start-up rather than on the first request when the server is unreachable.
        drop(pool.get().await.map_err(pool_err)?);
        Ok(PgStore { pool })
    }

    async fn conn(&self) -> StoreResult<deadpool_postgres::Object> {
        self.pool.get().await.map_err(pool_err)
    }

    async fn create_batch(&self, batch: Vec<NewCase>) -> StoreResult<Vec<Case>> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(pg_err)?;

        // Reserve each day's block of numbers in one statement, days in sorted order: two imports
        // spanning the same days then lock the counter rows in the same order and cannot deadlock.
        // The row lock holds until commit, so concurrent creators queue and a rollback leaves no gap.
        let days: Vec<String> = batch.iter().map(|n| case_day(n.at)).collect();
        let mut next_seq: BTreeMap<&str, i64> = BTreeMap::new();
        for day in &days {
            *next_seq.entry(day.as_str()).or_insert(0) += 1;
        }
        for (day, slot) in next_seq.iter_mut() {
            let count = *slot;
            let row = one(
                &tx,
                "INSERT INTO case_counters (day, last) VALUES ($1, $2) \
                 ON CONFLICT (day) DO UPDATE SET last = case_counters.last + EXCLUDED.last RETURNING last",
                &[day, &count],
            )
            .await?;
            let last: i64 = col(&row, 0)?;
            *slot = last - count + 1;
        }

        let mut cases = Vec::with_capacity(batch.len());
        for (new, day) in batch.iter().zip(&days) {
            let slot = next_seq.get_mut(day.as_str()).ok_or_else(|| StoreError::Database(format!("no sequence reserved for day {day}")))?;
            let seq = *slot;
            *slot += 1;
            let number = CaseNumber::compose(&new.number_prefix, day, seq)
                .map_err(|e| StoreError::Corrupt(format!("cannot compose a case number: {}", e.message_en)))?;
            let row = one(&tx, "SELECT nextval(pg_get_serial_sequence('cases', 'id'))", &[]).await?;
            let id: CaseId = col(&row, 0)?;
            let (case, events) = crate::build_new_case(id, number, new);
            insert_case_row(&tx, &case).await?;
            insert_events(&tx, id, &events).await?;
            add_access(&tx, &case).await?;
            sync_clocks(&tx, &case).await?;
            sync_facts(&tx, &case).await?;
            if !new.notices.is_empty() {
                insert_notices(&tx, &new.notices_for(&case)).await?;
            }
            if let Some(link) = &new.inbound {
                tx.execute(
                    "INSERT INTO inbound_messages (channel, message_id, case_id, received_at) VALUES ($1, $2, $3, $4)",
                    &[&link.channel, &link.message_id, &case.id, &new.at],
                )
                .await
                .map_err(|e| match e.code() {
                    Some(c) if *c == SqlState::UNIQUE_VIOLATION => StoreError::Duplicate(format!("inbound {}", link.message_id)),
                    _ => pg_err(e),
                })?;
                for key in &link.thread_keys {
                    exec(
                        &tx,
                        "INSERT INTO channel_threads (channel, thread_key, case_id, updated_at) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (channel, thread_key) DO UPDATE SET case_id = excluded.case_id, updated_at = excluded.updated_at",
                        &[&link.channel, key, &case.id, &new.at],
                    )
                    .await?;
                }
            }
            cases.push(case);
        }
        tx.commit().await.map_err(pg_err)?;
        Ok(cases)
    }
}

#[async_trait]
impl Store for PgStore {
    fn engine(&self) -> Engine {
        Engine::Postgres
    }

    async fn migrate(&self) -> StoreResult<()> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(pg_err)?;
        // Taken before anything else, so that even creating schema_migrations is serialised.
        tx.batch_execute(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")).await.map_err(pg_err)?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
            .await
            .map_err(pg_err)?;
        for (version, sql) in MIGRATIONS {
            let applied = tx.query_opt("SELECT 1 FROM schema_migrations WHERE version = $1", &[version]).await.map_err(pg_err)?.is_some();
            if applied {
                continue;
            }
            tx.batch_execute(sql).await.map_err(pg_err)?;
            if *version == 4 {
                for row in all(&tx, "SELECT data FROM cases", &[]).await? {
                    let case: Case = from_json(col::<&str>(&row, 0)?)?;
                    sync_facts_row(&tx, &case, crate::FactsRow::of(&case)).await?;
                }
            }
            if *version == 6 {
                for sql in crate::rollup::backfill_sql(crate::Engine::Postgres) {
                    tx.batch_execute(&sql).await.map_err(pg_err)?;
                }
            }
            tx.execute("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", &[version, &now_millis()])
                .await
                .map_err(pg_err)?;
        }
        tx.commit().await.map_err(pg_err)
    }

    async fn schema(&self) -> StoreResult<Vec<ColumnShape>> {
        let client = self.conn().await?;
        // information_schema uses domain types (sql_identifier, yes_or_no); cast them to text to read them.
        let rows = client
            .query(
                "SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.is_nullable::text \
                 FROM information_schema.columns c \
                 JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
                 WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.table_name <> 'schema_migrations' \
                 ORDER BY 1, 2",
                &[],
            )
            .await
            .map_err(pg_err)?;
        let mut shapes = rows
            .iter()
            .map(|row| {
                let data_type: &str = col(row, 2)?;
                let nullable: &str = col(row, 3)?;
                Ok(ColumnShape { table: col(row, 0)?, column: col(row, 1)?, kind: normalise_type(data_type), nullable: nullable == "YES" })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        shapes.sort();
        Ok(shapes)
    }

    async fn insert_unit(&self, unit: NewUnit) -> StoreResult<UnitRecord> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(pg_err)?;
        let parent_path: String = match unit.parent_id {
            Some(parent) => match opt(&tx, "SELECT path FROM units WHERE id = $1", &[&parent]).await? {
                Some(row) => col(&row, 0)?,
                None => return Err(StoreError::NotFound(format!("parent unit {parent}"))),
            },
            None => "/".to_string(),
        };
        // The path needs the id, which the insert allocates; both writes share the transaction.
        let row = one(
            &tx,
            "INSERT INTO units (code, name, kind, parent_id, path, division_code, department_type) \
             VALUES ($1, $2, $3, $4, '', $5, $6) RETURNING id",
            &[&unit.code, &unit.name, &unit.kind.as_str(), &unit.parent_id, &unit.division_code, &unit.department_type],
        )
        .await?;
        let id: UnitId = col(&row, 0)?;
        let path = format!("{parent_path}{id}/");
        exec(&tx, "UPDATE units SET path = $1 WHERE id = $2", &[&path, &id]).await?;
        tx.commit().await.map_err(pg_err)?;
        Ok(UnitRecord {
            id,
            code: unit.code,
            name: unit.name,
            kind: unit.kind,
            parent_id: unit.parent_id,
            path,
            division_code: unit.division_code,
            department_type: unit.department_type,
            active: true,
        })
    }

    async fn get_unit(&self, id: UnitId) -> StoreResult<Option<UnitRecord>> {
        let client = self.conn().await?;
        let row = opt(&client, &format!("SELECT {UNIT_COLUMNS} FROM units WHERE id = $1"), &[&id]).await?;
        row.as_ref().map(unit_from_row).transpose()
    }

    async fn unit_by_code(&self, code: &str) -> StoreResult<Option<UnitRecord>> {
        let client = self.conn().await?;
        let row = opt(&client, &format!("SELECT {UNIT_COLUMNS} FROM units WHERE code = $1"), &[&code]).await?;
        row.as_ref().map(unit_from_row).transpose()
    }

    async fn list_units(&self) -> StoreResult<Vec<UnitRecord>> {
        let client = self.conn().await?;
        // Byte order, as SQLite compares, whatever the database's locale.
        let rows = all(&client, &format!("SELECT {UNIT_COLUMNS} FROM units ORDER BY path COLLATE \"C\""), &[]).await?;
        rows.iter().map(unit_from_row).collect()
    }

    async fn insert_user(&self, user: NewUser) -> StoreResult<UserRecord> {
        let client = self.conn().await?;
        let row = one(
            &client,
            "INSERT INTO users (login, name, role, unit_id, phone, password_hash, active, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7) RETURNING id",
            &[&user.login, &user.name, &user.role.as_str(), &user.unit_id, &user.phone, &user.password_hash, &user.created_at],
        )
        .await?;
        Ok(UserRecord {
            id: col(&row, 0)?,
            login: user.login,
            name: user.name,
            role: user.role,
            unit_id: user.unit_id,
            phone: user.phone,
            password_hash: user.password_hash,
            active: true,
            created_at: user.created_at,
        })
    }

    async fn get_user(&self, id: UserId) -> StoreResult<Option<UserRecord>> {
        let client = self.conn().await?;
        let row = opt(&client, &format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"), &[&id]).await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn user_by_login(&self, login: &str) -> StoreResult<Option<UserRecord>> {
        let client = self.conn().await?;
        let row = opt(&client, &format!("SELECT {USER_COLUMNS} FROM users WHERE login = $1"), &[&login]).await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn list_users(&self) -> StoreResult<Vec<UserRecord>> {
        let client = self.conn().await?;
        let rows = all(&client, &format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"), &[]).await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn set_password_hash(&self, id: UserId, hash: &str) -> StoreResult<()> {
        let client = self.conn().await?;
        let changed = exec(&client, "UPDATE users SET password_hash = $1 WHERE id = $2", &[&hash, &id]).await?;
        if changed == 0 {
            return Err(StoreError::NotFound(format!("user {id}")));
        }
        Ok(())
    }

    async fn insert_session(&self, token_hash: &str, user_id: UserId, created_at: Millis, expires_at: Millis) -> StoreResult<()> {
        let client = self.conn().await?;
        exec(
            &client,
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            &[&token_hash, &user_id, &created_at, &expires_at],
        )
        .await?;
        Ok(())
    }

    async fn session_user(&self, token_hash: &str, now: Millis) -> StoreResult<Option<UserId>> {
        let client = self.conn().await?;
        let row = opt(
            &client,
            "SELECT s.user_id FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active",
            &[&token_hash, &now],
        )
        .await?;
        row.as_ref().map(|r| col(r, 0)).transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        let client = self.conn().await?;
        exec(&client, "DELETE FROM sessions WHERE token_hash = $1", &[&token_hash]).await?;
        Ok(())
    }

    async fn insert_api_key(&self, key: NewApiKey) -> StoreResult<ApiKeyRecord> {
        let client = self.conn().await?;
        let row = one(
            &client,
            "INSERT INTO api_keys (name, prefix, secret_hash, role, unit_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[&key.name, &key.prefix, &key.secret_hash, &key.role.as_str(), &key.unit_id, &key.created_at],
        )
        .await?;
        Ok(ApiKeyRecord {
            id: col(&row, 0)?,
            name: key.name,
            prefix: key.prefix,
            secret_hash: key.secret_hash,
            role: key.role,
            unit_id: key.unit_id,
            created_at: key.created_at,
            revoked_at: None,
        })
    }

    async fn api_key_by_prefix(&self, prefix: &str) -> StoreResult<Option<ApiKeyRecord>> {
        let client = self.conn().await?;
        let row = opt(&client, &format!("SELECT {API_KEY_COLUMNS} FROM api_keys WHERE prefix = $1"), &[&prefix]).await?;
        row.as_ref().map(api_key_from_row).transpose()
    }

    async fn list_api_keys(&self) -> StoreResult<Vec<ApiKeyRecord>> {
        let client = self.conn().await?;
        let rows = all(&client, &format!("SELECT {API_KEY_COLUMNS} FROM api_keys ORDER BY id"), &[]).await?;
        rows.iter().map(api_key_from_row).collect()
    }

    async fn revoke_api_key(&self, id: i64, at: Millis) -> StoreResult<bool> {
        let client = self.conn().await?;
        let changed = exec(&client, "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", &[&at, &id]).await?;
        Ok(changed > 0)
    }

    async fn create_case(&self, new: NewCase) -> StoreResult<Case> {
        self.create_batch(vec![new])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::Database("case creation returned no case".to_string()))
    }

    async fn create_cases(&self, batch: Vec<NewCase>) -> StoreResult<Vec<Case>> {
        self.create_batch(batch).await
    }

    async fn get_case(&self, id: CaseId) -> StoreResult<Option<Case>> {
        let client = self.conn().await?;
        let row = opt(&client, "SELECT data FROM cases WHERE id = $1", &[&id]).await?;
        row.as_ref().map(case_from_row).transpose()
    }

    async fn case_by_number(&self, number: &str) -> StoreResult<Option<Case>> {
        let client = self.conn().await?;
        let row = opt(&client, "SELECT data FROM cases WHERE number = $1", &[&number]).await?;
        row.as_ref().map(case_from_row).transpose()
    }

    async fn case_events(&self, id: CaseId) -> StoreResult<Vec<Event>> {
        let client = self.conn().await?;
        let rows = all(&client, "SELECT data FROM case_events WHERE case_id = $1 ORDER BY seq", &[&id]).await?;
        rows.iter()
            .map(|row| {
                let data: &str = col(row, 0)?;
                from_json(data)
            })
            .collect()
    }

    async fn append(&self, changes: Vec<CaseChange>) -> StoreResult<Vec<Case>> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(pg_err)?;
        for change in &changes {
            let case = &change.case;
            let c = CaseColumns::of(case);
            let data = to_json(case)?;
            // Under READ COMMITTED a concurrent writer's row lock makes this wait, then re-check the
            // version against the committed row: exactly one of two racing appends wins.
            let changed = exec(
                &tx,
                "UPDATE cases SET version = $3, state = $4, channel = $5, case_type = $6, urgency = $7, \
                 lead_unit_id = $8, handling_unit_id = $9, division_unit_id = $10, catalogue_item = $11, \
                 title = $12, text = $13, phone = $14, received_by = $15, updated_at = $16, closed_at = $17, data = $18, \
                 supervision = $19 WHERE id = $1 AND version = $2",
                &[
                    &case.id,
                    &change.expected_version,
                    &case.version,
                    &c.state,
                    &c.channel,
                    &c.case_type,
                    &c.urgency,
                    &c.lead_unit_id,
                    &c.handling_unit_id,
                    &c.division_unit_id,
                    &c.catalogue_item,
                    &c.title,
                    &c.text,
                    &c.phone,
                    &c.received_by,
                    &case.updated_at,
                    &c.closed_at,
                    &data,
                    &c.supervision,
                ],
            )
            .await?;
            if changed == 0 {
                // Returning drops the transaction, which rolls back every change written so far.
                return Err(match opt(&tx, "SELECT version FROM cases WHERE id = $1", &[&case.id]).await? {
                    Some(row) => StoreError::Conflict { case_id: case.id, expected: change.expected_version, actual: col(&row, 0)? },
                    None => StoreError::NotFound(format!("case {}", case.id)),
                });
            }
            insert_events(&tx, case.id, &change.events).await?;
            add_access(&tx, case).await?;
            exec(&tx, "UPDATE case_access SET state = $1 WHERE case_id = $2 AND state <> $1", &[&c.state, &case.id]).await?;
            for fire in &change.fires {
                let column = if fire.level == Light::Red { "red_fired_at" } else { "yellow_fired_at" };
                let sql = format!(
                    "UPDATE case_clocks SET {column} = $1 WHERE case_id = $2 AND step = $3 AND started_at = $4 AND {column} IS NULL"
                );
                if exec(&tx, &sql, &[&case.updated_at, &case.id, &fire.step.as_str(), &fire.started_at]).await? == 0 {
                    // Fired already (by another node) or no such clock: this change must not happen twice.
                    return Err(StoreError::Conflict {
                        case_id: case.id,
                        expected: change.expected_version,
                        actual: change.expected_version,
                    });
                }
            }
            sync_clocks(&tx, case).await?;
            sync_facts(&tx, case).await?;
            insert_notices(&tx, &change.notices).await?;
        }
        tx.commit().await.map_err(pg_err)?;
        Ok(changes.into_iter().map(|c| c.case).collect())
    }

    async fn list_cases(&self, query: &CaseQuery) -> StoreResult<CasePage> {
        let limit = query.limit.clamp(1, MAX_PAGE);
        let f = &query.filter;
        let mut params = Params::default();
        let mut sql = String::from("SELECT c.data FROM cases c");
        let mut conds: Vec<String> = Vec::new();

        // In a subtree list the id bound and the order name a.case_id, so that they fall inside
        // the case_access index range rather than being checked row by row after the join.
        let id_col = match &query.scope {
            Scope::All => "c.id",
            Scope::Subtree { unit_id } => {
                let p = params.bind(*unit_id);
                sql.push_str(&format!(" JOIN case_access a ON a.case_id = c.id AND a.unit_id = {p}"));
                // a.state mirrors c.state; naming it lets the (unit_id, state, case_id) index
                // deliver the page in order without visiting the unit's other cases.
                if let [state] = f.states.as_slice() {
                    let p = params.bind(state.as_str());
                    sql.push_str(&format!(" AND a.state = {p}"));
                }
                "a.case_id"
            }
            Scope::Holder { unit_id } => {
                conds.push(format!("c.handling_unit_id = {}", params.bind(*unit_id)));
                "c.id"
            }
            Scope::ReceivedBy { user_id } => {
                conds.push(format!("c.received_by = {}", params.bind(*user_id)));
                "c.id"
            }
        };

        if !f.states.is_empty() {
            let codes: Vec<&'static str> = f.states.iter().map(|s| s.as_str()).collect();
            conds.push(format!("c.state = ANY({})", params.bind(codes)));
        }
        if let Some(unit_id) = f.lead_unit_id {
            conds.push(format!("c.lead_unit_id = {}", params.bind(unit_id)));
        }
        if !f.case_types.is_empty() {
            let codes: Vec<&'static str> = f.case_types.iter().map(|s| s.as_str()).collect();
            conds.push(format!("c.case_type = ANY({})", params.bind(codes)));
        }
        if !f.channels.is_empty() {
            let codes: Vec<&'static str> = f.channels.iter().map(|s| s.as_str()).collect();
            conds.push(format!("c.channel = ANY({})", params.bind(codes)));
        }
        if !f.urgencies.is_empty() {
            let codes: Vec<&'static str> = f.urgencies.iter().map(|s| s.as_str()).collect();
            conds.push(format!("c.urgency = ANY({})", params.bind(codes)));
        }
        if !f.catalogue_items.is_empty() {
            conds.push(format!("c.catalogue_item = ANY({})", params.bind(f.catalogue_items.clone())));
        }
        if let Some(from) = f.from {
            conds.push(format!("c.received_at >= {}", params.bind(from)));
        }
        if let Some(to) = f.to {
            conds.push(format!("c.received_at < {}", params.bind(to)));
        }
        if let Some(text) = &f.text {
            let p = params.bind(like_pattern(text));
            conds.push(format!("(c.title ILIKE {p} ESCAPE '\\' OR c.text ILIKE {p} ESCAPE '\\')"));
        }
        if let Some(phone) = &f.phone {
            conds.push(format!("c.phone = {}", params.bind(phone.clone())));
        }
        conds.extend(crate::warning_conditions(f));
        if let Some(before) = query.before_id {
            conds.push(format!("{id_col} < {}", params.bind(before)));
        }

        if !conds.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conds.join(" AND "));
        }
        // One row beyond the page says whether another page exists.
        let p = params.bind(i64::from(limit) + 1);
        sql.push_str(&format!(" ORDER BY {id_col} DESC LIMIT {p}"));

        let client = self.conn().await?;
        let rows = client.query(sql.as_str(), &params.refs()).await.map_err(pg_err)?;
        let more = rows.len() > limit as usize;
        let cases = rows.iter().take(limit as usize).map(case_from_row).collect::<StoreResult<Vec<_>>>()?;
        let next_before_id = if more { cases.last().map(|c| c.id) } else { None };
        Ok(CasePage { cases, next_before_id })
    }

    async fn count_cases(&self) -> StoreResult<i64> {
        let client = self.conn().await?;
        let row = one(&client, "SELECT count(*) FROM cases", &[]).await?;
        col(&row, 0)
    }

    async fn due_clocks(&self, now: Millis, limit: u32) -> StoreResult<Vec<DueClock>> {
        let client = self.conn().await?;
        let mut out = Vec::new();
        let lim = i64::from(limit);
        for (level, col_name, fired) in [(Light::Red, "due_at", "red_fired_at"), (Light::Yellow, "yellow_at", "yellow_fired_at")] {
            let sql = format!(
                "SELECT case_id, step, started_at, {col_name} FROM case_clocks WHERE active AND {fired} IS NULL AND {col_name} <= $1 ORDER BY {col_name} LIMIT $2"
            );
            for row in client.query(&sql, &[&now, &lim]).await.map_err(pg_err)? {
                let step: String = col(&row, 1)?;
                if let Some(step) = crate::step_of(&step) {
                    out.push(DueClock {
                        case_id: col(&row, 0)?,
                        fire: ClockFire { step, started_at: col(&row, 2)?, level },
                        at: col(&row, 3)?,
                    });
                }
            }
        }
        out.sort_by_key(|d| d.at);
        out.truncate(limit as usize);
        Ok(out)
    }

    async fn aggregate_facts(&self, query: &crate::FactQuery) -> StoreResult<Vec<crate::FactGroup>> {
        let client = self.conn().await?;
        let (dim, key) = crate::rollup::source(query.by);
        let key = if key.starts_with("CAST") { "day::text" } else { key };
        let (from, to) = (crate::rollup::china_day(query.from), crate::rollup::china_day(query.to - 1) + 1);
        let upper = query.unit_path.as_ref().map(|p| format!("{p}\u{10ffff}"));
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&dim, &from, &to];
        let mut cond = String::from("dim = $1 AND day >= $2 AND day < $3");
        if let (Some(path), Some(upper)) = (&query.unit_path, &upper) {
            // Collation-independent prefix test: the paths are ASCII digits and slashes.
            cond.push_str(" AND unit_path COLLATE \"C\" >= $4 AND unit_path COLLATE \"C\" < $5");
            params.push(path);
            params.push(upper);
        }
        let grouped = query.by != crate::FactKey::All;
        let sums_sql: String =
            minsheng_domain::metrics::Counter::SUMMED.iter().map(|c| format!("SUM({})::bigint", c.as_str())).collect::<Vec<_>>().join(", ");
        let group = if grouped { format!(" GROUP BY {key}") } else { String::new() };
        let sql = format!("SELECT ({key})::text, {sums_sql} FROM fact_rollup WHERE {cond}{group}");
        let n = minsheng_domain::metrics::Counter::SUMMED.len();
        let mut sums = Vec::new();
        for row in all(&client, &sql, &params).await? {
            let key: Option<String> = col(&row, 0)?;
            let mut v = Vec::with_capacity(n);
            for i in 0..n {
                v.push(col::<Option<i64>>(&row, i + 1)?.unwrap_or(0));
            }
            if v.iter().any(|x| *x != 0) {
                sums.push((key.filter(|k| !k.is_empty()), v));
            }
        }
        let mut buckets = Vec::new();
        if query.by != crate::FactKey::CallbackUnit {
            let group = if grouped { format!(" GROUP BY {key}, bucket") } else { " GROUP BY bucket".into() };
            let sql = format!("SELECT ({key})::text, bucket, SUM(n)::bigint FROM fact_buckets WHERE {cond}{group}");
            for row in all(&client, &sql, &params).await? {
                let b: i64 = col(&row, 1)?;
                let count: i64 = col(&row, 2)?;
                if count != 0 {
                    buckets.push((col::<Option<String>>(&row, 0)?.filter(|k| !k.is_empty()), b as i32, count));
                }
            }
        }
        Ok(crate::assemble_groups(sums, buckets, query.by))
    }

    async fn unsatisfied_between(&self, from: Millis, to: Millis, limit: u32) -> StoreResult<Vec<Case>> {
        let client = self.conn().await?;
        let limit = i64::from(limit);
        let rows = all(
            &client,
            "SELECT c.data FROM case_facts f JOIN cases c ON c.id = f.case_id \
             WHERE f.unsatisfied = 1 AND f.rated_at >= $1 AND f.rated_at < $2 ORDER BY f.rated_at LIMIT $3",
            &[&from, &to, &limit],
        )
        .await?;
        rows.iter().map(|r| from_json(col::<&str>(r, 0)?)).collect()
    }

    async fn count_repeats(&self, item: &str, phone: Option<&str>, division_unit_id: Option<UnitId>, since: Millis) -> StoreResult<i64> {
        let client = self.conn().await?;
        let row = one(
            &client,
            "SELECT COUNT(*) FROM cases WHERE catalogue_item = $1 AND received_at >= $2 \
             AND (($3::text IS NOT NULL AND phone = $3) OR ($4::bigint IS NOT NULL AND division_unit_id = $4))",
            &[&item, &since, &phone, &division_unit_id],
        )
        .await?;
        col(&row, 0)
    }

    async fn enqueue_notices(&self, notices: Vec<crate::NewNotice>) -> StoreResult<()> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(pg_err)?;
        insert_notices(&tx, &notices).await?;
        tx.commit().await.map_err(pg_err)
    }

    async fn claim_notices(&self, channels: &[String], now: Millis, lease_until: Millis, limit: u32) -> StoreResult<Vec<crate::Notice>> {
        let client = self.conn().await?;
        let limit = i64::from(limit);
        let channels: Vec<String> = channels.to_vec();
        // SKIP LOCKED: two nodes claiming at once take disjoint rows instead of waiting or doubling.
        let sql = format!(
            "UPDATE outbox SET next_attempt_at = $1, attempts = attempts + 1 WHERE id IN ( \
               SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= $2 AND channel = ANY($3) \
               ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING {NOTICE_COLUMNS}"
        );
        let rows = all(&client, &sql, &[&lease_until, &now, &channels, &limit]).await?;
        let mut out: Vec<crate::Notice> = rows.iter().map(notice_from_row).collect::<StoreResult<_>>()?;
        out.sort_by_key(|n| n.id);
        Ok(out)
    }

    async fn finish_notice(&self, id: i64, delivery: crate::Delivery) -> StoreResult<()> {
        let client = self.conn().await?;
        match delivery {
            crate::Delivery::Sent { at } => {
                exec(&client, "UPDATE outbox SET state = 'sent', sent_at = $1, last_error = NULL WHERE id = $2", &[&at, &id]).await?
            }
            crate::Delivery::Retry { at, error } => {
                exec(
                    &client,
                    "UPDATE outbox SET next_attempt_at = $1, last_error = $2 WHERE id = $3 AND state = 'pending'",
                    &[&at, &error, &id],
                )
                .await?
            }
            crate::Delivery::Failed { error } => {
                exec(&client, "UPDATE outbox SET state = 'failed', last_error = $1 WHERE id = $2", &[&error, &id]).await?
            }
        };
        Ok(())
    }

    async fn list_notices(&self, query: &crate::NoticeQuery) -> StoreResult<Vec<crate::Notice>> {
        let client = self.conn().await?;
        let limit = i64::from(query.limit.clamp(1, 500));
        let rows = all(
            &client,
            &format!(
                "SELECT {NOTICE_COLUMNS} FROM outbox WHERE ($1::text IS NULL OR channel = $1) AND ($2::text IS NULL OR recipient = $2) \
                 AND ($3::bigint IS NULL OR case_id = $3) AND (NOT $4 OR read_at IS NULL) ORDER BY id DESC LIMIT $5"
            ),
            &[&query.channel, &query.recipient, &query.case_id, &query.unread_only, &limit],
        )
        .await?;
        rows.iter().map(notice_from_row).collect()
    }

    async fn mark_notice_read(&self, id: i64, recipient: &str, at: Millis) -> StoreResult<bool> {
        let client = self.conn().await?;
        let n = exec(
            &client,
            "UPDATE outbox SET read_at = COALESCE(read_at, $1) WHERE id = $2 AND recipient = $3 AND channel = 'inapp'",
            &[&at, &id, &recipient],
        )
        .await?;
        Ok(n > 0)
    }

    async fn set_duty(&self, day: &str, unit_id: UnitId, user_ids: &[UserId]) -> StoreResult<()> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(pg_err)?;
        exec(&tx, "DELETE FROM duty_roster WHERE day = $1 AND unit_id = $2", &[&day, &unit_id]).await?;
        for u in user_ids {
            exec(&tx, "INSERT INTO duty_roster (day, unit_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", &[&day, &unit_id, u])
                .await?;
        }
        tx.commit().await.map_err(pg_err)
    }

    async fn duty(&self, from: &str, to: &str) -> StoreResult<Vec<crate::DutyRecord>> {
        let client = self.conn().await?;
        let rows = all(
            &client,
            "SELECT day, unit_id, user_id FROM duty_roster WHERE day >= $1 AND day <= $2 ORDER BY day, unit_id, user_id",
            &[&from, &to],
        )
        .await?;
        rows.iter().map(|r| Ok(crate::DutyRecord { day: col(r, 0)?, unit_id: col(r, 1)?, user_id: col(r, 2)? })).collect()
    }

    async fn save_catalogue(
        &self,
        data: &str,
        items: i64,
        at: Millis,
        by: Option<UserId>,
        note: Option<&str>,
    ) -> StoreResult<crate::CatalogueVersion> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(pg_err)?;
        // Serialise savers so version numbers have no gaps or clashes.
        tx.batch_execute("LOCK TABLE catalogue_versions IN SHARE ROW EXCLUSIVE MODE").await.map_err(pg_err)?;
        let row = one(&tx, "SELECT COALESCE(MAX(version), 0) + 1 FROM catalogue_versions", &[]).await?;
        let version: i64 = col(&row, 0)?;
        exec(
            &tx,
            "INSERT INTO catalogue_versions (version, created_at, created_by, note, items, data) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&version, &at, &by, &note, &items, &data],
        )
        .await?;
        tx.commit().await.map_err(pg_err)?;
        Ok(crate::CatalogueVersion {
            version,
            created_at: at,
            created_by: by,
            note: note.map(str::to_string),
            items,
            data: data.to_string(),
        })
    }

    async fn catalogue(&self, version: Option<i64>) -> StoreResult<Option<crate::CatalogueVersion>> {
        let client = self.conn().await?;
        let row = opt(
            &client,
            "SELECT version, created_at, created_by, note, items, data FROM catalogue_versions \
             WHERE version = COALESCE($1, (SELECT MAX(version) FROM catalogue_versions))",
            &[&version],
        )
        .await?;
        row.map(|r| {
            Ok(crate::CatalogueVersion {
                version: col(&r, 0)?,
                created_at: col(&r, 1)?,
                created_by: col(&r, 2)?,
                note: col(&r, 3)?,
                items: col(&r, 4)?,
                data: col(&r, 5)?,
            })
        })
        .transpose()
    }

    async fn catalogue_versions(&self) -> StoreResult<Vec<crate::CatalogueVersion>> {
        let client = self.conn().await?;
        let rows =
            all(&client, "SELECT version, created_at, created_by, note, items FROM catalogue_versions ORDER BY version DESC", &[]).await?;
        rows.iter()
            .map(|r| {
                Ok(crate::CatalogueVersion {
                    version: col(r, 0)?,
                    created_at: col(r, 1)?,
                    created_by: col(r, 2)?,
                    note: col(r, 3)?,
                    items: col(r, 4)?,
                    data: String::new(),
                })
            })
            .collect()
    }

    async fn get_setting(&self, key: &str) -> StoreResult<Option<String>> {
        let client = self.conn().await?;
        let row = opt(&client, "SELECT value FROM settings WHERE key = $1", &[&key]).await?;
        row.as_ref().map(|r| col(r, 0)).transpose()
    }

    async fn put_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        let client = self.conn().await?;
        exec(
            &client,
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            &[&key, &value],
        )
        .await?;
        Ok(())
    }

    async fn save_model(&self, m: crate::NewModel) -> StoreResult<crate::ModelInfo> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(pg_err)?;
        tx.batch_execute("LOCK TABLE classifier_models IN SHARE ROW EXCLUSIVE MODE").await.map_err(pg_err)?;
        let row = one(&tx, "SELECT COALESCE(MAX(version), 0) + 1 FROM classifier_models", &[]).await?;
        let version: i64 = col(&row, 0)?;
        exec(
            &tx,
            "INSERT INTO classifier_models (version, created_at, created_by, note, labels, examples, evaluation, active, data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, FALSE, $8)",
            &[&version, &m.created_at, &m.created_by, &m.note, &m.labels, &m.examples, &m.evaluation, &m.data],
        )
        .await?;
        tx.commit().await.map_err(pg_err)?;
        Ok(crate::ModelInfo {
            version,
            created_at: m.created_at,
            created_by: m.created_by,
            note: m.note,
            labels: m.labels,
            examples: m.examples,
            evaluation: serde_json::from_str(&m.evaluation).unwrap_or(serde_json::Value::Null),
            active: false,
        })
    }

    async fn models(&self) -> StoreResult<Vec<crate::ModelInfo>> {
        let client = self.conn().await?;
        let rows = all(
            &client,
            "SELECT version, created_at, created_by, note, labels, examples, evaluation, active FROM classifier_models ORDER BY version DESC",
            &[],
        )
        .await?;
        rows.iter()
            .map(|r| {
                let evaluation: &str = col(r, 6)?;
                Ok(crate::ModelInfo {
                    version: col(r, 0)?,
                    created_at: col(r, 1)?,
                    created_by: col(r, 2)?,
                    note: col(r, 3)?,
                    labels: col(r, 4)?,
                    examples: col(r, 5)?,
                    evaluation: serde_json::from_str(evaluation).unwrap_or(serde_json::Value::Null),
                    active: col(r, 7)?,
                })
            })
            .collect()
    }

    async fn model_data(&self, version: i64) -> StoreResult<Option<String>> {
        let client = self.conn().await?;
        let row = opt(&client, "SELECT data FROM classifier_models WHERE version = $1", &[&version]).await?;
        row.as_ref().map(|r| col(r, 0)).transpose()
    }

    async fn activate_model(&self, version: i64) -> StoreResult<bool> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(pg_err)?;
        let exists = opt(&tx, "SELECT version FROM classifier_models WHERE version = $1 FOR UPDATE", &[&version]).await?;
        if exists.is_none() {
            return Ok(false);
        }
        exec(&tx, "UPDATE classifier_models SET active = (version = $1)", &[&version]).await?;
        tx.commit().await.map_err(pg_err)?;
        Ok(true)
    }

    async fn scan_cases(&self, after_id: CaseId, limit: u32, only_with_item: bool) -> StoreResult<Vec<Case>> {
        let client = self.conn().await?;
        let sql = if only_with_item {
            "SELECT data FROM cases WHERE id > $1 AND catalogue_item IS NOT NULL ORDER BY id LIMIT $2"
        } else {
            "SELECT data FROM cases WHERE id > $1 ORDER BY id LIMIT $2"
        };
        let rows = all(&client, sql, &[&after_id, &i64::from(limit)]).await?;
        rows.iter().map(case_from_row).collect()
    }

    async fn cases_changed_since(&self, since: Millis, after_id: CaseId, limit: u32) -> StoreResult<Vec<Case>> {
        let client = self.conn().await?;
        let rows = all(
            &client,
            "SELECT data FROM cases WHERE (updated_at, id) > ($1, $2) ORDER BY updated_at, id LIMIT $3",
            &[&since, &after_id, &i64::from(limit)],
        )
        .await?;
        rows.iter().map(case_from_row).collect()
    }

    async fn closed_since(
        &self,
        since: Millis,
        item: Option<&str>,
        division_unit_id: Option<UnitId>,
        limit: u32,
    ) -> StoreResult<Vec<Case>> {
        let client = self.conn().await?;
        let rows = all(
            &client,
            "SELECT data FROM cases WHERE closed_at >= $1 AND state IN ('closed', 'archived') \
             AND (catalogue_item = $2 OR division_unit_id = $3) ORDER BY closed_at DESC LIMIT $4",
            &[&since, &item, &division_unit_id, &i64::from(limit)],
        )
        .await?;
        rows.iter().map(case_from_row).collect()
    }
    // 知识库 and people registry
    async fn insert_person(&self, person: PersonDraft, at: Millis) -> StoreResult<PersonRecord> {
        let client = self.conn().await?;
        insert_person_row(&client, person, at).await
    }

    async fn import_people(&self, people: Vec<PersonDraft>, at: Millis) -> StoreResult<Vec<crate::ImportedPerson>> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(pg_err)?;
        let mut out = Vec::with_capacity(people.len());
        for p in people {
            let existing = opt(&tx, "SELECT id FROM people WHERE name = $1 AND organisation = $2", &[&p.name, &p.organisation]).await?;
            match existing {
                Some(row) => {
                    let person = PersonRecord::from_draft(col(&row, 0)?, p, at);
                    update_person_row(&tx, &person).await?;
                    out.push(crate::ImportedPerson { person, created: false });
                }
                None => out.push(crate::ImportedPerson { person: insert_person_row(&tx, p, at).await?, created: true }),
            }
        }
        tx.commit().await.map_err(pg_err)?;
        Ok(out)
    }

    async fn update_person(&self, person: PersonRecord) -> StoreResult<PersonRecord> {
        let client = self.conn().await?;
        update_person_row(&client, &person).await?;
        Ok(person)
    }

    async fn get_person(&self, id: i64) -> StoreResult<Option<PersonRecord>> {
        let client = self.conn().await?;
        let row = opt(&client, &format!("SELECT {} FROM people WHERE id = $1", crate::registry::PERSON_COLUMNS), &[&id]).await?;
        row.as_ref().map(person_from_row).transpose()
    }

    async fn list_people(&self, query: &crate::PeopleQuery) -> StoreResult<Vec<PersonRecord>> {
        let client = self.conn().await?;
        let (cond, args) = crate::registry::people_conditions(query, |i| format!("${i}"))?;
        let params = bind_values(args);
        let sql = format!("SELECT {} FROM people WHERE {cond} ORDER BY id", crate::registry::PERSON_COLUMNS);
        all(&client, &sql, &params.refs()).await?.iter().map(person_from_row).collect()
    }

    async fn people_loads(&self) -> StoreResult<Vec<crate::PersonLoad>> {
        let client = self.conn().await?;
        let sql = format!(
            "SELECT cp.person_id, COUNT(*) FROM case_people cp JOIN cases c ON c.id = cp.case_id \
             WHERE cp.released_at IS NULL AND c.state IN ({}) GROUP BY cp.person_id ORDER BY cp.person_id",
            crate::registry::open_states_sql()
        );
        all(&client, &sql, &[]).await?.iter().map(|r| Ok(crate::PersonLoad { person_id: col(r, 0)?, open: col(r, 1)? })).collect()
    }

    async fn record_assignment(&self, case_id: CaseId, person_id: i64, at: Millis, by: Option<UserId>) -> StoreResult<()> {
        let client = self.conn().await?;
        if opt(&client, "SELECT id FROM cases WHERE id = $1", &[&case_id]).await?.is_none() {
            return Err(StoreError::NotFound(format!("case {case_id}")));
        }
        assign_person_row(&client, case_id, person_id, at, by).await
    }

    async fn case_people(&self, case_id: CaseId) -> StoreResult<Vec<crate::CasePerson>> {
        let client = self.conn().await?;
        let rows = all(
            &client,
            "SELECT case_id, person_id, assigned_at, assigned_by, released_at FROM case_people WHERE case_id = $1 ORDER BY assigned_at, person_id",
            &[&case_id],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(crate::CasePerson {
                    case_id: col(r, 0)?,
                    person_id: col(r, 1)?,
                    assigned_at: col(r, 2)?,
                    assigned_by: col(r, 3)?,
                    released_at: col(r, 4)?,
                })
            })
            .collect()
    }

    async fn insert_articles(&self, articles: Vec<Article>, action: &str) -> StoreResult<Vec<Article>> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(pg_err)?;
        let mut out = Vec::with_capacity(articles.len());
        for mut article in articles {
            let a = &article;
            let row = one(
                &tx,
                "INSERT INTO knowledge_articles (title, body, category, unit_id, keywords, valid_from, valid_to, state, source, version, \
                 created_by, created_at, updated_by, updated_at, review_note) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
                &[
                    &a.title,
                    &a.body,
                    &a.category,
                    &a.unit_id,
                    &to_json(&a.keywords)?,
                    &crate::registry::date_text(a.valid_from),
                    &crate::registry::date_text(a.valid_to),
                    &a.state.as_str(),
                    &a.source,
                    &a.version,
                    &a.created_by,
                    &a.created_at,
                    &a.updated_by,
                    &a.updated_at,
                    &a.review_note,
                ],
            )
            .await?;
            article.id = col(&row, 0)?;
            insert_revision(&tx, &article, action, None).await?;
            out.push(article);
        }
        tx.commit().await.map_err(pg_err)?;
        Ok(out)
    }

    async fn update_article(&self, article: Article, expected_version: i64, action: &str, note: Option<&str>) -> StoreResult<Article> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(pg_err)?;
        let a = &article;
        // As with cases: a concurrent writer's row lock makes this wait, then the version decides.
        let n = exec(
            &tx,
            "UPDATE knowledge_articles SET title = $1, body = $2, category = $3, unit_id = $4, keywords = $5, valid_from = $6, \
             valid_to = $7, state = $8, source = $9, version = $10, updated_by = $11, updated_at = $12, review_note = $13 \
             WHERE id = $14 AND version = $15",
            &[
                &a.title,
                &a.body,
                &a.category,
                &a.unit_id,
                &to_json(&a.keywords)?,
                &crate::registry::date_text(a.valid_from),
                &crate::registry::date_text(a.valid_to),
                &a.state.as_str(),
                &a.source,
                &a.version,
                &a.updated_by,
                &a.updated_at,
                &a.review_note,
                &a.id,
                &expected_version,
            ],
        )
        .await?;
        if n == 0 {
            return Err(match opt(&tx, "SELECT version FROM knowledge_articles WHERE id = $1", &[&a.id]).await? {
                Some(row) => StoreError::Conflict { case_id: a.id, expected: expected_version, actual: col(&row, 0)? },
                None => StoreError::NotFound(format!("article {}", a.id)),
            });
        }
        insert_revision(&tx, &article, action, note).await?;
        tx.commit().await.map_err(pg_err)?;
        Ok(article)
    }

    async fn get_article(&self, id: i64) -> StoreResult<Option<Article>> {
        let client = self.conn().await?;
        let row =
            opt(&client, &format!("SELECT {} FROM knowledge_articles WHERE id = $1", crate::registry::ARTICLE_COLUMNS), &[&id]).await?;
        row.as_ref().map(article_from_row).transpose()
    }

    async fn list_articles(&self, query: &crate::ArticleQuery) -> StoreResult<Vec<Article>> {
        let client = self.conn().await?;
        let (cond, args) = crate::registry::article_conditions(query, |i| format!("${i}"));
        let params = bind_values(args);
        let limit = query.limit.map(|l| format!(" LIMIT {l}")).unwrap_or_default();
        let sql = format!(
            "SELECT {} FROM knowledge_articles WHERE {cond} ORDER BY updated_at DESC, id DESC{limit}",
            crate::registry::ARTICLE_COLUMNS
        );
        all(&client, &sql, &params.refs()).await?.iter().map(article_from_row).collect()
    }

    async fn article_history(&self, id: i64) -> StoreResult<Vec<crate::ArticleRevision>> {
        let client = self.conn().await?;
        let rows = all(
            &client,
            "SELECT article_id, version, action, at, by_user, note, data FROM knowledge_revisions WHERE article_id = $1 ORDER BY version",
            &[&id],
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(crate::ArticleRevision {
                    article_id: col(r, 0)?,
                    version: col(r, 1)?,
                    action: col(r, 2)?,
                    at: col(r, 3)?,
                    by: col(r, 4)?,
                    note: col(r, 5)?,
                    article: from_json(col::<&str>(r, 6)?)?,
                })
            })
            .collect()
    }

    async fn link_thread(&self, channel: &str, key: &str, case_id: CaseId, at: Millis) -> StoreResult<()> {
        let client = self.conn().await?;
        exec(
            &client,
            "INSERT INTO channel_threads (channel, thread_key, case_id, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (channel, thread_key) DO UPDATE SET case_id = excluded.case_id, updated_at = excluded.updated_at",
            &[&channel, &key, &case_id, &at],
        )
        .await?;
        Ok(())
    }

    async fn thread_case(&self, channel: &str, keys: &[String]) -> StoreResult<Option<CaseId>> {
        if keys.is_empty() {
            return Ok(None);
        }
        let client = self.conn().await?;
        let row = opt(
            &client,
            "SELECT case_id FROM channel_threads WHERE channel = $1 AND thread_key = ANY($2) ORDER BY updated_at DESC, case_id DESC LIMIT 1",
            &[&channel, &keys],
        )
        .await?;
        row.map(|r| col(&r, 0)).transpose()
    }

    async fn record_inbound(&self, channel: &str, message_id: &str, case_id: CaseId, at: Millis) -> StoreResult<bool> {
        let client = self.conn().await?;
        let n = exec(
            &client,
            "INSERT INTO inbound_messages (channel, message_id, case_id, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[&channel, &message_id, &case_id, &at],
        )
        .await?;
        Ok(n == 1)
    }

    async fn inbound_case(&self, channel: &str, message_id: &str) -> StoreResult<Option<CaseId>> {
        let client = self.conn().await?;
        let row =
            opt(&client, "SELECT case_id FROM inbound_messages WHERE channel = $1 AND message_id = $2", &[&channel, &message_id]).await?;
        row.map(|r| col(&r, 0)).transpose()
    }

    async fn save_attachment(&self, record: &crate::AttachmentRecord) -> StoreResult<()> {
        let client = self.conn().await?;
        let data = crate::to_json(&record.attachment)?;
        let by = record.uploaded_by;
        client
            .execute(
                "INSERT INTO attachments (id, case_id, sha256, uploaded_by, uploaded_at, data) VALUES ($1, $2, $3, $4, $5, $6)",
                &[&record.attachment.id, &record.case_id, &record.attachment.sha256, &by, &record.uploaded_at, &data],
            )
            .await
            .map_err(|e| match e.code() {
                Some(c) if *c == SqlState::UNIQUE_VIOLATION => StoreError::Duplicate(format!("attachment {}", record.attachment.id)),
                _ => pg_err(e),
            })?;
        Ok(())
    }

    async fn get_attachments(&self, ids: &[String]) -> StoreResult<Vec<crate::AttachmentRecord>> {
        let client = self.conn().await?;
        let rows = all(&client, "SELECT id, case_id, uploaded_by, uploaded_at, data FROM attachments WHERE id = ANY($1)", &[&ids]).await?;
        let mut by_id = BTreeMap::new();
        for r in &rows {
            by_id.insert(col::<String>(r, 0)?, attachment_from_row(r)?);
        }
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    async fn attach_to_case(&self, ids: &[String], case_id: CaseId) -> StoreResult<()> {
        let client = self.conn().await?;
        exec(&client, "UPDATE attachments SET case_id = $1 WHERE id = ANY($2) AND case_id IS NULL", &[&case_id, &ids]).await?;
        Ok(())
    }

    async fn case_attachments(&self, case_id: CaseId) -> StoreResult<Vec<crate::AttachmentRecord>> {
        let client = self.conn().await?;
        let rows = all(
            &client,
            "SELECT id, case_id, uploaded_by, uploaded_at, data FROM attachments WHERE case_id = $1 ORDER BY uploaded_at, id",
            &[&case_id],
        )
        .await?;
        rows.iter().map(attachment_from_row).collect()
    }

    async fn set_citizen_flag(&self, flag: &crate::CitizenFlag) -> StoreResult<()> {
        let client = self.conn().await?;
        let by = flag.set_by;
        exec(
            &client,
            "INSERT INTO citizen_flags (phone, active, reason, set_by, set_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (phone) DO UPDATE SET active = excluded.active, reason = excluded.reason, set_by = excluded.set_by, set_at = excluded.set_at",
            &[&flag.phone, &flag.active, &flag.reason, &by, &flag.set_at],
        )
        .await?;
        Ok(())
    }

    async fn citizen_flag(&self, phone: &str) -> StoreResult<Option<crate::CitizenFlag>> {
        let client = self.conn().await?;
        let row = opt(&client, "SELECT phone, active, reason, set_by, set_at FROM citizen_flags WHERE phone = $1", &[&phone]).await?;
        row.as_ref().map(citizen_flag_from_row).transpose()
    }

    async fn citizen_flags(&self) -> StoreResult<Vec<crate::CitizenFlag>> {
        let client = self.conn().await?;
        let rows =
            all(&client, "SELECT phone, active, reason, set_by, set_at FROM citizen_flags ORDER BY active DESC, set_at DESC, phone", &[])
                .await?;
        rows.iter().map(citizen_flag_from_row).collect()
    }

    async fn knowledge_stamp(&self) -> StoreResult<crate::KnowledgeStamp> {
        let client = self.conn().await?;
        // SUM of BIGINT is NUMERIC in PostgreSQL: cast back so both engines read an integer.
        let row =
            one(&client, "SELECT COUNT(*), COALESCE(MAX(updated_at), 0), COALESCE(SUM(version), 0)::BIGINT FROM knowledge_articles", &[])
                .await?;
        Ok(crate::KnowledgeStamp { count: col(&row, 0)?, max_updated_at: col(&row, 1)?, version_sum: col(&row, 2)? })
    }
}

/// Rewrites the case's row of metric facts.
async fn sync_facts<C: GenericClient>(client: &C, case: &Case) -> StoreResult<()> {
    let row = crate::FactsRow::of(case);
    let new = crate::rollup::Snapshot::of(&row);
    let old_sql = format!(
        "SELECT unit_id, unit_path, callback_unit_id, channel, case_type, catalogue_item, handling_bucket, {} FROM case_facts WHERE received_at = $1 AND case_id = $2",
        crate::counter_columns()
    );
    let old = match opt(client, &old_sql, &[&case.received_at, &case.id]).await? {
        Some(r) => {
            let n = minsheng_domain::metrics::Counter::SUMMED.len();
            let mut values = Vec::with_capacity(n);
            for i in 0..n {
                values.push(col::<i64>(&r, 7 + i)?);
            }
            Some(crate::rollup::Snapshot {
                day: crate::rollup::china_day(case.received_at),
                unit_id: col(&r, 0)?,
                unit_path: col(&r, 1)?,
                callback_unit_id: col(&r, 2)?,
                channel: col(&r, 3)?,
                case_type: col(&r, 4)?,
                catalogue_item: col(&r, 5)?,
                bucket: col(&r, 6)?,
                values,
            })
        }
        None => None,
    };
    if old.as_ref() != Some(&new) {
        let (sums, cells) = crate::rollup::deltas(old.as_ref(), &new);
        let names: Vec<&str> = minsheng_domain::metrics::Counter::SUMMED.iter().map(|c| c.as_str()).collect();
        let sql = format!(
            "INSERT INTO fact_rollup (dim, day, key, unit_path, {}) VALUES ($1, $2, $3, $4, {}) ON CONFLICT (dim, day, key, unit_path) DO UPDATE SET {}",
            names.join(", "),
            (5..5 + names.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", "),
            names.iter().map(|c| format!("{c} = fact_rollup.{c} + EXCLUDED.{c}")).collect::<Vec<_>>().join(", ")
        );
        for d in &sums {
            let mut params: Vec<&(dyn ToSql + Sync)> = vec![&d.dim, &d.day, &d.key, &d.unit_path];
            for v in &d.values {
                params.push(v);
            }
            exec(client, &sql, &params).await?;
        }
        for c in &cells {
            exec(
                client,
                "INSERT INTO fact_buckets (dim, day, key, unit_path, bucket, n) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (dim, day, key, unit_path, bucket) DO UPDATE SET n = fact_buckets.n + EXCLUDED.n",
                &[&c.dim, &c.day, &c.key, &c.unit_path, &c.bucket, &c.n],
            )
            .await?;
        }
    }
    sync_facts_row(client, case, row).await
}

/// The fact row alone (the roll-ups are built from these rows when their tables are created).
async fn sync_facts_row<C: GenericClient>(client: &C, case: &Case, row: crate::FactsRow) -> StoreResult<()> {
    let values = row.values();
    let n = values.len();
    let cols = crate::counter_columns();
    let updates: Vec<String> = minsheng_domain::metrics::Counter::SUMMED
        .iter()
        .map(|c| c.as_str())
        .chain(["unit_id", "unit_path", "callback_unit_id", "rated_at", "catalogue_item", "handling_bucket"])
        .map(|c| format!("{c} = EXCLUDED.{c}"))
        .collect();
    let sql = format!(
        "INSERT INTO case_facts (received_at, case_id, unit_id, unit_path, callback_unit_id, rated_at, channel, case_type, \
         catalogue_item, handling_bucket, {cols}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, {}) \
         ON CONFLICT (received_at, case_id) DO UPDATE SET {}",
        (11..11 + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", "),
        updates.join(", ")
    );
    let bucket = row.facts.handling_bucket.map(i64::from);
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![
        &row.facts.received_at,
        &case.id,
        &row.facts.unit_id,
        &row.unit_path,
        &row.facts.callback_unit_id,
        &row.facts.rated_at,
        &row.channel,
        &row.case_type,
        &row.catalogue_item,
        &bucket,
    ];
    for v in &values {
        params.push(v);
    }
    exec(client, &sql, &params).await?;
    Ok(())
}

async fn insert_notices<C: GenericClient>(client: &C, notices: &[crate::NewNotice]) -> StoreResult<()> {
    for n in notices {
        let payload = to_json(&n.payload)?;
        exec(
            client,
            "INSERT INTO outbox (dedup_key, case_id, channel, recipient, template, body, payload, created_at, state, attempts, next_attempt_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $8) ON CONFLICT (dedup_key) DO NOTHING",
            &[&n.dedup_key, &n.case_id, &n.channel, &n.recipient, &n.template, &n.body, &payload, &n.created_at],
        )
        .await?;
    }
    Ok(())
}

const NOTICE_COLUMNS: &str = "id, dedup_key, case_id, channel, recipient, template, body, payload, created_at, state, attempts, next_attempt_at, sent_at, read_at, last_error";

fn notice_from_row(r: &Row) -> StoreResult<crate::Notice> {
    Ok(crate::Notice {
        id: col(r, 0)?,
        dedup_key: col(r, 1)?,
        case_id: col(r, 2)?,
        channel: col(r, 3)?,
        recipient: col(r, 4)?,
        template: col(r, 5)?,
        body: col(r, 6)?,
        payload: from_json(col::<&str>(r, 7)?)?,
        created_at: col(r, 8)?,
        state: crate::NoticeState::parse(col::<&str>(r, 9)?),
        attempts: col(r, 10)?,
        next_attempt_at: col(r, 11)?,
        sent_at: col(r, 12)?,
        read_at: col(r, 13)?,
        last_error: col(r, 14)?,
    })
}

async fn insert_case_row<C: GenericClient>(client: &C, case: &Case) -> StoreResult<()> {
    let c = CaseColumns::of(case);
    let data = to_json(case)?;
    exec(
        client,
        "INSERT INTO cases (id, number, version, state, channel, case_type, urgency, lead_unit_id, handling_unit_id, \
         division_unit_id, catalogue_item, title, text, phone, received_by, received_at, updated_at, closed_at, data, supervision) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
        &[
            &case.id,
            &case.number.as_str(),
            &case.version,
            &c.state,
            &c.channel,
            &c.case_type,
            &c.urgency,
            &c.lead_unit_id,
            &c.handling_unit_id,
            &c.division_unit_id,
            &c.catalogue_item,
            &c.title,
            &c.text,
            &c.phone,
            &c.received_by,
            &case.received_at,
            &case.updated_at,
            &c.closed_at,
            &data,
            &c.supervision,
        ],
    )
    .await?;
    Ok(())
}

async fn insert_events<C: GenericClient>(client: &C, case_id: CaseId, events: &[Event]) -> StoreResult<()> {
    for event in events {
        let data = to_json(event)?;
        exec(
            client,
            "INSERT INTO case_events (case_id, seq, at, kind, actor_user_id, actor_role, actor_unit_id, data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &case_id,
                &event.seq,
                &event.at,
                &event.kind.name(),
                &event.actor.user_id,
                &event.actor.role.as_str(),
                &event.actor.unit_id,
                &data,
            ],
        )
        .await?;
        // 指定人员: the person's assignment row is written with the event, in its transaction.
        if let minsheng_domain::event::EventKind::PersonAssigned { person } = &event.kind {
            assign_person_row(client, case_id, person.id, event.at, event.actor.user_id).await?;
        }
    }
    Ok(())
}

/// Adds the case's audience units to `case_access` (rows already there stay; a unit once
/// involved keeps seeing the case).
async fn add_access<C: GenericClient>(client: &C, case: &Case) -> StoreResult<()> {
    let units = minsheng_domain::access::audience_units(case);
    if units.is_empty() {
        return Ok(());
    }
    exec(
        client,
        "INSERT INTO case_access (unit_id, case_id, state) SELECT u, $2::bigint, $3::text FROM unnest($1::bigint[]) AS u \
         ON CONFLICT (unit_id, case_id) DO NOTHING",
        &[&units, &case.id, &case.state.as_str()],
    )
    .await?;
    Ok(())
}

/// Bind parameters of a query built at run time; `bind` returns the placeholder to write.
#[derive(Default)]
struct Params {
    values: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Params {
    fn bind<T: ToSql + Sync + Send + 'static>(&mut self, value: T) -> String {
        self.values.push(Box::new(value));
        format!("${}", self.values.len())
    }

    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.values.iter().map(|v| &**v as &(dyn ToSql + Sync)).collect()
    }
}

/// Mirrors the case's running clocks into `case_clocks` (see the SQLite twin for the rules).
async fn sync_clocks<C: GenericClient>(client: &C, case: &Case) -> StoreResult<()> {
    exec(client, "UPDATE case_clocks SET active = FALSE WHERE case_id = $1 AND active", &[&case.id]).await?;
    for d in &case.deadlines {
        exec(
            client,
            "INSERT INTO case_clocks (case_id, step, started_at, yellow_at, due_at, active) VALUES ($1, $2, $3, $4, $5, TRUE)
             ON CONFLICT (case_id, step, started_at) DO UPDATE SET yellow_at = EXCLUDED.yellow_at, due_at = EXCLUDED.due_at, active = TRUE",
            &[&case.id, &d.step.as_str(), &d.started_at, &d.yellow_at, &d.due_at],
        )
        .await?;
    }
    Ok(())
}

async fn exec<C: GenericClient>(client: &C, sql: &str, params: &[&(dyn ToSql + Sync)]) -> StoreResult<u64> {
    let statement = client.prepare_cached(sql).await.map_err(pg_err)?;
    client.execute(&statement, params).await.map_err(pg_err)
}

async fn one<C: GenericClient>(client: &C, sql: &str, params: &[&(dyn ToSql + Sync)]) -> StoreResult<Row> {
    let statement = client.prepare_cached(sql).await.map_err(pg_err)?;
    client.query_one(&statement, params).await.map_err(pg_err)
}

async fn opt<C: GenericClient>(client: &C, sql: &str, params: &[&(dyn ToSql + Sync)]) -> StoreResult<Option<Row>> {
    let statement = client.prepare_cached(sql).await.map_err(pg_err)?;
    client.query_opt(&statement, params).await.map_err(pg_err)
}

async fn all<C: GenericClient>(client: &C, sql: &str, params: &[&(dyn ToSql + Sync)]) -> StoreResult<Vec<Row>> {
    let statement = client.prepare_cached(sql).await.map_err(pg_err)?;
    client.query(&statement, params).await.map_err(pg_err)
}

fn col<'a, T: FromSql<'a>>(row: &'a Row, idx: usize) -> StoreResult<T> {
    row.try_get(idx).map_err(|e| StoreError::Corrupt(format!("column {idx}: {e}")))
}

fn unit_from_row(row: &Row) -> StoreResult<UnitRecord> {
    let kind: &str = col(row, 3)?;
    Ok(UnitRecord {
        id: col(row, 0)?,
        code: col(row, 1)?,
        name: col(row, 2)?,
        kind: UnitKind::parse(kind).ok_or_else(|| StoreError::Corrupt(format!("unknown unit kind {kind:?}")))?,
        parent_id: col(row, 4)?,
        path: col(row, 5)?,
        division_code: col(row, 6)?,
        department_type: col(row, 7)?,
        active: col(row, 8)?,
    })
}

fn user_from_row(row: &Row) -> StoreResult<UserRecord> {
    Ok(UserRecord {
        id: col(row, 0)?,
        login: col(row, 1)?,
        name: col(row, 2)?,
        role: role(col(row, 3)?)?,
        unit_id: col(row, 4)?,
        phone: col(row, 5)?,
        password_hash: col(row, 6)?,
        active: col(row, 7)?,
        created_at: col(row, 8)?,
    })
}

fn api_key_from_row(row: &Row) -> StoreResult<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: col(row, 0)?,
        name: col(row, 1)?,
        prefix: col(row, 2)?,
        secret_hash: col(row, 3)?,
        role: role(col(row, 4)?)?,
        unit_id: col(row, 5)?,
        created_at: col(row, 6)?,
        revoked_at: col(row, 7)?,
    })
}

fn case_from_row(row: &Row) -> StoreResult<Case> {
    let data: &str = col(row, 0)?;
    from_json(data)
}

fn role(code: &str) -> StoreResult<Role> {
    Role::parse(code).ok_or_else(|| StoreError::Corrupt(format!("unknown role {code:?}")))
}

/// Maps PostgreSQL's type names onto the engine-neutral kinds the schema test compares.
fn normalise_type(data_type: &str) -> String {
    match data_type {
        "bigint" | "integer" | "smallint" => "integer",
        "text" | "character varying" => "text",
        "double precision" | "real" => "real",
        "boolean" => "boolean",
        other => other,
    }
    .to_string()
}

fn pg_err(e: tokio_postgres::Error) -> StoreError {
    if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
        let what = match e.as_db_error() {
            Some(db) => db.detail().unwrap_or(db.message()).to_string(),
            None => e.to_string(),
        };
        return StoreError::Duplicate(what);
    }
    StoreError::Database(e.to_string())
}

fn pool_err(e: deadpool_postgres::PoolError) -> StoreError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => pg_err(e),
        other => StoreError::Database(format!("PostgreSQL pool: {other}")),
    }
}

fn now_millis() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

// 知识库 and people registry: helpers of the impl above.

fn person_from_row(r: &Row) -> StoreResult<PersonRecord> {
    crate::registry::PersonRow {
        id: col(r, 0)?,
        name: col(r, 1)?,
        kind: col(r, 2)?,
        organisation: col(r, 3)?,
        phone: col(r, 4)?,
        specialties: col(r, 5)?,
        areas: col(r, 6)?,
        capacity: col(r, 7)?,
        active: col(r, 8)?,
        note: col(r, 9)?,
        updated_at: col(r, 10)?,
    }
    .into_record()
}

fn article_from_row(r: &Row) -> StoreResult<Article> {
    crate::registry::ArticleRow {
        id: col(r, 0)?,
        title: col(r, 1)?,
        body: col(r, 2)?,
        category: col(r, 3)?,
        unit_id: col(r, 4)?,
        keywords: col(r, 5)?,
        valid_from: col(r, 6)?,
        valid_to: col(r, 7)?,
        state: col(r, 8)?,
        source: col(r, 9)?,
        version: col(r, 10)?,
        created_by: col(r, 11)?,
        created_at: col(r, 12)?,
        updated_by: col(r, 13)?,
        updated_at: col(r, 14)?,
        review_note: col(r, 15)?,
    }
    .into_article()
}

fn bind_values(args: Vec<crate::registry::SqlValue>) -> Params {
    let mut params = Params::default();
    for a in args {
        match a {
            crate::registry::SqlValue::Text(t) => params.bind(t),
            crate::registry::SqlValue::Int(i) => params.bind(i),
            crate::registry::SqlValue::Bool(b) => params.bind(b),
        };
    }
    params
}

async fn insert_person_row<C: GenericClient>(client: &C, p: PersonDraft, at: Millis) -> StoreResult<PersonRecord> {
    let row = one(
        client,
        "INSERT INTO people (name, kind, organisation, phone, specialties, areas, capacity, active, note, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
        &[
            &p.name,
            &p.kind.as_str(),
            &p.organisation,
            &p.phone,
            &to_json(&p.specialties)?,
            &to_json(&p.areas)?,
            &i64::from(p.capacity),
            &p.active,
            &p.note,
            &at,
        ],
    )
    .await?;
    Ok(PersonRecord::from_draft(col(&row, 0)?, p, at))
}

async fn update_person_row<C: GenericClient>(client: &C, p: &PersonRecord) -> StoreResult<()> {
    let n = exec(
        client,
        "UPDATE people SET name = $1, kind = $2, organisation = $3, phone = $4, specialties = $5, areas = $6, capacity = $7, \
         active = $8, note = $9, updated_at = $10 WHERE id = $11",
        &[
            &p.name,
            &p.kind.as_str(),
            &p.organisation,
            &p.phone,
            &to_json(&p.specialties)?,
            &to_json(&p.areas)?,
            &i64::from(p.capacity),
            &p.active,
            &p.note,
            &p.updated_at,
            &p.id,
        ],
    )
    .await?;
    if n == 0 { Err(StoreError::NotFound(format!("person {}", p.id))) } else { Ok(()) }
}

/// Puts a person on a case (again: a released assignment is taken up anew).
async fn assign_person_row<C: GenericClient>(
    client: &C,
    case_id: CaseId,
    person_id: i64,
    at: Millis,
    by: Option<UserId>,
) -> StoreResult<()> {
    if opt(client, "SELECT id FROM people WHERE id = $1", &[&person_id]).await?.is_none() {
        return Err(StoreError::NotFound(format!("person {person_id}")));
    }
    exec(
        client,
        "INSERT INTO case_people (case_id, person_id, assigned_at, assigned_by, released_at) VALUES ($1, $2, $3, $4, NULL) \
         ON CONFLICT (case_id, person_id) DO UPDATE SET assigned_at = EXCLUDED.assigned_at, assigned_by = EXCLUDED.assigned_by, released_at = NULL",
        &[&case_id, &person_id, &at, &by],
    )
    .await?;
    Ok(())
}

async fn insert_revision<C: GenericClient>(client: &C, a: &Article, action: &str, note: Option<&str>) -> StoreResult<()> {
    exec(
        client,
        "INSERT INTO knowledge_revisions (article_id, version, action, at, by_user, note, data) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[&a.id, &a.version, &action, &a.updated_at, &a.updated_by, &note, &to_json(a)?],
    )
    .await?;
    Ok(())
}

fn attachment_from_row(r: &Row) -> StoreResult<crate::AttachmentRecord> {
    let data: String = col(r, 4)?;
    Ok(crate::AttachmentRecord {
        attachment: crate::from_json(&data)?,
        case_id: col(r, 1)?,
        uploaded_by: col::<Option<i64>>(r, 2)?,
        uploaded_at: col(r, 3)?,
    })
}

fn citizen_flag_from_row(r: &Row) -> StoreResult<crate::CitizenFlag> {
    Ok(crate::CitizenFlag {
        phone: col(r, 0)?,
        active: col(r, 1)?,
        reason: col(r, 2)?,
        set_by: col::<Option<i64>>(r, 3)?,
        set_at: col(r, 4)?,
    })
}
