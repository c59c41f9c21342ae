//! Word back to the citizen (回复市民): which notices a case's events cause, in which channel and
//! words (templates an administrator can change), and the worker that delivers the outbox through
//! a channel's [`Transport`] with retries and backoff.
//!
//! Delivery is at-least-once between our database and the far side; what keeps a message from
//! reaching a citizen twice is that every send carries the notice's stable key (the SMTP
//! Message-ID, the gateway's idempotency key), which the far side de-duplicates, and that a notice
//! recorded as sent is never leased again.

use std::collections::BTreeMap;

use async_trait::async_trait;
use minsheng_domain::Millis;
use minsheng_domain::case::{Case, CaseState, Channel};
use minsheng_domain::event::EventKind;
use minsheng_domain::org::Actor;
use minsheng_domain::{DomainError, DomainResult, ErrorCode};
use minsheng_store::{Delivery, NewNotice, Notice};
use serde::{Deserialize, Serialize};

use crate::App;

/// The outbox channels that reach citizens.
pub const SMS: &str = "sms";
pub const EMAIL: &str = "email";
pub const WECHAT: &str = "wechat";

/// A failed send: `permanent` failures (a refused address, a rejected template) are not retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub permanent: bool,
    pub message: String,
}

impl SendError {
    pub fn retry(message: impl Into<String>) -> Self {
        SendError { permanent: false, message: message.into() }
    }
    pub fn permanent(message: impl Into<String>) -> Self {
        SendError { permanent: true, message: message.into() }
    }
}

