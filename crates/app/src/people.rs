//! 人员库: the registry of mediators, legal aid, experts and judicial officers — administrators
//! keep it (by hand or by CSV import), every staff member reads it — and the people proposed for a
//! case: the domain's matcher over the active registry with each person's current load.
//!
//! # CSV import
//! UTF-8, a header row, one person a row; rows are matched to the registry by name and
//! organisation (an existing person is updated, a new one added), all or nothing:
//!
//! | column | content |
//! |---|---|
//! | `name` | required, ≤ 50 characters |
//! | `kind` | `mediator`/调解员, `legal_aid`/法律援助, `expert`/专家, `judicial_officer`/司法所 |
//! | `organisation` | required, ≤ 100 characters (e.g. 龙华区金贸街道人民调解委员会) |
//! | `phone` | optional; mobile or landline with area code |
//! | `specialties` | optional; tags or catalogue codes separated by `|`, `;`, `；` or `、` |
//! | `areas` | optional; codes of the units served (division codes like `460106001`), separated like specialties; empty = the whole city |
//! | `capacity` | optional; open cases the person can carry, 1–500, default 10 |
//! | `active` | optional; `是`/`否`, `true`/`false`, `1`/`0`, default active |
//! | `note` | optional, ≤ 500 characters |

use std::collections::{HashMap, HashSet};

use minsheng_domain::case::Case;
use minsheng_domain::org::{Actor, Role, UnitKind};
use minsheng_domain::people::{CaseNeeds, PersonDraft, PersonKind, PersonMatch, PersonRef, rank};
use minsheng_domain::{DomainError, DomainResult, ErrorCode, Millis};
use minsheng_store::{PeopleQuery, PersonRecord, Store, StoreError, UnitRecord};
use serde::{Deserialize, Serialize};

use crate::App;

/// Rows one import may carry (Haikou's whole registry is under a thousand).
pub const MAX_IMPORT_ROWS: usize = 5_000;
/// Capacity when a registry file leaves it empty.
pub const DEFAULT_CAPACITY: u32 = 10;
/// Proposals shown for a case.
pub const PROPOSALS: usize = 5;

/// A person as the registry page shows them: the record, their open cases and where they serve.
#[derive(Debug, Clone, Serialize)]
pub struct PersonView {
    #[serde(flatten)]
    pub person: PersonRecord,
    pub kind_label: &'static str,
    /// Open cases now.
    pub load: u32,
    /// The names of the units in `areas` (same order); empty = the whole city.
    pub area_names: Vec<String>,
}

/// A person as clients send it (create and edit).
#[derive(Debug, Clone, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    pub name: String,
    #[schema(value_type = String, example = "mediator")]
    pub kind: PersonKind,
    pub organisation: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub specialties: Vec<String>,
    /// Unit paths (`/1/4/`) of the districts, streets or communities served; empty = the whole city.
    #[serde(default)]
    pub areas: Vec<String>,
    #[serde(default = "default_capacity")]
    pub capacity: u32,
    #[serde(default = "default_active")]
    pub active: bool,
    #[serde(default)]
    pub note: Option<String>,
}

fn default_capacity() -> u32 {
    DEFAULT_CAPACITY
}

fn default_active() -> bool {
    true
}

impl PersonInput {
    fn draft(self) -> PersonDraft {
        PersonDraft {
            name: self.name,
            kind: self.kind,
            organisation: self.organisation,
            phone: self.phone,
            specialties: self.specialties,
            areas: self.areas,
            capacity: self.capacity,
            active: self.active,
            note: self.note,
        }
    }
}

