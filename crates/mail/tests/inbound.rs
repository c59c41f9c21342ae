//! Mail in, case out, on both engines: our listener spoken to by real clients (lettre's SMTP
//! client from Rust, smtplib with the `email` package from Python), in the charsets and
//! encodings Chinese mail comes in; threads, repeats, quoted case numbers; the refusals.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use minsheng_domain::case::{CaseState, Channel};

/// Python builds and sends the mail with its own MIME library; prints the DATA answers as JSON.
const PY_SEND: &str = r#"
import json, smtplib, sys
from email.charset import Charset, QP, BASE64
from email.header import Header
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.mime.base import MIMEBase
from email import encoders

host, port, to, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
sender = "li.si@example.cn"

def gb18030():
    m = MIMEText("琼山区府城街道𠮷祥路井盖丢失，夜里很危险，请尽快处理。", "plain", "gb18030")
    m["Subject"] = Header("井盖丢失（府城𠮷祥路）", "gb18030")
    m["From"] = "%s <%s>" % (Header("李四", "gb18030").encode(), sender)
    return m

def html_qp():
    cs = Charset("utf-8"); cs.body_encoding = QP
    m = MIMEText("", "html")
    m.set_payload("<html><head><style>div{font-size:14px}</style></head><body>"
                  "<div>您好：</div><div>美兰区白龙南路的路灯&nbsp;已经坏了一周。</div>"
                  "<div><br></div><ul><li>位置：白龙南路 88 号</li><li>时间：晚上</li></ul></body></html>", cs)
    m["Subject"] = Header("路灯不亮", "utf-8")
    m["From"] = sender
    return m

def with_files():
    m = MIMEMultipart()
    m["Subject"] = Header("小区垃圾堆积（附照片）", "gbk")
    m["From"] = sender
    body = MIMEText("垃圾已经堆了三天，附上照片。", "plain", "gbk")
    m.attach(body)
    jpg = MIMEBase("image", "jpeg"); jpg.set_payload(bytes.fromhex(sys.argv[5])); encoders.encode_base64(jpg)
    jpg.add_header("Content-Disposition", "attachment", filename=("gbk", "", "现场照片.jpg"))
    m.attach(jpg)
    exe = MIMEBase("application", "octet-stream"); exe.set_payload(b"MZ\x90\x00" + b"\x00" * 60 + b"This program cannot be run in DOS mode"); encoders.encode_base64(exe)
    exe.add_header("Content-Disposition", "attachment", filename="tool.exe")
    m.attach(exe)
    return m

msg = {"gb18030": gb18030, "html_qp": html_qp, "with_files": with_files}[kind]()
msg["To"] = to
msg["Message-ID"] = "<py-%s@example.cn>" % kind
s = smtplib.SMTP(host, port, timeout=30)
s.ehlo("client.example.cn")
assert s.has_extn("8bitmime") and s.has_extn("size") and s.has_extn("pipelining")
s.mail(sender)
code, resp = s.rcpt(to)
assert code == 250, (code, resp)
code, resp = s.data(msg.as_bytes())
s.quit()
print(json.dumps([code, resp.decode()]))
"#;

fn py_send(env: &Env, kind: &str, extra: &[&str]) -> (u16, String) {
    let port = env.smtp.port().to_string();
    let mut args = vec!["127.0.0.1", &port, HOTLINE, kind];
    args.extend_from_slice(extra);
    let out = python(PY_SEND, &args);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    (v[0].as_u64().unwrap() as u16, v[1].as_str().unwrap().to_string())
}

fn gbk_mail(message_id: &str, subject: &str, body: &str) -> Vec<u8> {
    let gbk = encoding_rs::GBK;
    let mut raw = format!(
        "From: {} <wang.wu@example.cn>\r\nTo: {HOTLINE}\r\nSubject: {}\r\nMessage-ID: <{message_id}>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0800\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: base64\r\n\r\n",
        encoded_word(gbk, "GBK", "王五"),
        encoded_word(gbk, "GBK", subject)
    );
    raw.push_str(&base64_lines(&gbk.encode(body).0));
    raw.push_str("\r\n");
    raw.into_bytes()
}

