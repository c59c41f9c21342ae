//! Open311 GeoReport v2 under `/open311/v2/`: discovery, services and their definitions, service
//! requests (POST form-encoded, GET with every filter), tokens, and the update feed
//! `servicerequestupdates` that FixMyStreet consumes. Each resource answers in XML or JSON by its
//! suffix (`requests.json`), without one in XML, the standard's primary format; errors are the
//! standard's list of `{code, description}` in the same format, never the `/api` error shape.
//! What is said about a case is decided in `minsheng_app::open311`; this edge only reads the
//! protocol and writes it.

use std::fmt::Write as _;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use minsheng_app::open311::{self as o311, RequestForm, RequestQuery, RequestView, Status};
use minsheng_domain::{DomainError, ErrorCode};

use crate::AppState;

/// The routes, to be nested at `/open311/v2`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{resource}", get(get_resource).post(post_resource))
        .route("/{resource}/{id}", get(get_item))
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
}

/// The answer's format, from the path's suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Xml,
    Json,
}

/// `requests.json` → (`requests`, JSON); without a known suffix the whole name, in XML. Service
/// codes contain dots (`03.02.004`), so only a final `.xml`/`.json` counts as the suffix.
fn split_format(name: &str) -> (&str, Format) {
    match name.rsplit_once('.') {
        Some((base, ext)) if ext.eq_ignore_ascii_case("json") => (base, Format::Json),
        Some((base, ext)) if ext.eq_ignore_ascii_case("xml") => (base, Format::Xml),
        _ => (name, Format::Xml),
    }
}

