//! Flags and subcommands.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// bincio: activities platform and event check-in server.
#[derive(Parser, Debug)]
#[command(name = "bincio", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// How `bincio serve` writes its log lines.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Where the instance lives. Every command that touches the store takes it.
#[derive(Args, Debug, Clone)]
pub struct StoreArgs {
    /// Instance data directory (holds instance.db when on SQLite).
    #[arg(
        long,
        env = "BINCIO_DATA_DIR",
        default_value = "./bincio_data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Store URL: `sqlite:PATH` or `mongodb://host:port/db`
    /// [default: sqlite:<data-dir>/instance.db].
    #[arg(long, env = "BINCIO_STORE", global = true)]
    pub store: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Initialise an instance: admin account, settings, first invite (idempotent).
    Init(InitArgs),
    /// Extract GPX / TCX / FIT files into a BAS tree (or print one file's detail).
    Extract(crate::commands::extract::ExtractArgs),
    /// Run the HTTP server.
    Serve(Box<ServeArgs>),
    /// Manage accounts.
    Users {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        cmd: UsersCmd,
    },
    /// Write the static BAS tree (public items only) for any web server.
    Render(RenderArgs),
    /// Export the whole instance as a portable archive (`--out DIR`,
    /// docs/archive.md), or one activity to another format.
    #[command(args_conflicts_with_subcommands = true)]
    Export {
        #[command(flatten)]
        store: StoreArgs,
        /// Write the instance archive into this new directory (users with
        /// their password hashes, invites, settings, prefs, activities with
        /// originals and photos, event data, audit log): keep it private.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(subcommand)]
        cmd: Option<ExportCmd>,
    },
    /// Snapshot a live SQLite instance (database and key files) into one
    /// file, with SQLite's online backup API. For MongoDB use mongodump
    /// (docs/deploy.md) or `bincio export`.
    Backup(crate::commands::backup::BackupArgs),
    /// Restore a `bincio backup` file into a data directory.
    Restore(crate::commands::backup::RestoreArgs),
    /// Event check-in (CCIP / OPass): attendees, announcements, dashboard.
    Event {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        cmd: crate::commands::event::EventCommand,
    },
    /// Import activities from other tools.
    Import {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        cmd: ImportCmd,
    },
    /// Sync activities from outside sources: Strava, drop folders.
    Sync {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        cmd: SyncCmd,
    },
    /// Check an instance (store, schema, disk, key files, settings) and
    /// print what to fix; exit 1 when something needs fixing.
    Doctor(crate::commands::doctor::DoctorArgs),
    /// GET an http:// URL; exit 0 on a 2xx answer (container health checks).
    Probe(crate::commands::probe::ProbeArgs),
    /// Read or change instance settings.
    Settings {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        cmd: SettingsCmd,
    },
}

#[derive(Args, Debug)]
pub struct InitArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Admin handle.
    #[arg(long)]
    pub handle: String,
    /// Admin display name [default: the handle].
    #[arg(long)]
    pub display_name: Option<String>,
    /// Instance name.
    #[arg(long)]
    pub name: Option<String>,
    /// Maximum number of accounts (0 = unlimited).
    #[arg(long)]
    pub max_users: Option<u64>,
    /// Keep uploaded original files by default.
    #[arg(long)]
    pub store_originals: Option<bool>,
    /// Read the admin password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// Base URL used in the printed invite link.
    #[arg(long, env = "BINCIO_PUBLIC_URL")]
    pub public_url: Option<String>,
}