async fn encodings_become_readable_cases(url: String) {
    let env = env(url).await;
    // GBK, B-encoded subject, base64 body (Foxmail, 163).
    let n = env
        .deliver("wang.wu@example.cn", &gbk_mail("gbk-1@example.cn", "噪音扰民", "龙华区金贸街道某工地夜间施工，噪音很大，影响休息。"))
        .await;
    let case = env.case(&n).await;
    assert_eq!(case.intake.channel, Channel::Email);
    assert_eq!(case.intake.title.as_str(), "噪音扰民");
    assert_eq!(case.intake.text.as_str(), "龙华区金贸街道某工地夜间施工，噪音很大，影响休息。");
    assert_eq!(case.intake.citizen.email.as_ref().unwrap().as_str(), "wang.wu@example.cn");
    assert_eq!(case.intake.citizen.name.as_ref().unwrap().as_str(), "王五");
    assert_eq!(case.intake.external_id.as_deref(), Some("email:gbk-1@example.cn"));
    assert!(matches!(case.state, CaseState::AwaitingDispatch | CaseState::Dispatched | CaseState::Received), "{:?}", case.state);

    // GBK as 8-bit bytes in the body and a Q-encoded subject (8BITMIME).
    let gbk = encoding_rs::GBK;
    let mut raw = b"From: zhao@example.cn\r\nTo: 12345@hotline.haikou.gov.cn\r\nSubject: =?gbk?Q?=B1=A3=D5=CF=B7=BF?=\r\n\
        Message-ID: <gbk-8bit@example.cn>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"gbk\"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        .to_vec();
    raw.extend_from_slice(&gbk.encode("申请保障房的进度在哪里查？\r\n.开头的一行也要保留。").0);
    raw.extend_from_slice(b"\r\n");
    let n = env.deliver("zhao@example.cn", &raw).await;
    let case = env.case(&n).await;
    assert_eq!(case.intake.title.as_str(), "保障房");
    assert_eq!(case.intake.text.as_str(), "申请保障房的进度在哪里查？\n.开头的一行也要保留。");

    // UTF-8, quoted-printable, a Q-encoded subject split over two words.
    let raw = "From: =?utf-8?B?6ZmI5YWt?= <chen@example.cn>\r\nTo: 12345@hotline.haikou.gov.cn\r\n\
        Subject: =?UTF-8?Q?=E5=85=AC=E4=BA=A4?= =?UTF-8?Q?=E6=99=9A=E7=82=B9?=\r\nMessage-ID: <utf8-qp@example.cn>\r\n\
        MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
        =E5=85=AC=E4=BA=A4 8 =E8=B7=AF=E6=99=9A=E7=82=B9=E4=B8=A5=E9=87=8D=EF=BC=8C=E7=AD=89=E4=BA=86=E4=B8=80=\r\n\
        =E5=B0=8F=E6=97=B6=E3=80=82\r\n";
    let n = env.deliver("chen@example.cn", raw.as_bytes()).await;
    let case = env.case(&n).await;
    assert_eq!(case.intake.title.as_str(), "公交晚点");
    assert_eq!(case.intake.text.as_str(), "公交 8 路晚点严重，等了一小时。");
    assert_eq!(case.intake.citizen.name.as_ref().unwrap().as_str(), "陈六");

    // GB18030 (a character outside GBK), built and sent by Python's email and smtplib.
    let (code, text) = py_send(&env, "gb18030", &[]);
    assert_eq!(code, 250, "{text}");
    let case = env.case(&number_in(&text)).await;
    assert_eq!(case.intake.title.as_str(), "井盖丢失（府城𠮷祥路）");
    assert_eq!(case.intake.text.as_str(), "琼山区府城街道𠮷祥路井盖丢失，夜里很危险，请尽快处理。");
    assert_eq!(case.intake.citizen.name.as_ref().unwrap().as_str(), "李四");
    assert_eq!(env.count().await, 4);
}

async fn html_only_mail_is_read_as_text(url: String) {
    let env = env(url).await;
    let (code, text) = py_send(&env, "html_qp", &[]);
    assert_eq!(code, 250, "{text}");
    let case = env.case(&number_in(&text)).await;
    assert_eq!(case.intake.title.as_str(), "路灯不亮");
    assert_eq!(case.intake.text.as_str(), "您好：\n美兰区白龙南路的路灯 已经坏了一周。\n• 位置：白龙南路 88 号\n• 时间：晚上");
}

