//! The pages in a real browser (headless Chromium over chromedriver), on
//! SQLite and on MongoDB: the whole life of an instance as its people live
//! it — the operator opens the set-up link `bincio serve` prints and
//! becomes admin, logs in, mints an invite; a second person (a separate
//! browser profile) registers with it and logs out; the admin issues a
//! reset code; the member resets the password and logs in with the new
//! one; the admin finds the member in `/admin/`, makes them staff, wipes
//! their activities, watches a running job progress without reloading, and
//! changes `max_users` and `private`.
//!
//! The SQLite run also saves full-page screenshots of every page at 1280
//! and 390 px, light and dark, into `target/screenshots/`.

mod web_support;

use std::time::Duration;

use bincio_core::activities::ingest::IngestOptions;
use bincio_core::model::Role;
use fantoccini::{Client, Locator};
use web_support::browser::{
    fill_and_submit, screenshot, serve, text, wait_for_path, wait_for_text, Browser,
};
use web_support::{Backend, PW};

const NEW_PW: &str = "a brand new password";

/// A small ride, for the member to have an activity to wipe.
fn gpx() -> Vec<u8> {
    let mut pts = String::new();
    for i in 0..60 {
        pts.push_str(&format!(
            "<trkpt lat=\"{:.5}\" lon=\"{:.5}\"><ele>{}</ele><time>2026-05-01T08:{:02}:{:02}Z</time></trkpt>",
            46.0 + i as f64 * 0.0005,
            11.0 + i as f64 * 0.0004,
            200 + i,
            i / 6,
            (i % 6) * 10
        ));
    }
    format!(
        "<?xml version=\"1.0\"?><gpx version=\"1.1\" creator=\"test\" xmlns=\"http://www.topografix.com/GPX/1/1\">\
         <trk><name>Morning ride</name><type>cycling</type><trkseg>{pts}</trkseg></trk></gpx>"
    )
    .into_bytes()
}

async fn copy_value(c: &Client) -> String {
    c.find(Locator::Css(".flash .copy-value"))
        .await
        .expect("a value to copy in the flash")
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default()
}

