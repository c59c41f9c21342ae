//! The SMTP listener (邮件接收): the hotline's mail server for the subset of RFC 5321 a final
//! destination needs — EHLO/HELO (SIZE, 8BITMIME, PIPELINING, ENHANCEDSTATUSCODES, SMTPUTF8),
//! MAIL, RCPT (only the hotline addresses), DATA with dot-unstuffing, RSET, NOOP, VRFY, QUIT.
//!
//! A 250 after DATA is sent only once the case (or the addition) is committed, so a mail is
//! never lost between the sending server and the database: on any doubt we answer 451 and the
//! sender tries again, and the second delivery is recognised by its Message-ID.
//!
//! Limits: command lines of 1 KiB, a message size (552 beyond it), recipients per mail,
//! timeouts per command and for the whole DATA, a number of connections (421 beyond it), a
//! number of protocol errors per connection. No TLS and no AUTH: in production a public MTA
//! (which does TLS, spam and virus checks) relays to this listener.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use minsheng_app::App;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::intake::accept_mail;

/// How the listener behaves.
#[derive(Debug, Clone)]
pub struct ListenerConfig {
    /// The addresses mail is accepted for (热线邮箱), compared without case.
    pub addresses: Vec<String>,
    /// The name this server gives in its greeting.
    pub hostname: String,
    /// The largest message accepted (advertised as SIZE).
    pub max_message_bytes: usize,
    pub max_connections: usize,
    pub max_recipients: usize,
    /// How long the server waits for a command (RFC 5321 4.5.3.2.7 suggests 5 minutes).
    pub command_timeout: Duration,
    /// How long the whole DATA may take (a slow sender holds a connection at most this long).
    pub data_timeout: Duration,
    /// How long in-flight sessions may finish after shutdown starts.
    pub shutdown_grace: Duration,
}

impl Default for ListenerConfig {
    fn default() -> Self {
        ListenerConfig {
            addresses: Vec::new(),
            hostname: "minsheng.localdomain".into(),
            // Nine attachments of up to 10 MB, base64 grows them by a third.
            max_message_bytes: 32 * 1024 * 1024,
            max_connections: 64,
            max_recipients: 100,
            command_timeout: Duration::from_secs(300),
            data_timeout: Duration::from_secs(600),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// RFC 5321 allows 512 octets for a command line; extensions add parameters, so a little more.
const MAX_COMMAND_LINE: usize = 1024;
/// Protocol errors a connection may make before it is closed.
const MAX_ERRORS: usize = 20;

/// A bound listener, ready to [`run`](SmtpServer::run).
pub struct SmtpServer {
    listener: TcpListener,
    app: App,
    config: Arc<ListenerConfig>,
}

impl SmtpServer {
    pub async fn bind(addr: &str, app: App, config: ListenerConfig) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(SmtpServer::from_listener(listener, app, config))
    }

    pub fn from_listener(listener: TcpListener, app: App, mut config: ListenerConfig) -> Self {
        config.addresses = config.addresses.iter().map(|a| a.trim().to_lowercase()).collect();
        SmtpServer { listener, app, config: Arc::new(config) }
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts connections until `shutdown` resolves; then sessions waiting for a command are
    /// told 421 and closed, a mail being taken in is finished, and this returns when all
    /// sessions ended (or the grace period passed).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let slots = Arc::new(Semaphore::new(self.config.max_connections.max(1)));
        let mut sessions = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                accepted = self.listener.accept() => {
                    let (stream, peer) = match accepted {
                        Ok(pair) => pair,
                        Err(e) => {
                            // Out of file descriptors and the like: wait a little, keep serving.
                            tracing::warn!(error = %e, "smtp accept failed");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            continue;
                        }
                    };
                    let Ok(permit) = slots.clone().try_acquire_owned() else {
                        sessions.spawn(refuse_busy(stream));
                        continue;
                    };
                    let (app, config, stop) = (self.app.clone(), self.config.clone(), stop_rx.clone());
                    sessions.spawn(async move {
                        if let Err(e) = Session::new(stream, app, config, stop).run().await {
                            tracing::debug!(%peer, error = %e, "smtp session ended with an error");
                        }
                        drop(permit);
                    });
                }
                // Reap finished sessions so the set does not grow with every connection.
                Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
            }
        }
        drop(self.listener);
        let _ = stop_tx.send(true);
        let grace = self.config.shutdown_grace;
        let drained = tokio::time::timeout(grace, async { while sessions.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tracing::warn!("smtp sessions still open after the grace period; closing them");
            sessions.abort_all();
        }
        tracing::info!("smtp listener stopped");
        Ok(())
    }
}

async fn refuse_busy(mut stream: TcpStream) {
    let _ = stream.write_all(b"421 4.7.0 Too many connections, try again later\r\n").await;
    let _ = stream.shutdown().await;
}

/// One line as read: whole (with its line end), too long (discarded to its end), or the end of
/// the connection.
enum Line {
    Whole,
    TooLong,
    Eof,
}

/// Reads one line into `buf` (cleared first), keeping at most `max` bytes; a longer line is
/// read to its end and thrown away, so memory stays bounded whatever the client sends.
async fn read_line(reader: &mut BufReader<OwnedReadHalf>, buf: &mut Vec<u8>, max: usize) -> std::io::Result<Line> {
    buf.clear();
    let mut too_long = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(Line::Eof);
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let used = chunk.len();
        if !too_long {
            if buf.len() + used > max {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(chunk);
            }
        }
        reader.consume(used);
        if done {
            return Ok(if too_long { Line::TooLong } else { Line::Whole });
        }
    }
}

