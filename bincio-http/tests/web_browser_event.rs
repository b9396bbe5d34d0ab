//! The event staff console in a real browser (headless Chromium), on
//! SQLite and MongoDB: staff log in, find an attendee by name, check them
//! in, undo it — and a second screen's dashboard moves without a reload
//! (server-sent events); a booth delivers a puzzle piece; with the server
//! unreachable the desk queues two check-ins and sends them once it is
//! back, each applied once. The SQLite run saves screenshots of the
//! console pages (1280 and 390 px).

use support::ccip as ccip_common;
#[macro_use]
mod support;
mod web_support;

use std::net::SocketAddr;
use std::time::Duration;

use bincio_core::event::audit::AuditFilter;
use bincio_core::model::Role;
use bincio_store_conformance::Backend;
use ccip_common::*;
use fantoccini::{Client, Locator};
use web_support::browser::{
    click, fill_and_submit, screenshot, text, type_into, wait_for_path, wait_for_text, Browser,
};

/// Serve `router` on `addr` (port 0: any) until the sender drops.
async fn serve_on(
    router: axum::Router,
    addr: SocketAddr,
) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(bincio_http::serve(
        listener,
        router,
        bincio_http::ServeConfig::default(),
        async {
            let _ = rx.await;
        },
    ));
    (addr, tx)
}

async fn log_in(c: &Client, base: &str, handle: &str) {
    c.goto(&format!("{base}/login/")).await.unwrap();
    fill_and_submit(
        c,
        "form[action=\"/login/\"]",
        &[("handle", handle), ("password", "password-for-tests")],
        "button",
    )
    .await;
    wait_for_path(c, "/").await;
}

/// A dashboard figure (read in one script call: the live stream may swap
/// the table between a find and a read).
async fn count(c: &Client, key: &str) -> String {
    let v = c
        .execute(
            "var e = document.querySelector('[data-count=\"' + arguments[0] + '\"]'); return e ? e.textContent : null;",
            vec![serde_json::json!(key)],
        )
        .await
        .unwrap();
    v.as_str()
        .unwrap_or_else(|| panic!("{key}: no such figure"))
        .to_owned()
}

