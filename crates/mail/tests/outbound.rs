//! Mail out, on both engines: the outbox's e-mail notices go through our transport to a real SMTP
//! server (aiosmtpd, started by the test); what it caught is read back as a citizen's mailer
//! would. The reply to our mail joins the case; a relay that is down costs retries, not mail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use mail_parser::MessageParser;
use minsheng_app::outbox::{Transport, backoff};
use minsheng_mail::{RelayConfig, SmtpTransport};
use minsheng_store::{NoticeQuery, NoticeState};

const FROM: &str = "12345热线 <12345@hotline.haikou.gov.cn>";

async fn transport(env: &Env, port: u16) -> SmtpTransport {
    let config = RelayConfig { url: format!("smtp://127.0.0.1:{port}"), from: FROM.into(), timeout: Duration::from_secs(10) };
    SmtpTransport::new(env.app.clone(), &config).await.unwrap()
}

async fn email_notices(env: &Env, case_id: i64) -> Vec<minsheng_store::Notice> {
    let q = NoticeQuery { channel: Some("email".into()), case_id: Some(case_id), limit: 50, ..Default::default() };
    env.app.store.list_notices(&q).await.unwrap()
}

fn first_mail(number_hint: &str) -> Vec<u8> {
    let body = format!("美舍河沿岸有人倾倒建筑垃圾，已经堆了很高。{number_hint}");
    format!(
        "From: =?UTF-8?B?5p2O5Zub?= <li.si@example.cn>\r\nTo: 12345@hotline.haikou.gov.cn\r\nSubject: =?UTF-8?B?5YC+5YCS5bu6562R5Z6D5Zy+?=\r\n\
         Message-ID: <orig-1@example.cn>\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

async fn acknowledgement_reaches_the_citizen_and_replies_join(url: String) {
    let env = env(url).await;
    let catcher = Catcher::start().await;
    let n = env.deliver("li.si@example.cn", &first_mail("")).await;
    let case = env.case(&n).await;
    let transport = transport(&env, catcher.port).await;

    let report = env.app.deliver_all(&transport, 10, 2).await.unwrap();
    assert_eq!((report.sent, report.retried, report.failed), (1, 0, 0));
    let notice = email_notices(&env, case.id).await.into_iter().next().unwrap();
    assert_eq!(notice.state, NoticeState::Sent);

    let caught = catcher.caught();
    assert_eq!(caught.len(), 1);
    let mail = MessageParser::default().parse(&caught[0]).unwrap();
    assert_eq!(mail.to().unwrap().first().unwrap().address(), Some("li.si@example.cn"));
    assert_eq!(mail.header_raw("X-RcptTo").map(str::trim), Some("li.si@example.cn"));
    assert_eq!(mail.from().unwrap().first().unwrap().name(), Some("12345热线"));
    assert_eq!(mail.subject(), Some(format!("【12345】诉求已受理 工单号{n}").as_str()));
    let body = mail.body_text(0).unwrap();
    assert!(body.contains(&format!("您的来信“倾倒建筑垃圾”已受理，工单号 {n}")), "{body}");
    assert!(body.contains(&format!("{PUBLIC_URL}/#/track?number={n}")), "{body}");
    let message_id = transport.message_id(&notice.dedup_key);
    assert_eq!(mail.message_id(), Some(message_id.as_str()));
    assert!(message_id.ends_with("@hotline.haikou.gov.cn"), "{message_id}");
    assert_eq!(mail.in_reply_to().as_text(), Some("orig-1@example.cn"));
    assert_eq!(mail.header_raw("Auto-Submitted").map(str::trim), Some("auto-generated"));

    // Sent again (as after a crash between the send and its record): the same Message-ID.
    transport.send(&notice).await.unwrap();
    let caught = catcher.caught();
    assert_eq!(caught.len(), 2);
    let ids: Vec<String> = caught.iter().map(|m| MessageParser::default().parse(m).unwrap().message_id().unwrap().to_string()).collect();
    assert_eq!(ids, vec![message_id.clone(), message_id.clone()]);
    // A transport made later (another node, a restart) derives the same id.
    assert_eq!(self::transport(&env, catcher.port).await.message_id(&notice.dedup_key), message_id);

    // The citizen answers our mail (the subject without the number): it joins the case.
    let reply = format!(
        "From: li.si@example.cn\r\nTo: 12345@hotline.haikou.gov.cn\r\nSubject: =?UTF-8?B?5Zue5aSN?=\r\nMessage-ID: <reply-1@example.cn>\r\n\
         In-Reply-To: <{message_id}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n今天又倒了一车。\r\n"
    );
    let r = env.send_raw("li.si@example.cn", HOTLINE, reply.as_bytes()).await.unwrap();
    let said = r.message().collect::<Vec<_>>().join(" ");
    assert!(said.contains(&format!("added to case {n}")), "{said}");
    assert_eq!(env.count().await, 1);
    // An addition sends the citizen nothing new.
    let report = env.app.deliver_all(&transport, 10, 2).await.unwrap();
    assert_eq!(report.sent, 0);
}

async fn a_failing_relay_retries_with_backoff(url: String) {
    let env = env(url).await;
    let n = env.deliver("li.si@example.cn", &first_mail("")).await;
    let case = env.case(&n).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let transport = transport(&env, port).await;

    // Nobody listens: the notice stays pending with its error and the first backoff.
    let report = env.app.deliver_round(&transport, 10, 2).await.unwrap();
    assert_eq!((report.sent, report.retried, report.failed), (0, 1, 0));
    let notice = email_notices(&env, case.id).await.into_iter().next().unwrap();
    assert_eq!(notice.state, NoticeState::Pending);
    assert_eq!(notice.attempts, 1);
    assert_eq!(notice.next_attempt_at, MON_9 + backoff(1));
    assert!(notice.last_error.as_deref().unwrap_or_default().starts_with("smtp:"), "{:?}", notice.last_error);
    // Not due yet.
    assert_eq!(env.app.deliver_round(&transport, 10, 2).await.unwrap().total(), 0);

    // The relay is back and the backoff has passed: it goes, once.
    let catcher = Catcher::start_on(port).await;
    env.clock.advance(backoff(1) + 1000);
    let report = env.app.deliver_all(&transport, 10, 2).await.unwrap();
    assert_eq!((report.sent, report.retried, report.failed), (1, 0, 0));
    assert_eq!(catcher.caught().len(), 1);
    assert_eq!(email_notices(&env, case.id).await[0].state, NoticeState::Sent);
}

on_both_engines!(acknowledgement_reaches_the_citizen_and_replies_join, a_failing_relay_retries_with_backoff);
