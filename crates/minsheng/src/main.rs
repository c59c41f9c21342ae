//! `minsheng`: the server and the administrator's command-line tool. Configuration, logging,
//! start-up and shutdown live here; everything else is in the library crates.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use minsheng_app::{App, SystemClock};
use minsheng_domain::org::{Actor, Role};
use minsheng_store::Store;

mod config;

#[derive(Parser)]
#[command(
    name = "minsheng",
    version,
    about = "民生 · 城市 12345 诉求办理平台 — a city's unified citizen-request platform",
    long_about = "民生 (minsheng) takes every citizen request through one window, dispatches it to the unit that must act, \
holds it to time limits, calls the citizen back and counts the results.\n\n\
The database URL picks the engine: sqlite://PATH (embedded, the default: sqlite://./data/minsheng.db) or postgres://USER@HOST:PORT/DB. \
It comes from --database, else MINSHENG_DATABASE_URL, else the config file (--config, or ./minsheng.toml), else the default."
)]
struct Cli {
    /// Configuration file (TOML: database_url, listen, number_prefix).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST:PORT/DB.
    #[arg(long, global = true, value_name = "URL")]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server (migrates the database first).
    Serve {
        /// Address to listen on, HOST:PORT (default 127.0.0.1:8080; also MINSHENG_LISTEN).
        #[arg(long, value_name = "HOST:PORT")]
        listen: Option<String>,
        /// Load the demo city (海口市) where it is missing, and print the demo logins.
        #[arg(long)]
        demo: bool,
        /// The built browser application to serve at / (default ./web/dist; also MINSHENG_WEB).
        #[arg(long, value_name = "DIR")]
        web: Option<PathBuf>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Load the demo city 海口市: its real four-level division tree, departments, public-service
    /// companies and a demo user for every role. Idempotent.
    Demo,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API keys for integrations (Open311 clients, channel gateways).
    #[command(subcommand)]
    Apikey(ApiKeyCommand),
    /// The working calendar (工作日历): official holidays and make-up working days.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// The responsibility catalogue (职责清单): import a new version, export, show, list versions.
    #[command(subcommand)]
    Catalogue(CatalogueCommand),
    /// Compute a deadline with the working calendar, printed in RFC 3339 (+08:00).
    ///
    /// "N working days" ends at 24:00 of the Nth working day after the start day (a start on a
    /// non-working day counts from the next working day); working hours count only office hours
    /// (08:30–12:00, 14:30–18:00) of working days; --hours is wall-clock time, 7x24.
    Deadline {
        /// The start, RFC 3339 (e.g. 2026-02-13T10:00:00+08:00).
        #[arg(long)]
        start: String,
        #[arg(long, group = "limit", value_name = "N")]
        working_days: Option<u32>,
        #[arg(long, group = "limit", value_name = "N")]
        working_hours: Option<u32>,
        #[arg(long, group = "limit", value_name = "N")]
        hours: Option<u32>,
    },
    /// The text classifier for citizen messages: train, predict and evaluate on labelled CSV.
    ///
    /// A CSV has a `label` column and either `text`, or `title` and `detail`, or `tokens`
    /// (space-separated words).
    #[command(subcommand)]
    Classifier(ClassifierCommand),
    /// Find hotspots (热点): clusters of reports of one matter at one place, ranked by heat.
    ///
    /// FILE.csv has `msg_id`, `title`, `detail`, `time` and optionally `likes`/`dislikes`;
    /// writes a JSON array of the top N clusters: rank, heat, title, place, from, to, msg_ids.
    Hotspots {
        #[arg(long)]
        input: PathBuf,
        #[arg(long, default_value_t = 10)]
        top: usize,
        #[arg(long)]
        output: PathBuf,
    },
    /// Import historical cases from CSV (e.g. messages_with_replies.csv).
    Import {
        /// The CSV file. Columns: msg_id,title,time,detail,reply,reply_time (the 问政 export) or
        /// external_id,title,text,time,phone,name,type,channel,reply,reply_time.
        file: PathBuf,
        /// Code of the unit replied cases are recorded as dispatched to (default: none, replies
        /// are recorded as answered on the spot).
        #[arg(long, value_name = "UNIT_CODE")]
        unit: Option<String>,
        /// Cases per transaction.
        #[arg(long, default_value_t = 500)]
        batch: usize,
    },
}

#[derive(Subcommand)]
enum ClassifierCommand {
    /// Train a model on one or more labelled files and save it.
    Train {
        #[arg(long = "input", required = true, value_name = "FILE.csv")]
        inputs: Vec<PathBuf>,
        #[arg(long, value_name = "MODEL")]
        output: PathBuf,
    },
    /// Write every input row with two added columns, `predicted` and `confidence`.
    Predict {
        #[arg(long, value_name = "MODEL")]
        model: PathBuf,
        #[arg(long, value_name = "FILE.csv")]
        input: PathBuf,
        #[arg(long, value_name = "OUT.csv")]
        output: PathBuf,
    },
    /// Accuracy, macro-F1 and the per-label table on a labelled file.
    Evaluate {
        #[arg(long, value_name = "MODEL")]
        model: PathBuf,
        #[arg(long, value_name = "FILE.csv")]
        input: PathBuf,
    },
    /// Retrain the platform's model from its history (cases whose item a person chose or
    /// corrected) plus the shipped base data, save it as a new version and make it active.
    Retrain {
        /// Leave out the shipped base data.
        #[arg(long)]
        no_base: bool,
        /// Save the model without making it active.
        #[arg(long)]
        no_activate: bool,
        #[arg(long)]
        note: Option<String>,
    },
    /// The platform's saved models with their evaluation (the active one marked).
    Models,
    /// Make a saved model version the active one.
    Activate { version: i64 },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Import one year's calendar from a JSON file ({"year", "source", "holidays": [{"date", "name"}], "workdays": [...]}).
    Import { file: PathBuf },
    /// Show a year's working calendar, month by month, and its JSON.
    Show { year: i32 },
}

#[derive(Subcommand)]
enum CatalogueCommand {
    /// Save FILE (CSV with a header row, or JSON: an array of items) as the next version.
    Import {
        file: PathBuf,
        /// Why this version (kept with it).
        #[arg(long)]
        note: Option<String>,
    },
    /// Write a version (default: the latest) as CSV or JSON to stdout or --output.
    Export {
        #[arg(long, default_value = "csv")]
        format: String,
        #[arg(long)]
        version: Option<i64>,
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Print the tree of a version (default: the latest).
    Show {
        #[arg(long)]
        version: Option<i64>,
    },
    /// List the saved versions.
    Versions,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user.
    Add {
        login: String,
        /// Display name, e.g. 张三.
        #[arg(long)]
        name: String,
        /// operator, dispatcher, unit_handler, unit_leader, grid_worker, supervisor, leader, admin.
        #[arg(long)]
        role: String,
        /// The unit's code (e.g. HK-12345 for the centre, 460106 for 龙华区).
        #[arg(long, value_name = "UNIT_CODE")]
        unit: Option<String>,
        /// The password (at least 8 characters); read from MINSHENG_PASSWORD if omitted.
        #[arg(long)]
        password: Option<String>,
    },
    /// Set a new password for a user.
    Passwd {
        login: String,
        /// The new password; read from MINSHENG_PASSWORD if omitted.
        #[arg(long)]
        password: Option<String>,
    },
    /// List users.
    List,
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create a key and print it (it is shown only this once).
    Create {
        /// What the key is for, e.g. "open311-app".
        name: String,
        /// The role the integration acts in (default operator: it takes cases in).
        #[arg(long, default_value = "operator")]
        role: String,
        /// The unit's code the integration acts for (default: the centre, if it exists).
        #[arg(long, value_name = "UNIT_CODE")]
        unit: Option<String>,
    },
    /// List keys (never their secrets).
    List,
    /// Revoke a key by id.
    Revoke { id: i64 },
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    if std::env::var("MINSHENG_LOG_FORMAT").as_deref() == Ok("json") {
        tracing_subscriber::fmt().with_env_filter(filter).json().with_writer(std::io::stderr).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).compact().with_writer(std::io::stderr).init();
    }
}

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("错误 error: {msg}");
    std::process::exit(1);
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    init_logging();
    // The classifier's file commands need no database.
    if let Command::Classifier(c) = &cli.command
        && !matches!(c, ClassifierCommand::Retrain { .. } | ClassifierCommand::Models | ClassifierCommand::Activate { .. })
    {
        if let Err(e) = classifier(c) {
            fail(e);
        }
        return;
    }
    // Offline analyses need no database.
    if let Command::Hotspots { input, top, output } = &cli.command {
        match minsheng_cluster::run_hotspots_cli(input, *top, output) {
            Ok(n) => println!("{n} 个热点已写入 hotspots written to {}", output.display()),
            Err(e) => fail(format!("{e}")),
        }
        return;
    }
    let listen_flag = match &cli.command {
        Command::Serve { listen, .. } => listen.clone(),
        _ => None,
    };
    let cfg = config::load(cli.config.as_deref(), cli.database.clone(), listen_flag).unwrap_or_else(|e| fail(e));
    let store = minsheng_store::open(&cfg.database_url).await.unwrap_or_else(|e| fail(format!("{e} ({})", cfg.database_url)));
    store.migrate().await.unwrap_or_else(|e| fail(format!("migration failed: {e}")));
    let mut settings = App::load_settings(&store).await.unwrap_or_else(|e| fail(e));
    if let Some(prefix) = &cfg.number_prefix {
        settings.number_prefix = prefix.clone();
    }
    settings.public_url = cfg.public_url.clone().unwrap_or_else(|| format!("http://{}", cfg.listen));
    settings.sms = cfg.sms.clone();
    let app = App::new(store.clone(), Arc::new(SystemClock), settings)
        .with_blob_store(Arc::new(minsheng_app::attachments::LocalBlobStore::new(&cfg.attachments_dir)));
    if let Err(e) = app.reload_catalogue().await {
        tracing::warn!(error = %e.message_en, "catalogue load failed");
    }
    if let Err(e) = app.reload_escalation().await {
        tracing::warn!(error = %e.message_en, "escalation rules load failed");
    }
    if let Err(e) = app.reload_calendar().await {
        fail(format!("{} / {}", e.message_zh, e.message_en));
    }
    let result = match cli.command {
        Command::Serve { demo, web, .. } => {
            let web = web.or_else(|| std::env::var_os("MINSHENG_WEB").map(PathBuf::from)).unwrap_or_else(|| PathBuf::from("web/dist"));
            serve(app, &cfg, demo, web).await
        }
        Command::Migrate => {
            println!("数据库已是最新 / database migrated: {}", cfg.database_url);
            Ok(())
        }
        Command::Demo => load_demo(&app).await.map(|s| print_demo(&s)),
        Command::User(c) => user(&app, c).await,
        Command::Apikey(c) => apikey(&app, c).await,
        Command::Import { file, unit, batch } => import(&app, &file, unit, batch).await,
        Command::Calendar(c) => calendar(&app, c).await,
        Command::Catalogue(c) => catalogue(&app, c).await,
        Command::Classifier(c) => platform_classifier(&app, c).await,
        Command::Hotspots { .. } => Ok(()),
        Command::Deadline { start, working_days, working_hours, hours } => deadline(&app, &start, working_days, working_hours, hours).await,
    };
    if let Err(e) = result {
        fail(e);
    }
    // Done: do not wait for background work still running (a first classifier being trained is
    // simply trained again at the next start).
    std::process::exit(0);
}

