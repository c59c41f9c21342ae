//! Open311 GeoReport v2 end to end, on a real server over the demo city, on both engines: the
//! published specification's resources and examples in XML and JSON, its errors and HTTP codes,
//! the filters and their defaults, paging, `extensions=true`, the update feed, what is never
//! published, and real third-party Open311 clients from PyPI driving the server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::StatusCode;
use serde_json::{Value, json};

mod common;
use common::*;

on_both_engines!(
    discovery_services_and_definitions_in_both_formats,
    a_request_is_posted_and_read_back,
    bad_input_gets_the_standard_error_and_changes_nothing,
    filters_defaults_and_paging,
    updates_follow_the_lifecycle_and_withhold_what_is_private,
    real_open311_clients_from_pypi,
);

const V2: &str = "/open311/v2";

/// A raw answer: status, content type and body.
struct Answer {
    status: StatusCode,
    content_type: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        assert!(self.content_type.starts_with("application/json"), "{}: {}", self.content_type, self.body);
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// Parses the XML with a real parser and hands the document to `f`.
    fn xml<T>(&self, f: impl FnOnce(roxmltree::Document) -> T) -> T {
        assert!(self.content_type.starts_with("text/xml"), "{}: {}", self.content_type, self.body);
        assert!(self.body.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"), "{}", self.body);
        f(roxmltree::Document::parse(&self.body).unwrap_or_else(|e| panic!("not XML ({e}): {}", self.body)))
    }
}

async fn answer(r: reqwest::RequestBuilder) -> Answer {
    let r = r.send().await.unwrap();
    let status = r.status();
    let content_type = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    Answer { status, content_type, body: r.text().await.unwrap() }
}

async fn get(s: &Server, path: &str) -> Answer {
    answer(s.http.get(format!("{}{V2}/{path}", s.base))).await
}

async fn post_form(s: &Server, path: &str, form: &[(&str, &str)]) -> Answer {
    answer(s.http.post(format!("{}{V2}/{path}", s.base)).form(form)).await
}

/// The standard's error list, from either format: (code, description) of the first error.
fn error_of(a: &Answer) -> (u16, String) {
    if a.content_type.starts_with("application/json") {
        let v = a.json();
        let e = &v.as_array().expect("errors are a list")[0];
        (e["code"].as_u64().unwrap() as u16, e["description"].as_str().unwrap().to_string())
    } else {
        a.xml(|doc| {
            let root = doc.root_element();
            assert_eq!(root.tag_name().name(), "errors");
            let e = root.children().find(|n| n.has_tag_name("error")).unwrap();
            let code = e.children().find(|n| n.has_tag_name("code")).unwrap().text().unwrap().parse().unwrap();
            let desc = e.children().find(|n| n.has_tag_name("description")).unwrap().text().unwrap().to_string();
            (code, desc)
        })
    }
}

fn assert_error(a: &Answer, status: StatusCode) {
    assert_eq!(a.status, status, "{}", a.body);
    let (code, description) = error_of(a);
    assert_eq!(code, status.as_u16(), "the error's code is the HTTP status");
    assert!(!description.is_empty());
}

/// An Open311 API key of this role (created by the administrator through /api/apikeys).
async fn api_key(s: &Server, role: &str) -> String {
    let admin = s.token("admin").await;
    let unit = if role == "unit_handler" { Some(s.unit("460106").await) } else { None };
    let (st, created) = s.post(&admin, "/api/apikeys", json!({"name": format!("open311-{role}"), "role": role, "unit_id": unit})).await;
    assert_eq!(st, StatusCode::CREATED, "{created}");
    created["key"].as_str().unwrap().to_string()
}

/// A noise item of the demo catalogue and a second, different service.
async fn two_services(s: &Server) -> (String, String) {
    let list = get(s, "services.json").await.json();
    let codes: Vec<&str> = list.as_array().unwrap().iter().map(|v| v["service_code"].as_str().unwrap()).collect();
    let noise = codes.iter().find(|c| c.starts_with("ZS.")).unwrap().to_string();
    let other = codes.iter().find(|c| !c.starts_with("ZS.")).unwrap().to_string();
    (noise, other)
}

async fn submit(s: &Server, key: &str, code: &str, extra: &[(&str, &str)]) -> String {
    let mut form = vec![("api_key", key), ("service_code", code)];
    form.extend_from_slice(extra);
    if !extra.iter().any(|(k, _)| matches!(*k, "lat" | "address_string" | "address_id")) {
        form.push(("address_string", "海口市龙华区金贸街道玉沙路 12 号"));
    }
    let a = post_form(s, "requests.json", &form).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a.json()[0]["service_request_id"].as_str().unwrap().to_string()
}

async fn discovery_services_and_definitions_in_both_formats(s: Server) {
    // Discovery, as the specification's example has it.
    let d = get(&s, "discovery.json").await;
    assert_eq!(d.status, StatusCode::OK);
    let d = d.json();
    assert!(d["changeset"].as_str().unwrap().ends_with("+08:00"));
    let endpoint = &d["endpoints"][0];
    assert_eq!(endpoint["specification"], "http://wiki.open311.org/GeoReport_v2");
    assert!(endpoint["url"].as_str().unwrap().ends_with("/open311/v2"));
    assert_eq!(endpoint["formats"], json!(["text/xml", "application/json"]));
    get(&s, "discovery.xml").await.xml(|doc| {
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "discovery");
        let formats: Vec<&str> = root.descendants().filter(|n| n.has_tag_name("format")).filter_map(|n| n.text()).collect();
        assert_eq!(formats, ["text/xml", "application/json"]);
    });

