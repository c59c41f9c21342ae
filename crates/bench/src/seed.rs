//! `seed`: fills a database through the `Store` trait, the way an import would: the demo city,
//! then N cases spread over the past year, created in batches (`create_cases`, already forwarded
//! to the dispatch pool) and moved on with `append` through the real lifecycle decisions
//! (dispatch → sign → [pass down → sign] → reply → review → callback), so states, units and the
//! `case_access` rows look like a year of a real hotline.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use minsheng_domain::case::{CallbackOutcome, Case, CaseState, Solved};
use minsheng_domain::event::{ActorStamp, Event, EventKind};
use minsheng_domain::lifecycle::{self, Command, Rules};
use minsheng_domain::org::{Actor, Role, UnitKind, UnitRef};
use minsheng_domain::value::Note;
use minsheng_store::{CaseChange, FollowUp, NewCase, Store};
use serde_json::json;

use crate::data::{REPLIES, Rng, intake};

#[derive(clap::Args)]
pub struct Args {
    /// Database URL: sqlite://PATH or postgres://USER@HOST:PORT/DB (created/migrated as needed).
    #[arg(long)]
    database: String,
    #[arg(long, default_value_t = 1_000_000)]
    cases: u64,
    /// Cases per create_cases call (and per append call).
    #[arg(long, default_value_t = 2000)]
    batch: usize,
    /// The cases are spread evenly over this many past days (≤ 999,999 per day: the case number
    /// has a 6-digit daily sequence).
    #[arg(long, default_value_t = 365)]
    days: i64,
    /// Batches in flight at once (each: create, decide, append).
    #[arg(long, default_value_t = 2)]
    parallel: usize,
}

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// Everything a batch needs: the organisation and the centre's people.
struct World {
    operator: Actor,
    dispatcher: Actor,
    supervisor: Actor,
    /// Lead units by weight class: (weight, units).
    leads: Vec<(f64, Vec<UnitRef>)>,
    /// Communities under each street, for 二级派单 (pass down).
    communities: HashMap<i64, Vec<UnitRef>>,
    divisions: Vec<i64>,
    rules: Rules,
    number_prefix: String,
    start: i64,
    step: f64,
    total: u64,
    batch: usize,
}

pub async fn run(a: Args) -> Result<String, String> {
    if a.cases as f64 / a.days.max(1) as f64 > 900_000.0 {
        return Err("too many cases per day for the 6-digit daily sequence: raise --days".into());
    }
    let store = minsheng_store::open(&a.database).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let now = crate::now_millis();
    let hash = minsheng_app::auth::hash_password(minsheng_app::demo::DEMO_PASSWORD).map_err(|e| e.message_en)?;
    minsheng_app::demo::load(store.as_ref(), &hash, now).await.map_err(|e| e.to_string())?;
    let before = store.count_cases().await.map_err(|e| e.to_string())?;

    let world = Arc::new(world(&store, &a, now).await?);
    let batches = a.cases.div_ceil(a.batch as u64);
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..a.parallel.max(1) {
        let (store, world, next) = (store.clone(), world.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut totals = Totals::default();
            loop {
                let b = next.fetch_add(1, Ordering::Relaxed);
                if b >= batches {
                    return Ok::<Totals, String>(totals);
                }
                seed_batch(store.as_ref(), &world, b, &mut totals).await?;
                let done = (b + 1) * world.batch as u64;
                if (b + 1) % 50 == 0 {
                    eprintln!("  … {} cases ({:.0}/s)", done.min(world.total), done as f64 / started.elapsed().as_secs_f64());
                }
            }
        }));
    }
    let mut totals = Totals::default();
    for w in workers {
        let t = w.await.map_err(|e| format!("seeding task failed: {e}"))??;
        totals.created += t.created;
        totals.changed += t.changed;
        totals.events += t.events;
        totals.create_s += t.create_s;
        totals.append_s += t.append_s;
        for (k, v) in t.states {
            *totals.states.entry(k).or_default() += v;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let after = store.count_cases().await.map_err(|e| e.to_string())?;
    let rate = totals.created as f64 / secs;
    let size = database_size(&a.database);
    eprintln!(
        "seed [{:?}]: {} cases in {:.1} s = {:.0} cases/s ({} appends, {} events); store now holds {} cases{}",
        store.engine(),
        totals.created,
        secs,
        rate,
        totals.changed,
        totals.events,
        after,
        size.map(|s| format!("; file {:.2} GB", s as f64 / 1e9)).unwrap_or_default()
    );
    let mut states: Vec<(String, u64)> = totals.states.into_iter().collect();
    states.sort();
    eprintln!("  states: {}", states.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", "));
    Ok(json!({
        "bench": "seed",
        "engine": format!("{:?}", store.engine()),
        "database": crate::create::redact(&a.database),
        "cases": totals.created,
        "batch": a.batch,
        "parallel": a.parallel,
        "seconds": secs,
        "cases_per_s": rate.round(),
        "appended_changes": totals.changed,
        "events_written": totals.events,
        "create_cases_busy_s": totals.create_s,
        "append_busy_s": totals.append_s,
        "count_before": before,
        "count_after": after,
        "states": states.into_iter().map(|(k, v)| (k, json!(v))).collect::<serde_json::Map<String, serde_json::Value>>(),
        "file_bytes": size,
    })
    .to_string())
}