/// The state of the mail transaction (RFC 5321 3.3).
#[derive(Default)]
struct Transaction {
    /// `Some(None)` is the null reverse-path `<>` of bounces.
    from: Option<Option<String>>,
    recipients: Vec<String>,
}

struct Session {
    reader: BufReader<OwnedReadHalf>,
    writer: BufWriter<OwnedWriteHalf>,
    app: App,
    config: Arc<ListenerConfig>,
    stop: watch::Receiver<bool>,
    greeted: bool,
    tx: Transaction,
    errors: usize,
}

/// How a session goes on after a command.
enum Next {
    Continue,
    Close,
}

impl Session {
    fn new(stream: TcpStream, app: App, config: Arc<ListenerConfig>, stop: watch::Receiver<bool>) -> Self {
        let _ = stream.set_nodelay(true);
        let (r, w) = stream.into_split();
        Session {
            reader: BufReader::new(r),
            writer: BufWriter::new(w),
            app,
            config,
            stop,
            greeted: false,
            tx: Transaction::default(),
            errors: 0,
        }
    }

    async fn run(mut self) -> std::io::Result<()> {
        let greeting = format!("220 {} ESMTP 12345 hotline ready", self.config.hostname);
        self.reply_now(&greeting).await?;
        let mut line = Vec::with_capacity(256);
        loop {
            let read = {
                let timeout = self.config.command_timeout;
                let mut stop = self.stop.clone();
                tokio::select! {
                    r = tokio::time::timeout(timeout, read_line(&mut self.reader, &mut line, MAX_COMMAND_LINE)) => Some(r),
                    _ = stop.wait_for(|s| *s) => None,
                }
            };
            let Some(read) = read else {
                self.reply_now("421 4.3.2 Service shutting down, try again later").await?;
                return Ok(());
            };
            let next = match read {
                Err(_) => {
                    self.reply_now("421 4.4.2 Timeout waiting for a command, closing").await?;
                    return Ok(());
                }
                Ok(Err(e)) => return Err(e),
                Ok(Ok(Line::Eof)) => return Ok(()),
                Ok(Ok(Line::TooLong)) => self.error("500 5.5.2 Line too long").await?,
                Ok(Ok(Line::Whole)) => {
                    let text = String::from_utf8_lossy(&line).trim_end_matches(['\r', '\n']).to_string();
                    self.command(&text).await?
                }
            };
            if let Next::Close = next {
                self.writer.flush().await?;
                let _ = self.writer.shutdown().await;
                return Ok(());
            }
        }
    }

    /// Queues an answer; it goes out when no pipelined command is waiting (RFC 2920: a client
    /// that pipelines gets its answers in one write).
    async fn reply(&mut self, text: &str) -> std::io::Result<()> {
        self.writer.write_all(text.as_bytes()).await?;
        self.writer.write_all(b"\r\n").await?;
        if self.reader.buffer().is_empty() {
            self.writer.flush().await?;
        }
        Ok(())
    }

    async fn reply_now(&mut self, text: &str) -> std::io::Result<()> {
        self.writer.write_all(text.as_bytes()).await?;
        self.writer.write_all(b"\r\n").await?;
        self.writer.flush().await
    }

    /// Answers a protocol error; too many of them close the connection.
    async fn error(&mut self, text: &str) -> std::io::Result<Next> {
        self.errors += 1;
        if self.errors > MAX_ERRORS {
            self.reply_now("421 4.7.0 Too many errors, closing").await?;
            return Ok(Next::Close);
        }
        self.reply(text).await?;
        Ok(Next::Continue)
    }

