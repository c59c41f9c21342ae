//! Configuration: a TOML file, then environment variables, then command-line flags, each
//! overriding the one before. The database URL picks the engine.

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub const DEFAULT_DATABASE: &str = "sqlite://./data/minsheng.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// `sqlite://PATH` or `postgres://user@host:port/db`.
    pub database_url: Option<String>,
    /// `HOST:PORT` to listen on.
    pub listen: Option<String>,
    /// The case-number prefix (城市代码), e.g. `HK`.
    pub number_prefix: Option<String>,
    /// Where this node keeps its search index (default: beside an SQLite database, else
    /// `./data/search`). One server process per directory.
    pub search_dir: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub listen: String,
    pub number_prefix: Option<String>,
    pub search_dir: PathBuf,
}

/// `x.db` → `x.search` beside it for SQLite; `./data/search` otherwise.
fn default_search_dir(database_url: &str) -> PathBuf {
    match database_url.strip_prefix("sqlite://") {
        Some(path) => Path::new(path).with_extension("search"),
        None => PathBuf::from("./data/search"),
    }
}

/// Reads `path` if given, else `./minsheng.toml` if present.
pub fn load(path: Option<&Path>, database_flag: Option<String>, listen_flag: Option<String>) -> Result<Config, String> {
    let default_path = PathBuf::from("minsheng.toml");
    let chosen = path.map(Path::to_path_buf).or_else(|| default_path.exists().then_some(default_path));
    let file: FileConfig = match &chosen {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            toml::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?
        }
        None => FileConfig::default(),
    };
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let database_url =
        database_flag.or_else(|| env("MINSHENG_DATABASE_URL")).or(file.database_url).unwrap_or_else(|| DEFAULT_DATABASE.into());
    let search_dir = env("MINSHENG_SEARCH_DIR").or(file.search_dir).map_or_else(|| default_search_dir(&database_url), PathBuf::from);
    Ok(Config {
        listen: listen_flag.or_else(|| env("MINSHENG_LISTEN")).or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.into()),
        number_prefix: env("MINSHENG_NUMBER_PREFIX").or(file.number_prefix),
        database_url,
        search_dir,
    })
}