    // Services: every routable item of the catalogue, with group and keywords.
    let leaves = s.app.current_catalogue().await.unwrap().leaves().len();
    let services = get(&s, "services.json").await.json();
    let services = services.as_array().unwrap();
    assert_eq!(services.len(), leaves);
    let noise = services.iter().find(|v| v["service_code"].as_str().unwrap().starts_with("ZS.")).unwrap();
    assert_eq!(noise["group"], "噪声污染");
    assert_eq!(noise["type"], "realtime");
    assert_eq!(noise["metadata"], true);
    assert!(!noise["keywords"].as_str().unwrap().is_empty(), "{noise}");
    assert!(noise["description"].as_str().unwrap().starts_with("噪声污染 / "));
    let code = noise["service_code"].as_str().unwrap().to_string();
    let xml_count = get(&s, "services.xml").await.xml(|doc| {
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "services");
        let first = root.children().find(|n| n.has_tag_name("service")).unwrap();
        let fields: Vec<&str> = first.children().filter(|n| n.is_element()).map(|n| n.tag_name().name()).collect();
        assert_eq!(fields, ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]);
        root.children().filter(|n| n.has_tag_name("service")).count()
    });
    assert_eq!(xml_count, leaves);
    // Without a suffix the answer is XML, the specification's primary format.
    assert!(get(&s, "services").await.content_type.starts_with("text/xml"));

    // A definition: the attributes, list values with key and name. Codes contain dots.
    let def = get(&s, &format!("services/{code}.json")).await;
    assert_eq!(def.status, StatusCode::OK, "{}", def.body);
    let def = def.json();
    assert_eq!(def["service_code"], code.as_str());
    let attrs = def["attributes"].as_array().unwrap();
    let codes: Vec<&str> = attrs.iter().map(|a| a["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["CASE_TYPE", "URGENCY", "TITLE", "CONFIDENTIAL"]);
    assert!(attrs.iter().all(|a| a["variable"] == true && a["required"] == false && a["order"].is_u64()));
    assert_eq!(attrs[0]["datatype"], "singlevaluelist");
    assert!(attrs[0]["values"].as_array().unwrap().iter().any(|v| v["key"] == "complaint" && v["name"] == "投诉"));
    get(&s, &format!("services/{code}.xml")).await.xml(|doc| {
        assert_eq!(doc.root_element().tag_name().name(), "service_definition");
        assert_eq!(doc.descendants().filter(|n| n.has_tag_name("attribute")).count(), 4);
        assert!(doc.descendants().any(|n| n.has_tag_name("key") && n.text() == Some("very_urgent")));
    });

    // Not found, in the standard's error format, in the format asked for.
    assert_error(&get(&s, "services/99.99.999.json").await, StatusCode::NOT_FOUND);
    assert_error(&get(&s, "services/99.99.999.xml").await, StatusCode::NOT_FOUND);
    // A group (not a leaf) is not a service.
    assert_error(&get(&s, "services/ZS.json").await, StatusCode::NOT_FOUND);
    assert_error(&get(&s, "nothing.json").await, StatusCode::NOT_FOUND);
    assert_error(&get(&s, "requests/HK20991231999999.json").await, StatusCode::NOT_FOUND);
    assert_error(&get(&s, "requests/not-a-number.xml").await, StatusCode::NOT_FOUND);
    assert_error(&get(&s, "tokens/123456789.json").await, StatusCode::NOT_FOUND);
    assert_error(&get(&s, "a/b/c.json").await, StatusCode::NOT_FOUND);
    // Another jurisdiction is not found; ours (the public host, or the number prefix) is fine.
    assert_error(&get(&s, "services.json?jurisdiction_id=sfgov.org").await, StatusCode::NOT_FOUND);
    assert_eq!(get(&s, "services.json?jurisdiction_id=127.0.0.1").await.status, StatusCode::OK);
    assert_eq!(get(&s, "services.json?jurisdiction_id=HK").await.status, StatusCode::OK);
}

async fn a_request_is_posted_and_read_back(s: Server) {
    let key = api_key(&s, "operator").await;
    let (code, _) = two_services(&s).await;
    // The specification's example request: coordinates, a description, a photo link, the person.
    let a = post_form(
        &s,
        "requests.json",
        &[
            ("api_key", &key),
            ("service_code", &code),
            ("lat", "20.0286"),
            ("long", "110.3390"),
            ("address_string", "海口市龙华区金贸街道玉沙路 12 号"),
            ("description", "楼下酒吧每晚放音乐到凌晨两点。电话 13812345678，邮箱 li.si@example.com"),
            ("media_url", "https://example.org/photos/bar.jpg"),
            ("first_name", "四"),
            ("last_name", "李"),
            ("phone", "13812345678"),
            ("email", "li.si@example.com"),
            ("device_id", "tt222111"),
            ("attribute[CASE_TYPE]", "complaint"),
            ("attribute[urgency]", "urgent"),
            ("attribute[TITLE]", "酒吧噪音扰民"),
            // FixMyStreet sends attributes of its own; unknown codes are accepted and ignored.
            ("attribute[fixmystreet_id]", "42"),
        ],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let posted = a.json();
    let id = posted[0]["service_request_id"].as_str().expect("identifiers are strings").to_string();
    assert!(id.starts_with("HK") && id.len() == 16, "{id}");
    let token = posted[0]["token"].as_str().unwrap().to_string();
    assert!(posted[0]["service_notice"].as_str().unwrap().contains(&id));
    assert!(posted[0]["account_id"].is_null());

    // The case behind it: channel Open311, the item, the citizen kept (but never shown).
    let case = s.app.store.case_by_number(&id).await.unwrap().unwrap();
    assert_eq!(case.intake.channel.as_str(), "open311");
    assert_eq!(case.intake.catalogue_item.as_deref(), Some(code.as_str()));
    assert_eq!(case.intake.case_type.as_str(), "complaint");
    assert_eq!(case.intake.urgency.as_str(), "urgent");
    assert_eq!(case.intake.title.as_str(), "酒吧噪音扰民");
    assert_eq!(case.intake.citizen.phone.as_ref().unwrap().as_str(), "13812345678");
    assert_eq!(case.intake.citizen.name.as_ref().unwrap().as_str(), "李四");
    assert_eq!(case.intake.citizen.email.as_ref().unwrap().as_str(), "li.si@example.com");
    assert!(case.intake.place.division_unit_id.is_some(), "the address was placed");
    // WGS-84 in, GCJ-02 kept: the offset in Haikou is a few hundred metres.
    let (glat, glon) = (case.intake.place.latitude.unwrap(), case.intake.place.longitude.unwrap());
    assert!((glat - 20.0286).abs() > 1e-4 && (glat - 20.0286).abs() < 1e-2, "{glat}");
    assert!((glon - 110.3390).abs() > 1e-4 && (glon - 110.3390).abs() < 1e-2, "{glon}");
    assert_eq!(case.state.as_str(), "awaiting_dispatch", "forwarded to dispatch like any intake");

    // Read back, JSON: the fields of the specification, times with offsets, ids as strings.
    let one = get(&s, &format!("requests/{id}.json")).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    let v = one.json();
    let r = &v.as_array().unwrap()[0];
    assert_eq!(r["service_request_id"], id.as_str());
    assert_eq!(r["status"], "open");
    assert!(r["status_notes"].as_str().unwrap().starts_with("待派单"), "{r}");
    assert_eq!(r["service_code"], code.as_str());
    assert!(r["service_name"].is_string());
    assert!(r["requested_datetime"].as_str().unwrap().ends_with("+08:00"));
    assert!(r["updated_datetime"].as_str().unwrap().ends_with("+08:00"));
    assert_eq!(r["media_url"], "https://example.org/photos/bar.jpg");
    assert_eq!(r["address"], "海口市龙华区金贸街道玉沙路 12 号");
    assert!(r["address_id"].is_string());
    assert!((r["lat"].as_f64().unwrap() - 20.0286).abs() < 1e-6, "WGS-84 back out: {r}");
    assert!((r["long"].as_f64().unwrap() - 110.3390).abs() < 1e-6, "{r}");
    let description = r["description"].as_str().unwrap();
    assert!(description.starts_with("楼下酒吧每晚放音乐到凌晨两点"), "{description}");
    assert!(!description.contains(MEDIA_MARK_START), "the media line is not part of the description");
    // Never the citizen: not the name, not the phone, not the e-mail — even typed into the text.
    for secret in ["13812345678", "李四", "li.si@example.com", "tt222111"] {
        assert!(!one.body.contains(secret), "{secret} leaked: {}", one.body);
    }
    assert!(description.contains("138****5678"));

    // The same in XML, with the specification's element names.
    let xml = get(&s, &format!("requests/{id}.xml")).await;
    xml.xml(|doc| {
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "service_requests");
        let req = root.children().find(|n| n.has_tag_name("request")).unwrap();
        let field = |name: &str| req.children().find(|n| n.has_tag_name(name)).and_then(|n| n.text()).map(str::to_string);
        assert_eq!(field("service_request_id").as_deref(), Some(id.as_str()));
        assert_eq!(field("status").as_deref(), Some("open"));
        assert_eq!(field("media_url").as_deref(), Some("https://example.org/photos/bar.jpg"));
        assert!(req.children().any(|n| n.has_tag_name("zipcode")), "empty fields are present and empty");
    });
    assert!(!xml.body.contains("13812345678"));

    // The token leads to the request.
    let t = get(&s, &format!("tokens/{token}.json")).await.json();
    assert_eq!(t[0]["service_request_id"], id.as_str());
    assert_eq!(t[0]["token"], token.as_str());
    get(&s, &format!("tokens/{token}.xml")).await.xml(|doc| {
        assert!(doc.descendants().any(|n| n.has_tag_name("service_request_id") && n.text() == Some(id.as_str())));
    });

    // extensions=true: our state and the public steps.
    let x = get(&s, &format!("requests/{id}.json?extensions=true")).await.json();
    let ext = &x[0]["extended_attributes"];
    assert_eq!(ext["state"], "awaiting_dispatch");
    assert_eq!(ext["channel"], "open311");
    assert_eq!(ext["case_type"], "complaint");
    let notes = x[0]["notes"].as_array().unwrap();
    assert_eq!(notes[0]["type"], "opened");
    assert!(notes[0]["datetime"].as_str().unwrap().ends_with("+08:00"));
    assert!(!x.to_string().contains("13812345678"));

    // Location by address_id (a division code) alone, and by address alone; a dispatcher's key too.
    let street = s.app.store.unit_by_code("460106001").await.unwrap().unwrap();
    let by_id = submit(&s, &key, &code, &[("address_id", "460106001"), ("description", "广场舞音响太响")]).await;
    let case = s.app.store.case_by_number(&by_id).await.unwrap().unwrap();
    assert_eq!(case.intake.place.division_unit_id, Some(street.id));
    let r = get(&s, &format!("requests/{by_id}.json")).await.json();
    assert_eq!(r[0]["address_id"], "460106001");
    assert_eq!(r[0]["address"], street.name.as_str());
    let dispatcher = api_key(&s, "dispatcher").await;
    let no_text = submit(&s, &dispatcher, &code, &[]).await;
    let case = s.app.store.case_by_number(&no_text).await.unwrap().unwrap();
    assert!(case.intake.text.as_str().contains("玉沙路"), "without a description the text names the service and place");
    assert!(case.intake.citizen.anonymous);
}

const MEDIA_MARK_START: &str = "附件链接";

/// A form, the status it must get, and why.
type BadPost<'a> = (Vec<(&'a str, &'a str)>, StatusCode, &'a str);