/// Who is on a case and who else would suit it.
#[derive(Debug, Clone, Serialize)]
pub struct CasePeople {
    pub assigned: Vec<AssignedPerson>,
    /// Best first; people already on the case are left out.
    pub proposals: Vec<PersonMatch>,
    /// What the case was read as needing (`dispute`, `legal`, `specialist`), if anything.
    pub need: Option<minsheng_domain::people::Need>,
    pub need_label: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AssignedPerson {
    pub person: PersonRef,
    pub assigned_at: Millis,
    pub assigned_by: Option<i64>,
    pub phone: Option<String>,
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct PeopleImport {
    pub created: usize,
    pub updated: usize,
}

fn may_read(actor: &Actor) -> bool {
    !matches!(actor.role, Role::Citizen)
}

fn check_read(actor: &Actor) -> DomainResult<()> {
    if may_read(actor) {
        Ok(())
    } else {
        Err(DomainError::new(ErrorCode::Forbidden, "无权查看人员库", "you may not read the registry"))
    }
}

fn check_write(actor: &Actor) -> DomainResult<()> {
    if matches!(actor.role, Role::Admin | Role::System) {
        Ok(())
    } else {
        Err(DomainError::new(ErrorCode::RoleForbidden, "只有管理员可以维护人员库", "only administrators may edit the registry"))
    }
}

fn person_not_found() -> DomainError {
    DomainError::not_found("人员", "person")
}

/// Units that can be served: the territorial tree (a person serves places, not departments).
fn servable(u: &UnitRecord) -> bool {
    matches!(u.kind, UnitKind::City | UnitKind::District | UnitKind::Street | UnitKind::Community)
}

impl App {
    /// The registry, filtered, with each person's load (staff).
    pub async fn people(&self, actor: &Actor, query: &PeopleQuery) -> DomainResult<Vec<PersonView>> {
        check_read(actor)?;
        let people = self.store.list_people(query).await?;
        let loads = self.people_load_map().await?;
        let dir = self.directory().await?;
        Ok(people.into_iter().map(|p| view_of(p, &loads, &dir.units)).collect())
    }

    pub async fn person(&self, actor: &Actor, id: i64) -> DomainResult<PersonView> {
        check_read(actor)?;
        let p = self.store.get_person(id).await?.ok_or_else(person_not_found)?;
        let loads = self.people_load_map().await?;
        let dir = self.directory().await?;
        Ok(view_of(p, &loads, &dir.units))
    }

    /// Adds a person (administrators).
    pub async fn add_person(&self, actor: &Actor, input: PersonInput) -> DomainResult<PersonView> {
        check_write(actor)?;
        let draft = self.checked_draft(input.draft()).await?;
        let p = self.store.insert_person(draft, self.clock.now()).await.map_err(duplicate_person)?;
        self.person(actor, p.id).await
    }

    /// Rewrites a person (administrators).
    pub async fn edit_person(&self, actor: &Actor, id: i64, input: PersonInput) -> DomainResult<PersonView> {
        check_write(actor)?;
        self.store.get_person(id).await?.ok_or_else(person_not_found)?;
        let draft = self.checked_draft(input.draft()).await?;
        let p = PersonRecord::from_draft(id, draft, self.clock.now());
        self.store.update_person(p).await.map_err(duplicate_person)?;
        self.person(actor, id).await
    }

    /// Imports a registry file (see the module documentation); nothing changes unless every row is valid.
    pub async fn import_people_csv(&self, actor: &Actor, text: &str) -> DomainResult<PeopleImport> {
        check_write(actor)?;
        let dir = self.directory().await?;
        let drafts = parse_registry_csv(text, &dir.units)?;
        let done = self.store.import_people(drafts, self.clock.now()).await?;
        let created = done.iter().filter(|d| d.created).count();
        Ok(PeopleImport { created, updated: done.len() - created })
    }

    /// The people on a case and the best-matched others (any staff who may see the case).
    pub async fn case_people(&self, actor: &Actor, key: &str) -> DomainResult<CasePeople> {
        let case = self.visible_case(actor, key).await?;
        let on_case = self.store.case_people(case.id).await?;
        let mut assigned = Vec::with_capacity(on_case.len());
        for a in on_case.iter().filter(|a| a.released_at.is_none()) {
            if let Some(p) = self.store.get_person(a.person_id).await? {
                assigned.push(AssignedPerson {
                    person: p.as_ref(),
                    assigned_at: a.assigned_at,
                    assigned_by: a.assigned_by,
                    phone: p.phone,
                });
            }
        }
        let taken: HashSet<i64> = on_case.iter().filter(|a| a.released_at.is_none()).map(|a| a.person_id).collect();
        let needs = self.case_needs(&case).await?;
        let need = needs.need();
        let loads = self.people_load_map().await?;
        let candidates: Vec<(PersonRecord, u32)> = self
            .store
            .list_people(&PeopleQuery { active: Some(true), ..Default::default() })
            .await?
            .into_iter()
            .filter(|p| !taken.contains(&p.id))
            .map(|p| {
                let load = loads.get(&p.id).copied().unwrap_or(0);
                (p, load)
            })
            .collect();
        Ok(CasePeople { assigned, proposals: rank(&needs, &candidates, PROPOSALS), need, need_label: need.map(|n| n.label_zh()) })
    }

    /// What the matcher needs to know of a case: its item's path in the catalogue it was routed
    /// with, its words, and the chain of territorial units down to its place.
    async fn case_needs(&self, case: &Case) -> DomainResult<CaseNeeds> {
        let catalogue = self.current_catalogue().await?;
        let (codes, names) = match &case.intake.catalogue_item {
            Some(code) => {
                let path = catalogue.path(code);
                (path.iter().map(|i| i.code.clone()).collect(), path.iter().map(|i| i.name.clone()).collect())
            }
            None => (Vec::new(), Vec::new()),
        };
        let dir = self.directory().await?;
        let place = match case.intake.place.division_unit_id.and_then(|id| dir.units.iter().find(|u| u.id == id)) {
            Some(unit) => {
                let by_id: HashMap<i64, &UnitRecord> = dir.units.iter().map(|u| (u.id, u)).collect();
                minsheng_domain::org::path_ids(&unit.path).into_iter().filter_map(|id| by_id.get(&id)).map(|u| u.as_ref()).collect()
            }
            None => Vec::new(),
        };
        Ok(CaseNeeds {
            category_codes: codes,
            category_names: names,
            case_type: Some(case.intake.case_type),
            text: format!("{} {}", case.intake.title.as_str(), case.intake.text.as_str()),
            place,
        })
    }

    async fn people_load_map(&self) -> DomainResult<HashMap<i64, u32>> {
        Ok(self.store.people_loads().await?.into_iter().map(|l| (l.person_id, u32::try_from(l.open).unwrap_or(u32::MAX))).collect())
    }

    /// Validates a draft and checks that its areas are units of the territorial tree.
    async fn checked_draft(&self, draft: PersonDraft) -> DomainResult<PersonDraft> {
        let draft = draft.parse()?;
        let dir = self.directory().await?;
        for a in &draft.areas {
            if !dir.units.iter().any(|u| &u.path == a && servable(u)) {
                return Err(DomainError::invalid(
                    "areas",
                    format!("没有这个区、街道或社区：{a}"),
                    format!("no district, street or community has the path {a}"),
                ));
            }
        }
        Ok(draft)
    }
}

fn duplicate_person(e: StoreError) -> DomainError {
    match e {
        StoreError::Duplicate(_) => DomainError::new(
            ErrorCode::AlreadyExists,
            "同一机构已有同名人员",
            "a person of this name is already registered in this organisation",
        ),
        other => other.into(),
    }
}

fn view_of(person: PersonRecord, loads: &HashMap<i64, u32>, units: &[UnitRecord]) -> PersonView {
    let area_names =
        person.areas.iter().map(|a| units.iter().find(|u| &u.path == a).map(|u| u.name.clone()).unwrap_or_else(|| a.clone())).collect();
    PersonView { kind_label: person.kind.label_zh(), load: loads.get(&person.id).copied().unwrap_or(0), area_names, person }
}

fn split_list(s: &str) -> Vec<String> {
    s.split(['|', ';', '；', '、']).map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect()
}

/// Parses a registry file into checked drafts; every bad row is reported with its line.
pub fn parse_registry_csv(text: &str, units: &[UnitRecord]) -> DomainResult<Vec<PersonDraft>> {
    let mut reader =
        csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| DomainError::invalid("csv", format!("无法读取表头：{e}"), format!("cannot read the header: {e}")))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(c_name), Some(c_kind), Some(c_org)) = (col("name"), col("kind"), col("organisation")) else {
        return Err(DomainError::invalid(
            "csv",
            "表头须包含 name、kind、organisation 列",
            "the header must have the columns name, kind and organisation",
        ));
    };
    let optional = ["phone", "specialties", "areas", "capacity", "active", "note"].map(col);
    let by_code: HashMap<&str, &UnitRecord> = units.iter().filter(|u| servable(u)).map(|u| (u.code.as_str(), u)).collect();
    let mut drafts = Vec::new();
    let mut problems: Vec<serde_json::Value> = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        if drafts.len() + problems.len() >= MAX_IMPORT_ROWS {
            return Err(DomainError::invalid("csv", format!("最多 {MAX_IMPORT_ROWS} 行"), format!("at most {MAX_IMPORT_ROWS} rows")));
        }
        let mut problem = |field: &str, zh: String, en: String| {
            if problems.len() < 50 {
                problems.push(serde_json::json!({ "line": line, "field": field, "message_zh": zh, "message_en": en }));
            }
        };
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problem("csv", format!("无法解析：{e}"), format!("cannot parse: {e}"));
                continue;
            }
        };
        let get = |c: Option<usize>| c.and_then(|c| record.get(c)).unwrap_or("").to_string();
        let [phone, specialties, areas, capacity, active, note] = optional.map(get);
        let kind_text = get(Some(c_kind));
        let Some(kind) = PersonKind::parse_any(&kind_text) else {
            problem("kind", format!("未知类别“{kind_text}”"), format!("unknown kind {kind_text:?}"));
            continue;
        };
        let capacity = if capacity.is_empty() {
            DEFAULT_CAPACITY
        } else if let Ok(n) = capacity.parse::<u32>() {
            n
        } else {
            problem("capacity", format!("不是数字：{capacity}"), format!("not a number: {capacity}"));
            continue;
        };
        let active = match active.as_str() {
            "" | "是" | "true" | "1" | "在岗" => true,
            "否" | "false" | "0" | "停用" => false,
            other => {
                problem("active", format!("应为 是/否：{other}"), format!("expected yes/no: {other}"));
                continue;
            }
        };
        let mut paths = Vec::new();
        let mut unknown = None;
        for code in split_list(&areas) {
            match by_code.get(code.as_str()) {
                Some(u) => paths.push(u.path.clone()),
                None => unknown = Some(code),
            }
        }
        if let Some(code) = unknown {
            problem(
                "areas",
                format!("没有代码为 {code} 的区、街道或社区"),
                format!("no district, street or community has the code {code}"),
            );
            continue;
        }
        let draft = PersonDraft {
            name: get(Some(c_name)),
            kind,
            organisation: get(Some(c_org)),
            phone: Some(phone),
            specialties: split_list(&specialties),
            areas: paths,
            capacity,
            active,
            note: Some(note),
        };
        match draft.parse() {
            Ok(d) => drafts.push(d),
            Err(e) => {
                let field = e.details.get("field").and_then(|f| f.as_str()).unwrap_or("csv").to_string();
                problem(&field, e.message_zh, e.message_en);
            }
        }
    }
    if !problems.is_empty() {
        return Err(DomainError::new(
            ErrorCode::InvalidInput,
            format!("人员名册有 {} 处错误，未导入任何人员", problems.len()),
            format!("the registry file has {} errors; nothing was imported", problems.len()),
        )
        .with_details(serde_json::json!({ "field": "csv", "errors": problems })));
    }
    if drafts.is_empty() {
        return Err(DomainError::invalid("csv", "名册中没有人员", "the file lists nobody"));
    }
    Ok(drafts)
}