async fn wait_for_count(c: &Client, key: &str, want: &str) {
    for _ in 0..200 {
        if count(c, key).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{key} never became {want} (is {})", count(c, key).await);
}

async fn console_in_a_browser(b: &dyn Backend) {
    let Some(mut browser) = Browser::start("web_browser_event") else {
        return;
    };
    let app = CcipApp::imported(b).await;
    app.account("sam", Role::Staff).await;
    let (addr, stop) = serve_on(app.router.clone(), "127.0.0.1:0".parse().unwrap()).await;
    let base = format!("http://{addr}");
    let shots = app.stores.attendees.backend_name() == "sqlite";

    // A second screen shows the dashboard.
    let wall = browser.person().await;
    log_in(&wall, &base, "sam").await;
    wall.goto(&format!("{base}/event/")).await.unwrap();
    wait_for_text(&wall, "LIVE").await;
    assert_eq!(count(&wall, "audience-sponsor_gift").await, "0");

    // The desk: find Ada by name, check her in, undo it.
    let desk = browser.person().await;
    log_in(&desk, &base, "sam").await;
    desk.goto(&format!("{base}/event/desk/")).await.unwrap();
    type_into(&desk, "#f-q", "Ada", true).await;
    click(&desk, ".desk-search button").await;
    wait_for_text(&desk, "Sponsor gift").await;
    if shots {
        screenshot(&desk, 1280, "event-desk-1280-light").await;
        screenshot(&desk, 390, "event-desk-390-light").await;
    }
    click(
        &desk,
        "tr.state-open form[data-desk-use] input[value=sponsor_gift] ~ button",
    )
    .await;
    wait_for_text(&desk, "sponsor_gift: checked in.").await;
    wait_for_count(&wall, "audience-sponsor_gift", "1").await;
    type_into(
        &desk,
        "tr.state-used input[name=reason]",
        "wrong person",
        false,
    )
    .await;
    click(
        &desk,
        "tr.state-used form[action=\"/event/desk/undo\"] button",
    )
    .await;
    wait_for_text(&desk, "sponsor_gift: undone.").await;
    wait_for_count(&wall, "audience-sponsor_gift", "0").await;
    let log = app
        .service
        .audit(AuditFilter {
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|e| e.actor == "staff:sam"));
    assert_eq!(log[0].reason.as_deref(), Some("wrong person"));
    if shots {
        screenshot(&wall, 1280, "event-dashboard-1280-light").await;
        screenshot(&wall, 390, "event-dashboard-390-light").await;
    }

    // The desk's QR decoder for browsers without BarcodeDetector: a ticket
    // QR (Grace's token) drawn on a canvas in the page is read by the
    // vendored jsQR, loaded the way the scan button loads it (CSP allowing).
    let qr = qrcode::QrCode::new(GRACE.as_bytes()).unwrap();
    let bits: Vec<u8> = qr
        .to_colors()
        .iter()
        .map(|c| u8::from(*c == qrcode::Color::Dark))
        .collect();
    let decoded = desk
        .execute_async(
            "var [w, bits, done] = arguments; var s = document.querySelector('[data-scanner]');
             var go = function () {
               var q = 8, m = 4, n = (w + 2 * m) * q, c = document.createElement('canvas');
               c.width = n; c.height = n; var x = c.getContext('2d');
               x.fillStyle = '#fff'; x.fillRect(0, 0, n, n); x.fillStyle = '#000';
               for (var i = 0; i < bits.length; i++) if (bits[i]) x.fillRect((i % w + m) * q, (Math.floor(i / w) + m) * q, q, q);
               var img = x.getImageData(0, 0, n, n);
               var code = window.jsQR(img.data, n, n);
               done(code ? code.data : null);
             };
             var el = document.createElement('script'); el.src = s.getAttribute('data-jsqr'); el.onload = go;
             el.onerror = function () { done('load failed'); }; document.head.appendChild(el);",
            vec![serde_json::json!(qr.width()), serde_json::json!(bits)],
        )
        .await
        .unwrap();
    assert_eq!(decoded, serde_json::json!(GRACE), "jsQR reads the ticket");

    // A booth gives Grace a piece.
    app.status(GRACE).await;
    let booth = browser.person().await;
    booth
        .goto(&format!("{base}/event/booth/?token=booth-7f3a"))
        .await
        .unwrap();
    wait_for_text(&booth, "Ferris Foundation").await;
    type_into(&booth, "#f-receiver", GRACE, false).await;
    click(&booth, "form[action=\"/event/booth/\"] button").await;
    wait_for_text(&booth, "A piece for Grace.").await;
    if shots {
        screenshot(&booth, 390, "event-booth-390-light").await;
    }

    // The venue network drops: two check-ins are queued in the page …
    desk.goto(&format!("{base}/event/desk/?q=Ada"))
        .await
        .unwrap();
    wait_for_text(&desk, "Sponsor gift").await;
    drop(stop);
    tokio::time::sleep(Duration::from_millis(300)).await;
    for s in ["checkin", "sponsor_gift"] {
        click(
            &desk,
            &format!("tr.state-open form[data-desk-use] input[value={s}] ~ button"),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    wait_for_text(&desk, "Waiting for the network").await;
    let pending = desk
        .find_all(Locator::Css("[data-queue-list] li"))
        .await
        .unwrap()
        .len();
    assert_eq!(pending, 2, "{}", text(&desk).await);
    let ada = app.service.show(ADA).await.unwrap();
    assert!(ada.scenario("sponsor_gift").unwrap().used.is_none());
    if shots {
        screenshot(&desk, 390, "event-desk-offline-390-light").await;
    }
    // … and sent once it is back: each applied once.
    let (_, _stop2) = serve_on(app.router.clone(), addr).await;
    for _ in 0..200 {
        let a = app.service.show(ADA).await.unwrap();
        if a.scenario("sponsor_gift").unwrap().used.is_some()
            && a.scenario("checkin").unwrap().used.is_some()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let a = app.service.show(ADA).await.unwrap();
    assert!(
        a.scenario("sponsor_gift").unwrap().used.is_some(),
        "queued scans applied"
    );
    assert!(a.scenario("checkin").unwrap().used.is_some());
    for _ in 0..100 {
        if desk
            .find_all(Locator::Css("[data-queue-list] li"))
            .await
            .map(|v| v.len())
            .unwrap_or(1)
            == 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let uses = app
        .service
        .audit(AuditFilter {
            attendee_id: Some(a.id.clone()),
            limit: 100,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    let ok: Vec<_> = uses
        .iter()
        .filter(|e| e.ok && e.kind.as_str() == "use")
        .collect();
    assert_eq!(
        ok.len(),
        3,
        "one use before the undo, two from the queue: {uses:?}"
    );

    if shots {
        let admin_token = app.account("root", Role::Admin).await;
        let _ = admin_token;
        let admin = browser.person().await;
        log_in(&admin, &base, "root").await;
        for (name, p) in [
            ("event-attendees", "/event/attendees/"),
            ("event-announcements", "/event/announcements/"),
            ("event-import", "/event/import/"),
            ("event-audit", "/event/audit/"),
        ] {
            admin.goto(&format!("{base}{p}")).await.unwrap();
            for w in [1280, 390] {
                screenshot(&admin, w, &format!("{name}-{w}-light")).await;
            }
        }
        let _ = admin.close().await;
    }
    for c in [wall, desk, booth] {
        let _ = c.close().await;
    }
}

macro_rules! browser_cases {
    ($backend:expr) => {
        crate::backend_tests!($backend; console_in_a_browser,);
    };
}

mod sqlite {
    browser_cases!(crate::support::Sqlite);
}

/// Needs `BINCIO_TEST_MONGO_URL` (`bash scripts/test.sh` sets it).
mod mongo {
    browser_cases!(crate::mongo_backend!());
}