    async fn command(&mut self, line: &str) -> std::io::Result<Next> {
        let (verb, arg) = match line.split_once(' ') {
            Some((v, a)) => (v.to_ascii_uppercase(), a.trim()),
            None => (line.trim().to_ascii_uppercase(), ""),
        };
        match verb.as_str() {
            "EHLO" | "HELO" if arg.is_empty() => self.error("501 5.5.4 Syntax: EHLO domain").await,
            "EHLO" => {
                self.greeted = true;
                self.tx = Transaction::default();
                let text = format!(
                    "250-{} greets {}\r\n250-SIZE {}\r\n250-8BITMIME\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250 SMTPUTF8",
                    self.config.hostname,
                    printable(arg),
                    self.config.max_message_bytes
                );
                self.reply(&text).await.map(|_| Next::Continue)
            }
            "HELO" => {
                self.greeted = true;
                self.tx = Transaction::default();
                let text = format!("250 {}", self.config.hostname);
                self.reply(&text).await.map(|_| Next::Continue)
            }
            "MAIL" => self.mail(arg).await,
            "RCPT" => self.rcpt(arg).await,
            "DATA" if !arg.is_empty() => self.error("501 5.5.4 Syntax: DATA").await,
            "DATA" => self.data().await,
            "RSET" => {
                self.tx = Transaction::default();
                self.reply("250 2.0.0 Ok").await.map(|_| Next::Continue)
            }
            "NOOP" => self.reply("250 2.0.0 Ok").await.map(|_| Next::Continue),
            "QUIT" => {
                self.reply_now("221 2.0.0 Bye").await?;
                Ok(Next::Close)
            }
            "VRFY" => self.reply("252 2.5.0 Cannot VRFY user, but will accept message for the hotline").await.map(|_| Next::Continue),
            "HELP" => self.reply("214 2.0.0 This is the 12345 hotline; send mail to the hotline address").await.map(|_| Next::Continue),
            "EXPN" | "STARTTLS" | "AUTH" | "BDAT" | "ETRN" | "TURN" => self.error("502 5.5.1 Command not implemented").await,
            _ => self.error("500 5.5.2 Syntax error, command unrecognized").await,
        }
    }

    async fn mail(&mut self, arg: &str) -> std::io::Result<Next> {
        if !self.greeted {
            return self.error("503 5.5.1 Send HELO/EHLO first").await;
        }
        if self.tx.from.is_some() {
            return self.error("503 5.5.1 Sender already specified").await;
        }
        let Some((path, params)) = path_argument(arg, "FROM:") else {
            return self.error("501 5.5.4 Syntax: MAIL FROM:<address>").await;
        };
        for param in params.split_whitespace() {
            let (key, value) = param.split_once('=').unwrap_or((param, ""));
            match key.to_ascii_uppercase().as_str() {
                "SIZE" => match value.parse::<u64>() {
                    Ok(n) if n > self.config.max_message_bytes as u64 => {
                        let text =
                            format!("552 5.3.4 Message size exceeds fixed maximum message size ({} bytes)", self.config.max_message_bytes);
                        return self.reply(&text).await.map(|_| Next::Continue);
                    }
                    Ok(_) => {}
                    Err(_) => return self.error("501 5.5.4 Bad SIZE parameter").await,
                },
                "BODY" if matches!(value.to_ascii_uppercase().as_str(), "7BIT" | "8BITMIME") => {}
                "SMTPUTF8" if value.is_empty() => {}
                _ => return self.error("555 5.5.4 MAIL parameter not recognized or not implemented").await,
            }
        }
        let from = if path.is_empty() { None } else { Some(path) };
        self.tx.from = Some(from);
        self.reply("250 2.1.0 Ok").await.map(|_| Next::Continue)
    }

    async fn rcpt(&mut self, arg: &str) -> std::io::Result<Next> {
        if self.tx.from.is_none() {
            return self.error("503 5.5.1 Need MAIL before RCPT").await;
        }
        let Some((path, params)) = path_argument(arg, "TO:") else {
            return self.error("501 5.5.4 Syntax: RCPT TO:<address>").await;
        };
        if !params.trim().is_empty() {
            return self.error("555 5.5.4 RCPT parameters not recognized or not implemented").await;
        }
        if self.tx.recipients.len() >= self.config.max_recipients {
            return self.reply("452 4.5.3 Too many recipients").await.map(|_| Next::Continue);
        }
        let address = path.to_lowercase();
        if !self.config.addresses.contains(&address) {
            // Not counted as a protocol error: a sender may try several addresses.
            return self
                .reply("550 5.1.1 No such mailbox here: this server accepts mail for the 12345 hotline only")
                .await
                .map(|_| Next::Continue);
        }
        if !self.tx.recipients.contains(&address) {
            self.tx.recipients.push(address);
        }
        self.reply("250 2.1.5 Ok").await.map(|_| Next::Continue)
    }