// ---------------------------------------------------------------------------------------------
// The demo registry
// ---------------------------------------------------------------------------------------------

/// Surnames common in Hainan and given-name characters: the demo registry's people are made up
/// from these, deterministically. **They are not real people.**
const SURNAMES: [&str; 18] = ["王", "陈", "林", "吴", "符", "李", "黄", "张", "邢", "云", "周", "郑", "何", "冯", "羊", "蔡", "梁", "许"];
const GIVEN: [&str; 26] = [
    "海", "明", "丽", "华", "建", "芳", "志", "秀", "国", "玉", "文", "春", "德", "美", "晓", "俊", "红", "伟", "兰", "强", "燕", "平",
    "辉", "婷", "涛", "琼",
];
const MEDIATION_TAGS: [&str; 7] = ["邻里纠纷", "婚姻家庭", "物业纠纷", "劳动争议", "土地纠纷", "消费维权", "房屋租赁"];
const LEGAL_TAGS: [&str; 6] = ["劳动争议", "婚姻家庭", "交通事故", "消费维权", "医疗纠纷", "房屋租赁"];
/// The city's expert pool: specialties (free tags and catalogue codes of the demo catalogue).
const EXPERTS: [&[&str]; 12] = [
    &["建筑质量", "01.05"],
    &["建筑质量", "01.10"],
    &["医疗纠纷", "12.05"],
    &["医疗纠纷", "12.06"],
    &["环境污染", "04.02"],
    &["环境污染", "ZS"],
    &["交通事故", "13.05"],
    &["消费维权", "11.04"],
    &["土地纠纷", "03.05"],
    &["土地纠纷", "10.13"],
    &["劳动争议", "15.06"],
    &["物业纠纷", "01.02"],
];