/// One way out: SMTP, an SMS gateway, WeChat template messages.
#[async_trait]
pub trait Transport: Send + Sync {
    /// The outbox channel this transport delivers (`sms`, `email`, `wechat`).
    fn channel(&self) -> &'static str;
    /// Sends one notice. Implementations pass `notice.dedup_key` to the far side as the message's
    /// idempotency key (or derive the message id from it).
    async fn send(&self, notice: &Notice) -> Result<(), SendError>;
}

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RoundReport {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

impl RoundReport {
    pub fn total(&self) -> usize {
        self.sent + self.retried + self.failed
    }
}

/// Attempts before a notice is given up (with the backoff below, about a day).
pub const MAX_ATTEMPTS: i64 = 10;
/// How long a claimed notice stays leased to this node before another may take it.
pub const LEASE_MS: Millis = 60_000;

/// The wait before attempt `attempts + 1`: 10 s doubling, at most 4 hours.
pub fn backoff(attempts: i64) -> Millis {
    let exp = attempts.clamp(1, 12) - 1;
    (10_000i64 << exp).min(4 * 3_600_000)
}

impl App {
    /// Delivers up to `limit` due notices of the transport's channel, at most `parallel` at a time.
    pub async fn deliver_round(&self, transport: &dyn Transport, limit: u32, parallel: usize) -> DomainResult<RoundReport> {
        let now = self.clock.now();
        let claimed = self.store.claim_notices(&[transport.channel().to_string()], now, now + LEASE_MS, limit).await?;
        let mut report = RoundReport::default();
        let mut pending = claimed.iter();
        loop {
            let batch: Vec<&Notice> = pending.by_ref().take(parallel.max(1)).collect();
            if batch.is_empty() {
                break;
            }
            let results = futures_util::future::join_all(batch.iter().map(|n| transport.send(n))).await;
            for (n, result) in batch.into_iter().zip(results) {
                let at = self.clock.now();
                let delivery = match result {
                    Ok(()) => {
                        report.sent += 1;
                        metrics::histogram!("minsheng_notice_delay_seconds", "channel" => transport.channel())
                            .record((at - n.created_at).max(0) as f64 / 1000.0);
                        Delivery::Sent { at }
                    }
                    Err(e) if e.permanent || n.attempts >= MAX_ATTEMPTS => {
                        report.failed += 1;
                        tracing::warn!(id = n.id, channel = transport.channel(), error = %e.message, "notice given up");
                        Delivery::Failed { error: clip_error(&e.message) }
                    }
                    Err(e) => {
                        report.retried += 1;
                        Delivery::Retry { at: at + backoff(n.attempts), error: clip_error(&e.message) }
                    }
                };
                self.store.finish_notice(n.id, delivery).await?;
            }
        }
        if report.sent > 0 {
            metrics::counter!("minsheng_notices_delivered_total", "channel" => transport.channel()).increment(report.sent as u64);
        }
        Ok(report)
    }

    /// Delivers every due notice of the channel now (rounds of `limit` until a round finds none).
    pub async fn deliver_all(&self, transport: &dyn Transport, limit: u32, parallel: usize) -> DomainResult<RoundReport> {
        let mut total = RoundReport::default();
        loop {
            let r = self.deliver_round(transport, limit, parallel).await?;
            total.sent += r.sent;
            total.retried += r.retried;
            total.failed += r.failed;
            if r.total() == 0 {
                return Ok(total);
            }
        }
    }

    /// The templates in force: the administrator's (setting `notice_templates`) over the defaults.
    /// Every intake needs them; a node re-reads them at most every few seconds, and at once after
    /// its own change.
    pub async fn notice_templates(&self) -> DomainResult<Templates> {
        let now = self.clock.now();
        if let Ok(cached) = self.templates.lock()
            && let Some((at, t)) = cached.as_ref()
            && (0..TEMPLATES_TTL_MS).contains(&(now - at))
        {
            return Ok(t.clone());
        }
        let mut t = Templates::default();
        if let Some(stored) = self.store.get_setting(TEMPLATES_KEY).await? {
            let custom: BTreeMap<String, String> = serde_json::from_str(&stored).unwrap_or_default();
            t.0.extend(custom);
        }
        if let Ok(mut cached) = self.templates.lock() {
            *cached = Some((now, t.clone()));
        }
        Ok(t)
    }

    /// Replaces some templates (keys `channel.template`, e.g. `sms.acknowledged`); administrators.
    pub async fn set_notice_templates(&self, actor: &Actor, custom: BTreeMap<String, String>) -> DomainResult<Templates> {
        if actor.role != minsheng_domain::org::Role::Admin {
            return Err(DomainError::new(
                ErrorCode::Forbidden,
                "只有管理员可以修改通知模板",
                "only administrators may change notice templates",
            ));
        }
        let defaults = Templates::default();
        for (key, text) in &custom {
            if !defaults.0.contains_key(key) {
                return Err(DomainError::invalid("templates", format!("没有这个模板：{key}"), format!("no such template: {key}")));
            }
            if text.trim().is_empty() || text.chars().count() > 2000 {
                return Err(DomainError::invalid(
                    "templates",
                    format!("模板 {key} 为空或超过 2000 字"),
                    format!("template {key} is empty or longer than 2000 characters"),
                ));
            }
            if let Some(bad) = unknown_placeholder(text) {
                return Err(DomainError::invalid(
                    "templates",
                    format!("模板 {key} 含未知占位符 {{{bad}}}"),
                    format!("template {key} has an unknown placeholder {{{bad}}}"),
                ));
            }
        }
        let text = serde_json::to_string(&custom).map_err(|e| DomainError::invalid("templates", e.to_string(), e.to_string()))?;
        self.store.put_setting(TEMPLATES_KEY, &text).await?;
        if let Ok(mut cached) = self.templates.lock() {
            *cached = None;
        }
        self.notice_templates().await
    }

    /// The citizen's link to follow a case (the tracking page with the case number).
    pub fn tracking_link(&self, number: &str) -> String {
        format!("{}/#/track?number={number}", self.settings.public_url.trim_end_matches('/'))
    }

    /// The acknowledgement (受理回执) a new case sends the citizen, with the number still a mark
    /// the store fills in.
    pub(crate) async fn intake_notices(&self, case: &Case, now: Millis) -> DomainResult<Vec<NewNotice>> {
        let templates = self.notice_templates().await?;
        Ok(citizen_notice(&templates, case, "acknowledged", self, now, minsheng_store::CASE_NUMBER_MARK).into_iter().collect())
    }

    /// The notices a change of a case causes to its citizen: the result with the callback
    /// invitation when a reply is passed (待回访), word that an unsatisfied rating sent it back
    /// (重办), and the close of a case without a callback.
    pub(crate) async fn change_notices(
        &self,
        before: &Case,
        after: &Case,
        kinds: &[&EventKind],
        now: Millis,
    ) -> DomainResult<Vec<NewNotice>> {
        let template = if after.state == CaseState::AwaitingCallback && before.state != CaseState::AwaitingCallback {
            Some("replied")
        } else if kinds.iter().any(|k| matches!(k, EventKind::Redone)) {
            Some("redo")
        } else {
            None
        };
        let Some(template) = template else { return Ok(Vec::new()) };
        let templates = self.notice_templates().await?;
        Ok(citizen_notice(&templates, after, template, self, now, after.number.as_str()).into_iter().collect())
    }
}

fn clip_error(e: &str) -> String {
    e.chars().take(500).collect()
}

/// How long a node keeps the templates before reading them again (another node's change).
pub const TEMPLATES_TTL_MS: Millis = 5_000;

/// Setting key of the administrator's templates.
pub const TEMPLATES_KEY: &str = "notice_templates";

/// The placeholders a template may use.
pub const PLACEHOLDERS: &[&str] = &["number", "title", "link", "reply", "unit", "received"];

fn unknown_placeholder(text: &str) -> Option<String> {
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let end = after.find('}')?;
        let name = &after[..end];
        if !PLACEHOLDERS.contains(&name) {
            return Some(name.to_string());
        }
        rest = &after[end + 1..];
    }
    None
}

