//! Configuration: defaults < file < environment (`PUBDATA_*`) < command line. Unknown keys are
//! refused wherever they come from; secrets never appear in what is printed.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use pubdata_domain::client_app::{CallLimits, LimitOverrides, SharingKey};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: String,
    /// Where the embedded SQLite database (and future files) live.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// PostgreSQL schema (created if missing); default `public`.
    pub database_schema: Option<String>,
    pub database_max_connections: u32,
    /// `text` or `json`.
    pub log_format: String,
    /// A tracing filter, e.g. `info` or `pubdata_web=debug,info`; `RUST_LOG` overrides it.
    pub log_level: String,
    /// Lifetime of a web login, in hours.
    pub session_hours: i64,
    /// Lifetime of a token from `POST /api/v1/auth/login`, in hours.
    pub api_session_hours: i64,
    /// Mark cookies Secure: set when users reach pubdata over HTTPS.
    pub cookie_secure: bool,
    pub registration_open: bool,
    /// Trust `X-Forwarded-For` (only behind a reverse proxy that sets it).
    pub trust_proxy: bool,
    /// The authority's name when the database is first created.
    pub authority_name: String,
    /// The most audit entries written in one group commit.
    pub audit_batch_max: usize,
    /// The SM4 key (32 hex characters) sealing client applications' secrets. Required with
    /// PostgreSQL, where every instance must hold the same one; with SQLite, absent means a key
    /// file created once in `data_dir`.
    pub sharing_key: Option<SecretText>,
    /// Calls a second a client application may make through the sharing channel, on each
    /// instance, unless the authority set its own.
    pub gateway_rate_per_second: u32,
    /// Calls a district day a client application may make, unless the authority set its own.
    pub gateway_daily_quota: u64,
    /// Working days a provider has to review a request for restricted data (Art.14), 1 to 30.
    pub sharing_review_working_days: i64,
    /// Months between re-evaluations of a published resource's share attribute (Art.14), 1 to 60.
    pub share_review_months: u32,
    /// Where bulk exports' files are written (default `<data_dir>/exports`). With several
    /// instances on PostgreSQL this must be one directory they all share.
    pub export_dir: Option<PathBuf>,
    /// How long a ready export's file may be downloaded, in hours (1 to 720).
    pub export_expiry_hours: i64,
}

/// A secret from the configuration: passed through as given, shown as `***`.
#[derive(Clone, Deserialize, Serialize)]
#[serde(transparent)]
pub struct SecretText(pub String);

impl std::fmt::Debug for SecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./pubdata-data"),
            database_url: None,
            database_schema: None,
            database_max_connections: 16,
            log_format: "text".into(),
            log_level: "info".into(),
            session_hours: 12,
            api_session_hours: 12,
            cookie_secure: false,
            registration_open: true,
            trust_proxy: false,
            authority_name: pubdata_store::bootstrap::DEFAULT_AUTHORITY_NAME.into(),
            audit_batch_max: 512,
            sharing_key: None,
            gateway_rate_per_second: CallLimits::default().rate_per_second,
            gateway_daily_quota: CallLimits::default().daily_quota,
            sharing_review_working_days: pubdata_domain::sharing::DEFAULT_REVIEW_WORKING_DAYS,
            share_review_months: pubdata_domain::sharing::DEFAULT_SHARE_REVIEW_MONTHS,
            export_dir: None,
            export_expiry_hours: pubdata_domain::sharing_export::DEFAULT_EXPIRY_HOURS,
        }
    }
}

/// Values given on the command line; only those present override.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

