//! Request and response bodies as the serving loop hands them over.
//!
//! * [`TimedBody`]: a request body that fails when no data arrives for the
//!   body-read timeout while a handler waits for it (an idle bound between
//!   chunks, not a total: a 50 MiB upload on a slow link is fine as long as
//!   it keeps moving). The failure sets the request's [`BodyTimedOut`] flag,
//!   so the route's error layer answers 408 in its own format
//!   (`crate::rejection`) and the loop closes the connection after it.
//! * [`Tracked`]: a response body that holds its request's
//!   [`InFlight`](super::watchdog::InFlight) guard until hyper has written
//!   it (or dropped it), which is when the connection may count as idle.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

use super::watchdog::InFlight;

/// Set when a request's body timed out (a request extension).
#[derive(Debug, Clone, Default)]
pub(crate) struct BodyTimedOut(Arc<AtomicBool>);

impl BodyTimedOut {
    /// Whether the body timed out.
    pub(crate) fn fired(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn fire(&self) {
        self.0.store(true, Ordering::Relaxed)
    }
}

/// The error a [`TimedBody`] yields.
#[derive(Debug, thiserror::Error)]
#[error("request body timed out: no data for {0:?}")]
pub(crate) struct BodyTimeout(Duration);

/// A request body with an idle bound between chunks.
pub(super) struct TimedBody<B> {
    inner: B,
    idle: Duration,
    /// Armed at the first poll: a handler that never reads is not timed.
    sleep: Option<Pin<Box<Sleep>>>,
    flag: BodyTimedOut,
}

impl<B> TimedBody<B> {
    pub(super) fn new(inner: B, idle: Duration, flag: BodyTimedOut) -> Self {
        Self {
            inner,
            idle,
            sleep: None,
            flag,
        }
    }
}

impl<B> Body for TimedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                let deadline = Instant::now() + this.idle;
                if let Some(s) = this.sleep.as_mut() {
                    s.as_mut().reset(deadline);
                }
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => {
                let idle = this.idle;
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                if sleep.as_mut().poll(cx).is_ready() {
                    this.flag.fire();
                    return Poll::Ready(Some(Err(BodyTimeout(idle).into())));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body that ends its request's in-flight guard when dropped.
pub(super) struct Tracked<B> {
    inner: B,
    _in_flight: InFlight,
}

impl<B> Tracked<B> {
    pub(super) fn new(inner: B, in_flight: InFlight) -> Self {
        Self {
            inner,
            _in_flight: in_flight,
        }
    }
}

impl<B: Body + Unpin> Body for Tracked<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