/// A value of an answer, rendered as JSON or XML. Lists know the element name of their items,
/// because XML needs one (`<services><service>…`); fields keep the standard's order.
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    List(&'static str, Vec<Node>),
    Map(Vec<(&'static str, Node)>),
}

fn text(s: impl Into<String>) -> Node {
    Node::Text(s.into())
}

fn opt(s: Option<String>) -> Node {
    s.map_or(Node::Null, Node::Text)
}

fn write_json(node: &Node, out: &mut String) {
    match node {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Int(i) => {
            let _ = write!(out, "{i}");
        }
        // Rust prints finite floats without exponents, which JSON accepts as they are.
        Node::Float(f) if f.is_finite() => {
            let _ = write!(out, "{f}");
        }
        Node::Float(_) => out.push_str("null"),
        Node::Text(s) => json_string(s, out),
        Node::List(_, items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Node::Map(fields) => {
            out.push('{');
            for (i, (k, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(k, out);
                out.push(':');
                write_json(v, out);
            }
            out.push('}');
        }
    }
}

fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_xml(name: &str, node: &Node, out: &mut String) {
    match node {
        Node::Null => {
            let _ = write!(out, "<{name}/>");
        }
        Node::List(item, items) => {
            let _ = write!(out, "<{name}>");
            for i in items {
                write_xml(item, i, out);
            }
            let _ = write!(out, "</{name}>");
        }
        Node::Map(fields) => {
            let _ = write!(out, "<{name}>");
            for (k, v) in fields {
                write_xml(k, v, out);
            }
            let _ = write!(out, "</{name}>");
        }
        scalar => {
            let _ = write!(out, "<{name}>");
            match scalar {
                Node::Text(s) => xml_escape(s, out),
                other => {
                    let mut s = String::new();
                    write_json(other, &mut s);
                    out.push_str(&s);
                }
            }
            let _ = write!(out, "</{name}>");
        }
    }
}

/// Escapes text content; characters XML 1.0 cannot carry at all (other control characters) are
/// dropped rather than making the document unreadable.
fn xml_escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

fn render(format: Format, status: StatusCode, root: &str, node: &Node) -> Response {
    let mut body = String::with_capacity(512);
    let content_type = match format {
        Format::Json => {
            write_json(node, &mut body);
            "application/json; charset=utf-8"
        }
        Format::Xml => {
            body.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
            write_xml(root, node, &mut body);
            "text/xml; charset=utf-8"
        }
    };
    let mut r = (status, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// The standard's HTTP status of each of our error codes: 400 for bad input, 403 for keys, 404.
fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidInput
        | ErrorCode::InvalidState
        | ErrorCode::RuleViolation
        | ErrorCode::VersionConflict
        | ErrorCode::AlreadyExists => StatusCode::BAD_REQUEST,
        ErrorCode::Unauthenticated | ErrorCode::Forbidden | ErrorCode::RoleForbidden | ErrorCode::UnitForbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// An error in the standard's format: `<errors><error><code>403</code><description>…`.
fn error(format: Format, e: &DomainError) -> Response {
    let status = status_of(e.code);
    metrics::counter!("minsheng_open311_errors_total", "status" => status.as_str().to_string()).increment(1);
    let node = Node::List(
        "error",
        vec![Node::Map(vec![
            ("code", Node::Int(i64::from(status.as_u16()))),
            ("description", text(format!("{} / {}", e.message_zh, e.message_en))),
        ])],
    );
    render(format, status, "errors", &node)
}

fn not_found(what: &str) -> DomainError {
    DomainError::new(ErrorCode::NotFound, format!("没有这个 Open311 资源：{what}"), format!("no such Open311 resource: {what}"))
}

fn bad(zh: impl Into<String>, en: impl Into<String>) -> DomainError {
    DomainError::new(ErrorCode::InvalidInput, zh, en)
}

/// Form or query parameters in order, decoded as UTF-8.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(bytes: &[u8]) -> Result<Params, DomainError> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(bytes).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        // The decoder replaces bytes that are not UTF-8; the standard says UTF-8, so refuse them.
        if pairs.iter().any(|(k, v)| k.contains('\u{FFFD}') || v.contains('\u{FFFD}')) {
            return Err(bad("参数须为 UTF-8 编码", "parameters must be encoded in UTF-8"));
        }
        Ok(Params(pairs))
    }

    /// A parameter given at most once.
    fn one(&self, key: &str) -> Result<Option<&str>, DomainError> {
        let mut found = self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let first = found.next();
        if found.next().is_some() {
            return Err(bad(format!("参数 {key} 重复"), format!("parameter {key} is given more than once")));
        }
        Ok(first)
    }

    fn owned(&self, key: &str) -> Result<Option<String>, DomainError> {
        Ok(self.one(key)?.map(str::to_string))
    }

    /// A comma list, which may also be repeated (`status=open,closed` or `status=open&status=closed`).
    fn list(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .flat_map(|(_, v)| v.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// `attribute[CODE]` and `attribute[CODE][]` (a multivaluelist).
    fn attributes(&self) -> Result<Vec<(String, String)>, DomainError> {
        let mut out = Vec::new();
        for (k, v) in &self.0 {
            let Some(rest) = k.strip_prefix("attribute[") else { continue };
            let code = rest.strip_suffix("][]").or_else(|| rest.strip_suffix(']'));
            match code {
                Some(c)
                    if !c.is_empty()
                        && c.len() <= 64
                        && c.chars().all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.')) =>
                {
                    out.push((c.to_string(), v.clone()));
                }
                _ => {
                    return Err(bad(
                        format!("属性参数「{}」格式有误，应为 attribute[代码]", k.chars().take(80).collect::<String>()),
                        format!("malformed attribute parameter '{}': expected attribute[CODE]", k.chars().take(80).collect::<String>()),
                    ));
                }
            }
        }
        Ok(out)
    }
}

fn query_params(query: &Option<String>) -> Result<Params, DomainError> {
    Params::parse(query.as_deref().unwrap_or("").as_bytes())
}

/// GET discovery, services, requests, servicerequestupdates.
async fn get_resource(State(state): State<AppState>, Path(resource): Path<String>, RawQuery(query): RawQuery) -> Response {
    let (name, format) = split_format(&resource);
    let result = async {
        let params = query_params(&query)?;
        state.app.open311_check_jurisdiction(params.one("jurisdiction_id")?)?;
        match name {
            "discovery" => discovery(&state, format).await,
            "services" => services(&state, format).await,
            "requests" => requests(&state, format, &params).await,
            "servicerequestupdates" => updates(&state, format, &params).await,
            other => Err(not_found(other)),
        }
    }
    .await;
    result.unwrap_or_else(|e| error(format, &e))
}

/// GET services/{code}, requests/{id}, tokens/{token}.
async fn get_item(State(state): State<AppState>, Path((resource, item)): Path<(String, String)>, RawQuery(query): RawQuery) -> Response {
    let (id, format) = split_format(&item);
    let result = async {
        let params = query_params(&query)?;
        state.app.open311_check_jurisdiction(params.one("jurisdiction_id")?)?;
        match resource.as_str() {
            "services" => {
                let def = state.app.open311_definition(id).await?;
                Ok(render(format, StatusCode::OK, "service_definition", &definition_node(def)))
            }
            "requests" => {
                let extensions = flag(&params, "extensions")?;
                let view = state.app.open311_request(id, extensions).await?;
                Ok(render(format, StatusCode::OK, "service_requests", &Node::List("request", vec![request_node(view)])))
            }
            "tokens" => {
                let number = state.app.open311_token(id).await?;
                let node = Node::List("request", vec![Node::Map(vec![("service_request_id", text(number)), ("token", text(id))])]);
                Ok(render(format, StatusCode::OK, "service_requests", &node))
            }
            other => Err(not_found(other)),
        }
    }
    .await;
    result.unwrap_or_else(|e| error(format, &e))
}

/// POST requests: a new service request, form-encoded, with an API key.
async fn post_resource(
    State(state): State<AppState>,
    Path(resource): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (name, format) = split_format(&resource);
    let result = async {
        match name {
            "requests" => {}
            "discovery" | "services" | "servicerequestupdates" => {
                return Err(bad(format!("{name} 只接受 GET"), format!("{name} accepts GET only")));
            }
            other => return Err(not_found(other)),
        }
        let body = body.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                DomainError::new(ErrorCode::PayloadTooLarge, "请求体过大", "request body too large")
            } else {
                bad("无法读取请求体", "the request body could not be read")
            }
        })?;
        let form_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
        if !form_type {
            return Err(bad(
                "请求须为表单编码（Content-Type: application/x-www-form-urlencoded）",
                "the body must be form-encoded (Content-Type: application/x-www-form-urlencoded)",
            ));
        }
        let params = Params::parse(&body)?;
        state.app.open311_check_jurisdiction(params.one("jurisdiction_id")?)?;
        let actor = match params.one("api_key")?.map(str::trim).filter(|k| !k.is_empty()) {
            None => {
                return Err(DomainError::new(
                    ErrorCode::Forbidden,
                    "须提供 api_key",
                    "api_key is required -- can't proceed with create_request",
                ));
            }
            Some(key) => state.app.actor_for_api_key(key).await.map_err(|e| match e.code {
                ErrorCode::Internal => e,
                _ => {
                    DomainError::new(ErrorCode::Forbidden, "api_key 无效", "invalid api_key received -- can't proceed with create_request")
                }
            })?,
        };
        let form = RequestForm {
            service_code: params.owned("service_code")?,
            lat: params.owned("lat")?,
            long: params.owned("long")?,
            address_string: params.owned("address_string")?,
            address_id: params.owned("address_id")?,
            email: params.owned("email")?,
            device_id: params.owned("device_id")?,
            account_id: params.owned("account_id")?,
            first_name: params.owned("first_name")?,
            last_name: params.owned("last_name")?,
            phone: params.owned("phone")?,
            description: params.owned("description")?,
            media_url: params.owned("media_url")?,
            attributes: params.attributes()?,
        };
        let done = state.app.open311_submit(&actor, form).await?;
        let node = Node::List(
            "request",
            vec![Node::Map(vec![
                ("service_request_id", text(done.service_request_id)),
                ("token", text(done.token)),
                ("service_notice", text(done.service_notice)),
                ("account_id", opt(done.account_id)),
            ])],
        );
        Ok(render(format, StatusCode::OK, "service_requests", &node))
    }
    .await;
    result.unwrap_or_else(|e| error(format, &e))
}

async fn fallback(uri: axum::http::Uri) -> Response {
    let path = uri.path();
    let format = if path.ends_with(".json") { Format::Json } else { Format::Xml };
    error(format, &not_found(path.rsplit('/').next().unwrap_or(path)))
}

async fn method_not_allowed(uri: axum::http::Uri) -> Response {
    let format = if uri.path().ends_with(".json") { Format::Json } else { Format::Xml };
    let e = bad("不支持此请求方法", "method not allowed");
    let mut r = error(format, &e);
    *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    r
}

fn flag(params: &Params, key: &str) -> Result<bool, DomainError> {
    match params.one(key)?.map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) if v == "true" || v == "1" => Ok(true),
        Some(v) if v == "false" || v == "0" || v.is_empty() => Ok(false),
        Some(_) => Err(bad(format!("{key} 应为 true 或 false"), format!("{key} must be true or false"))),
    }
}

fn number(params: &Params, key: &str) -> Result<Option<u32>, DomainError> {
    match params.one(key)?.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse::<u32>().map(Some).map_err(|_| bad(format!("{key} 应为正整数"), format!("{key} must be a positive integer"))),
    }
}