impl Config {
    /// Layers the sources. The file is `--config FILE`, else `PUBDATA_CONFIG`, else
    /// `./pubdata.toml` if it exists.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Config, String> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        let file = file.map(Path::to_path_buf).or_else(|| std::env::var_os("PUBDATA_CONFIG").map(PathBuf::from));
        match file {
            Some(f) if !f.exists() => return Err(format!("配置文件不存在 / config file not found: {}", f.display())),
            Some(f) => figment = figment.merge(Toml::file_exact(f)),
            None if Path::new("pubdata.toml").exists() => figment = figment.merge(Toml::file_exact("pubdata.toml")),
            None => {}
        }
        // PUBDATA_TEST_* belong to the test suite and PUBDATA_CONFIG names the file.
        let env = Env::prefixed("PUBDATA_").filter(|k| {
            let k = k.as_str().to_ascii_lowercase();
            !k.starts_with("test_") && k != "config"
        });
        figment = figment.merge(env).merge(Serialized::defaults(overrides));
        let config = figment.extract::<Config>().map_err(|e| format!("配置有误 / invalid configuration: {e}"))?;
        config.check()?;
        Ok(config)
    }

    /// Refuses values outside their range, naming the key.
    fn check(&self) -> Result<(), String> {
        if !(1..=30).contains(&self.sharing_review_working_days) {
            return Err(format!(
                "配置有误：sharing_review_working_days 须为 1 至 30 个工作日，当前为 {} / invalid configuration: \
                 sharing_review_working_days must be 1 to 30 working days, not {}",
                self.sharing_review_working_days, self.sharing_review_working_days
            ));
        }
        if !(1..=60).contains(&self.share_review_months) {
            return Err(format!(
                "配置有误：share_review_months 须为 1 至 60 个月，当前为 {} / invalid configuration: \
                 share_review_months must be 1 to 60 months, not {}",
                self.share_review_months, self.share_review_months
            ));
        }
        self.gateway_limits()?;
        Ok(())
    }

    /// The sharing workflow's settings (Art.14).
    pub fn sharing(&self) -> pubdata_store::sharing::SharingSettings {
        pubdata_store::sharing::SharingSettings {
            review_working_days: self.sharing_review_working_days,
            share_review_months: self.share_review_months,
        }
    }

    pub fn store_options(&self) -> pubdata_store::StoreOptions {
        let mut options = match &self.database_url {
            Some(url) => pubdata_store::StoreOptions::new(url.clone()),
            None => pubdata_store::StoreOptions::sqlite_file(&self.data_dir.join("pubdata.db")),
        };
        options.schema = self.database_schema.clone();
        options.max_connections = self.database_max_connections;
        options.audit_batch_max = self.audit_batch_max;
        options
    }

    /// The configuration as it may be printed: the database password replaced.
    pub fn redacted(&self) -> Config {
        Config {
            database_url: self.database_url.as_deref().map(pubdata_store::redact_url),
            sharing_key: self.sharing_key.as_ref().map(|_| SecretText("***".into())),
            ..self.clone()
        }
    }

    /// The sharing channel's default rate and daily quota, checked.
    pub fn gateway_limits(&self) -> Result<CallLimits, String> {
        let limits = LimitOverrides {
            rate_per_second: Some(self.gateway_rate_per_second),
            daily_quota: Some(self.gateway_daily_quota),
        };
        limits.check().map_err(|e| match e {
            pubdata_domain::Error::Invalid { field, message } => {
                format!("配置有误 / invalid configuration: gateway_{field}: {} / {}", message.zh, message.en)
            }
            other => format!("配置有误 / invalid configuration: {other}"),
        })?;
        Ok(limits.effective(CallLimits::default()))
    }

    /// Where bulk exports go and how long they stay downloadable.
    pub fn export_settings(&self) -> pubdata_store::sharing_export::ExportSettings {
        let dir = self.export_dir.clone().unwrap_or_else(|| self.data_dir.join("exports"));
        let mut settings = pubdata_store::sharing_export::ExportSettings::new(dir);
        settings.expiry_hours = self.export_expiry_hours.clamp(1, pubdata_domain::sharing_export::MAX_EXPIRY_HOURS);
        settings
    }

    /// The platform key for client applications' secrets: configured, or (SQLite only) read
    /// from `data_dir/sharing.key`, which is created once with mode 0600.
    pub fn sharing_key(&self) -> Result<SharingKey, String> {
        if let Some(k) = &self.sharing_key {
            return SharingKey::from_hex(&k.0).map_err(|e| format!("PUBDATA_SHARING_KEY: {e}"));
        }
        if self.database_url.is_some() {
            return Err("使用 PostgreSQL 时须配置共享通道密钥 PUBDATA_SHARING_KEY（32 位十六进制，各实例相同）/ \
                 with PostgreSQL, set PUBDATA_SHARING_KEY (32 hex characters, the same on every instance)"
                .into());
        }
        let file = self.data_dir.join("sharing.key");
        match std::fs::read_to_string(&file) {
            Ok(text) => SharingKey::from_hex(&text).map_err(|e| format!("{}: {e}", file.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = SharingKey::generate();
                write_private(&file, &key.to_hex())
                    .map_err(|e| format!("无法创建密钥文件 / cannot create {}: {e}", file.display()))?;
                Ok(key)
            }
            Err(e) => Err(format!("无法读取密钥文件 / cannot read {}: {e}", file.display())),
        }
    }
}

