//! The demo city 海口市: its real four-level territorial tree, the 12345 centre, functional
//! departments, public-service companies and one user for every working role, loaded idempotently.
//!
//! The territorial units come from `data/haikou_divisions.csv` (see `data/README.md` for source,
//! licence and derivation); departments, companies and users are defined here. [`plan`] is pure so
//! tests can check the tree without a database; [`load`] writes it through any [`Store`].

use std::collections::{HashMap, HashSet};

use minsheng_domain::Millis;
use minsheng_domain::org::{Role, UnitId, UnitKind};
use minsheng_store::{NewUnit, NewUser, Store, StoreError};

/// The password every demo user gets; the caller hashes it before [`load`].
pub const DEMO_PASSWORD: &str = "minsheng123";

/// The territorial tree, embedded so that the binary needs no data files at run time.
pub const DIVISIONS_CSV: &str = include_str!("../data/haikou_divisions.csv");

/// Code of the city government, the root of the tree (its division code).
pub const CITY_CODE: &str = "4601";
/// Code of the 12345 centre.
pub const CENTRE_CODE: &str = "HK-12345";

#[derive(Debug, Clone, PartialEq)]
pub struct DemoUnit {
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent_code: Option<String>,
    pub division_code: Option<String>,
    pub department_type: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DemoUser {
    pub login: String,
    pub name: String,
    pub role: Role,
    pub unit_code: Option<String>,
    pub phone: Option<String>,
}

/// The whole demo organisation. Units are ordered parents before children, so inserting them in
/// order always finds the parent already stored.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoPlan {
    pub units: Vec<DemoUnit>,
    pub users: Vec<DemoUser>,
}

/// The embedded data did not parse; only possible if `data/haikou_divisions.csv` was edited badly.
#[derive(Debug, thiserror::Error)]
#[error("演示数据有误（第 {line} 行）：{message} / demo data is invalid (line {line}): {message}")]
pub struct DemoError {
    pub line: u64,
    pub message: String,
}

impl DemoError {
    fn new(line: u64, message: impl Into<String>) -> Self {
        DemoError { line, message: message.into() }
    }
}

/// A user as printed after loading, so the presenter knows whom to log in as.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DemoLogin {
    pub login: String,
    pub name: String,
    /// The Chinese role label, e.g. `派单员`.
    pub role: String,
    pub unit_name: Option<String>,
}

/// What [`load`] did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DemoSummary {
    /// Units of the plan by kind (code of the kind, count), in tree order.
    pub units_by_kind: Vec<(String, usize)>,
    pub units_created: usize,
    /// Units whose code was already stored; left as they are.
    pub units_existing: usize,
    pub users_created: usize,
    /// Users whose login was already stored; left as they are (their password is not reset).
    pub users_existing: usize,
    pub logins: Vec<DemoLogin>,
}

/// City-level departments: code suffix, name (after 海口市), department type used by routing.
const CITY_DEPARTMENTS: &[(&str, &str, &str)] = &[
    ("CGJ", "综合行政执法局", "城管"),
    ("ZJJ", "住房和城乡建设局", "住建"),
    ("STJ", "生态环境局", "生态环境"),
    ("SJJ", "市场监督管理局", "市场监管"),
    ("JYJ", "教育局", "教育"),
    ("JTJ", "交通运输局", "交通"),
    ("WJW", "卫生健康委员会", "卫健"),
    ("GAJ", "公安局", "公安"),
    ("JJZD", "公安局交通警察支队", "交警"),
    ("RSJ", "人力资源和社会保障局", "人社"),
    ("ZRJ", "自然资源和规划局", "自然资源"),
    ("SWJ", "水务局", "水务"),
    ("MZJ", "民政局", "民政"),
    ("SHWJ", "商务局", "商务"),
    ("LWJ", "旅游和文化广电体育局", "文体"),
    ("YBJ", "医疗保障局", "医保"),
    ("YJJ", "应急管理局", "应急"),
    ("NYJ", "农业农村局", "农业农村"),
    ("SFJ", "司法局", "司法"),
    ("YHJ", "园林和环境卫生管理局", "园林环卫"),
    ("FGW", "发展和改革委员会", "发改"),
    ("GXJ", "工业和信息化局", "工信"),
    ("TJJ", "退役军人事务局", "退役军人"),
];

