//! The working calendar the platform counts deadlines with: the shipped official years, overlaid
//! by the years an administrator imported (stored in the database so every node agrees).

use chrono::Datelike as _;
use minsheng_calendar::{WorkingCalendar, YearFile};
use minsheng_domain::org::Actor;
use minsheng_domain::{DomainError, DomainResult, ErrorCode};

use crate::App;
use crate::auth::require_admin;

const KEY_PREFIX: &str = "calendar:";

fn calendar_error(e: minsheng_calendar::Error) -> DomainError {
    DomainError::new(ErrorCode::InvalidInput, e.message_zh, e.message_en)
}

impl App {
    /// The shipped years with every imported year replacing its shipped version.
    pub async fn working_calendar(&self) -> DomainResult<WorkingCalendar> {
        let mut calendar = WorkingCalendar::shipped().map_err(calendar_error)?;
        let current = chrono::DateTime::from_timestamp_millis(self.clock.now())
            .map(|t| t.with_timezone(&minsheng_domain::CHINA).year())
            .unwrap_or(2026);
        for year in 2000..=current + 2 {
            if let Some(json) = self.store.get_setting(&format!("{KEY_PREFIX}{year}")).await? {
                calendar.import(&json).map_err(calendar_error)?;
            }
        }
        Ok(calendar)
    }

    /// Imports one year's holidays and make-up working days (administrators). Returns the year.
    pub async fn import_calendar_year(&self, actor: &Actor, json: &str) -> DomainResult<i32> {
        require_admin(actor)?;
        let file = YearFile::from_json(json).map_err(calendar_error)?;
        file.validate().map_err(calendar_error)?;
        let canonical = file.to_json().map_err(calendar_error)?;
        self.store.put_setting(&format!("{KEY_PREFIX}{}", file.year), &canonical).await?;
        self.reload_calendar().await?;
        Ok(file.year)
    }
}
