//! The SMTP conversation itself, byte by byte over a raw socket, on both engines: the order of
//! commands, the answers and their codes, pipelining, dot-stuffing, the end-of-data rule, the
//! limits, and 421 when the listener stops.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

struct Raw {
    r: BufReader<OwnedReadHalf>,
    w: OwnedWriteHalf,
}

impl Raw {
    async fn connect(env: &Env) -> Raw {
        let (r, w) = TcpStream::connect(env.smtp).await.unwrap().into_split();
        Raw { r: BufReader::new(r), w }
    }

    /// One reply, all its lines: the code and the text lines joined.
    async fn reply(&mut self) -> (u16, String) {
        let mut text = Vec::new();
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(std::time::Duration::from_secs(20), self.r.read_line(&mut line)).await.unwrap().unwrap();
            assert!(n > 0, "connection closed while waiting for a reply");
            let line = line.trim_end();
            text.push(line[4.min(line.len())..].to_string());
            if line.as_bytes().get(3) != Some(&b'-') {
                return (line[..3].parse().unwrap(), text.join("\n"));
            }
        }
    }

    async fn send(&mut self, bytes: &str) {
        self.w.write_all(bytes.as_bytes()).await.unwrap();
    }

    async fn cmd(&mut self, line: &str) -> (u16, String) {
        self.send(&format!("{line}\r\n")).await;
        self.reply().await
    }

    async fn closed(&mut self) -> bool {
        let mut rest = String::new();
        matches!(tokio::time::timeout(std::time::Duration::from_secs(20), self.r.read_line(&mut rest)).await, Ok(Ok(0)))
    }
}

async fn the_protocol_is_spoken_properly(url: String) {
    let env = env(url).await;
    let mut c = Raw::connect(&env).await;
    let (code, text) = c.reply().await;
    assert_eq!(code, 220);
    assert!(text.starts_with("mx.hotline.haikou.gov.cn ESMTP"), "{text}");

    assert_eq!(c.cmd("MAIL FROM:<a@example.cn>").await.0, 503, "EHLO first");
    assert_eq!(c.cmd("EHLO").await.0, 501);
    let (code, text) = c.cmd("EHLO client.example.cn").await;
    assert_eq!(code, 250);
    for ext in [format!("SIZE {MAX_MESSAGE}"), "8BITMIME".into(), "PIPELINING".into(), "ENHANCEDSTATUSCODES".into()] {
        assert!(text.lines().any(|l| l == ext), "{ext} in {text}");
    }
    assert_eq!(c.cmd("VRFY zhang").await.0, 252);
    assert_eq!(c.cmd("NOOP").await.0, 250);
    assert_eq!(c.cmd("HELP").await.0, 214);
    assert_eq!(c.cmd("EXPN staff").await.0, 502);
    assert_eq!(c.cmd("STARTTLS").await.0, 502);
    assert_eq!(c.cmd("FROB").await.0, 500);
    assert_eq!(c.cmd("RCPT TO:<12345@hotline.haikou.gov.cn>").await.0, 503, "MAIL first");
    assert_eq!(c.cmd("DATA").await.0, 503, "MAIL first");
    let (code, text) = c.cmd(&format!("MAIL FROM:<a@example.cn> SIZE={}", MAX_MESSAGE + 1)).await;
    assert_eq!((code, text.starts_with("5.3.4")), (552, true), "{text}");
    assert_eq!(c.cmd("MAIL FROM:<a@example.cn> FOO=BAR").await.0, 555);
    assert_eq!(c.cmd("MAIL FROM:<a@example.cn> BODY=8BITMIME SIZE=100").await.0, 250);
    assert_eq!(c.cmd("MAIL FROM:<b@example.cn>").await.0, 503, "nested MAIL");
    let (code, text) = c.cmd("RCPT TO:<mayor@hotline.haikou.gov.cn>").await;
    assert_eq!((code, text.starts_with("5.1.1")), (550, true), "{text}");
    assert_eq!(c.cmd("DATA").await.0, 554, "no valid recipient");
    assert_eq!(c.cmd("RSET").await.0, 250);
    let (code, text) = c.cmd(&format!("NOOP {}", "x".repeat(2000))).await;
    assert_eq!((code, text.as_str()), (500, "5.5.2 Line too long"));

    // Pipelined: three commands in one write, three answers; then the message with a
    // dot-stuffed line and a bare LF before a dot, which must not end the message.
    c.send("MAIL FROM:<p@example.cn>\r\nRCPT TO:<12345@Hotline.Haikou.Gov.Cn>\r\nDATA\r\n").await;
    assert_eq!(c.reply().await.0, 250);
    assert_eq!(c.reply().await.0, 250);
    assert_eq!(c.reply().await.0, 354);
    c.send(
        "From: p@example.cn\r\nSubject: =?UTF-8?B?5rC05Y6L?=\r\nMessage-ID: <raw-1@example.cn>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         第一行\r\n..以点开头的一行\r\n假结尾\n.\r\nMAIL FROM:<evil@example.cn>\r\n最后一行\r\n.\r\n",
    )
    .await;
    let (code, text) = c.reply().await;
    assert_eq!(code, 250, "{text}");
    let case = env.case(&number_in(&text)).await;
    let t = case.intake.text.as_str();
    assert!(t.contains("\n.以点开头的一行"), "dot-unstuffed: {t}");
    assert!(t.contains("MAIL FROM:<evil@example.cn>") && t.ends_with("最后一行"), "one message, not two: {t}");
    assert_eq!(env.count().await, 1);
    // The transaction is over: a new one needs MAIL again.
    assert_eq!(c.cmd("RCPT TO:<12345@hotline.haikou.gov.cn>").await.0, 503);
    assert_eq!(c.cmd("QUIT").await.0, 221);
    assert!(c.closed().await);
}

async fn connection_limit_and_shutdown(url: String) {
    let mut env = env(url).await;
    // The harness allows 8 connections; the ninth is told to come back later.
    let mut open = Vec::new();
    for _ in 0..8 {
        let mut c = Raw::connect(&env).await;
        assert_eq!(c.reply().await.0, 220);
        open.push(c);
    }
    let mut ninth = Raw::connect(&env).await;
    let (code, text) = ninth.reply().await;
    assert_eq!((code, text.starts_with("4.7.0")), (421, true), "{text}");
    assert!(ninth.closed().await);
    assert_eq!(open[0].cmd("EHLO a.example.cn").await.0, 250);
    // Stopping: every idle session hears 421 and is closed, and the listener returns.
    let stopping = async {
        for c in &mut open {
            let (code, text) = c.reply().await;
            assert_eq!((code, text.starts_with("4.3.2")), (421, true), "{text}");
            assert!(c.closed().await);
        }
    };
    tokio::join!(env.shutdown(), stopping);
    assert!(TcpStream::connect(env.smtp).await.is_err(), "no longer listening");
}

on_both_engines!(the_protocol_is_spoken_properly, connection_limit_and_shutdown);