    async fn data(&mut self) -> std::io::Result<Next> {
        let Some(from) = self.tx.from.clone() else {
            return self.error("503 5.5.1 Need MAIL command").await;
        };
        if self.tx.recipients.is_empty() {
            return self.error("554 5.5.1 No valid recipients").await;
        }
        self.reply_now("354 Start mail input; end with <CRLF>.<CRLF>").await?;
        let max = self.config.max_message_bytes;
        let body = match tokio::time::timeout(self.config.data_timeout, read_data(&mut self.reader, max)).await {
            Err(_) => {
                self.reply_now("421 4.4.2 Timeout receiving the message, closing").await?;
                return Ok(Next::Close);
            }
            Ok(Err(e)) => return Err(e),
            // The connection ended inside DATA: the mail was not sent, nothing is kept.
            Ok(Ok(None)) => return Ok(Next::Close),
            Ok(Ok(Some(body))) => body,
        };
        self.tx = Transaction::default();
        let Some(message) = body else {
            let text = format!("552 5.3.4 Message size exceeds fixed maximum message size ({max} bytes)");
            return self.reply(&text).await.map(|_| Next::Continue);
        };
        let reply = accept_mail(&self.app, &message, from.as_deref()).await;
        self.reply(&format!("{} {}", reply.code, reply.text)).await.map(|_| Next::Continue)
    }
}

/// Reads the message of a DATA command up to the line `.` (RFC 5321 4.1.1.4), removing the
/// leading dot of dot-stuffed lines. `None` when the connection ended first; `Some(None)` when
/// the message was larger than `max` (read to its end and dropped).
///
/// The end is only `<CRLF>.<CRLF>`: a bare LF before or after the dot does not end the message,
/// so no second message can be smuggled inside one (the 2023 "SMTP smuggling" attacks).
async fn read_data(reader: &mut BufReader<OwnedReadHalf>, max: usize) -> std::io::Result<Option<Option<Vec<u8>>>> {
    let mut message = Vec::with_capacity(8192);
    let mut line = Vec::with_capacity(1024);
    let mut too_big = false;
    let mut after_crlf = true;
    loop {
        // A line longer than the message limit is a message over it.
        match read_line(reader, &mut line, max.saturating_add(3)).await? {
            Line::Eof => return Ok(None),
            Line::TooLong => {
                too_big = true;
                after_crlf = false;
                continue;
            }
            Line::Whole => {}
        }
        if after_crlf && line == b".\r\n" {
            return Ok(Some(if too_big { None } else { Some(message) }));
        }
        after_crlf = line.ends_with(b"\r\n");
        let content = if line.first() == Some(&b'.') { &line[1..] } else { &line[..] };
        if !too_big {
            if message.len() + content.len() > max {
                too_big = true;
                message = Vec::new();
            } else {
                message.extend_from_slice(content);
            }
        }
    }
}

/// Splits `FROM:<path> PARAMS` (or `TO:`), returning the address inside the brackets (source
/// routes dropped) and the parameters. Lenient about a space after the colon and about a
/// missing pair of brackets, as many clients are.
fn path_argument<'a>(arg: &'a str, keyword: &str) -> Option<(String, &'a str)> {
    let head = arg.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = arg[keyword.len()..].trim_start();
    let (path, params) = if let Some(inner) = rest.strip_prefix('<') {
        let end = inner.find('>')?;
        (&inner[..end], &inner[end + 1..])
    } else {
        rest.split_once(' ').unwrap_or((rest, ""))
    };
    // <@a.example,@b.example:user@c.example> — the route is obsolete; the mailbox is what counts.
    let mailbox = path.rsplit_once(':').map_or(path, |(_, m)| m).trim();
    if mailbox.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>') {
        return None;
    }
    if !mailbox.is_empty() && !mailbox.contains('@') && !mailbox.eq_ignore_ascii_case("postmaster") {
        return None;
    }
    Some((mailbox.to_string(), params))
}

/// A client-given name as safe to echo back (printable ASCII, bounded).
fn printable(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_graphic()).take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::path_argument;

    #[test]
    fn paths() {
        assert_eq!(path_argument("FROM:<a@b.cn> SIZE=10", "FROM:"), Some(("a@b.cn".into(), " SIZE=10")));
        assert_eq!(path_argument("from: <>", "FROM:"), Some(("".into(), "")));
        assert_eq!(path_argument("TO:<@x.cn,@y.cn:h@z.cn>", "TO:"), Some(("h@z.cn".into(), "")));
        assert_eq!(path_argument("TO:h@z.cn", "TO:"), Some(("h@z.cn".into(), "")));
        assert_eq!(path_argument("TO:<h z@z.cn>", "TO:"), None);
        assert_eq!(path_argument("TO:<nobody>", "TO:"), None);
        assert_eq!(path_argument("FROM <a@b.cn>", "FROM:"), None);
    }
}