/// Creates `file` readable and writable by its owner only, refusing to overwrite one.
fn write_private(file: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(file)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_beats_defaults_and_secrets_are_redacted() {
        let o = Overrides { database_url: Some("postgres://u:hunter2@h/db".into()), ..Overrides::default() };
        let c = Config::load(None, &o).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert!(!format!("{:?}", c.redacted()).contains("hunter2"));
    }

    #[test]
    fn art_15_the_sharing_key_is_never_printed_and_its_file_is_private() {
        let o = Overrides { database_url: Some("postgres://u@h/db".into()), ..Overrides::default() };
        let mut c = Config::load(None, &o).unwrap();
        assert!(c.sharing_key().is_err(), "required with PostgreSQL");
        c.sharing_key = Some(SecretText("00112233445566778899aabbccddeeff".into()));
        assert!(c.sharing_key().is_ok());
        assert!(!format!("{c:?}").contains("00112233"));
        assert!(!format!("{:?}", c.redacted()).contains("00112233"));
        let dir = tempfile::tempdir().unwrap();
        let c = Config { data_dir: dir.path().to_path_buf(), ..Config::default() };
        let first = c.sharing_key().unwrap();
        assert_eq!(c.sharing_key().unwrap(), first, "created once, then read");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("sharing.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn art_16_the_gateway_limits_are_configurable_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pubdata.toml");
        std::fs::write(&f, "gateway_rate_per_second = 200\ngateway_daily_quota = 5000\n").unwrap();
        let c = Config::load(Some(&f), &Overrides::default()).unwrap();
        assert_eq!(c.gateway_limits().unwrap(), CallLimits { rate_per_second: 200, daily_quota: 5000 });
        let c = Config { gateway_rate_per_second: 0, ..Config::default() };
        let e = c.gateway_limits().unwrap_err();
        assert!(e.contains("gateway_rate_per_second") && e.contains("每秒调用次数"), "{e}");
    }

    #[test]
    fn art_14_review_deadline_is_configurable() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pubdata.toml");
        let c = Config::default();
        assert_eq!(c.sharing().review_working_days, 5, "five working days unless configured");
        assert_eq!(c.sharing().share_review_months, 12, "a yearly re-evaluation unless configured");
        std::fs::write(&f, "sharing_review_working_days = 10\nshare_review_months = 6\n").unwrap();
        let c = Config::load(Some(&f), &Overrides::default()).unwrap();
        assert_eq!((c.sharing().review_working_days, c.sharing().share_review_months), (10, 6));
        for (text, key) in [
            ("sharing_review_working_days = 0", "sharing_review_working_days"),
            ("sharing_review_working_days = 31", "sharing_review_working_days"),
            ("share_review_months = 0", "share_review_months"),
            ("share_review_months = 61", "share_review_months"),
        ] {
            std::fs::write(&f, text).unwrap();
            let e = Config::load(Some(&f), &Overrides::default()).unwrap_err();
            assert!(e.contains(key) && e.contains("配置有误") && e.contains("invalid configuration"), "{e}");
        }
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("pubdata.toml");
        std::fs::write(&f, "listen = \"0.0.0.0:9000\"\nlisten_port = 9000\n").unwrap();
        let e = Config::load(Some(&f), &Overrides::default()).unwrap_err();
        assert!(e.contains("listen_port"), "{e}");
        std::fs::write(&f, "listen = \"0.0.0.0:9000\"\n").unwrap();
        assert_eq!(Config::load(Some(&f), &Overrides::default()).unwrap().listen, "0.0.0.0:9000");
    }
}