fn demo_name(i: usize) -> String {
    let s = SURNAMES[(i * 7) % SURNAMES.len()];
    let a = GIVEN[(i * 5 + 3) % GIVEN.len()];
    // Every third name has one given character, as many do.
    if i.is_multiple_of(3) { format!("{s}{a}") } else { format!("{s}{a}{}", GIVEN[(i * 11 + 1) % GIVEN.len()]) }
}

fn demo_draft(i: usize, kind: PersonKind, organisation: &str, specialties: Vec<String>, areas: Vec<String>, capacity: u32) -> PersonDraft {
    PersonDraft {
        name: demo_name(i),
        kind,
        organisation: organisation.to_string(),
        phone: None,
        specialties,
        areas,
        capacity,
        active: true,
        note: Some("演示数据：虚构人员".into()),
    }
}

/// The demo registry over the demo tree: per district a mediation committee (2 mediators), a legal
/// aid centre (2 lawyers) and a judicial officer; per street one mediator of its committee; a few
/// community mediators under 金贸街道; and the city's expert pool. Made-up people, no phones.
pub fn demo_registry(units: &[UnitRecord]) -> Vec<PersonDraft> {
    let mut out = Vec::new();
    let mut n = 0usize;
    let mut next = || {
        n += 1;
        n
    };
    let tags = |i: usize, list: &[&str], k: usize| -> Vec<String> { (0..k).map(|j| list[(i + j * 3) % list.len()].to_string()).collect() };
    for d in units.iter().filter(|u| u.kind == UnitKind::District) {
        let committee = format!("{}人民调解委员会", d.name);
        for _ in 0..2 {
            let i = next();
            out.push(demo_draft(i, PersonKind::Mediator, &committee, tags(i, &MEDIATION_TAGS, 3), vec![d.path.clone()], 10));
        }
        let centre = format!("{}法律援助中心", d.name);
        for _ in 0..2 {
            let i = next();
            let mut specs = tags(i, &LEGAL_TAGS, 2);
            specs.push("13.01".into());
            out.push(demo_draft(i, PersonKind::LegalAid, &centre, specs, vec![d.path.clone()], 8));
        }
        let i = next();
        out.push(demo_draft(
            i,
            PersonKind::JudicialOfficer,
            &format!("{}司法局", d.name),
            vec!["13.12".into(), "邻里纠纷".into()],
            vec![d.path.clone()],
            12,
        ));
    }
    let parents: HashMap<i64, &UnitRecord> = units.iter().map(|u| (u.id, u)).collect();
    for s in units.iter().filter(|u| u.kind == UnitKind::Street) {
        let district = s.parent_id.and_then(|p| parents.get(&p)).map(|d| d.name.as_str()).unwrap_or("");
        let i = next();
        let committee = format!("{district}{}人民调解委员会", s.name);
        out.push(demo_draft(i, PersonKind::Mediator, &committee, tags(i, &MEDIATION_TAGS, 2), vec![s.path.clone()], 8 + (i % 5) as u32));
    }
    // A few community mediators where the demo users work (金贸街道), so a case there finds one next door.
    let jinmao: Vec<&UnitRecord> = units.iter().filter(|u| u.kind == UnitKind::Street && u.name == "金贸街道").collect();
    for street in jinmao {
        for c in units.iter().filter(|u| u.kind == UnitKind::Community && u.parent_id == Some(street.id)).take(4) {
            let i = next();
            let committee = format!("{}人民调解委员会", c.name.trim_end_matches("居民委员会").trim_end_matches("村民委员会"));
            out.push(demo_draft(i, PersonKind::Mediator, &committee, tags(i, &MEDIATION_TAGS, 2), vec![c.path.clone()], 6));
        }
    }
    for specs in EXPERTS {
        let i = next();
        out.push(demo_draft(i, PersonKind::Expert, "海口市专家库", specs.iter().map(|s| s.to_string()).collect(), Vec::new(), 5));
    }
    out
}

/// Loads the demo registry if the registry is empty (idempotent; one transaction).
pub async fn load_demo(store: &dyn Store, now: Millis) -> Result<usize, StoreError> {
    if !store.list_people(&PeopleQuery::default()).await?.is_empty() {
        return Ok(0);
    }
    let units = store.list_units().await?;
    let drafts = demo_registry(&units);
    let n = drafts.len();
    store.import_people(drafts, now).await?;
    Ok(n)
}
