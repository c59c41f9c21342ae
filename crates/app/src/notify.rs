//! Notifications (通知) and the leaders' duty: the in-app delivery of the outbox, a staff
//! member's notification list, the duty roster (值班表) and the weekly digest of cases citizens
//! remained unsatisfied with, grouped by category, for the leaders on duty (Xinjin's practice).

use std::collections::BTreeMap;

use chrono::{Datelike, Duration as ChronoDuration, NaiveDate};
use minsheng_domain::case::Case;
use minsheng_domain::org::{Actor, Role, UnitId, UserId};
use minsheng_domain::{DomainError, DomainResult, ErrorCode};
use minsheng_store::{Delivery, DutyRecord, NewNotice, Notice, NoticeQuery};
use serde::Serialize;

use crate::App;

/// The channel delivered inside the platform: a notice is delivered when it is on the list.
pub const IN_APP: &str = "inapp";

// China days and their midnights: the calendar's own arithmetic, re-exported for the edges.
pub use minsheng_calendar::time::{china_date, day_start};

pub fn parse_day(field: &str, text: &str) -> DomainResult<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| DomainError::invalid(field, format!("日期格式应为 YYYY-MM-DD：{text}"), format!("expected a date YYYY-MM-DD: {text}")))
}

/// One category of the digest.
#[derive(Debug, Clone, Serialize)]
pub struct DigestGroup {
    pub category: String,
    pub cases: Vec<DigestCase>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DigestCase {
    pub number: String,
    pub title: String,
    pub lead_unit: Option<String>,
    pub comment: Option<String>,
    pub redo_count: u32,
    pub state_label: &'static str,
}

/// 不满意工单周报: the week's cases whose last rating was 不满意.
#[derive(Debug, Clone, Serialize)]
pub struct Digest {
    /// Monday of the week, China time.
    pub week: String,
    pub total: usize,
    pub groups: Vec<DigestGroup>,
    /// Who it goes to: the leaders on duty that week.
    pub recipients: Vec<UserId>,
}

/// The category a digest groups a case under: the catalogue's first level when the case has
/// an item (codes are `category.sub.item`), else its type.
fn category_of(case: &Case, catalogue: &minsheng_domain::catalogue::Catalogue) -> String {
    match &case.intake.catalogue_item {
        Some(item) => match catalogue.category_of(item) {
            Some(c) => c.name.clone(),
            None => item.split(['.', '/', '-']).next().unwrap_or(item).to_string(),
        },
        None => case.intake.case_type.label_zh().to_string(),
    }
}

impl App {
    /// Delivers due in-app notices (marks them sent: the list is the delivery); returns how many.
    pub async fn deliver_in_app(&self, limit: u32) -> DomainResult<usize> {
        let now = self.clock.now();
        let claimed = self.store.claim_notices(&[IN_APP.to_string()], now, now + 60_000, limit).await?;
        for n in &claimed {
            self.store.finish_notice(n.id, Delivery::Sent { at: now }).await?;
        }
        if !claimed.is_empty() {
            metrics::counter!("minsheng_notices_delivered_total", "channel" => IN_APP).increment(claimed.len() as u64);
        }
        Ok(claimed.len())
    }

    /// The actor's own in-app notifications, newest first.
    pub async fn my_notices(&self, actor: &Actor, unread_only: bool, limit: u32) -> DomainResult<Vec<Notice>> {
        let Some(user) = actor.user_id else { return Ok(Vec::new()) };
        let q = NoticeQuery { channel: Some(IN_APP.into()), recipient: Some(user.to_string()), unread_only, limit, case_id: None };
        Ok(self.store.list_notices(&q).await?)
    }

    pub async fn mark_read(&self, actor: &Actor, id: i64) -> DomainResult<()> {
        let user = actor.user_id.ok_or_else(|| DomainError::new(ErrorCode::Unauthenticated, "未登录", "not signed in"))?;
        if self.store.mark_notice_read(id, &user.to_string(), self.clock.now()).await? {
            Ok(())
        } else {
            Err(DomainError::not_found("通知", "notice"))
        }
    }

    /// The notices about a case (its delivery log), for staff who may see the case.
    pub async fn case_notices(&self, actor: &Actor, key: &str) -> DomainResult<Vec<Notice>> {
        let case = self.visible_case(actor, key).await?;
        let mut notices = self.store.list_notices(&NoticeQuery { case_id: Some(case.id), limit: 200, ..Default::default() }).await?;
        // The citizen's number or address on the delivery log is personal data like any other.
        let hidden = minsheng_domain::access::identity_hidden_from(actor, &case);
        for n in &mut notices {
            if matches!(n.channel.as_str(), crate::outbox::SMS | crate::outbox::EMAIL | crate::outbox::WECHAT) {
                n.recipient = if hidden {
                    "保密".to_string()
                } else if actor.role.sees_full_phone() {
                    continue;
                } else {
                    mask_recipient(&n.channel, &n.recipient)
                };
            }
        }
        Ok(notices)
    }

