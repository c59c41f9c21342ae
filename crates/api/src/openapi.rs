//! The OpenAPI document, served at `/api/openapi.json` and browsable at `/api/docs`. The action
//! table in its description is generated from the domain's permission table, so it cannot drift.

use minsheng_domain::ErrorCode;
use minsheng_domain::lifecycle::{Action, NoteRule};
use utoipa::OpenApi;

use crate::error::status_of;
use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "minsheng 民生 API", version = "1", description = "城市 12345 诉求办理平台接口"),
    paths(
        routes::auth::login, routes::auth::logout, routes::auth::me,
        routes::cases::create, routes::cases::preview, routes::cases::search, routes::cases::similar, routes::cases::list, routes::cases::detail, routes::cases::act,
        routes::track::track, routes::track::citizen_act, routes::track::public_stats,
        routes::org::units, routes::org::add_unit, routes::org::users, routes::org::add_user, routes::org::reset_password,
        routes::org::api_keys, routes::org::add_api_key, routes::org::revoke_api_key,
        routes::meta::meta,
        routes::oversight::metrics, routes::oversight::rankings, routes::oversight::definitions, routes::oversight::set_definitions,
        routes::oversight::score, routes::oversight::set_score, routes::oversight::notifications, routes::oversight::mark_read,
        routes::oversight::case_notices, routes::oversight::duty, routes::oversight::set_duty, routes::oversight::digest,
        routes::oversight::send_digest, routes::oversight::escalation, routes::oversight::set_escalation,
        routes::catalogue::get, routes::catalogue::versions, routes::catalogue::save, routes::catalogue::import_csv,
        routes::catalogue::search, routes::places::upload_grids,
        routes::classifier::overview, routes::classifier::set_settings, routes::classifier::retrain, routes::classifier::activate,
        routes::classifier::classify,
        routes::registry::people, routes::registry::add_person, routes::registry::person, routes::registry::edit_person,
        routes::registry::import_people, routes::registry::case_people, routes::registry::articles, routes::registry::create_article,
        routes::registry::article, routes::registry::edit_article, routes::registry::review_article, routes::registry::suggest,
        routes::attachments::upload, routes::attachments::upload_public, routes::attachments::download, routes::attachments::thumbnail,
        routes::attachments::case_files,
    ),
    components(schemas(routes::cases::CreateCaseRequest, routes::cases::CitizenInput, routes::cases::PlaceInput, routes::auth::LoginRequest,
        routes::auth::Me, routes::org::NewUnitRequest, routes::org::NewUserRequest, routes::org::NewApiKeyRequest, routes::org::PasswordRequest, routes::oversight::DutyRequest, routes::catalogue::SaveRequest,
        minsheng_app::people::PersonInput, minsheng_app::knowledge::ArticleInput, routes::registry::EditArticleRequest,
        routes::registry::ReviewRequest, routes::registry::SuggestRequest, minsheng_app::classifier::ClassifierSettings,
        routes::classifier::RetrainRequest, routes::classifier::ClassifyRequest, minsheng_domain::attachment::AttachmentRef,
        minsheng_app::attachments::CaseAttachment)),
    tags((name = "cases", description = "工单：受理、列表、详情、办理动作"), (name = "public", description = "市民进度查询"),
        (name = "auth", description = "登录"), (name = "organisation", description = "组织、用户、接口密钥"), (name = "meta", description = "枚举与错误码"),
        (name = "people", description = "人员库：调解员、法律援助、专家；工单的推荐人员"), (name = "knowledge", description = "知识库：检索、编写、审核、受理时推荐"),
        (name = "classifier", description = "智能分类：模型版本与评估、自动派单阈值、重新训练"),
        (name = "attachments", description = "附件：照片、PDF、录音、视频的上传、缩略图与下载")),
    modifiers(&Security)
)]
pub struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
        components.add_security_scheme("api_key", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Api-Key"))));
        components.add_security_scheme("cookie", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::extract::SESSION_COOKIE))));
        openapi.security = Some(vec![
            utoipa::openapi::security::SecurityRequirement::new("bearer", Vec::<String>::new()),
            utoipa::openapi::security::SecurityRequirement::new("api_key", Vec::<String>::new()),
        ]);
    }
}

fn action_fields(a: Action) -> &'static str {
    match a {
        Action::AnswerOnSpot => "`answer`",
        Action::Dispatch | Action::Reassign => "`lead_unit_id`, `assisting_unit_ids`",
        Action::Return => "`reason`: not_ours / wrong_place / duplicate / insufficient_info",
        Action::ReviewReturn => "`decision`: reassign / to_pool / refuse; `lead_unit_id`, `assisting_unit_ids` for reassign",
        Action::PassDown => "`to_unit_id`",
        Action::Contact => "`method`: phone / visit / sms / other",
        Action::Reply => "`text`, `solved`: solved / partly_solved / unsolved",
        Action::ReviewReply => "`pass`: true / false",
        Action::Callback => "`outcome`: satisfied / basically_satisfied / unsatisfied / unreachable / declined; `solved`; `comment`",
        Action::RequestExtension => "`days`",
        Action::ReviewExtension => "`approve`, `days`",
        Action::Supervise => "`level`: yellow / red",
        Action::Escalate => "`leader_user_id`",
        Action::Merge => "`into`: the target case id or number",
        Action::Void => "`reason`: spam / malicious / test / other",
        _ => "—",
    }
}

/// The document with the generated tables.
pub fn build() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    let mut d = String::from(
        "城市 12345 诉求办理平台接口。Sign in with `POST /api/auth/login` and send the token as `Authorization: Bearer …` \
         (browsers get a cookie); integrations send an API key as `X-Api-Key`.\n\n\
         Every error is `{\"error\": {\"code\", \"message_zh\", \"message_en\", \"details\"}}`.\n\n\
         ## Case actions\n`POST /api/cases/{key}/actions/{action}` with `{\"version\": N, \"note\": \"…\", …fields}`.\n\n\
         | action | 动作 | roles | states | fields | note |\n|---|---|---|---|---|---|\n",
    );
    for a in Action::ALL {
        d.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} |\n",
            a.as_str(),
            a.label_zh(),
            a.roles().iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "),
            a.states().iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
            action_fields(a),
            if a.note_rule() == NoteRule::Required { "required" } else { "optional" },
        ));
    }
    d.push_str("\n## Error codes\n| code | HTTP |\n|---|---|\n");
    for c in ErrorCode::ALL {
        d.push_str(&format!("| `{}` | {} |\n", c.as_str(), status_of(c).as_u16()));
    }
    doc.info.description = Some(d);
    doc
}