async fn bad_input_gets_the_standard_error_and_changes_nothing(s: Server) {
    let key = api_key(&s, "operator").await;
    let unit_key = api_key(&s, "unit_handler").await;
    let (code, _) = two_services(&s).await;
    let before = s.count().await;
    let place = ("address_string", "海口市龙华区玉沙路");
    let cases: Vec<BadPost> = vec![
        (vec![("service_code", &code), place], StatusCode::FORBIDDEN, "no api_key"),
        (vec![("api_key", "msk_nope_nope"), ("service_code", &code), place], StatusCode::FORBIDDEN, "bad api_key"),
        (vec![("api_key", "garbage"), ("service_code", &code), place], StatusCode::FORBIDDEN, "malformed api_key"),
        (vec![("api_key", &unit_key), ("service_code", &code), place], StatusCode::FORBIDDEN, "a unit's key may not take cases in"),
        (vec![("api_key", &key), place], StatusCode::BAD_REQUEST, "no service_code"),
        (vec![("api_key", &key), ("service_code", "99.99.999"), place], StatusCode::BAD_REQUEST, "unknown service"),
        (vec![("api_key", &key), ("service_code", "ZS"), place], StatusCode::BAD_REQUEST, "a group is not a service"),
        (vec![("api_key", &key), ("service_code", &code)], StatusCode::BAD_REQUEST, "no location"),
        (vec![("api_key", &key), ("service_code", &code), ("lat", "20.0")], StatusCode::BAD_REQUEST, "lat without long"),
        (vec![("api_key", &key), ("service_code", &code), ("lat", "95"), ("long", "110")], StatusCode::BAD_REQUEST, "lat out of range"),
        (
            vec![("api_key", &key), ("service_code", &code), ("lat", "north"), ("long", "110")],
            StatusCode::BAD_REQUEST,
            "lat of the wrong type",
        ),
        (vec![("api_key", &key), ("service_code", &code), ("lat", "NaN"), ("long", "110")], StatusCode::BAD_REQUEST, "NaN"),
        (vec![("api_key", &key), ("service_code", &code), ("address_id", "HK-CGJ")], StatusCode::BAD_REQUEST, "address_id not a division"),
        (vec![("api_key", &key), ("service_code", &code), place, ("phone", "12345")], StatusCode::BAD_REQUEST, "bad phone"),
        (vec![("api_key", &key), ("service_code", &code), place, ("email", "not-an-email")], StatusCode::BAD_REQUEST, "bad email"),
        (
            vec![("api_key", &key), ("service_code", &code), place, ("media_url", "ftp://x.org/a.jpg")],
            StatusCode::BAD_REQUEST,
            "media_url scheme",
        ),
        (
            vec![("api_key", &key), ("service_code", &code), place, ("attribute[CASE_TYPE]", "rant")],
            StatusCode::BAD_REQUEST,
            "bad list value",
        ),
        (
            vec![
                ("api_key", &key),
                ("service_code", &code),
                place,
                ("attribute[CASE_TYPE]", "help"),
                ("attribute[CASE_TYPE]", "complaint"),
            ],
            StatusCode::BAD_REQUEST,
            "two values for a single-value attribute",
        ),
        (
            vec![("api_key", &key), ("service_code", &code), place, ("attribute[CASE_TYPE", "help")],
            StatusCode::BAD_REQUEST,
            "malformed attribute",
        ),
        (vec![("api_key", &key), ("service_code", &code), place, ("attribute[]", "help")], StatusCode::BAD_REQUEST, "empty attribute code"),
        (
            vec![("api_key", &key), ("service_code", &code), place, ("attribute[TITLE]", "a\u{7}b")],
            StatusCode::BAD_REQUEST,
            "control character",
        ),
        (vec![("api_key", &key), ("service_code", &code), ("service_code", &code), place], StatusCode::BAD_REQUEST, "service_code twice"),
        (vec![("api_key", &key), ("service_code", &code), place, ("jurisdiction_id", "sfgov.org")], StatusCode::NOT_FOUND, "jurisdiction"),
    ];
    for (form, status, why) in &cases {
        for suffix in ["json", "xml"] {
            let a = post_form(&s, &format!("requests.{suffix}"), form).await;
            assert_eq!(a.status, *status, "{why} ({suffix}): {}", a.body);
            assert_error(&a, *status);
        }
    }
    // The standard's limit on the description is 4,000 characters.
    let long = "很".repeat(4001);
    let a = post_form(&s, "requests.json", &[("api_key", &key), ("service_code", &code), place, ("description", &long)]).await;
    assert_error(&a, StatusCode::BAD_REQUEST);
    assert!(error_of(&a).1.contains("4000"));
    // Not a form: JSON, or no content type.
    let a = answer(s.http.post(format!("{}{V2}/requests.json", s.base)).json(&json!({"api_key": key, "service_code": code}))).await;
    assert_error(&a, StatusCode::BAD_REQUEST);
    // Not UTF-8.
    let body = format!("api_key={key}&service_code={code}&address_string=%C4%E3%BA%C3");
    let a =
        answer(s.http.post(format!("{}{V2}/requests.json", s.base)).header("content-type", "application/x-www-form-urlencoded").body(body))
            .await;
    assert_error(&a, StatusCode::BAD_REQUEST);
    // Oversized: refused before it is read, in the standard's format.
    let huge = format!("api_key={key}&service_code={code}&description={}", "a".repeat(300 * 1024));
    let mut status = StatusCode::OK;
    for _ in 0..9 {
        let sent = s.http.post(format!("{}{V2}/requests.xml", s.base)).header("content-type", "application/x-www-form-urlencoded");
        if let Ok(r) = sent.body(huge.clone()).send().await {
            status = r.status();
            let body = r.text().await.unwrap_or_default();
            assert!(body.contains("<errors>"), "{body}");
            break;
        }
    }
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // GET-only resources refuse a POST in the standard's format; other methods are not allowed.
    assert_error(&post_form(&s, "services.json", &[("api_key", &key)]).await, StatusCode::BAD_REQUEST);
    let a = answer(s.http.delete(format!("{}{V2}/requests.json", s.base))).await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{}", a.body);
    assert!(a.json()[0]["description"].is_string(), "{}", a.body);
    // Bad filters.
    for q in [
        "status=pending",
        "start_date=yesterday",
        "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",
        "start_date=2026-06-01T00:00:00Z&end_date=2026-01-01T00:00:00Z",
        "page=0",
        "page_size=1001",
        "page=abc",
        "page=1000&page_size=1000",
        "extensions=maybe",
        "start_date=2026-01-01&start_date=2026-01-02",
    ] {
        for suffix in ["json", "xml"] {
            assert_error(&get(&s, &format!("requests.{suffix}?{q}")).await, StatusCode::BAD_REQUEST);
        }
    }
    assert_eq!(s.count().await, before, "nothing was stored");
}