    /// Sets who of a unit is on duty at the centre on a day. Centre staff manage the roster; a
    /// unit leader may put themselves or their unit's leaders on it.
    pub async fn set_duty(&self, actor: &Actor, day: &str, unit_id: UnitId, user_ids: &[UserId]) -> DomainResult<()> {
        parse_day("day", day)?;
        let own_unit = actor.unit.as_ref().map(|u| u.id) == Some(unit_id);
        let allowed = matches!(actor.role, Role::Admin | Role::Supervisor | Role::Leader) || (actor.role == Role::UnitLeader && own_unit);
        if !allowed {
            return Err(DomainError::new(ErrorCode::Forbidden, "无权安排值班", "you may not edit the duty roster"));
        }
        let dir = self.directory().await?;
        for id in user_ids {
            let ok = dir
                .users
                .iter()
                .any(|u| u.id == *id && u.active && u.unit_id == Some(unit_id) && matches!(u.role, Role::UnitLeader | Role::Leader));
            if !ok {
                return Err(DomainError::invalid(
                    "user_ids",
                    format!("用户 {id} 不是该单位的在岗领导"),
                    format!("user {id} is not an active leader of that unit"),
                ));
            }
        }
        Ok(self.store.set_duty(day, unit_id, user_ids).await?)
    }

    pub async fn duty(&self, from: &str, to: &str) -> DomainResult<Vec<DutyRecord>> {
        parse_day("from", from)?;
        parse_day("to", to)?;
        Ok(self.store.duty(from, to).await?)
    }

    /// The digest of the week starting on the Monday on or before `day`.
    pub async fn unsatisfied_digest(&self, day: NaiveDate) -> DomainResult<Digest> {
        let monday = day - ChronoDuration::days(i64::from(day.weekday().num_days_from_monday()));
        let sunday = monday + ChronoDuration::days(6);
        let (from, to) = (day_start(monday), day_start(monday + ChronoDuration::days(7)));
        let cases = self.store.unsatisfied_between(from, to, 5_000).await?;
        let mut groups: BTreeMap<String, Vec<DigestCase>> = BTreeMap::new();
        let catalogue = self.catalogue();
        for c in &cases {
            groups.entry(category_of(c, &catalogue)).or_default().push(DigestCase {
                number: c.number.as_str().to_string(),
                title: c.intake.title.as_str().to_string(),
                lead_unit: c.lead_unit.as_ref().map(|u| u.name.clone()),
                comment: c.rating_comment.clone(),
                redo_count: c.redo_count,
                state_label: c.state.label_zh(),
            });
        }
        let mut groups: Vec<DigestGroup> = groups.into_iter().map(|(category, cases)| DigestGroup { category, cases }).collect();
        groups.sort_by(|a, b| b.cases.len().cmp(&a.cases.len()).then(a.category.cmp(&b.category)));
        let roster = self.store.duty(&monday.to_string(), &sunday.to_string()).await?;
        let mut recipients: Vec<UserId> = roster.iter().map(|d| d.user_id).collect();
        recipients.sort_unstable();
        recipients.dedup();
        Ok(Digest { week: monday.to_string(), total: cases.len(), groups, recipients })
    }

    /// Puts the week's digest in the outbox for the leaders on duty; once per leader and week
    /// however often it is called (the watcher calls it every Monday morning).
    pub async fn send_unsatisfied_digest(&self, day: NaiveDate) -> DomainResult<Digest> {
        let digest = self.unsatisfied_digest(day).await?;
        let now = self.clock.now();
        let mut lines = vec![format!("【不满意工单周报】{} 起一周，共 {} 件", digest.week, digest.total)];
        for g in &digest.groups {
            let numbers: Vec<&str> = g.cases.iter().take(5).map(|c| c.number.as_str()).collect();
            lines.push(format!(
                "{}：{} 件（{}{}）",
                g.category,
                g.cases.len(),
                numbers.join("、"),
                if g.cases.len() > 5 { "等" } else { "" }
            ));
        }
        let body = lines.join("\n");
        let notices: Vec<NewNotice> = digest
            .recipients
            .iter()
            .map(|u| NewNotice {
                dedup_key: format!("digest:{}:{u}", digest.week),
                case_id: None,
                channel: IN_APP.into(),
                recipient: u.to_string(),
                template: "unsatisfied_digest".into(),
                body: body.clone(),
                payload: serde_json::to_value(&digest).unwrap_or_default(),
                created_at: now,
            })
            .collect();
        self.store.enqueue_notices(notices).await?;
        Ok(digest)
    }

    /// Called by the watcher: from Monday 08:00 China time, sends last week's digest (idempotent).
    pub async fn weekly_digest_if_due(&self) -> DomainResult<bool> {
        let now = self.clock.now();
        let today = china_date(now);
        let monday = today - ChronoDuration::days(i64::from(today.weekday().num_days_from_monday()));
        if now < day_start(monday) + 8 * 3_600_000 {
            return Ok(false);
        }
        let key = format!("digest_sent:{monday}");
        if self.store.get_setting(&key).await?.is_some() {
            return Ok(false);
        }
        self.send_unsatisfied_digest(monday - ChronoDuration::days(7)).await?;
        self.store.put_setting(&key, &now.to_string()).await?;
        Ok(true)
    }
}

/// A citizen's address on a notice, masked: phone numbers as 138****1234, e-mail addresses as
/// zh***@example.com, OpenIDs to their first four characters.
pub fn mask_recipient(channel: &str, recipient: &str) -> String {
    match channel {
        crate::outbox::SMS => minsheng_domain::value::mask_phone(recipient),
        crate::outbox::EMAIL => minsheng_domain::value::EmailAddress::parse(recipient).map(|e| e.masked()).unwrap_or_else(|_| "***".into()),
        _ => format!("{}***", recipient.chars().take(4).collect::<String>()),
    }
}