fn time(params: &Params, key: &str) -> Result<Option<i64>, DomainError> {
    match params.one(key)?.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => o311::parse_datetime(key, v).map(Some),
    }
}

async fn discovery(state: &AppState, format: Format) -> Result<Response, DomainError> {
    let changeset = state.app.open311_changeset().await?;
    let url = format!("{}/open311/v2", state.app.settings.public_url.trim_end_matches('/'));
    let node = Node::Map(vec![
        ("changeset", text(changeset.clone())),
        ("contact", text("12345 政务服务便民热线 / the 12345 citizen hotline")),
        ("key_service", text("接口密钥（api_key）由平台管理员发放 / API keys are issued by the platform's administrators")),
        (
            "endpoints",
            Node::List(
                "endpoint",
                vec![Node::Map(vec![
                    ("specification", text("http://wiki.open311.org/GeoReport_v2")),
                    ("url", text(url)),
                    ("changeset", text(changeset)),
                    ("type", text("production")),
                    ("formats", Node::List("format", vec![text("text/xml"), text("application/json")])),
                ])],
            ),
        ),
    ]);
    Ok(render(format, StatusCode::OK, "discovery", &node))
}

async fn services(state: &AppState, format: Format) -> Result<Response, DomainError> {
    let list = state.app.open311_services().await?;
    let items = list
        .into_iter()
        .map(|s| {
            Node::Map(vec![
                ("service_code", text(s.service_code)),
                ("service_name", text(s.service_name)),
                ("description", text(s.description)),
                ("metadata", Node::Bool(s.metadata)),
                ("type", text("realtime")),
                ("keywords", text(s.keywords.join(", "))),
                ("group", text(s.group)),
            ])
        })
        .collect();
    Ok(render(format, StatusCode::OK, "services", &Node::List("service", items)))
}