async fn filters_defaults_and_paging(s: Server) {
    let key = api_key(&s, "operator").await;
    let (noise, other) = two_services(&s).await;
    let a = submit(&s, &key, &noise, &[("description", "工地夜间施工噪音")]).await;
    let b = submit(&s, &key, &noise, &[("description", "空调外机噪音")]).await;
    let c = submit(&s, &key, &other, &[("description", "另一类事项")]).await;
    // A phone call: listed, but its text and exact address are not published.
    let op = s.token("operator").await;
    let phoned = s
        .create(
            &op,
            json!({
                "channel": "phone", "case_type": "complaint", "title": "楼上漏水", "text": "张先生来电：楼上漏水，电话 13900001111",
                "citizen": {"name": "张先生", "phone": "13900001111"}, "place": {"address": "海口市龙华区金贸街道玉沙路 8 号 3 单元"},
                "catalogue_item": other,
            }),
        )
        .await;
    let phoned = phoned["case"]["number"].as_str().unwrap().to_string();
    // Close one (void as spam is the quickest way to a closed state).
    let di = s.token("dispatcher").await;
    s.act(&di, &c, "void", json!({"reason": "test", "note": "测试"})).await;

    let ids = |v: &Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|r| r["service_request_id"].as_str().unwrap().to_string()).collect()
    };
    // Defaults: the last 90 days, every status, newest first.
    let all = get(&s, "requests.json").await.json();
    assert_eq!(ids(&all), [phoned.clone(), c.clone(), b.clone(), a.clone()]);
    let phone_view = &all[0];
    assert!(phone_view["description"].is_null(), "a phone call's text is not published: {phone_view}");
    assert!(phone_view["lat"].is_null());
    assert_ne!(phone_view["address"], "海口市龙华区金贸街道玉沙路 8 号 3 单元");
    assert!(!all.to_string().contains("13900001111") && !all.to_string().contains("张先生"));
    let voided = &all[1];
    assert_eq!(voided["status"], "closed");
    assert!(voided["status_notes"].as_str().unwrap().starts_with("已作废"));
    assert!(voided["description"].is_null(), "a voided request's text is not published");
    // status, service_code (comma lists, also repeated).
    assert_eq!(ids(&get(&s, "requests.json?status=closed").await.json()), [c.as_str()]);
    assert_eq!(ids(&get(&s, "requests.json?status=open").await.json()), [phoned.clone(), b.clone(), a.clone()]);
    assert_eq!(ids(&get(&s, "requests.json?status=open,closed").await.json()).len(), 4);
    assert_eq!(ids(&get(&s, &format!("requests.json?service_code={noise}")).await.json()), [b.clone(), a.clone()]);
    assert_eq!(ids(&get(&s, &format!("requests.json?service_code={noise},{other}&status=open")).await.json()).len(), 3);
    assert_eq!(ids(&get(&s, &format!("requests.json?service_code={noise}&service_code={other}")).await.json()).len(), 4);
    assert!(ids(&get(&s, "requests.json?service_code=99.99.999").await.json()).is_empty());
    // service_request_id overrides every other filter; unknown ids are left out.
    let listed =
        get(&s, &format!("requests.json?service_request_id={a},{c},HK20991231999999&status=open&service_code={other}")).await.json();
    assert_eq!(ids(&listed), [a.clone(), c.clone()]);
    // Dates: a window that ends before them, one that starts after them, one around them.
    let now = chrono::Utc::now();
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let past = get(&s, &format!("requests.json?end_date={}", fmt(now - chrono::Duration::hours(1)))).await.json();
    assert!(ids(&past).is_empty());
    let future = get(&s, &format!("requests.json?start_date={}", fmt(now + chrono::Duration::hours(1)))).await.json();
    assert!(ids(&future).is_empty());
    let around = format!(
        "requests.json?start_date={}&end_date={}",
        fmt(now - chrono::Duration::hours(1)),
        (now + chrono::Duration::hours(1)).with_timezone(&minsheng_domain::CHINA).to_rfc3339()
    );
    assert_eq!(ids(&get(&s, &around.replace('+', "%2B")).await.json()).len(), 4);
    // Paging.
    assert_eq!(ids(&get(&s, "requests.json?page_size=3").await.json()), [phoned.clone(), c.clone(), b.clone()]);
    assert_eq!(ids(&get(&s, "requests.json?page=2&page_size=3").await.json()), [a.as_str()]);
    assert_eq!(ids(&get(&s, "requests.json?page=2&page_size=2").await.json()), [b.clone(), a.clone()]);
    assert!(ids(&get(&s, "requests.json?page=3&page_size=2").await.json()).is_empty());
    // XML lists the same.
    let n =
        get(&s, "requests.xml?status=open").await.xml(|doc| doc.root_element().children().filter(|n| n.has_tag_name("request")).count());
    assert_eq!(n, 3);
}