async fn catalogue(app: &App, c: CatalogueCommand) -> Result<(), String> {
    use minsheng_app::catalogue::{catalogue_from_csv, catalogue_to_csv};
    let err = |e: minsheng_domain::DomainError| format!("{} / {}", e.message_zh, e.message_en);
    match c {
        CatalogueCommand::Import { file, note } => {
            let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let json = file.extension().is_some_and(|x| x.eq_ignore_ascii_case("json"));
            let items = if json {
                serde_json::from_str(&text).map_err(|e| format!("{}: not a JSON array of items: {e}", file.display()))?
            } else {
                catalogue_from_csv(&text).map_err(err)?
            };
            let saved = app.save_catalogue(&cli_actor(), items, note.as_deref()).await.map_err(err)?;
            println!(
                "职责清单第 {} 版已保存 saved version {}: {} 项 items; 新增 added {}, 删除 removed {}, 修改 changed {}",
                saved.version,
                saved.version,
                saved.items,
                saved.diff.added.len(),
                saved.diff.removed.len(),
                saved.diff.changed.len()
            );
        }
        CatalogueCommand::Export { format, version, output } => {
            let cat = app.catalogue_version(version).await.map_err(err)?;
            let bytes = match format.as_str() {
                "csv" => catalogue_to_csv(&cat).map_err(err)?,
                "json" => serde_json::to_vec_pretty(&cat.items).map_err(|e| e.to_string())?,
                other => return Err(format!("unknown format {other} (csv, json)")),
            };
            match output {
                Some(path) => std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?,
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&bytes).map_err(|e| e.to_string())?;
                }
            }
        }
        CatalogueCommand::Show { version } => {
            let cat = app.catalogue_version(version).await.map_err(err)?;
            println!(
                "职责清单第 {} 版 version {} — {} 项 items, {} 个可派单事项 routable",
                cat.version,
                cat.version,
                cat.items.len(),
                cat.leaves().len()
            );
            for item in &cat.items {
                let depth = cat.level(&item.code).saturating_sub(1);
                let owner = match (&item.department_type, item.territorial) {
                    (Some(d), _) => format!(" [{d}·{}]", item.handling_level.label_zh()),
                    (None, true) => format!(" [属地·{}]", item.handling_level.label_zh()),
                    _ => String::new(),
                };
                println!("{}{} {}{}", "  ".repeat(depth), item.code, item.name, owner);
            }
        }
        CatalogueCommand::Versions => {
            for v in app.catalogue_versions().await.map_err(err)? {
                println!("{}\t{}\t{} 项\t{}", v.version, minsheng_domain::format_time(v.created_at), v.items, v.note.unwrap_or_default());
            }
        }
    }
    Ok(())
}