/// The notice templates, by `channel.template`: Chinese text with `{placeholders}`. E-mail
/// templates are the body; their subject is `email.<template>.subject`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Templates(pub BTreeMap<String, String>);

impl Default for Templates {
    fn default() -> Self {
        let pairs: &[(&str, &str)] = &[
            ("sms.acknowledged", "【12345】您的诉求已受理，工单号{number}。查询进度：{link}"),
            (
                "sms.replied",
                "【12345】您反映的“{title}”（工单{number}）已由{unit}办理：{reply}。请回复数字评价：1 满意，2 基本满意，3 不满意。",
            ),
            ("sms.redo", "【12345】您对工单{number}的评价已收到，我们已要求承办单位重新办理。"),
            ("email.acknowledged.subject", "【12345】诉求已受理 工单号{number}"),
            (
                "email.acknowledged",
                "您好：\n\n您的来信“{title}”已受理，工单号 {number}，受理时间 {received}。\n您可以在此查询办理进度：{link}\n直接回复本邮件即可补充材料。\n\n12345 政务服务便民热线",
            ),
            ("email.replied.subject", "【12345】办理结果 工单号{number}"),
            (
                "email.replied",
                "您好：\n\n您反映的“{title}”（工单号 {number}）已由{unit}办理，答复如下：\n\n{reply}\n\n请对办理结果作出评价：{link}\n如有补充，直接回复本邮件。\n\n12345 政务服务便民热线",
            ),
            ("email.redo.subject", "【12345】已安排重新办理 工单号{number}"),
            ("email.redo", "您好：\n\n您对工单 {number} 的评价已收到，我们已要求承办单位重新办理。进度：{link}\n\n12345 政务服务便民热线"),
            ("wechat.acknowledged", "您的诉求已受理，工单号{number}。查询进度：{link}"),
            ("wechat.replied", "您反映的“{title}”（工单{number}）已由{unit}办理：{reply}。点击评价：{link}"),
            ("wechat.redo", "您对工单{number}的评价已收到，已安排重新办理。"),
        ];
        Templates(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }
}

impl Templates {
    /// Fills a template; missing templates give `None`.
    pub fn render(&self, key: &str, values: &BTreeMap<&str, String>) -> Option<String> {
        let mut text = self.0.get(key)?.clone();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        Some(text)
    }
}

/// The channel a citizen is answered in: the one they wrote through when it can answer, else SMS
/// to their phone. `None` when there is no way to reach them.
pub fn answer_channel(case: &Case) -> Option<(&'static str, String)> {
    let c = &case.intake.citizen;
    match case.intake.channel {
        Channel::Email if c.email.is_some() => c.email.as_ref().map(|e| (EMAIL, e.as_str().to_string())),
        Channel::Wechat if c.wechat_openid.is_some() => c.wechat_openid.as_ref().map(|o| (WECHAT, o.as_str().to_string())),
        _ => c.phone.as_ref().filter(|p| p.as_str().starts_with('1')).map(|p| (SMS, p.as_str().to_string())),
    }
}

fn citizen_notice(templates: &Templates, case: &Case, template: &str, app: &App, now: Millis, number: &str) -> Option<NewNotice> {
    let (channel, recipient) = answer_channel(case)?;
    // Imported history never notifies anyone; a WeChat message is acknowledged by the passive
    // reply to it, at once.
    if case.intake.channel == Channel::Import || (channel == WECHAT && template == "acknowledged") {
        return None;
    }
    let reply = case.reply.as_ref().map(|r| crate::channels::clip(r.text.as_str(), 300)).unwrap_or_default();
    let unit = case.lead_unit.as_ref().map(|u| u.name.clone()).unwrap_or_else(|| "承办单位".into());
    let mut values = BTreeMap::new();
    values.insert("number", number.to_string());
    values.insert("title", case.intake.title.as_str().to_string());
    values.insert("link", app.tracking_link(number));
    values.insert("reply", reply);
    values.insert("unit", unit);
    values.insert("received", minsheng_calendar::format_china(case.received_at));
    let body = templates.render(&format!("{channel}.{template}"), &values)?;
    let subject = templates.render(&format!("{channel}.{template}.subject"), &values);
    let mut payload = serde_json::json!({ "number": number, "template": template, "link": app.tracking_link(number) });
    if let Some(subject) = subject {
        payload["subject"] = serde_json::Value::String(subject);
    }
    Some(NewNotice {
        dedup_key: format!("citizen:{template}:{number}:{}", case.version),
        case_id: Some(case.id),
        channel: channel.to_string(),
        recipient,
        template: template.to_string(),
        body,
        payload,
        created_at: now,
    })
}