fn definition_node(def: o311::ServiceDefinition) -> Node {
    let attrs = def
        .attributes
        .into_iter()
        .map(|a| {
            let mut fields = vec![
                ("variable", Node::Bool(true)),
                ("code", text(a.code)),
                ("datatype", text(a.datatype)),
                ("required", Node::Bool(a.required)),
                ("datatype_description", opt(a.datatype_description)),
                ("order", Node::Int(i64::from(a.order))),
                ("description", text(a.description)),
            ];
            if !a.values.is_empty() {
                let values = a.values.into_iter().map(|(k, n)| Node::Map(vec![("key", text(k)), ("name", text(n))])).collect();
                fields.push(("values", Node::List("value", values)));
            }
            Node::Map(fields)
        })
        .collect();
    Node::Map(vec![("service_code", text(def.service_code)), ("attributes", Node::List("attribute", attrs))])
}

fn request_node(v: RequestView) -> Node {
    let mut fields = vec![
        ("service_request_id", text(v.service_request_id)),
        ("status", text(v.status.as_str())),
        ("status_notes", text(v.status_notes)),
        ("service_name", opt(v.service_name)),
        ("service_code", opt(v.service_code)),
        ("description", opt(v.description)),
        ("agency_responsible", opt(v.agency_responsible)),
        ("service_notice", opt(v.service_notice)),
        ("requested_datetime", text(v.requested_datetime)),
        ("updated_datetime", text(v.updated_datetime)),
        ("expected_datetime", opt(v.expected_datetime)),
        ("address", opt(v.address)),
        ("address_id", opt(v.address_id)),
        ("zipcode", opt(v.zipcode)),
        ("lat", v.lat.map_or(Node::Null, Node::Float)),
        ("long", v.long.map_or(Node::Null, Node::Float)),
        ("media_url", opt(v.media_url)),
    ];
    if let Some(x) = v.extensions {
        fields.push((
            "extended_attributes",
            Node::Map(vec![
                ("state", text(x.state)),
                ("state_label", text(x.state_label)),
                ("channel", text(x.channel)),
                ("case_type", text(x.case_type)),
                ("urgency", text(x.urgency)),
                ("reporters", Node::Int(i64::from(x.reporters))),
            ]),
        ));
        let notes = x
            .notes
            .into_iter()
            .map(|n| {
                Node::Map(vec![
                    ("type", text(n.kind)),
                    ("datetime", text(n.datetime)),
                    ("summary", text(n.summary)),
                    ("description", opt(n.description)),
                    ("status", text(n.status)),
                ])
            })
            .collect();
        fields.push(("notes", Node::List("note", notes)));
    }
    Node::Map(fields)
}