#[derive(Default)]
struct Totals {
    created: u64,
    changed: u64,
    events: u64,
    create_s: f64,
    append_s: f64,
    states: HashMap<String, u64>,
}

async fn world(store: &Arc<dyn Store>, a: &Args, now: i64) -> Result<World, String> {
    let units = store.list_units().await.map_err(|e| e.to_string())?;
    let users = store.list_users().await.map_err(|e| e.to_string())?;
    let by_id: HashMap<i64, UnitRef> = units.iter().map(|u| (u.id, u.as_ref())).collect();
    let actor = |login: &str| -> Result<Actor, String> {
        let u = users.iter().find(|u| u.login == login).ok_or_else(|| format!("demo user {login} missing"))?;
        Ok(Actor { user_id: Some(u.id), name: u.name.clone(), role: u.role, unit: u.unit_id.and_then(|id| by_id.get(&id).cloned()) })
    };
    let city = units.iter().find(|u| u.kind == UnitKind::City).map(|u| u.id).ok_or("no city unit")?;
    let of_kind = |k: UnitKind| -> Vec<UnitRef> { units.iter().filter(|u| u.kind == k && u.active).map(|u| u.as_ref()).collect() };
    let departments = of_kind(UnitKind::Department);
    let (city_depts, district_depts): (Vec<UnitRef>, Vec<UnitRef>) = departments.into_iter().partition(|u| u.parent_id == Some(city));
    // Where cases go first: districts and city departments take most, streets many (territorial
    // matters), district departments and companies the rest.
    let leads = vec![
        (0.30, of_kind(UnitKind::District)),
        (0.30, of_kind(UnitKind::Street)),
        (0.25, city_depts),
        (0.10, district_depts),
        (0.05, of_kind(UnitKind::Company)),
    ];
    if leads.iter().any(|(_, v)| v.is_empty()) {
        return Err("the demo city lacks a unit class (district/street/department/company)".into());
    }
    let mut communities: HashMap<i64, Vec<UnitRef>> = HashMap::new();
    for c in of_kind(UnitKind::Community) {
        if let Some(p) = c.parent_id {
            communities.entry(p).or_default().push(c);
        }
    }
    let divisions: Vec<i64> = units.iter().filter(|u| matches!(u.kind, UnitKind::Street | UnitKind::Community)).map(|u| u.id).collect();
    let end = now - DAY;
    let start = end - a.days * DAY;
    let settings = minsheng_app::App::load_settings(store).await.map_err(|e| e.to_string())?;
    Ok(World {
        operator: actor("operator")?,
        dispatcher: actor("dispatcher")?,
        supervisor: actor("supervisor")?,
        leads,
        communities,
        divisions,
        rules: settings.rules,
        number_prefix: settings.number_prefix,
        start,
        step: (end - start) as f64 / a.cases.max(1) as f64,
        total: a.cases,
        batch: a.batch,
    })
}

/// The final state a case is seeded into, and whether a street passes it down to a community.
#[derive(Clone, Copy)]
struct Target {
    state: CaseState,
    pass_down: bool,
}

fn target(rng: &mut Rng, age_fraction: f64) -> Target {
    let u = rng.unit();
    // The newest tenth (about five weeks) is still in flight; older cases are nearly all closed.
    let state = if age_fraction > 0.9 {
        match u {
            x if x < 0.10 => CaseState::AwaitingDispatch,
            x if x < 0.30 => CaseState::Dispatched,
            x if x < 0.65 => CaseState::Handling,
            x if x < 0.75 => CaseState::Replied,
            x if x < 0.90 => CaseState::AwaitingCallback,
            _ => CaseState::Closed,
        }
    } else {
        match u {
            x if x < 0.02 => CaseState::Handling,
            x if x < 0.03 => CaseState::AwaitingCallback,
            _ => CaseState::Closed,
        }
    };
    Target { state, pass_down: rng.unit() < 0.3 }
}

fn pick_lead(rng: &mut Rng, world: &World) -> UnitRef {
    let mut u = rng.unit();
    for (w, units) in &world.leads {
        if u < *w {
            return rng.pick(units).clone();
        }
        u -= w;
    }
    let (_, last) = &world.leads[world.leads.len() - 1];
    rng.pick(last).clone()
}

fn unit_actor(unit: &UnitRef) -> Actor {
    Actor { user_id: None, name: "承办人".into(), role: Role::UnitHandler, unit: Some(unit.clone()) }
}

/// Decides one command with the real lifecycle rules and applies its events.
fn step(world: &World, case: &mut Case, events: &mut Vec<Event>, actor: &Actor, cmd: Command, at: i64) -> Result<(), String> {
    let kinds: Vec<EventKind> =
        lifecycle::decide(case, actor, &cmd, None, &world.rules, at).map_err(|e| format!("case {}: {}", case.id, e.message_en))?;
    for kind in kinds {
        let e = Event { seq: case.version + 1, at, actor: ActorStamp::from(actor), kind, note: None, deadlines: None };
        case.apply(&e);
        events.push(e);
    }
    Ok(())
}