/// Departments every district has: code suffix, name (after the district's name), type. The
/// types repeat the city's so routing can pick the district's own office for a local matter.
const DISTRICT_DEPARTMENTS: &[(&str, &str, &str)] = &[
    ("CGJ", "综合行政执法局", "城管"),
    ("ZJJ", "住房和城乡建设局", "住建"),
    ("SJJ", "市场监督管理局", "市场监管"),
    ("JYJ", "教育局", "教育"),
    ("WJW", "卫生健康委员会", "卫健"),
];

/// Public-service companies, all serving the whole city: code, name, type.
const COMPANIES: &[(&str, &str, &str)] = &[
    ("HK-WATER", "海口市水务集团", "供水"),
    ("HK-POWER", "海南电网海口供电局", "供电"),
    ("HK-GAS", "海口港华燃气", "燃气"),
    ("HK-TELECOM", "中国电信海口分公司", "电信"),
    ("HK-MOBILE", "中国移动海口分公司", "移动"),
    ("HK-UNICOM", "中国联通海口分公司", "联通"),
    ("HK-BUS", "海口市公共交通集团", "公交"),
    ("HK-AIRPORT", "海口美兰国际机场", "机场"),
];

/// The places the demo users work in, looked up by name in the data rather than by code so that a
/// reader of the list below sees where each person sits.
const LONGHUA: &str = "460106";
const MEILAN: &str = "460108";
const JINMAO_STREET: &str = "金贸街道";
const YUSHA_COMMUNITY: &str = "玉沙社区居民委员会";

/// One row of the divisions file.
struct DivisionRow {
    line: u64,
    code: String,
    name: String,
    kind: UnitKind,
    parent_code: Option<String>,
}

fn read_divisions() -> Result<Vec<DivisionRow>, DemoError> {
    let mut reader = csv::Reader::from_reader(DIVISIONS_CSV.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| DemoError::new(e.position().map_or(0, |p| p.line()), e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).map(str::trim).unwrap_or_default();
        let (code, name, kind, parent) = (field(0), field(1), field(2), field(3));
        let kind = UnitKind::parse(kind).ok_or_else(|| DemoError::new(line, format!("unknown kind {kind:?}")))?;
        if code.is_empty() || name.is_empty() {
            return Err(DemoError::new(line, "empty code or name"));
        }
        rows.push(DivisionRow {
            line,
            code: code.to_string(),
            name: name.to_string(),
            kind,
            parent_code: (!parent.is_empty()).then(|| parent.to_string()),
        });
    }
    Ok(rows)
}

/// Builds the demo organisation and its users. Pure: reads only the embedded data.
pub fn plan() -> Result<DemoPlan, DemoError> {
    let divisions = read_divisions()?;
    let mut units: Vec<DemoUnit> = Vec::with_capacity(divisions.len() + 64);

    let city =
        divisions.iter().find(|d| d.kind == UnitKind::City).ok_or_else(|| DemoError::new(0, "the divisions file has no city row"))?;
    if city.code != CITY_CODE {
        return Err(DemoError::new(city.line, format!("expected the city {CITY_CODE}, found {}", city.code)));
    }
    units.push(DemoUnit {
        code: CITY_CODE.to_string(),
        // The unit is the government, not the territory: "海口市" → "海口市人民政府".
        name: format!("{}人民政府", city.name),
        kind: UnitKind::City,
        parent_code: None,
        division_code: Some(CITY_CODE.to_string()),
        department_type: None,
    });
    units.push(DemoUnit {
        code: CENTRE_CODE.to_string(),
        name: format!("{}12345政府服务热线中心", city.name),
        kind: UnitKind::Centre,
        parent_code: Some(CITY_CODE.to_string()),
        division_code: Some(CITY_CODE.to_string()),
        department_type: None,
    });

    // Territorial units keep the data's order (district, street, community blocks), which already
    // puts every parent first; the test `parents_come_first` guards it.
    let mut district_names: Vec<(String, String)> = Vec::new();
    for d in divisions.iter().filter(|d| d.kind != UnitKind::City) {
        if !matches!(d.kind, UnitKind::District | UnitKind::Street | UnitKind::Community) {
            return Err(DemoError::new(d.line, format!("kind {} is not territorial", d.kind.as_str())));
        }
        let parent = d.parent_code.clone().ok_or_else(|| DemoError::new(d.line, "missing parent_code"))?;
        if d.kind == UnitKind::District {
            district_names.push((d.code.clone(), d.name.clone()));
        }
        units.push(DemoUnit {
            code: d.code.clone(),
            name: d.name.clone(),
            kind: d.kind,
            parent_code: Some(parent),
            division_code: Some(d.code.clone()),
            department_type: None,
        });
    }

    for (suffix, name, kind) in CITY_DEPARTMENTS {
        units.push(DemoUnit {
            code: format!("HK-{suffix}"),
            name: format!("{}{name}", city.name),
            kind: UnitKind::Department,
            parent_code: Some(CITY_CODE.to_string()),
            division_code: Some(CITY_CODE.to_string()),
            department_type: Some((*kind).to_string()),
        });
    }
    for (district_code, district_name) in &district_names {
        for (suffix, name, kind) in DISTRICT_DEPARTMENTS {
            units.push(DemoUnit {
                code: format!("{district_code}-{suffix}"),
                name: format!("{district_name}{name}"),
                kind: UnitKind::Department,
                parent_code: Some(district_code.clone()),
                division_code: Some(district_code.clone()),
                department_type: Some((*kind).to_string()),
            });
        }
    }
    for (code, name, kind) in COMPANIES {
        units.push(DemoUnit {
            code: (*code).to_string(),
            name: (*name).to_string(),
            kind: UnitKind::Company,
            parent_code: Some(CITY_CODE.to_string()),
            division_code: Some(CITY_CODE.to_string()),
            department_type: Some((*kind).to_string()),
        });
    }

    let jinmao = find_child(&units, LONGHUA, JINMAO_STREET)?;
    let yusha = find_child(&units, &jinmao, YUSHA_COMMUNITY)?;
    let users = demo_users(&jinmao, &yusha);
    Ok(DemoPlan { units, users })
}