#[derive(Args, Debug)]
pub struct RenderArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Output directory (must not be the data directory).
    #[arg(long)]
    pub out: PathBuf,
    /// Render only this user.
    #[arg(long)]
    pub handle: Option<String>,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Read flags from this TOML file (keys: these flags' long names with _
    /// for -; `KEY_file = PATH` reads a value from a file). A flag or its
    /// environment variable wins over the file.
    #[arg(long, env = "BINCIO_CONFIG")]
    pub config: Option<PathBuf>,
    /// Print the effective settings (value and source of each) and exit.
    #[arg(long)]
    pub print_config: bool,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:4041")]
    pub bind: SocketAddr,
    /// Public base URL (links, OAuth redirects).
    #[arg(long, env = "BINCIO_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Trust X-Real-IP / X-Forwarded-For (only behind a reverse proxy).
    #[arg(long)]
    pub trusted_proxy: bool,
    /// Mark the session cookie Secure (HTTPS deployments).
    #[arg(long)]
    pub secure_cookies: bool,
    /// Serve the CCIP / OPass check-in routes for the event in this
    /// directory (holds event.toml).
    #[arg(long)]
    pub event: Option<PathBuf>,
    /// Keep a static BAS tree here, re-rendered in the background after
    /// every write (must not overlap the data directory).
    #[arg(long)]
    pub render_dir: Option<PathBuf>,
    /// Base URL of an open-elevation compatible DEM service
    /// (`POST {url}/api/v1/lookup`) for "recalculate elevation / DEM", e.g.
    /// https://api.open-elevation.com. Without it the DEM route answers 503.
    #[arg(long, env = "DEM_URL")]
    pub dem_url: Option<String>,
    /// Map tiles of the activity pages: a raster URL template with {z},
    /// {x}, {y} (and {s} for sub-domains). Empty = no tiles (the track is
    /// drawn alone). Browsers fetch the tiles directly from that host.
    #[arg(long, env = "BINCIO_TILE_URL", default_value = bincio_http::tiles::OSM_URL)]
    pub tile_url: String,
    /// The attribution shown under the map for those tiles.
    #[arg(long, env = "BINCIO_TILE_ATTRIBUTION", default_value = bincio_http::tiles::OSM_ATTRIBUTION)]
    pub tile_attribution: String,
    /// Seconds a connection may take to send a whole request head (from
    /// accept, or from its first byte after an idle pause).
    #[arg(long, env = "BINCIO_HEADER_READ_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout: u64,
    /// Seconds a kept-alive connection may stay idle between requests.
    #[arg(long, env = "BINCIO_IDLE_TIMEOUT", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,
    /// Seconds a request body may pause between chunks before the request
    /// fails with 408 (a pause, not a total: slow uploads that keep moving
    /// are fine).
    #[arg(long, env = "BINCIO_BODY_READ_TIMEOUT", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub body_read_timeout: u64,
    /// Most open connections; at the bound new ones wait to be accepted.
    #[arg(long, env = "BINCIO_MAX_CONNECTIONS", default_value_t = 1024,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: u64,
    /// Seconds between scans of every member's drop folder
    /// (`<data-dir>/drop/<handle>/` or the folder set with `bincio sync
    /// drop-folder`); 0 = no scheduled scans.
    #[arg(long, env = "BINCIO_DROP_INTERVAL", default_value_t = 0)]
    pub drop_interval: u64,
    /// Most open connections per client address (IPv6: per /64); more are
    /// closed at once. 0 = no bound. [default: 64; 0 with --trusted-proxy,
    /// where every connection comes from the proxy]
    #[arg(long, env = "BINCIO_MAX_CONNECTIONS_PER_CLIENT")]
    pub max_connections_per_client: Option<u64>,
    /// Seconds a shutdown (SIGTERM, Ctrl-C) waits for requests in flight
    /// before closing their connections.
    #[arg(long, env = "BINCIO_SHUTDOWN_GRACE", default_value_t = 30)]
    pub shutdown_grace: u64,
    /// Log lines as `text` (for a terminal or journald) or `json` (one
    /// object per line, with the request's `request_id`, for a log
    /// collector). Filter with BINCIO_LOG (default `info`).
    #[arg(long, env = "BINCIO_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Serve Prometheus metrics at /metrics to requests with this bearer
    /// token (unset: no /metrics). In bincio.toml prefer
    /// `metrics_token_file`.
    #[arg(long, env = "BINCIO_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    #[command(flatten)]
    pub strava: StravaArgs,
    /// Seconds between background Strava syncs of every connected member
    /// (in turn). 0 = no background sync.
    #[arg(long, env = "BINCIO_SYNC_INTERVAL", default_value_t = 0)]
    pub sync_interval: u64,
}

/// The Strava app and hosts (`bincio serve`, `bincio sync strava`).
#[derive(Args, Debug, Clone)]
pub struct StravaArgs {
    /// Client id of the instance's Strava app (members may bring their own).
    #[arg(long, env = "STRAVA_CLIENT_ID")]
    pub strava_client_id: Option<String>,
    /// Client secret of the instance's Strava app.
    #[arg(long, env = "STRAVA_CLIENT_SECRET", hide_env_values = true)]
    pub strava_client_secret: Option<String>,
    /// Strava's OAuth base URL.
    #[arg(long, env = "BINCIO_STRAVA_OAUTH_BASE", default_value = bincio_strava::OAUTH_BASE)]
    pub strava_oauth_base: String,
    /// Strava's API base URL (Strava moves it to https://api-v3.strava.com in 2027).
    #[arg(long, env = "BINCIO_STRAVA_API_BASE", default_value = bincio_strava::API_BASE)]
    pub strava_api_base: String,
}