async fn attachments_are_stored_on_the_case(url: String) {
    let env = env(url).await;
    let jpeg = tiny_jpeg();
    let hex: String = jpeg.iter().map(|b| format!("{b:02x}")).collect();
    let (code, text) = py_send(&env, "with_files", &[&hex]);
    assert_eq!(code, 250, "{text}");
    let case = env.case(&number_in(&text)).await;
    assert!(case.intake.text.as_str().starts_with("垃圾已经堆了三天，附上照片。"), "{}", case.intake.text);
    // The executable is not kept, and the case says so; the mail is not lost for it.
    assert!(case.intake.text.as_str().contains("附件 tool.exe 未保存：不支持的文件类型"), "{}", case.intake.text);
    let files = env.app.store.case_attachments(case.id).await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].attachment.name, "现场照片.jpg");
    assert_eq!(files[0].attachment.content_type, "image/jpeg");
    assert_eq!(files[0].attachment.size, jpeg.len() as u64);
    assert_eq!(case.intake.attachments.len(), 1);
    assert_eq!(env.app.blobs.get(&files[0].attachment.id).await.unwrap().unwrap(), jpeg);
}

async fn replies_join_the_case_and_repeats_change_nothing(url: String) {
    let env = env(url).await;
    let first = gbk_mail("thread-1@example.cn", "路面塌陷", "滨海大道辅道路面塌陷一个大坑。");
    let n = env.deliver("wang.wu@example.cn", &first).await;
    let events = env.app.store.case_events(env.case(&n).await.id).await.unwrap().len();

    // The same mail again (the sender never saw our 250): the same case, nothing new.
    let r = env.send_raw("wang.wu@example.cn", HOTLINE, &first).await.unwrap();
    let said = r.message().collect::<Vec<_>>().join(" ");
    assert!(said.contains("already received"), "{said}");
    assert_eq!(number_in(&said), n);
    assert_eq!(env.count().await, 1);
    assert_eq!(env.app.store.case_events(env.case(&n).await.id).await.unwrap().len(), events);

    // A reply in the thread (to their own mail, quoting it) adds to the case.
    let reply = "From: wang.wu@example.cn\r\nTo: 12345@hotline.haikou.gov.cn\r\nSubject: Re: 路面塌陷\r\n\
        Message-ID: <thread-2@example.cn>\r\nIn-Reply-To: <thread-1@example.cn>\r\nReferences: <thread-1@example.cn>\r\n\
        Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
        今天坑更大了，有车陷进去。\r\n\r\n在 2026年3月2日 09:00，王五 写道：\r\n> 滨海大道辅道路面塌陷一个大坑。\r\n";
    let r = env.send_raw("wang.wu@example.cn", HOTLINE, reply.as_bytes()).await.unwrap();
    let said = r.message().collect::<Vec<_>>().join(" ");
    assert!(said.contains("added to case"), "{said}");
    assert_eq!(number_in(&said), n);
    assert_eq!(env.count().await, 1);
    let history = env.app.store.case_events(env.case(&n).await.id).await.unwrap();
    assert_eq!(history.len(), events + 1);
    let last = serde_json::to_string(history.last().unwrap()).unwrap();
    assert!(last.contains("今天坑更大了，有车陷进去。"), "{last}");
    assert!(!last.contains("写道"), "the quoted mail is cut off: {last}");
}

async fn a_quoted_case_number_adds_only_for_the_same_sender(url: String) {
    let env = env(url).await;
    let n = env.deliver("wang.wu@example.cn", &gbk_mail("num-1@example.cn", "占道经营", "菜市场门口占道经营。")).await;
    // The same citizen, a new mail (no thread headers) naming the case: added to it.
    let subject = format!("补充材料 {n}");
    let r = env.send_raw("wang.wu@example.cn", HOTLINE, &gbk_mail("num-2@example.cn", &subject, "早上七点最严重。")).await.unwrap();
    assert!(r.message().collect::<Vec<_>>().join(" ").contains(&format!("added to case {n}")));
    // Someone else naming it: a case of their own.
    let other = gbk_mail("num-3@example.cn", &subject, "我也看到了。").into_iter().collect::<Vec<u8>>();
    let other = String::from_utf8(other).unwrap().replace("wang.wu@example.cn", "stranger@example.org");
    let m = env.deliver("stranger@example.org", other.as_bytes()).await;
    assert_ne!(m, n);
    assert_eq!(env.count().await, 2);
    assert_eq!(env.case(&m).await.intake.citizen.email.unwrap().as_str(), "stranger@example.org");
}