async fn updates_follow_the_lifecycle_and_withhold_what_is_private(s: Server) {
    let key = api_key(&s, "operator").await;
    let (noise, _) = two_services(&s).await;
    let id = submit(&s, &key, &noise, &[("description", "夜市摊位音响扰民")]).await;
    let report = submit(&s, &key, &noise, &[("description", "某单位违规排污，我是该厂员工"), ("attribute[CASE_TYPE]", "report")]).await;
    let secret = submit(&s, &key, &noise, &[("description", "邻居装修噪音"), ("attribute[CONFIDENTIAL]", "true")]).await;
    // The lifecycle through the staff API: dispatch, sign, reply, review, callback.
    let (di, lh, sup) = (s.token("dispatcher").await, s.token("longhua").await, s.token("supervisor").await);
    let longhua = s.unit("460106").await;
    s.act(&di, &id, "dispatch", json!({"lead_unit_id": longhua})).await;
    let r = get(&s, &format!("requests/{id}.json")).await.json();
    assert!(r[0]["expected_datetime"].as_str().unwrap().ends_with("+08:00"), "the reply deadline: {}", r[0]);
    assert_eq!(r[0]["agency_responsible"], "龙华区");
    s.act(&lh, &id, "sign", json!({})).await;
    s.act(&lh, &id, "contact", json!({"method": "phone", "note": "内部备注：已电话联系"})).await;
    s.act(&lh, &id, "reply", json!({"text": "已责令摊主降低音量，夜间 22 点后停止使用音响", "solved": "solved"})).await;
    s.act(&di, &id, "review_reply", json!({"pass": true})).await;
    s.act(&sup, &id, "callback", json!({"outcome": "satisfied", "solved": "solved"})).await;
    let r = get(&s, &format!("requests/{id}.json?extensions=true")).await.json();
    let r = &r[0];
    assert_eq!(r["status"], "closed");
    let notes = r["status_notes"].as_str().unwrap();
    assert!(notes.starts_with("已办结") && notes.contains("已责令摊主降低音量"), "{notes}");
    let history = r["notes"].as_array().unwrap();
    assert_eq!(history.first().unwrap()["type"], "opened");
    assert_eq!(history.last().unwrap()["type"], "closed");
    assert!(!r.to_string().contains("内部备注"), "internal notes are not public");

    // The update feed, as FixMyStreet reads it: XML, one request_update per public step.
    let feed = get(&s, "servicerequestupdates.xml").await;
    assert_eq!(feed.status, StatusCode::OK, "{}", feed.body);
    let steps: Vec<(String, String, String)> = feed.xml(|doc| {
        assert_eq!(doc.root_element().tag_name().name(), "service_requests_updates");
        doc.root_element()
            .children()
            .filter(|n| n.has_tag_name("request_update"))
            .map(|u| {
                let f = |name: &str| u.children().find(|n| n.has_tag_name(name)).and_then(|n| n.text()).unwrap_or_default().to_string();
                assert!(f("updated_datetime").ends_with("+08:00"));
                assert!(!f("update_id").is_empty());
                (f("service_request_id"), f("status"), f("description"))
            })
            .filter(|(sr, _, _)| *sr == id)
            .collect()
    });
    let statuses: Vec<&str> = steps.iter().map(|(_, st, _)| st.as_str()).collect();
    assert_eq!(statuses.first(), Some(&"open"));
    assert!(statuses.contains(&"action_scheduled") && statuses.contains(&"in_progress"), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&"fixed"));
    assert!(steps.iter().any(|(_, _, d)| d.contains("已责令摊主降低音量")), "the reply is an update: {steps:?}");
    assert!(!feed.body.contains("内部备注"));
    let json_feed = get(&s, "servicerequestupdates.json").await.json();
    assert!(json_feed.as_array().unwrap().iter().any(|u| u["service_request_id"] == id.as_str() && u["external_status_code"] == "closed"));
    // A window in the past is empty; a bad date is the standard's 400.
    let past = get(&s, "servicerequestupdates.json?start_date=2020-01-01&end_date=2020-01-02").await.json();
    assert!(past.as_array().unwrap().is_empty());
    assert_error(&get(&s, "servicerequestupdates.json?start_date=soon").await, StatusCode::BAD_REQUEST);

    // 举报 and confidential requests: listed, their words and place withheld.
    for number in [&report, &secret] {
        let r = get(&s, &format!("requests/{number}.json?extensions=true")).await;
        let v = r.json();
        assert!(v[0]["description"].is_null(), "{}", r.body);
        assert!(v[0]["lat"].is_null() && v[0]["media_url"].is_null());
        assert_ne!(v[0]["address"], "海口市龙华区金贸街道玉沙路 12 号");
        assert!(!r.body.contains("该厂员工") && !r.body.contains("邻居装修"), "{}", r.body);
    }
    let feed = get(&s, "servicerequestupdates.json").await.body;
    assert!(!feed.contains("该厂员工") && !feed.contains("邻居装修"));
}