async fn requests(state: &AppState, format: Format, params: &Params) -> Result<Response, DomainError> {
    let mut statuses = Vec::new();
    for s in params.list("status") {
        statuses.push(Status::parse(&s).ok_or_else(|| {
            bad(
                format!("status 取值「{}」无效（open、closed）", s.chars().take(20).collect::<String>()),
                format!("invalid status '{}' (open, closed)", s.chars().take(20).collect::<String>()),
            )
        })?);
    }
    let query = RequestQuery {
        ids: params.list("service_request_id"),
        service_codes: params.list("service_code"),
        start: time(params, "start_date")?,
        end: time(params, "end_date")?,
        statuses,
        page: number(params, "page")?.unwrap_or(1),
        page_size: number(params, "page_size")?.unwrap_or(o311::MAX_RESULTS),
        extensions: flag(params, "extensions")?,
    };
    let views = state.app.open311_requests(&query).await?;
    let node = Node::List("request", views.into_iter().map(request_node).collect());
    Ok(render(format, StatusCode::OK, "service_requests", &node))
}

async fn updates(state: &AppState, format: Format, params: &Params) -> Result<Response, DomainError> {
    let list = state.app.open311_updates(time(params, "start_date")?, time(params, "end_date")?).await?;
    let items = list
        .into_iter()
        .map(|u| {
            Node::Map(vec![
                ("update_id", text(u.update_id)),
                ("service_request_id", text(u.service_request_id)),
                ("status", text(u.status)),
                ("external_status_code", text(u.external_status_code)),
                ("updated_datetime", text(u.updated_datetime)),
                ("description", text(u.description)),
                ("media_url", opt(u.media_url)),
            ])
        })
        .collect();
    Ok(render(format, StatusCode::OK, "service_requests_updates", &Node::List("request_update", items)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_and_dotted_codes() {
        assert_eq!(split_format("requests.json"), ("requests", Format::Json));
        assert_eq!(split_format("03.02.004.xml"), ("03.02.004", Format::Xml));
        assert_eq!(split_format("03.02.004"), ("03.02.004", Format::Xml));
    }

    #[test]
    fn both_renderings_escape() {
        let node = Node::List("error", vec![Node::Map(vec![("code", Node::Int(400)), ("description", text("a<b & \"c\"\n"))])]);
        let mut json = String::new();
        write_json(&node, &mut json);
        assert_eq!(json, r#"[{"code":400,"description":"a<b & \"c\"\n"}]"#);
        let mut xml = String::new();
        write_xml("errors", &node, &mut xml);
        assert_eq!(xml, "<errors><error><code>400</code><description>a&lt;b &amp; &quot;c&quot;\n</description></error></errors>");
    }
}
