//! The organisation for administrators and pickers: the unit tree and the users.

use minsheng_domain::org::{Actor, UnitKind};
use minsheng_domain::{DomainError, DomainResult};
use minsheng_store::{NewUnit, UnitRecord, UserRecord};

use crate::App;
use crate::auth::require_admin;

impl App {
    /// Every unit; any signed-in staff member may see the tree (dispatch pickers need it).
    pub async fn units(&self) -> DomainResult<Vec<UnitRecord>> {
        Ok(self.store.list_units().await?)
    }

    pub async fn add_unit(&self, actor: &Actor, unit: NewUnit) -> DomainResult<UnitRecord> {
        require_admin(actor)?;
        let name = minsheng_domain::value::PersonName::parse(&unit.name)
            .map_err(|_| DomainError::invalid("name", "单位名称应为 1 至 50 字", "1 to 50 characters"))?;
        let code = unit.code.trim();
        if code.is_empty() || code.len() > 32 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(DomainError::invalid(
                "code",
                "单位代码只能包含字母、数字、- _，最长 32 位",
                "letters, digits, - and _ only, at most 32",
            ));
        }
        match unit.parent_id {
            Some(pid) => {
                self.store
                    .get_unit(pid)
                    .await?
                    .ok_or_else(|| DomainError::invalid("parent_id", "上级单位不存在", "no such parent unit"))?;
            }
            None if unit.kind != UnitKind::City => {
                return Err(DomainError::invalid("parent_id", "只有市级单位可以没有上级", "only the city may have no parent"));
            }
            None => {}
        }
        Ok(self.store.insert_unit(NewUnit { code: code.to_string(), name: name.to_string(), ..unit }).await?)
    }

    pub async fn users(&self, actor: &Actor) -> DomainResult<Vec<UserRecord>> {
        require_admin(actor)?;
        Ok(self.store.list_users().await?)
    }
}