/// The code of the unit named `name` directly under `parent_code`.
fn find_child(units: &[DemoUnit], parent_code: &str, name: &str) -> Result<String, DemoError> {
    units
        .iter()
        .find(|u| u.parent_code.as_deref() == Some(parent_code) && u.name == name)
        .map(|u| u.code.clone())
        .ok_or_else(|| DemoError::new(0, format!("no unit {name} under {parent_code}")))
}

fn demo_users(jinmao: &str, yusha: &str) -> Vec<DemoUser> {
    // Names use surnames common in Hainan (符, 王, 吴, 陈, 林, 李, 云, 邢). No phone numbers:
    // China has no range reserved for fiction, so any made-up mobile number may reach a real person
    // once notifications are switched on.
    let user = |login: &str, name: &str, role: Role, unit: &str| DemoUser {
        login: login.to_string(),
        name: name.to_string(),
        role,
        unit_code: Some(unit.to_string()),
        phone: None,
    };
    vec![
        user("admin", "邢志远", Role::Admin, CENTRE_CODE),
        user("operator", "陈晓燕", Role::Operator, CENTRE_CODE),
        user("dispatcher", "林志强", Role::Dispatcher, CENTRE_CODE),
        user("supervisor", "王丽娟", Role::Supervisor, CENTRE_CODE),
        user("leader", "吴海峰", Role::Leader, CENTRE_CODE),
        user("cgj", "黄文涛", Role::UnitHandler, "HK-CGJ"),
        user("cgj_leader", "符国栋", Role::UnitLeader, "HK-CGJ"),
        user("longhua", "李明辉", Role::UnitHandler, LONGHUA),
        user("longhua_leader", "云振华", Role::UnitLeader, LONGHUA),
        user("jinmao", "符小梅", Role::UnitHandler, jinmao),
        user("jinmao_leader", "王建国", Role::UnitLeader, jinmao),
        user("yusha", "陈秀兰", Role::UnitHandler, yusha),
        user("grid", "吴俊杰", Role::GridWorker, yusha),
        user("water", "林海燕", Role::UnitHandler, "HK-WATER"),
        user("meilan", "邢美玲", Role::UnitHandler, MEILAN),
    ]
}

