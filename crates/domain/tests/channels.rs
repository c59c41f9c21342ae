//! The channel values: e-mail addresses and WeChat OpenIDs parse strictly and mask; attachment
//! references ride on intake and additions; histories written before channels existed still read.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use minsheng_domain::attachment::{AttachmentKind, AttachmentRef};
use minsheng_domain::case::Citizen;
use minsheng_domain::event::EventKind;
use minsheng_domain::value::{EmailAddress, WechatOpenId};

#[test]
fn email_addresses_parse_lower_case_and_mask() {
    let e = EmailAddress::parse("  Zhang.San@Example.COM ").unwrap();
    assert_eq!(e.as_str(), "zhang.san@example.com");
    assert_eq!(e.masked(), "zh***@example.com");
    for bad in ["", "no-at", "@example.com", "a@", "a@b", "a@@b.cn", "a b@c.cn", "a@-x.cn", "a@x..cn", "<a@b.cn>", "a@b.cn,c@d.cn"] {
        let err = EmailAddress::parse(bad).unwrap_err();
        assert_eq!(err.details["field"], "email", "{bad}");
    }
    assert!(EmailAddress::parse(&format!("{}@example.com", "a".repeat(65))).is_err());
    assert!(serde_json::from_str::<EmailAddress>("\"x@y\"").is_err(), "serde refuses what parse refuses");
}

#[test]
fn wechat_openids_are_short_and_plain() {
    assert_eq!(WechatOpenId::parse("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o").unwrap().as_str(), "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
    for bad in ["", "有中文", "a b", &"x".repeat(65), "a/b"] {
        assert!(WechatOpenId::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn histories_from_before_the_channels_still_read() {
    // An addition and a citizen as stored before attachments, e-mail and OpenIDs existed.
    let kind: EventKind = serde_json::from_str(r#"{"type": "info_added"}"#).unwrap();
    assert_eq!(kind, EventKind::InfoAdded { attachments: vec![] });
    assert_eq!(serde_json::to_string(&kind).unwrap(), r#"{"type":"info_added"}"#, "written as before when empty");
    let c: Citizen = serde_json::from_str(r#"{"name": null, "phone": "13800138000", "caller_number": null}"#).unwrap();
    assert!(c.email.is_none() && c.wechat_openid.is_none());
    // With a file it round-trips.
    let file = AttachmentRef {
        id: "abc".into(),
        name: "现场照片.jpg".into(),
        content_type: "image/jpeg".into(),
        kind: AttachmentKind::Photo,
        size: 1234,
        sha256: "00".repeat(32),
        thumbnail: true,
    };
    let kind = EventKind::InfoAdded { attachments: vec![file.clone()] };
    let back: EventKind = serde_json::from_str(&serde_json::to_string(&kind).unwrap()).unwrap();
    assert_eq!(back, kind);
    assert_eq!(AttachmentKind::parse("照片"), Some(AttachmentKind::Photo));
}
