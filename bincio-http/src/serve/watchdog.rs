//! Per-connection deadlines: how long a connection may wait for a request
//! head, and how long it may sit idle between requests.
//!
//! hyper's own `header_read_timeout` restarts whenever hyper waits for a
//! head, so on a kept-alive connection it doubles as the idle timeout; two
//! separate bounds need our own clock. A connection is always in one phase:
//!
//! * **awaiting a head** — from accept, or from the first byte after an
//!   idle pause, until a request head is parsed: bounded by the header-read
//!   timeout *however many bytes trickle in* (a slow loris gains nothing);
//! * **busy** — at least one request in flight (its response not yet
//!   written): no connection deadline; a stalled request body is bounded by
//!   the body-read timeout ([`super::body`]) and handlers run to completion;
//! * **idle** — every response written, no byte of the next request yet:
//!   bounded by the idle (keep-alive) timeout.
//!
//! The serving task closes the connection when the phase's deadline passes
//! (only ever when nothing is in flight). Phase changes wake it through a
//! [`Notify`], so a deadline that moves earlier is honoured at once.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

#[derive(Debug, Clone, Copy)]
enum Phase {
    AwaitingHead(Instant),
    Busy(usize),
    Idle(Instant),
}

/// The phase of one connection, shared by its IO, its requests and the
/// task that serves it.
pub(super) struct Activity {
    phase: Mutex<Phase>,
    changed: Notify,
    header_read: Duration,
    idle: Duration,
}

impl Activity {
    /// A connection accepted now: awaiting its first head.
    pub(super) fn new(header_read: Duration, idle: Duration) -> Arc<Self> {
        Arc::new(Self {
            phase: Mutex::new(Phase::AwaitingHead(Instant::now())),
            changed: Notify::new(),
            header_read,
            idle,
        })
    }

    fn with_phase<T>(&self, f: impl FnOnce(&mut Phase) -> T) -> T {
        f(&mut self.phase.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// When the connection must close if nothing changes (`None`: busy).
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.with_phase(|p| match *p {
            Phase::AwaitingHead(since) => Some(since + self.header_read),
            Phase::Idle(since) => Some(since + self.idle),
            Phase::Busy(_) => None,
        })
    }

    /// Wait for the next phase change.
    pub(super) async fn changed(&self) {
        self.changed.notified().await
    }

    /// Bytes arrived: after an idle pause they start the next head.
    fn on_read(&self) {
        let woke = self.with_phase(|p| match p {
            Phase::Idle(_) => {
                *p = Phase::AwaitingHead(Instant::now());
                true
            }
            _ => false,
        });
        if woke {
            self.changed.notify_one();
        }
    }

    /// A request head was parsed; the returned guard ends the request when
    /// dropped (after its response body was written, or when abandoned).
    pub(super) fn request_started(self: &Arc<Self>) -> InFlight {
        self.with_phase(|p| {
            *p = match *p {
                Phase::Busy(n) => Phase::Busy(n + 1),
                _ => Phase::Busy(1),
            }
        });
        InFlight(self.clone())
    }
}

/// One request in flight (see [`Activity::request_started`]).
pub(super) struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let idle = self.0.with_phase(|p| {
            *p = match *p {
                Phase::Busy(n) if n > 1 => Phase::Busy(n - 1),
                _ => Phase::Idle(Instant::now()),
            };
            matches!(p, Phase::Idle(_))
        });
        if idle {
            self.0.changed.notify_one();
        }
    }
}

/// A socket that reports reads to its connection's [`Activity`].
pub(super) struct Watched<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T> Watched<T> {
    pub(super) fn new(inner: T, activity: Arc<Activity>) -> Self {
        Self { inner, activity }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let out = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(out, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.on_read();
        }
        out
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn phases_and_deadlines() {
        let a = Activity::new(Duration::from_secs(10), Duration::from_secs(60));
        let t0 = Instant::now();
        assert_eq!(a.deadline(), Some(t0 + Duration::from_secs(10)));
        let r1 = a.request_started();
        let r2 = a.request_started();
        assert_eq!(a.deadline(), None);
        drop(r1);
        assert_eq!(a.deadline(), None, "one still in flight");
        tokio::time::advance(Duration::from_secs(5)).await;
        drop(r2);
        let idle_since = Instant::now();
        assert_eq!(a.deadline(), Some(idle_since + Duration::from_secs(60)));
        tokio::time::advance(Duration::from_secs(30)).await;
        a.on_read();
        assert_eq!(a.deadline(), Some(Instant::now() + Duration::from_secs(10)));
        // Further bytes of the same head do not extend it.
        let d = a.deadline();
        tokio::time::advance(Duration::from_secs(1)).await;
        a.on_read();
        assert_eq!(a.deadline(), d);
    }
}
