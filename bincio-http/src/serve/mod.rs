//! Serving a [`Router`] on a TCP listener with bounds a venue network or a
//! hostile client cannot wear down ([`serve`], configured by
//! [`ServeConfig`]). `axum::serve` has no timeouts and no connection
//! bounds: idle or one-byte-a-second sockets were kept forever and 300 of
//! them exhausted the descriptors, so `/healthz` stopped answering.
//!
//! Invariants:
//! * At most [`ServeConfig::max_connections`] connections are open; at the
//!   bound the loop stops accepting (new connections wait in the kernel's
//!   backlog) until one closes.
//! * At most [`ServeConfig::max_connections_per_client`] per client
//!   ([`per_client`]); a connection over it is closed at once, so one
//!   client cannot fill the global bound.
//! * A connection waits at most [`ServeConfig::header_read_timeout`] for a
//!   whole request head and at most [`ServeConfig::idle_timeout`] between
//!   requests ([`watchdog`]); a request body that stalls for
//!   [`ServeConfig::body_read_timeout`] fails with 408 and the connection is
//!   closed ([`body`]). Handlers are never cut off mid-request.
//! * An accept error (e.g. `EMFILE`, out of descriptors) never ends the
//!   loop and never spins: it backs off (10 ms doubling to 1 s).
//! * Shutdown: stop accepting, let every connection finish its request in
//!   flight (idle ones close at once), for at most
//!   [`ServeConfig::shutdown_grace`].
//!
//! HTTP/1.1 only, as `axum::serve` (without axum's `http2` feature) served
//! before: no HTTP/2 attack surface to bound. Requests carry
//! `ConnectInfo<SocketAddr>` as `axum::serve` gives them (rate limits read
//! the peer address from it).

pub(crate) mod body;
mod fd_limit;
mod per_client;
mod watchdog;

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderValue, Request};
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

use body::{BodyTimedOut, TimedBody, Tracked};
use per_client::{ClientPermit, PerClient};
use watchdog::{Activity, Watched};

pub use fd_limit::raise_open_files_limit;

/// Connection bounds and timeouts of [`serve`].
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Longest wait for a complete request head, counted from accept or
    /// from the first byte after an idle pause (bytes trickling in do not
    /// extend it). Default 10 s.
    pub header_read_timeout: Duration,
    /// Longest pause between requests on a kept-alive connection. Default
    /// 60 s.
    pub idle_timeout: Duration,
    /// Longest pause between two chunks of a request body a handler is
    /// reading (idle time, not a total: slow uploads that keep moving are
    /// fine). Default 60 s.
    pub body_read_timeout: Duration,
    /// Most open connections. Default 1024 (keep `ulimit -n` above it plus
    /// the store's descriptors).
    pub max_connections: usize,
    /// Most open connections per client address (IPv6: per /64); `0` = no
    /// per-client bound (behind a reverse proxy, where every connection
    /// comes from the proxy). Default 64.
    pub max_connections_per_client: usize,
    /// How long shutdown waits for requests in flight. Default 30 s.
    pub shutdown_grace: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_read_timeout: Duration::from_secs(60),
            max_connections: 1024,
            max_connections_per_client: 64,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// Serve `router` on `listener` until `shutdown` resolves, then drain (see
/// the module doc). Returns once every connection is closed or the grace
/// period is over.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    config: ServeConfig,
    shutdown: impl Future<Output = ()> + Send,
) {
    let config = Arc::new(config);
    let max = config
        .max_connections
        .clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
    let slots = Arc::new(Semaphore::new(max));
    let per_client = PerClient::new(config.max_connections_per_client);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut backoff = Backoff::default();
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break, // never closed; nothing to serve with
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    backoff.after(&e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        backoff.reset();
        let Some(client) = per_client.try_acquire(peer.ip()) else {
            tracing::debug!(%peer, "per-client connection bound reached; closing");
            continue; // `stream` dropped: closed at once
        };
        tokio::spawn(connection(
            stream,
            peer,
            router.clone(),
            config.clone(),
            stop_rx.clone(),
            (slot, client),
        ));
    }
    drop(listener); // refuse new connections from here on
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(config.shutdown_grace, slots.acquire_many(max as u32));
    if drained.await.is_err() {
        tracing::warn!("shutdown: connections still busy after the grace period; closing them");
    }
}

/// Accept-error pacing: connection-level errors retry at once; anything
/// else (descriptor exhaustion …) waits 10 ms, doubling to 1 s.
#[derive(Default)]
struct Backoff(Option<Duration>);

impl Backoff {
    async fn after(&mut self, e: &io::Error) {
        if matches!(
            e.kind(),
            io::ErrorKind::ConnectionRefused
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::Interrupted
        ) {
            return;
        }
        let wait = self.0.map_or(Duration::from_millis(10), |d| {
            (d * 2).min(Duration::from_secs(1))
        });
        if self.0.is_none() || wait == Duration::from_secs(1) {
            tracing::warn!(error = %e, retry_in = ?wait, "accept error");
        }
        self.0 = Some(wait);
        tokio::time::sleep(wait).await;
    }

    fn reset(&mut self) {
        self.0 = None;
    }
}

/// Serve one connection until it ends, its deadline passes or shutdown
/// drains it. The permits are held for its whole life.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    config: Arc<ServeConfig>,
    mut stop: watch::Receiver<bool>,
    _permits: (OwnedSemaphorePermit, ClientPermit),
) {
    let _ = stream.set_nodelay(true);
    let activity = Activity::new(config.header_read_timeout, config.idle_timeout);
    let io = TokioIo::new(Watched::new(stream, activity.clone()));
    let service = {
        let activity = activity.clone();
        let body_idle = config.body_read_timeout;
        hyper::service::service_fn(move |req: Request<Incoming>| {
            let in_flight = activity.request_started();
            let timed_out = BodyTimedOut::default();
            let mut req = req.map(|b| Body::new(TimedBody::new(b, body_idle, timed_out.clone())));
            req.extensions_mut().insert(ConnectInfo(peer));
            req.extensions_mut().insert(timed_out.clone());
            let response = router.clone().oneshot(req);
            async move {
                let mut resp = match response.await {
                    Ok(r) => r,
                    Err(never) => match never {},
                };
                if timed_out.fired() {
                    // The rest of the body will not come: do not wait for it.
                    resp.headers_mut()
                        .insert(header::CONNECTION, HeaderValue::from_static("close"));
                }
                Ok::<_, Infallible>(resp.map(|b| Tracked::new(b, in_flight)))
            }
        })
    };
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(None) // ours: the watchdog's
        .keep_alive(true)
        .serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    let mut draining = false;
    loop {
        let deadline = activity.deadline();
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            changed = stop.changed(), if !draining => {
                if changed.is_err() || *stop.borrow() {
                    draining = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
            () = activity.changed() => {}
            () = sleep_until(deadline) => {
                if activity.deadline().is_some_and(|d| d <= tokio::time::Instant::now()) {
                    tracing::debug!(%peer, "connection timed out (head or idle); closing");
                    return;
                }
            }
        }
    }
}

/// Sleep until `deadline`, or forever when there is none.
async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