/// Inserts the plan into `store`, skipping units and users that already exist (by code and by
/// login), so running it twice, or after an administrator added units, changes nothing that is
/// there. Every new user gets `password_hash`.
pub async fn load(store: &dyn Store, password_hash: &str, now: Millis) -> Result<DemoSummary, StoreError> {
    let plan = plan().map_err(|e| StoreError::Corrupt(e.to_string()))?;

    // One listing instead of a lookup per unit: the plan has over 500 units.
    let mut ids: HashMap<String, UnitId> = store.list_units().await?.into_iter().map(|u| (u.code, u.id)).collect();
    let mut names: HashMap<String, String> = HashMap::new();
    let (mut units_created, mut units_existing) = (0, 0);
    for unit in &plan.units {
        names.insert(unit.code.clone(), unit.name.clone());
        if ids.contains_key(&unit.code) {
            units_existing += 1;
            continue;
        }
        let parent_id = match &unit.parent_code {
            None => None,
            Some(code) => Some(resolve_unit(store, &ids, code).await?),
        };
        let new = NewUnit {
            code: unit.code.clone(),
            name: unit.name.clone(),
            kind: unit.kind,
            parent_id,
            division_code: unit.division_code.clone(),
            department_type: unit.department_type.clone(),
        };
        match store.insert_unit(new).await {
            Ok(record) => {
                ids.insert(record.code, record.id);
                units_created += 1;
            }
            // Someone else loaded the same unit meanwhile: theirs is as good as ours.
            Err(StoreError::Duplicate(_)) => {
                let id = resolve_unit(store, &ids, &unit.code).await?;
                ids.insert(unit.code.clone(), id);
                units_existing += 1;
            }
            Err(e) => return Err(e),
        }
    }

    let existing_logins: HashSet<String> = store.list_users().await?.into_iter().map(|u| u.login).collect();
    let (mut users_created, mut users_existing) = (0, 0);
    let mut logins = Vec::with_capacity(plan.users.len());
    for user in &plan.users {
        logins.push(DemoLogin {
            login: user.login.clone(),
            name: user.name.clone(),
            role: user.role.label_zh().to_string(),
            unit_name: user.unit_code.as_ref().and_then(|c| names.get(c).cloned()),
        });
        if existing_logins.contains(&user.login) {
            users_existing += 1;
            continue;
        }
        let unit_id = match &user.unit_code {
            None => None,
            Some(code) => Some(resolve_unit(store, &ids, code).await?),
        };
        let new = NewUser {
            login: user.login.clone(),
            name: user.name.clone(),
            role: user.role,
            unit_id,
            phone: user.phone.clone(),
            password_hash: password_hash.to_string(),
            created_at: now,
        };
        match store.insert_user(new).await {
            Ok(_) => users_created += 1,
            Err(StoreError::Duplicate(_)) => users_existing += 1,
            Err(e) => return Err(e),
        }
    }

    crate::catalogue::load_demo(store, now).await.map_err(|e| StoreError::Corrupt(e.message_en))?;
    crate::people::load_demo(store, now).await?;
    crate::knowledge::load_demo(store, now).await?;
    Ok(DemoSummary { units_by_kind: count_by_kind(&plan.units), units_created, units_existing, users_created, users_existing, logins })
}

/// The id of the unit with `code`: from what this load has seen, else from the store.
async fn resolve_unit(store: &dyn Store, ids: &HashMap<String, UnitId>, code: &str) -> Result<UnitId, StoreError> {
    if let Some(id) = ids.get(code) {
        return Ok(*id);
    }
    store.unit_by_code(code).await?.map(|u| u.id).ok_or_else(|| StoreError::NotFound(format!("unit {code}")))
}