async fn life_of_an_instance(b: Backend) {
    let Some(mut browser) = Browser::start(module_path!()) else {
        return;
    };
    let app = app!(b);
    let (base, _stop) = serve(&app).await;
    let shots = b == Backend::Sqlite;

    // The operator opens the link `bincio serve` prints.
    let keys_dir = tempfile::tempdir().unwrap();
    let keys = bincio_core::sync::seal::KeyRing::in_data_dir(keys_dir.path());
    let code = app
        .accounts
        .issue_setup_code(&keys)
        .await
        .unwrap()
        .expect("empty instance");
    let link = bincio_http::web::setup_link(&base, &code);
    let ada = browser.person().await;
    ada.goto(&link).await.unwrap();
    assert!(text(&ada)
        .await
        .contains("Create the administrator account"));
    if shots {
        screenshot(&ada, 1280, "setup-1280-light").await;
        screenshot(&ada, 390, "setup-390-light").await;
    }
    fill_and_submit(
        &ada,
        "form[action=\"/setup/\"]",
        &[
            ("instance_name", "Velo Club"),
            ("handle", "ada"),
            ("display_name", "Ada"),
            ("password", PW),
            ("password_confirm", PW),
        ],
        "button.button-primary",
    )
    .await;
    wait_for_path(&ada, "/admin/").await;
    wait_for_text(&ada, "Your instance is ready").await;
    assert!(app.accounts.require_user("ada").await.unwrap().is_admin());

    // Log out, and in again.
    ada.find(Locator::Css(".logout-form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(&ada, "/login/").await;
    wait_for_text(&ada, "You are logged out.").await;
    fill_and_submit(
        &ada,
        "form[action=\"/login/\"]",
        &[("handle", "ada"), ("password", PW)],
        "button",
    )
    .await;
    wait_for_path(&ada, "/").await;
    wait_for_text(&ada, "Latest activities").await;

    // Mint an invite and read its link.
    ada.goto(&format!("{base}/invites/")).await.unwrap();
    ada.find(Locator::Css("form[action=\"/invites/\"] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&ada, "Invite created").await;
    let invite = copy_value(&ada).await;
    assert!(
        invite.starts_with(&format!("{base}/register/?code=")),
        "{invite}"
    );

    // A second person registers with it, then logs out.
    let bob = browser.person().await;
    bob.goto(&invite).await.unwrap();
    fill_and_submit(
        &bob,
        "form[action=\"/register/\"]",
        &[
            ("handle", "bob"),
            ("display_name", "Bob"),
            ("password", PW),
            ("password_confirm", PW),
        ],
        "button.button-primary",
    )
    .await;
    wait_for_path(&bob, "/").await;
    wait_for_text(&bob, "Welcome, Bob! Your account is ready.").await;
    let bob_user = app.accounts.require_user("bob").await.unwrap();
    app.activities
        .ingest(&bob_user, "ride.gpx", gpx(), IngestOptions::default())
        .await
        .expect("ingest");
    bob.find(Locator::Css(".logout-form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(&bob, "/login/").await;

    // The admin issues a reset code for bob.
    ada.goto(&format!("{base}/admin/users/bob/")).await.unwrap();
    ada.find(Locator::Css("form[action$=\"/reset-code\"] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&ada, "Reset code for @bob").await;
    let reset = copy_value(&ada).await;
    assert!(
        reset.starts_with(&format!("{base}/reset-password/?code="))
            && reset.ends_with("&handle=bob"),
        "{reset}"
    );

    // The member resets the password and logs in with the new one.
    bob.goto(&reset).await.unwrap();
    fill_and_submit(
        &bob,
        "form[action=\"/reset-password/\"]",
        &[("password", NEW_PW), ("password_confirm", NEW_PW)],
        "button",
    )
    .await;
    wait_for_path(&bob, "/login/").await;
    wait_for_text(&bob, "Your password was changed").await;
    fill_and_submit(
        &bob,
        "form[action=\"/login/\"]",
        &[("handle", "bob"), ("password", PW)],
        "button",
    )
    .await;
    wait_for_text(&bob, "Wrong handle or password.").await;
    if shots {
        screenshot(&bob, 1280, "login-error-1280-light").await;
        screenshot(&bob, 390, "login-error-390-light").await;
    }
    fill_and_submit(
        &bob,
        "form[action=\"/login/\"]",
        &[("handle", "bob"), ("password", NEW_PW)],
        "button",
    )
    .await;
    wait_for_path(&bob, "/").await;
    wait_for_text(&bob, "Latest activities").await;

    // The admin sees bob in /admin/ (with his activity), makes him staff,
    // wipes his activities.
    ada.goto(&format!("{base}/admin/")).await.unwrap();
    let row = ada
        .find(Locator::Css("a[href=\"/admin/users/bob/\"]"))
        .await
        .expect("bob listed");
    let row_text = ada
        .find(Locator::XPath("//tr[.//a[@href='/admin/users/bob/']]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        row_text.contains("Member") && row_text.contains(" 1 "),
        "{row_text}"
    );
    row.click().await.unwrap();
    wait_for_path(&ada, "/admin/users/bob/").await;
    ada.find(Locator::Css("select[name=\"role\"]"))
        .await
        .unwrap()
        .select_by_value("staff")
        .await
        .unwrap();
    ada.find(Locator::Css("form[action$=\"/role\"] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&ada, "@bob is now: Staff.").await;
    assert_eq!(
        app.accounts.require_user("bob").await.unwrap().role,
        Role::Staff
    );
    fill_and_submit(
        &ada,
        "form[action$=\"/wipe\"]",
        &[("confirm", "bob")],
        "button",
    )
    .await;
    wait_for_text(&ada, "1 activities of @bob deleted.").await;
    assert_eq!(
        app.activities
            .storage("bob")
            .await
            .unwrap()
            .activities_count,
        0
    );

    // A running job shows its progress without a reload.
    let job = app.state.jobs().start("bob", "upload", 10);
    job.progress(3, "ride-3.gpx");
    ada.goto(&format!("{base}/admin/")).await.unwrap();
    wait_for_text(&ada, "3 / 10").await;
    ada.execute("window.__no_reload = 1", vec![]).await.unwrap();
    job.progress(7, "ride-7.gpx");
    wait_for_text(&ada, "7 / 10").await;
    assert!(text(&ada).await.contains("ride-7.gpx"));
    let same_page = ada
        .execute("return window.__no_reload === 1", vec![])
        .await
        .unwrap();
    assert_eq!(same_page, serde_json::Value::Bool(true), "updated in place");
    if shots {
        screenshot(&ada, 1280, "admin-job-1280-light").await;
    }
    drop(job);
    wait_for_text(&ada, "No job is running.").await;

    // Instance settings: max users and private.
    let max = ada
        .find(Locator::Css("input[name=\"max_users\"]"))
        .await
        .unwrap();
    max.clear().await.unwrap();
    max.send_keys("25").await.unwrap();
    let private = ada
        .find(Locator::Css("input[name=\"private\"]"))
        .await
        .unwrap();
    assert_eq!(
        private.prop("checked").await.unwrap().as_deref(),
        Some("true"),
        "private by default"
    );
    private.click().await.unwrap();
    ada.find(Locator::Css("form[action=\"/admin/settings\"] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&ada, "Instance settings saved.").await;
    let s = app.accounts.settings().await.unwrap();
    assert_eq!(
        (s.max_users, s.private, s.instance_name.as_str()),
        (Some(25), false, "Velo Club")
    );

    // Public now: an anonymous visitor sees the start page.
    let visitor = browser.person().await;
    visitor.goto(&format!("{base}/")).await.unwrap();
    wait_for_path(&visitor, "/").await;
    assert!(text(&visitor).await.contains("Velo Club"));

    if shots {
        every_page(&base, &ada, &visitor).await;
    }
    for c in [ada, bob, visitor] {
        let _ = c.close().await;
    }
}

/// Screenshots of every page, light and dark, desktop and phone.
async fn every_page(base: &str, admin: &Client, anon: &Client) {
    let member_pages = [
        ("home", "/"),
        ("invites", "/invites/"),
        ("settings", "/settings/"),
        ("admin", "/admin/"),
        ("admin-user", "/admin/users/bob/"),
        ("admin-jobs", "/admin/jobs/"),
        ("logout", "/logout"),
        ("not-found", "/no-such-page"),
    ];
    let anon_pages = [
        ("login", "/login/"),
        ("register", "/register/?code=ABCD2345"),
        (
            "reset-password",
            "/reset-password/?code=ABCD2345&handle=bob",
        ),
        ("setup-done", "/setup/"),
        ("home-public", "/"),
    ];
    for theme in ["light", "dark"] {
        for c in [admin, anon] {
            c.goto(&format!("{base}/")).await.unwrap();
            let to = if theme == "dark" {
                ".to-dark"
            } else {
                ".to-light"
            };
            if let Ok(button) = c.find(Locator::Css(to)).await {
                if button.is_displayed().await.unwrap_or(false) {
                    button.click().await.unwrap();
                    // The script switches at once and stores the cookie.
                    let want = format!("bincio_theme={theme}");
                    for _ in 0..50 {
                        let cookie = c.execute("return document.cookie", vec![]).await.unwrap();
                        if cookie.as_str().unwrap_or("").contains(&want) {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        }
        for (c, pages) in [(admin, &member_pages[..]), (anon, &anon_pages[..])] {
            for (name, p) in pages {
                c.goto(&format!("{base}{p}")).await.unwrap();
                let attr = c
                    .find(Locator::Css("html"))
                    .await
                    .unwrap()
                    .attr("data-theme")
                    .await
                    .unwrap();
                if theme == "dark" {
                    assert_eq!(
                        attr.as_deref(),
                        Some("dark"),
                        "{name} rendered dark by the server"
                    );
                }
                for w in [1280, 390] {
                    screenshot(c, w, &format!("{name}-{w}-{theme}")).await;
                }
            }
        }
    }
}

web_cases!(life_of_an_instance);