async fn refusals_change_nothing(url: String) {
    let env = env(url).await;
    let mail = gbk_mail("refuse-1@example.cn", "测试", "内容");
    // Another address: 550 at RCPT.
    let e = env.send_raw("wang.wu@example.cn", "someone@hotline.haikou.gov.cn", &mail).await.unwrap_err();
    assert!(e.is_permanent(), "{e}");
    assert_eq!(e.status().map(|c| c.to_string()).as_deref(), Some("550"), "{e}");
    // Larger than the limit: 552 after DATA.
    let mut big = String::from_utf8(gbk_mail("refuse-2@example.cn", "大邮件", "开头")).unwrap();
    for _ in 0..MAX_MESSAGE / 76 + 10 {
        big.push_str(&"A".repeat(74));
        big.push_str("\r\n");
    }
    let e = env.send_raw("wang.wu@example.cn", HOTLINE, big.as_bytes()).await.unwrap_err();
    assert_eq!(e.status().map(|c| c.to_string()).as_deref(), Some("552"), "{e}");
    // Not a mail at all: 554.
    let e = env.send_raw("wang.wu@example.cn", HOTLINE, b"\x00\x01 this is not a mail\r\n").await.unwrap_err();
    assert_eq!(e.status().map(|c| c.to_string()).as_deref(), Some("554"), "{e}");
    // The envelope sender stands in for a broken From header.
    let n = env.deliver("nobody@example.cn", b"From: not an address\r\nSubject: x\r\n\r\ntext\r\n").await;
    assert_eq!(env.case(&n).await.intake.citizen.email.unwrap().as_str(), "nobody@example.cn");
    // Broken MIME (a multipart that never ends, bad base64) still yields what can be read.
    let broken = "From: sun@example.cn\r\nSubject: =?UTF-8?B?5rC05Y6L?=\r\nMessage-ID: <broken@example.cn>\r\n\
        Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
        水压很低\r\n--b1\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@###\r\n";
    let n = env.deliver("sun@example.cn", broken.as_bytes()).await;
    let case = env.case(&n).await;
    assert_eq!(case.intake.title.as_str(), "水压");
    assert!(case.intake.text.as_str().starts_with("水压很低"), "{}", case.intake.text);
    // An out-of-office reply is accepted and dropped; so is a bounce (null sender).
    let auto = "From: wang.wu@example.cn\r\nAuto-Submitted: auto-replied\r\nSubject: =?UTF-8?B?5LiN5Zyo5Yqe5YWs5a6k?=\r\n\r\nI am away\r\n";
    let r = env.send_raw("wang.wu@example.cn", HOTLINE, auto.as_bytes()).await.unwrap();
    assert!(r.message().collect::<Vec<_>>().join(" ").contains("not recorded"));
    let count = env.count().await;
    assert_eq!(count, 2);
}

/// A blob store that is down: storing a file fails as our fault.
struct BrokenBlobs;
#[async_trait::async_trait]
impl minsheng_app::attachments::BlobStore for BrokenBlobs {
    async fn put(&self, _: &str, _: &[u8]) -> std::io::Result<()> {
        Err(std::io::Error::other("disk gone"))
    }
    async fn get(&self, _: &str) -> std::io::Result<Option<Vec<u8>>> {
        Ok(None)
    }
    async fn delete(&self, _: &str) -> std::io::Result<()> {
        Ok(())
    }
}

async fn a_failure_of_ours_is_451_and_keeps_nothing(url: String) {
    let env = env_with(url, |app| app.with_blob_store(std::sync::Arc::new(BrokenBlobs))).await;
    let jpeg = base64_lines(&tiny_jpeg());
    let raw = format!(
        "From: qian@example.cn\r\nSubject: photo\r\nMessage-ID: <t451@example.cn>\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n井盖松动\r\n--b\r\nContent-Type: image/jpeg\r\n\
         Content-Disposition: attachment; filename=a.jpg\r\nContent-Transfer-Encoding: base64\r\n\r\n{jpeg}\r\n--b--\r\n"
    );
    let e = env.send_raw("qian@example.cn", HOTLINE, raw.as_bytes()).await.unwrap_err();
    assert!(e.is_transient(), "{e}");
    assert_eq!(e.status().map(|c| c.to_string()).as_deref(), Some("451"), "{e}");
    assert_eq!(env.count().await, 0);
    assert_eq!(env.app.store.inbound_case("email", "t451@example.cn").await.unwrap(), None);
}

on_both_engines!(
    encodings_become_readable_cases,
    html_only_mail_is_read_as_text,
    attachments_are_stored_on_the_case,
    replies_join_the_case_and_repeats_change_nothing,
    a_quoted_case_number_adds_only_for_the_same_sender,
    refusals_change_nothing,
    a_failure_of_ours_is_451_and_keeps_nothing,
);