/// Counts per kind in the order kinds first appear in the plan (the tree order).
fn count_by_kind(units: &[DemoUnit]) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for u in units {
        match counts.iter_mut().find(|(k, _)| k == u.kind.as_str()) {
            Some((_, n)) => *n += 1,
            None => counts.push((u.kind.as_str().to_string(), 1)),
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(plan: &DemoPlan, kind: UnitKind) -> usize {
        plan.units.iter().filter(|u| u.kind == kind).count()
    }

    #[test]
    fn the_tree_has_the_real_shape_of_haikou() -> Result<(), DemoError> {
        let plan = plan()?;
        assert_eq!(count(&plan, UnitKind::City), 1);
        assert_eq!(count(&plan, UnitKind::Centre), 1);
        assert_eq!(count(&plan, UnitKind::District), 4);
        assert_eq!(count(&plan, UnitKind::Street), 46);
        assert_eq!(count(&plan, UnitKind::Community), 467);
        assert!(count(&plan, UnitKind::Department) >= 30, "{} departments", count(&plan, UnitKind::Department));
        assert!(count(&plan, UnitKind::Company) >= 4);
        let districts: Vec<&str> = plan.units.iter().filter(|u| u.kind == UnitKind::District).map(|u| u.name.as_str()).collect();
        assert_eq!(districts, ["秀英区", "龙华区", "琼山区", "美兰区"]);
        assert!(plan.units.iter().any(|u| u.kind == UnitKind::Community && u.name == "秀华社区居民委员会"));
        Ok(())
    }

    #[test]
    fn codes_are_unique_and_parents_come_first() -> Result<(), DemoError> {
        let plan = plan()?;
        let mut seen: HashMap<&str, UnitKind> = HashMap::new();
        for u in &plan.units {
            match &u.parent_code {
                None => assert_eq!(u.kind, UnitKind::City, "only the city is a root"),
                Some(p) => {
                    let parent = seen.get(p.as_str()).copied();
                    assert!(parent.is_some(), "{} ({}) comes before its parent {p} or the parent is missing", u.name, u.code);
                    let expected: &[UnitKind] = match u.kind {
                        UnitKind::Centre | UnitKind::District | UnitKind::Company => &[UnitKind::City],
                        UnitKind::Street => &[UnitKind::District],
                        UnitKind::Community => &[UnitKind::Street],
                        UnitKind::Department => &[UnitKind::City, UnitKind::District],
                        UnitKind::City => &[],
                    };
                    assert!(parent.is_some_and(|k| expected.contains(&k)), "{} sits under a {parent:?}", u.name);
                }
            }
            assert!(seen.insert(u.code.as_str(), u.kind).is_none(), "duplicate code {}", u.code);
        }
        Ok(())
    }

    #[test]
    fn functional_units_carry_a_department_type_and_territorial_units_a_division() -> Result<(), DemoError> {
        let plan = plan()?;
        for u in &plan.units {
            let functional = matches!(u.kind, UnitKind::Department | UnitKind::Company);
            assert_eq!(u.department_type.is_some(), functional, "{}", u.name);
            assert!(u.division_code.is_some(), "{}", u.name);
            if u.kind.is_territorial() {
                assert_eq!(u.division_code.as_deref(), Some(u.code.as_str()));
            }
        }
        // Every district has its own city-management office, so local matters route locally.
        for d in plan.units.iter().filter(|u| u.kind == UnitKind::District) {
            assert!(
                plan.units
                    .iter()
                    .any(|u| u.parent_code.as_deref() == Some(d.code.as_str()) && u.department_type.as_deref() == Some("城管"))
            );
        }
        Ok(())
    }

    #[test]
    fn every_working_role_has_a_user_in_an_existing_unit() -> Result<(), DemoError> {
        let plan = plan()?;
        for role in Role::ALL.into_iter().filter(|r| !matches!(r, Role::Citizen | Role::System)) {
            assert!(plan.users.iter().any(|u| u.role == role), "no demo user for {}", role.as_str());
        }
        assert!(!plan.users.iter().any(|u| matches!(u.role, Role::Citizen | Role::System)));
        let units: HashMap<&str, &DemoUnit> = plan.units.iter().map(|u| (u.code.as_str(), u)).collect();
        let mut logins = HashSet::new();
        for user in &plan.users {
            assert!(logins.insert(user.login.as_str()), "duplicate login {}", user.login);
            let code = user.unit_code.as_deref().unwrap_or_default();
            assert!(units.contains_key(code), "{} is in unknown unit {code}", user.login);
        }
        let unit_of = |login: &str| {
            plan.users
                .iter()
                .find(|u| u.login == login)
                .and_then(|u| u.unit_code.as_deref())
                .and_then(|c| units.get(c))
                .map(|u| u.name.as_str())
        };
        assert_eq!(unit_of("operator"), Some("海口市12345政府服务热线中心"));
        assert_eq!(unit_of("cgj"), Some("海口市综合行政执法局"));
        assert_eq!(unit_of("longhua"), Some("龙华区"));
        assert_eq!(unit_of("jinmao"), Some("金贸街道"));
        assert_eq!(unit_of("yusha"), Some("玉沙社区居民委员会"));
        assert_eq!(unit_of("grid"), Some("玉沙社区居民委员会"));
        assert_eq!(unit_of("water"), Some("海口市水务集团"));
        assert_eq!(unit_of("meilan"), Some("美兰区"));
        Ok(())
    }

    #[test]
    fn counts_by_kind_follow_the_tree_order() -> Result<(), DemoError> {
        let plan = plan()?;
        let counts = count_by_kind(&plan.units);
        let kinds: Vec<&str> = counts.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(kinds, ["city", "centre", "district", "street", "community", "department", "company"]);
        assert_eq!(counts.iter().map(|(_, n)| n).sum::<usize>(), plan.units.len());
        Ok(())
    }
}