impl ServeArgs {
    /// The connection bounds and timeouts these flags ask for.
    pub fn serve_config(&self) -> bincio_http::ServeConfig {
        use std::time::Duration;
        let per_client = self
            .max_connections_per_client
            .unwrap_or(if self.trusted_proxy { 0 } else { 64 });
        bincio_http::ServeConfig {
            header_read_timeout: Duration::from_secs(self.header_read_timeout),
            idle_timeout: Duration::from_secs(self.idle_timeout),
            body_read_timeout: Duration::from_secs(self.body_read_timeout),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            max_connections_per_client: usize::try_from(per_client).unwrap_or(usize::MAX),
            shutdown_grace: Duration::from_secs(self.shutdown_grace),
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum UsersCmd {
    /// List accounts.
    List,
    /// Create an account (password from prompt, --password-stdin or BINCIO_PASSWORD).
    Create {
        handle: String,
        #[arg(long)]
        display_name: Option<String>,
        /// Role: user, staff or admin.
        #[arg(long, default_value = "user")]
        role: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Mint an invite code for a user (admins: unlimited).
    Invite { handle: String },
    /// Issue a one-time 24 h password reset code for a user.
    ResetCode { handle: String },
    /// Make a user an admin (or a plain user again with --revoke).
    SetAdmin {
        handle: String,
        #[arg(long)]
        revoke: bool,
    },
    /// Set a user's role: user, staff or admin.
    SetRole { handle: String, role: String },
    /// Delete an account and its sessions, invites and prefs.
    Delete { handle: String },
}

#[derive(Subcommand, Debug)]
pub enum ExportCmd {
    /// One activity as GPX 1.1 (to --out, or standard output).
    Gpx {
        /// The owner.
        #[arg(long)]
        handle: String,
        /// Activity id.
        id: String,
        /// Output file.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportCmd {
    /// A Strava bulk export ZIP (titles and descriptions from activities.csv).
    StravaZip {
        /// The member who owns the activities.
        #[arg(long)]
        handle: String,
        /// Import as unlisted instead of public.
        #[arg(long)]
        private: bool,
        /// The export ZIP.
        file: PathBuf,
    },
    /// A Garmin Connect account export ZIP (original files from the nested
    /// ZIPs under DI_CONNECT/DI-Connect-Uploaded-Files, titles from the
    /// summarizedActivities JSON).
    GarminExport {
        /// The member who owns the activities.
        #[arg(long)]
        handle: String,
        /// Import as unlisted instead of public.
        #[arg(long)]
        private: bool,
        /// The export ZIP.
        file: PathBuf,
    },
    /// A `bincio export` instance archive, into an empty store (any
    /// backend): moves an instance between SQLite and MongoDB.
    Instance {
        /// The archive directory (holds manifest.json).
        #[arg(long)]
        from: PathBuf,
    },
    /// A BincioActivity (Python) instance: users, invites, settings, every
    /// user's activities with sidecar edits, photos and originals. The old
    /// directory is only read.
    Bincio {
        /// The old data directory (holds instance.db and one dir per user).
        #[arg(long)]
        from: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum SettingsCmd {
    /// List settings (and the known keys).
    List,
    /// Print one setting.
    Get { key: String },
    /// Set one setting (validated).
    Set { key: String, value: String },
}

#[derive(Subcommand, Debug)]
pub enum SyncCmd {
    /// Sync one member's Strava activities now (they must have connected
    /// Strava on the settings page).
    Strava {
        /// The member.
        #[arg(long)]
        handle: String,
        /// Public base URL (the OAuth redirect of the instance's app).
        #[arg(
            long,
            env = "BINCIO_PUBLIC_URL",
            default_value = "http://127.0.0.1:4041"
        )]
        public_url: String,
        #[command(flatten)]
        strava: StravaArgs,
    },
    /// Scan drop folders once: new or changed GPX / TCX / FIT (.gz) files
    /// are ingested (once, by content hash) and the outcomes recorded in
    /// the member's history.
    Drop {
        /// Only this member [default: every member].
        #[arg(long)]
        handle: Option<String>,
        /// A file untouched this many seconds is complete (younger files
        /// wait for a later scan).
        #[arg(long, default_value_t = bincio_core::sources::DEFAULT_SETTLE_S)]
        settle: i64,
    },
    /// Show a member's drop folder, or set it (an absolute path) or reset
    /// it to `<data-dir>/drop/<handle>/` with --default.
    DropFolder {
        /// The member.
        #[arg(long)]
        handle: String,
        /// The folder to scan for this member.
        #[arg(conflicts_with = "default")]
        path: Option<PathBuf>,
        /// Back to the default folder.
        #[arg(long)]
        default: bool,
    },
    /// A member's newest sync runs with their per-file outcomes.
    History {
        /// The member.
        #[arg(long)]
        handle: String,
        /// Most runs shown.
        #[arg(long, default_value_t = 10)]
        limit: usize,
    },
}