fn cli_actor() -> Actor {
    Actor { user_id: None, name: "命令行".into(), role: Role::System, unit: None }
}

async fn load_demo(app: &App) -> Result<minsheng_app::demo::DemoSummary, String> {
    let hash = minsheng_app::auth::hash_password(minsheng_app::demo::DEMO_PASSWORD).map_err(|e| e.message_en)?;
    minsheng_app::demo::load(app.store.as_ref(), &hash, app.clock.now()).await.map_err(|e| e.to_string())
}

fn print_demo(s: &minsheng_app::demo::DemoSummary) {
    println!(
        "演示城市 demo city 海口市: {} 个单位新建 units created, {} 个已存在 existing; {} 个用户新建 users created",
        s.units_created, s.units_existing, s.users_created
    );
    for (kind, n) in &s.units_by_kind {
        println!("  {kind}: {n}");
    }
}

async fn serve(app: App, cfg: &config::Config, demo: bool, web: PathBuf) -> Result<(), String> {
    // Loading is idempotent, so an already loaded city still yields the logins to print.
    let demo_summary = if demo { Some(load_demo(&app).await?) } else { None };
    let listener = tokio::net::TcpListener::bind(&cfg.listen).await.map_err(|e| format!("cannot listen on {}: {e}", cfg.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!();
    println!("民生 minsheng 已启动 / started");
    println!("  地址 address:   http://{addr}");
    println!("  接口 API docs:  http://{addr}/api/docs");
    println!("  数据库 database: {}", cfg.database_url);
    if let Some(s) = &demo_summary {
        println!("  演示账号 demo logins (密码 password: {}):", minsheng_app::demo::DEMO_PASSWORD);
        for l in &s.logins {
            println!("    {:<16} {:<8} {:<8} {}", l.login, l.name, l.role, l.unit_name.clone().unwrap_or_default());
        }
    }
    println!();
    tracing::info!(%addr, engine = ?app.store.engine(), "listening");
    spawn_watcher(app.clone());
    if let Some(sms) = minsheng_app::sms::SmsGatewayTransport::from_settings(&app.settings.sms) {
        spawn_delivery(app.clone(), Arc::new(sms));
    }
    let mail_listener = spawn_mail(app.clone(), &cfg.mail).await?;
    // 微信公众号: checked before serving, so a bad key or token stops the start with a message.
    let wechat = cfg.wechat.as_ref().map(|w| wechat_channel(&app, w)).transpose()?;
    spawn_search_follower(app.clone(), &cfg.search_dir)?;
    // A new installation trains its first classifier from the shipped base data, in the
    // background (about 20 s); until then cases go to the dispatchers unclassified.
    if std::env::var("MINSHENG_CLASSIFIER_BOOTSTRAP").map_or(true, |v| v != "0") {
        let app = app.clone();
        tokio::spawn(async move {
            match app.bootstrap_classifier().await {
                Ok(Some(v)) => tracing::info!(version = v, "first classifier model trained from the base data"),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e.message_en, "could not train the first classifier model"),
            }
        });
    }
    let has_web = web.join("index.html").is_file();
    if !has_web {
        tracing::warn!(dir = %web.display(), "no built web application there; serving the API only (build it with: cd web && npm ci && npm run build)");
    }
    let mut router = minsheng_api::router_with_web(app, Some(web));
    if let Some(channel) = wechat {
        router = router.layer(axum::Extension(channel));
    }
    axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!("stopped: in-flight requests finished");
    // The SMTP listener stops on the same signal; let it finish the mail it is taking in.
    if let Some(listener) = mail_listener {
        let _ = listener.await;
    }
    Ok(())
}

/// Opens this node's search index and keeps it current: every second it reads the cases changed
/// since its checkpoint (a new or reset index is rebuilt first, while the server already answers).
fn spawn_search_follower(app: App, dir: &std::path::Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let index = minsheng_search::CaseIndex::open(dir, &minsheng_search::IndexOptions::default())
        .map_err(|e| format!("search index {}: {e}", dir.display()))?;
    app.attach_search(index);
    tokio::spawn(async move {
        loop {
            match app.sync_search().await {
                Ok(r) if r.rebuilt => tracing::info!(cases = r.read, "search index rebuilt from the database"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e.message_en, "search index follow-up failed"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    });
    Ok(())
}

/// The WeChat official account's callback channel and, with an AppSecret and a template id, the
/// delivery of template messages (模板消息) every second.
fn wechat_channel(
    app: &App,
    settings: &minsheng_api::routes::wechat::WechatSettings,
) -> Result<Arc<minsheng_api::routes::wechat::WechatChannel>, String> {
    use minsheng_api::routes::wechat::{PATH, WechatChannel, WechatTemplateTransport};
    let channel = WechatChannel::new(settings.clone()).map_err(|e| format!("[wechat] {e}"))?;
    if settings.sends_templates() {
        let transport = WechatTemplateTransport::new(settings, app.clock.clone()).map_err(|e| format!("[wechat] {e}"))?;
        spawn_delivery(app.clone(), Arc::new(transport));
    } else {
        tracing::warn!("wechat: no app_secret or template_id, so template messages wait in the outbox");
    }
    tracing::info!(path = PATH, app_id = %settings.app_id, "wechat callback mounted");
    Ok(Arc::new(channel))
}

/// Delivers one channel's notices (SMS, e-mail, WeChat): a round when this node writes notices,
/// and every second for those of other nodes and retries; up to 200 a round, 16 in flight; a full
/// round goes on at once.
fn spawn_delivery(app: App, transport: Arc<dyn minsheng_app::outbox::Transport>) {
    tokio::spawn(async move {
        let mut written = app.outbox_written.subscribe();
        loop {
            match app.deliver_round(transport.as_ref(), 200, 16).await {
                Ok(r) if r.total() >= 200 => continue,
                Ok(r) if r.failed > 0 => tracing::warn!(channel = transport.channel(), failed = r.failed, "notices given up"),
                Ok(_) => {}
                Err(e) => tracing::warn!(channel = transport.channel(), error = %e.message_en, "delivery round failed"),
            }
            // Notices this node writes wake the worker at once; the poll finds the others'.
            let _ = tokio::time::timeout(Duration::from_secs(1), written.changed()).await;
        }
    });
}

/// The e-mail channel (电子邮件): the SMTP listener when `smtp_listen` is set (it needs the hotline
/// address), and the delivery of e-mail notices when `smtp_relay` is set.
async fn spawn_mail(app: App, cfg: &config::MailConfig) -> Result<Option<tokio::task::JoinHandle<()>>, String> {
    if let Some(relay) = &cfg.smtp_relay {
        let from = match (&cfg.mail_from, cfg.hotline_addresses.first()) {
            (Some(f), _) => f.clone(),
            (None, Some(a)) => format!("12345热线 <{a}>"),
            (None, None) => return Err("smtp_relay needs mail_from or hotline_address (the sender of mail to citizens)".into()),
        };
        let relay_config = minsheng_mail::RelayConfig { url: relay.clone(), from, timeout: Duration::from_secs(30) };
        let transport = minsheng_mail::SmtpTransport::new(app.clone(), &relay_config).await?;
        spawn_delivery(app.clone(), Arc::new(transport));
        println!("  邮件发送 mail relay: {relay}");
    }
    let Some(listen) = &cfg.smtp_listen else { return Ok(None) };
    let Some(first) = cfg.hotline_addresses.first() else {
        return Err("smtp_listen needs hotline_address (the address mail is accepted for)".into());
    };
    let hostname = first.rsplit_once('@').map_or("localhost", |(_, d)| d).to_string();
    let config = minsheng_mail::ListenerConfig { addresses: cfg.hotline_addresses.clone(), hostname, ..Default::default() };
    let server =
        minsheng_mail::SmtpServer::bind(listen, app, config).await.map_err(|e| format!("cannot listen for mail on {listen}: {e}"))?;
    let addr = server.local_addr().map_err(|e| e.to_string())?;
    println!("  邮件接收 SMTP:   {addr} ({})", cfg.hotline_addresses.join(", "));
    tracing::info!(%addr, "smtp listener started");
    Ok(Some(tokio::spawn(async move {
        if let Err(e) = server.run(shutdown_signal()).await {
            tracing::error!(error = %e, "smtp listener failed");
        }
    })))
}

/// The clock watcher: raises due warnings every few seconds (MINSHENG_WATCH_INTERVAL_MS, default
/// 5000) and reloads the working calendar each minute so every node counts on the same one.
fn spawn_watcher(app: App) {
    let interval = std::env::var("MINSHENG_WATCH_INTERVAL_MS").ok().and_then(|v| v.parse::<u64>().ok()).unwrap_or(5000).max(10);
    tokio::spawn(async move {
        let mut last_reload = std::time::Instant::now();
        loop {
            match app.fire_due_warnings(500).await {
                // A full batch: more may be waiting, go on at once.
                Ok(r) if r.fired + r.lost >= 500 => continue,
                Ok(r) if r.fired > 0 => tracing::info!(fired = r.fired, lost = r.lost, "warnings raised"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e.message_en, "clock watcher step failed"),
            }
            // In-app notices are delivered by being listed; other channels have their own workers.
            if let Err(e) = app.deliver_in_app(500).await {
                tracing::warn!(error = %e.message_en, "in-app delivery failed");
            }
            if last_reload.elapsed() > Duration::from_secs(60) {
                if let Err(e) = app.weekly_digest_if_due().await {
                    tracing::warn!(error = %e.message_en, "weekly digest failed");
                }
                if let Err(e) = app.reload_catalogue().await {
                    tracing::warn!(error = %e.message_en, "catalogue reload failed");
                }
                if let Err(e) = app.reload_escalation().await {
                    tracing::warn!(error = %e.message_en, "escalation rules reload failed");
                }
                if let Err(e) = app.reload_calendar().await {
                    tracing::warn!(error = %e.message_en, "calendar reload failed");
                }
                last_reload = std::time::Instant::now();
            }
            tokio::time::sleep(Duration::from_millis(interval)).await;
        }
    });
}

/// Resolves on Ctrl-C or SIGTERM; axum then stops accepting and lets in-flight requests finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing in-flight requests");
}

fn classifier(c: &ClassifierCommand) -> Result<(), String> {
    use minsheng_classify as mc;
    match c {
        ClassifierCommand::Train { inputs, output } => {
            let mut examples = Vec::new();
            for input in inputs {
                examples.extend(mc::read_labelled_csv(input).map_err(|e| e.to_string())?);
            }
            let examples = mc::dedup_exact(examples);
            let started = std::time::Instant::now();
            let model = mc::train(&examples, &mc::TrainOptions::default()).map_err(|e| e.to_string())?;
            model.save(output).map_err(|e| e.to_string())?;
            println!(
                "已训练 trained on {} messages, {} labels in {:.1} s → {}",
                examples.len(),
                model.labels().len(),
                started.elapsed().as_secs_f64(),
                output.display()
            );
        }
        ClassifierCommand::Predict { model, input, output } => {
            let model = mc::Model::load(model).map_err(|e| e.to_string())?;
            let n = mc::predict_csv(&model, input, output).map_err(|e| e.to_string())?;
            println!("已预测 predicted {n} rows → {}", output.display());
        }
        ClassifierCommand::Evaluate { model, input } => {
            let model = mc::Model::load(model).map_err(|e| e.to_string())?;
            let examples = mc::read_labelled_csv(input).map_err(|e| e.to_string())?;
            print!("{}", mc::evaluate(&model, &examples));
        }
        ClassifierCommand::Retrain { .. } | ClassifierCommand::Models | ClassifierCommand::Activate { .. } => {}
    }
    Ok(())
}

/// The classifier commands that work on the platform's database.
async fn platform_classifier(app: &App, c: ClassifierCommand) -> Result<(), String> {
    let err = |e: minsheng_domain::DomainError| format!("{} / {}", e.message_zh, e.message_en);
    match c {
        ClassifierCommand::Retrain { no_base, no_activate, note } => {
            let options = minsheng_app::classifier::RetrainOptions {
                include_base: no_base.then_some(false),
                activate: !no_activate,
                note: note.or_else(|| Some("命令行重新训练".into())),
                train: None,
            };
            let r = app.retrain(&cli_actor(), options).await.map_err(err)?;
            println!(
                "已训练模型 v{} trained: {} cases from the history + {} base messages, {} labels, {:.1} s; macro-F1 {} (cross-validated){}",
                r.model.version,
                r.history_examples,
                r.base_examples,
                r.model.labels,
                r.seconds,
                r.model.evaluation["macro_f1"].as_f64().map_or("-".into(), |f| format!("{f:.4}")),
                if r.model.active { "; active" } else { "" }
            );
        }
        ClassifierCommand::Models => print_models(&app.models().await.map_err(err)?),
        ClassifierCommand::Activate { version } => {
            app.activate_model(&cli_actor(), version).await.map_err(err)?;
            print_models(&app.models().await.map_err(err)?);
        }
        _ => {}
    }
    Ok(())
}

fn print_models(models: &[minsheng_store::ModelInfo]) {
    println!("{:<8} {:<20} {:>8} {:>7} {:>9} {:>9}  note", "version", "created", "examples", "labels", "accuracy", "macro-F1");
    for m in models {
        let f = |k: &str| m.evaluation[k].as_f64().map_or("-".into(), |v| format!("{v:.4}"));
        println!(
            "{:<8} {:<20} {:>8} {:>7} {:>9} {:>9}  {}{}",
            format!("v{}", m.version),
            minsheng_domain::format_time(m.created_at).chars().take(19).collect::<String>(),
            m.examples,
            m.labels,
            f("accuracy"),
            f("macro_f1"),
            if m.active { "[active] " } else { "" },
            m.note.clone().unwrap_or_default()
        );
    }
}

async fn calendar(app: &App, c: CalendarCommand) -> Result<(), String> {
    let err = |e: minsheng_domain::DomainError| format!("{} / {}", e.message_zh, e.message_en);
    match c {
        CalendarCommand::Import { file } => {
            let json = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let year = app.import_calendar_year(&cli_actor(), &json).await.map_err(err)?;
            println!("已导入 {year} 年工作日历 / calendar {year} imported");
        }
        CalendarCommand::Show { year } => {
            let cal = app.working_calendar().await.map_err(err)?;
            print!("{}", minsheng_calendar::cli::show_year(&cal, year));
        }
    }
    Ok(())
}

async fn deadline(app: &App, start: &str, days: Option<u32>, working_hours: Option<u32>, hours: Option<u32>) -> Result<(), String> {
    use minsheng_calendar::Limit;
    let limit = match (days, working_hours, hours) {
        (Some(days), _, _) => Limit::WorkingDays { days },
        (_, Some(hours), _) => Limit::WorkingHours { hours },
        (_, _, Some(h)) => Limit::WallClock { minutes: h.saturating_mul(60) },
        _ => return Err("give one of --working-days N, --working-hours N, --hours N".into()),
    };
    let cal = app.working_calendar().await.map_err(|e| format!("{} / {}", e.message_zh, e.message_en))?;
    let out = minsheng_calendar::cli::deadline_details(start, limit, &cal, &minsheng_calendar::DeadlineConventions::default())
        .map_err(|e| e.to_string())?;
    for w in &out.warnings {
        eprintln!("警告 warning: {w}");
    }
    println!("{}", out.due);
    Ok(())
}

fn password_arg(p: Option<String>) -> Result<String, String> {
    p.or_else(|| std::env::var("MINSHENG_PASSWORD").ok()).ok_or_else(|| "give --password or set MINSHENG_PASSWORD".to_string())
}

async fn unit_id_by_code(store: &Arc<dyn Store>, code: &str) -> Result<i64, String> {
    store.unit_by_code(code).await.map_err(|e| e.to_string())?.map(|u| u.id).ok_or_else(|| format!("no unit with code {code}"))
}

async fn user(app: &App, c: UserCommand) -> Result<(), String> {
    match c {
        UserCommand::Add { login, name, role, unit, password } => {
            let role = Role::parse(&role).ok_or_else(|| format!("unknown role {role}"))?;
            let unit_id = match unit {
                Some(code) => Some(unit_id_by_code(&app.store, &code).await?),
                None => None,
            };
            let user = app
                .add_user(&cli_actor(), &login, &name, role, unit_id, &password_arg(password)?)
                .await
                .map_err(|e| format!("{} / {}", e.message_zh, e.message_en))?;
            println!("已添加用户 user added: {} (id {})", user.login, user.id);
        }
        UserCommand::Passwd { login, password } => {
            app.reset_password(&cli_actor(), &login, &password_arg(password)?)
                .await
                .map_err(|e| format!("{} / {}", e.message_zh, e.message_en))?;
            println!("密码已重置 password reset: {login}");
        }
        UserCommand::List => {
            let units = app.store.list_units().await.map_err(|e| e.to_string())?;
            for u in app.store.list_users().await.map_err(|e| e.to_string())? {
                let unit = u.unit_id.and_then(|id| units.iter().find(|x| x.id == id)).map(|x| x.name.as_str()).unwrap_or("-");
                println!(
                    "{:>4}  {:<16} {:<8} {:<10} {}{}",
                    u.id,
                    u.login,
                    u.name,
                    u.role.label_zh(),
                    unit,
                    if u.active { "" } else { "  (停用)" }
                );
            }
        }
    }
    Ok(())
}

async fn apikey(app: &App, c: ApiKeyCommand) -> Result<(), String> {
    let actor = cli_actor();
    let err = |e: minsheng_domain::DomainError| format!("{} / {}", e.message_zh, e.message_en);
    match c {
        ApiKeyCommand::Create { name, role, unit } => {
            let role = Role::parse(&role).ok_or_else(|| format!("unknown role {role}"))?;
            let unit_id = match unit {
                Some(code) => Some(unit_id_by_code(&app.store, &code).await?),
                None => app.store.unit_by_code(minsheng_app::demo::CENTRE_CODE).await.map_err(|e| e.to_string())?.map(|u| u.id),
            };
            let created = app.create_api_key(&actor, &name, role, unit_id).await.map_err(err)?;
            println!("{}", created.key);
            eprintln!(
                "接口密钥已创建（仅显示这一次） API key created (shown only this once): id {}, name {}",
                created.record.id, created.record.name
            );
        }
        ApiKeyCommand::List => {
            for k in app.list_api_keys(&actor).await.map_err(err)? {
                let state = if k.revoked_at.is_some() { "已吊销 revoked" } else { "有效 live" };
                println!("{:>4}  msk_{}_…  {:<20} {:<10} {}", k.id, k.prefix, k.name, k.role.as_str(), state);
            }
        }
        ApiKeyCommand::Revoke { id } => {
            app.revoke_api_key(&actor, id).await.map_err(err)?;
            println!("已吊销 revoked: {id}");
        }
    }
    Ok(())
}

async fn import(app: &App, file: &std::path::Path, unit: Option<String>, batch: usize) -> Result<(), String> {
    use minsheng_app::import::{ImportOptions, count_csv_rows, read_cases_csv};
    let open = || std::fs::File::open(file).map_err(|e| format!("cannot open {}: {e}", file.display()));
    let total = count_csv_rows(std::io::BufReader::new(open()?)).map_err(|e| e.to_string())?;
    let lead_unit = match unit {
        Some(code) => Some(
            app.store.unit_by_code(&code).await.map_err(|e| e.to_string())?.ok_or_else(|| format!("no unit with code {code}"))?.as_ref(),
        ),
        None => None,
    };
    let options = ImportOptions { number_prefix: app.settings.number_prefix.clone(), lead_unit, ..ImportOptions::default() };
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {per_sec} ETA {eta} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let (mut imported, mut skipped) = (0u64, Vec::new());
    let mut pending = Vec::with_capacity(batch.max(1));
    for row in read_cases_csv(std::io::BufReader::new(open()?), &options) {
        match row {
            Ok(case) => pending.push(case),
            Err(e) => {
                skipped.push(e);
                bar.inc(1);
            }
        }
        if pending.len() >= batch.max(1) {
            let n = pending.len() as u64;
            app.store.create_cases(std::mem::take(&mut pending)).await.map_err(|e| e.to_string())?;
            imported += n;
            bar.inc(n);
        }
    }
    if !pending.is_empty() {
        let n = pending.len() as u64;
        app.store.create_cases(pending).await.map_err(|e| e.to_string())?;
        imported += n;
        bar.inc(n);
    }
    bar.finish_with_message("完成 done");
    println!("已导入 imported: {imported}; 跳过 skipped: {}", skipped.len());
    for e in skipped.iter().take(20) {
        println!("  {e}");
    }
    if skipped.len() > 20 {
        println!("  … {} more", skipped.len() - 20);
    }
    Ok(())
}
