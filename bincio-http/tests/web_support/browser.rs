//! A real browser for the page tests: headless Chromium from the
//! distribution's packages, driven over WebDriver by `chromedriver`, which
//! this harness starts on a free loopback port and stops when dropped.
//! Nothing is downloaded.
//!
//! Finding the browser: `BINCIO_TEST_BROWSER` (the Chromium binary; its
//! `chromedriver` is `BINCIO_TEST_CHROMEDRIVER` or on `PATH`), else
//! `chromium` / `chromium-browser` and `chromedriver` on `PATH`. When they
//! are missing the test **fails** saying how to install them, unless
//! `BINCIO_SKIP_BROWSER=1` asks to skip (a notice is printed) — the same
//! rule as MongoDB's.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const SKIP_VAR: &str = "BINCIO_SKIP_BROWSER";
const BROWSER_VAR: &str = "BINCIO_TEST_BROWSER";
const DRIVER_VAR: &str = "BINCIO_TEST_CHROMEDRIVER";

fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// A running chromedriver for one test.
pub struct Browser {
    driver: Child,
    port: u16,
    chromium: PathBuf,
    profiles: Vec<tempfile::TempDir>,
}

impl Browser {
    /// Start chromedriver; `None` when skipping was asked for.
    pub fn start(test: &str) -> Option<Self> {
        let chromium = std::env::var_os(BROWSER_VAR)
            .map(PathBuf::from)
            .or_else(|| on_path(&["chromium", "chromium-browser"]));
        let driver = std::env::var_os(DRIVER_VAR)
            .map(PathBuf::from)
            .or_else(|| on_path(&["chromedriver"]));
        let (Some(chromium), Some(driver)) = (chromium, driver) else {
            if std::env::var(SKIP_VAR).is_ok_and(|v| v == "1") {
                eprintln!("NOTICE: {test}: browser test NOT RUN ({SKIP_VAR}=1 and no chromium / chromedriver)");
                return None;
            }
            panic!(
                "{test}: headless Chromium and chromedriver are needed for the browser tests.\n\
                 Install them: apt-get update && apt-get install -y chromium chromium-driver\n\
                 (or set {BROWSER_VAR}=/path/to/chromium and put chromedriver on PATH;\n\
                 `bash scripts/test.sh` installs them; {SKIP_VAR}=1 skips these tests explicitly)"
            );
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", driver.display()));
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Self {
            driver: child,
            port,
            chromium,
            profiles: Vec::new(),
        })
    }

    /// A new browser with its own fresh profile (cookies, storage): a
    /// separate person.
    pub async fn person(&mut self) -> Client {
        self.person_with(true).await
    }

    /// A person whose browser runs no JavaScript at all (Chromium's own
    /// content setting), to prove the pages work without it.
    pub async fn person_without_js(&mut self) -> Client {
        self.person_with(false).await
    }

    async fn person_with(&mut self, javascript: bool) -> Client {
        let profile = tempfile::tempdir().expect("profile dir");
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--hide-scrollbars".to_owned(),
            "--window-size=1280,900".to_owned(),
            "--lang=en-US".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        self.profiles.push(profile);
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": self.chromium.display().to_string(),
                "args": args,
                "prefs": {
                    "intl.accept_languages": "en-US,en",
                    "profile.managed_default_content_settings.javascript": if javascript { 1 } else { 2 },
                },
            },
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a WebDriver session")
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Where screenshots go: `target/screenshots/` (kept out of git).
pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("..")
        .join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// Type `fields` into the form `form` (a CSS selector) and press its
/// submit button `button` (a CSS selector inside it).
pub async fn fill_and_submit(c: &Client, form: &str, fields: &[(&str, &str)], button: &str) {
    for (name, value) in fields {
        let el = c
            .find(Locator::Css(&format!("{form} [name=\"{name}\"]")))
            .await
            .unwrap_or_else(|e| panic!("field {name} of {form}: {e}"));
        el.clear().await.expect("clear");
        el.send_keys(value).await.expect("type");
    }
    c.find(Locator::Css(&format!("{form} {button}")))
        .await
        .unwrap_or_else(|e| panic!("button {button} of {form}: {e}"))
        .click()
        .await
        .expect("click");
}

/// The path (and query) the browser is on.
pub async fn path(c: &Client) -> String {
    let u = c.current_url().await.expect("url");
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_owned(),
    }
}

/// Wait (up to 10 s) until the browser is on `want` (path and query).
pub async fn wait_for_path(c: &Client, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = path(c).await;
        if now == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still on {now}, not {want}; page:\n{}",
            text(c).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The page's visible text ("" while a navigation is under way).
pub async fn text(c: &Client) -> String {
    c.execute(
        "return document.body ? document.body.innerText : ''",
        vec![],
    )
    .await
    .ok()
    .and_then(|v| v.as_str().map(str::to_owned))
    .unwrap_or_default()
}

/// Wait (up to 10 s) until the page's text contains `needle`.
pub async fn wait_for_text(c: &Client, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if text(c).await.contains(needle) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{needle:?} never appeared; page:\n{}",
            text(c).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A full-page PNG of the current page at `width` px, into
/// [`screenshot_dir`] as `name.png`.
pub async fn screenshot(c: &Client, width: u32, name: &str) {
    c.set_window_size(width, 900).await.expect("resize");
    // Let the page's resize handlers (map, charts) settle first.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let h = c
        .execute("return document.documentElement.scrollHeight", vec![])
        .await
        .ok()
        .and_then(|v| v.as_u64())
        .unwrap_or(900)
        .clamp(600, 6000) as u32;
    c.set_window_size(width, h).await.expect("resize");
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("write screenshot");
    c.set_window_size(1280, 900).await.expect("resize back");
}

/// Serve `app` on a loopback port, as `bincio serve` does (the same
/// connection loop); the server stops when the returned sender drops.
pub async fn serve(app: &super::App) -> (String, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(bincio_http::serve(
        listener,
        app.router.clone(),
        bincio_http::ServeConfig::default(),
        async {
            let _ = rx.await;
        },
    ));
    (format!("http://{addr}"), tx)
}

/// Click the first element matching `css`.
pub async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Type `text` into the first element matching `css` (cleared first when
/// `clear`; a file input takes paths, one per line).
pub async fn type_into(c: &Client, css: &str, text: &str, clear: bool) {
    let el = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    if clear {
        el.clear()
            .await
            .unwrap_or_else(|e| panic!("clear {css}: {e}"));
    }
    el.send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("type into {css}: {e}"));
}
