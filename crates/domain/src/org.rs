//! The organisation: units in a tree, the roles people hold in them, and the actor of an action.

use serde::{Deserialize, Serialize};

pub type UnitId = i64;
pub type UserId = i64;

/// What kind of body a unit is. The four territorial levels plus the hotline centre, functional
/// departments and public-service companies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// 市: the city government.
    City,
    /// 12345 热线中心: takes, dispatches, supervises and calls back for the whole city.
    Centre,
    /// 区县: a district or county government.
    District,
    /// 街道乡镇: a street office or township.
    Street,
    /// 社区村: a community or village committee.
    Community,
    /// 职能部门: a functional department at city or district level.
    Department,
    /// 公共服务企业: water, power, gas, telecom...
    Company,
}

impl UnitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::City => "city",
            UnitKind::Centre => "centre",
            UnitKind::District => "district",
            UnitKind::Street => "street",
            UnitKind::Community => "community",
            UnitKind::Department => "department",
            UnitKind::Company => "company",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            UnitKind::City,
            UnitKind::Centre,
            UnitKind::District,
            UnitKind::Street,
            UnitKind::Community,
            UnitKind::Department,
            UnitKind::Company,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Whether a case can be dispatched to such a unit as lead or assistant. The city itself and
    /// the centre do not handle orders.
    pub fn handles_cases(self) -> bool {
        !matches!(self, UnitKind::City | UnitKind::Centre)
    }

    /// Territorial units (属地) as opposed to functional ones.
    pub fn is_territorial(self) -> bool {
        matches!(self, UnitKind::District | UnitKind::Street | UnitKind::Community)
    }
}

/// A unit as the domain needs to see it to decide: where it sits in the tree and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitRef {
    pub id: UnitId,
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<UnitId>,
    /// Materialised path of ids from the root, e.g. `/1/4/17/`, so "is in the subtree of" is a
    /// prefix test both in memory and in an index.
    pub path: String,
}

impl UnitRef {
    /// Whether `self` is `other` or lies below it.
    pub fn is_within(&self, other: &UnitRef) -> bool {
        self.path.starts_with(&other.path)
    }

    /// The ids on the path from the root down to this unit, inclusive.
    pub fn ancestor_ids(&self) -> Vec<UnitId> {
        path_ids(&self.path)
    }
}

/// Parses a materialised path `/1/4/17/` into `[1, 4, 17]`.
pub fn path_ids(path: &str) -> Vec<UnitId> {
    path.split('/').filter_map(|p| p.parse().ok()).collect()
}

/// The roles of DOMAIN.md. A user holds one role in one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 市民: a citizen acting on their own case (identified by case number and phone).
    Citizen,
    /// 话务员/坐席: takes calls and channel input, creates cases, answers on the spot.
    Operator,
    /// 派单员: checks classification and routing, dispatches, reviews returns and extensions.
    Dispatcher,
    /// 承办人: signs, contacts the citizen, handles, replies, in a unit.
    UnitHandler,
    /// 单位负责人: approves the unit's replies, returns and extension requests; may act as handler.
    UnitLeader,
    /// 网格员: reports problems found on patrol.
    GridWorker,
    /// 督办员: watches deadlines, urges, supervises, calls back.
    Supervisor,
    /// 领导: takes disputed, repeated or overdue matters.
    Leader,
    /// 管理员: organisation, users, catalogue, settings.
    Admin,
    /// The platform itself (timers, automatic dispatch, channels acting for a citizen).
    System,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::Citizen,
        Role::Operator,
        Role::Dispatcher,
        Role::UnitHandler,
        Role::UnitLeader,
        Role::GridWorker,
        Role::Supervisor,
        Role::Leader,
        Role::Admin,
        Role::System,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::Operator => "operator",
            Role::Dispatcher => "dispatcher",
            Role::UnitHandler => "unit_handler",
            Role::UnitLeader => "unit_leader",
            Role::GridWorker => "grid_worker",
            Role::Supervisor => "supervisor",
            Role::Leader => "leader",
            Role::Admin => "admin",
            Role::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Citizen => "市民",
            Role::Operator => "话务员",
            Role::Dispatcher => "派单员",
            Role::UnitHandler => "承办人",
            Role::UnitLeader => "单位负责人",
            Role::GridWorker => "网格员",
            Role::Supervisor => "督办员",
            Role::Leader => "领导",
            Role::Admin => "管理员",
            Role::System => "系统",
        }
    }

    /// Centre-wide roles see every case of the city; the others see their unit's subtree.
    pub fn is_city_wide(self) -> bool {
        matches!(self, Role::Operator | Role::Dispatcher | Role::Supervisor | Role::Leader | Role::Admin | Role::System)
    }

    /// Roles that call citizens back and so see full phone numbers.
    pub fn sees_full_phone(self) -> bool {
        matches!(self, Role::Operator | Role::Dispatcher | Role::Supervisor | Role::System)
    }

    /// Roles that work inside a handling unit.
    pub fn is_unit_role(self) -> bool {
        matches!(self, Role::UnitHandler | Role::UnitLeader)
    }
}

/// Who is acting: the person, the role they act in and their unit. Built by the application layer
/// from a session, an API key or a citizen's tracking credentials, never from request fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub name: String,
    pub role: Role,
    pub unit: Option<UnitRef>,
}

impl Actor {
    pub fn system() -> Self {
        Actor { user_id: None, name: "系统".to_string(), role: Role::System, unit: None }
    }

    pub fn unit_id(&self) -> Option<UnitId> {
        self.unit.as_ref().map(|u| u.id)
    }
}