/// Real third-party Open311 clients from PyPI drive the server: `georeport` reads the services and
/// requests in JSON and in XML (parsing it with xmltodict), `civicbot`'s `Open311Client` files a
/// request form-encoded with attributes and reads it back. The script prints what it saw as JSON.
async fn real_open311_clients_from_pypi(s: Server) {
    let key = api_key(&s, "operator").await;
    let (code, _) = two_services(&s).await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/open311_client.py");
    let python = minsheng_testkit::python();
    let out = tokio::process::Command::new(python).arg(script).arg(format!("{}{V2}", s.base)).arg(&key).arg(&code).output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the client failed:\n{stderr}");
    let seen: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&out.stdout)));
    let leaves = s.app.current_catalogue().await.unwrap().leaves().len() as u64;
    assert_eq!(seen["services_json"], leaves);
    assert_eq!(seen["services_xml"], leaves);
    assert_eq!(seen["definition_attributes"], json!(["CASE_TYPE", "URGENCY", "TITLE", "CONFIDENTIAL"]));
    let id = seen["posted_id"].as_str().unwrap();
    assert!(id.starts_with("HK"), "{seen}");
    assert_eq!(seen["read_back_json"]["status"], "open");
    assert_eq!(seen["read_back_json"]["description"], "路边大排档油烟和噪音扰民");
    assert_eq!(seen["read_back_xml"]["status"], "open");
    assert_eq!(seen["read_back_xml"]["service_request_id"], id);
    assert_eq!(seen["listed_by_service_and_status"], true);
    assert_eq!(seen["token_resolves"], id);
    assert_eq!(seen["bad_key_status"], 403);
    // The request the client filed is a case like any other.
    let case = s.app.store.case_by_number(id).await.unwrap().unwrap();
    assert_eq!(case.intake.channel.as_str(), "open311");
    assert_eq!(case.intake.case_type.as_str(), "complaint");
    assert_eq!(case.intake.catalogue_item.as_deref(), Some(code.as_str()));
}