fn advance(world: &World, rng: &mut Rng, created: &Case, t: Target) -> Result<Option<CaseChange>, String> {
    if t.state == CaseState::AwaitingDispatch {
        return Ok(None);
    }
    let mut case = created.clone();
    let mut events = Vec::new();
    let mut at = case.received_at + 10 * MINUTE + rng.below(50) as i64 * MINUTE;
    let lead = pick_lead(rng, world);
    step(world, &mut case, &mut events, &world.dispatcher, Command::Dispatch { lead: lead.clone(), assisting: vec![] }, at)?;
    let mut holder = lead.clone();
    let done = |c: &Case| c.state == t.state;
    if !done(&case) {
        at += HOUR + rng.below(120) as i64 * MINUTE;
        step(world, &mut case, &mut events, &unit_actor(&holder), Command::Sign, at)?;
        let below = world.communities.get(&holder.id).filter(|c| !c.is_empty());
        if let (true, Some(children)) = (t.pass_down && lead.kind == UnitKind::Street, below) {
            let to = rng.pick(children).clone();
            at += 30 * MINUTE;
            step(world, &mut case, &mut events, &unit_actor(&holder), Command::PassDown { to: to.clone() }, at)?;
            holder = to;
            if !done(&case) {
                at += HOUR;
                step(world, &mut case, &mut events, &unit_actor(&holder), Command::Sign, at)?;
            }
        }
    }
    if !done(&case) {
        at += DAY + rng.below(3 * 24) as i64 * HOUR;
        let reply: &&str = rng.pick(REPLIES);
        let text = Note::parse(reply).map_err(|e| e.message_en)?;
        let solved = if rng.below(10) < 8 { Solved::Solved } else { Solved::PartlySolved };
        step(world, &mut case, &mut events, &unit_actor(&holder), Command::Reply { text, solved }, at)?;
    }
    if !done(&case) {
        at += 2 * HOUR + rng.below(20) as i64 * HOUR;
        step(world, &mut case, &mut events, &world.dispatcher, Command::ReviewReply { pass: true }, at)?;
    }
    if !done(&case) {
        at += HOUR + rng.below(48) as i64 * HOUR;
        let outcome = match rng.below(20) {
            0..=14 => CallbackOutcome::Satisfied,
            15..=18 => CallbackOutcome::BasicallySatisfied,
            _ => CallbackOutcome::Declined,
        };
        let solved = case.solved;
        step(world, &mut case, &mut events, &world.supervisor, Command::Callback { outcome, solved, comment: None }, at)?;
    }
    if !done(&case) {
        return Err(format!("case {} ended in {} instead of {}", case.id, case.state.as_str(), t.state.as_str()));
    }
    Ok(Some(CaseChange { case, expected_version: created.version, events, fires: vec![], notices: vec![] }))
}

async fn seed_batch(store: &dyn Store, world: &World, b: u64, totals: &mut Totals) -> Result<(), String> {
    let first = b * world.batch as u64;
    let last = (first + world.batch as u64).min(world.total);
    let mut rng = Rng::new(0x5EED ^ b.wrapping_mul(0x1000_0000_01B3));
    let mut news = Vec::with_capacity((last - first) as usize);
    let mut targets = Vec::with_capacity(news.capacity());
    for i in first..last {
        let at = world.start + (i as f64 * world.step) as i64;
        let division = Some(*rng.pick(&world.divisions));
        news.push(NewCase {
            number_prefix: world.number_prefix.clone(),
            intake: intake(&mut rng, division)?,
            at,
            actor: ActorStamp::from(&world.operator),
            then: vec![FollowUp { kind: EventKind::Forwarded, note: None, at: None, actor: None }],
            deadlines: None,
            notices: Vec::new(),
            inbound: None,
        });
        targets.push(target(&mut rng, i as f64 / world.total.max(1) as f64));
    }
    let t0 = Instant::now();
    let created = store.create_cases(news).await.map_err(|e| format!("create_cases: {e}"))?;
    totals.create_s += t0.elapsed().as_secs_f64();
    totals.created += created.len() as u64;
    let mut changes = Vec::with_capacity(created.len());
    for (case, t) in created.iter().zip(&targets) {
        *totals.states.entry(t.state.as_str().to_string()).or_default() += 1;
        if let Some(change) = advance(world, &mut rng, case, *t)? {
            totals.events += change.events.len() as u64;
            changes.push(change);
        }
    }
    totals.events += 2 * created.len() as u64;
    totals.changed += changes.len() as u64;
    let t1 = Instant::now();
    if !changes.is_empty() {
        store.append(changes).await.map_err(|e| format!("append: {e}"))?;
    }
    totals.append_s += t1.elapsed().as_secs_f64();
    Ok(())
}

fn database_size(url: &str) -> Option<u64> {
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let main = std::fs::metadata(path).ok()?.len();
    let wal = std::fs::metadata(format!("{path}-wal")).map(|m| m.len()).unwrap_or(0);
    Some(main + wal)
}
