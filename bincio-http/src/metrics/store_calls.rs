//! Store call latency, from tracing spans: every method of the store
//! backends' trait impls wears
//! `#[tracing::instrument(target = "bincio_store", level = "trace", skip_all)]`
//! (a test keeps it so), and [`store_calls_layer`] times each such span
//! from creation to close — the whole call as its caller awaits it,
//! waiting for a connection included.
//!
//! Why spans rather than timing inside the backends: one line per method,
//! the same for both backends, and nothing at all when metrics are off
//! (the spans are at `trace`, disabled unless this layer asks for them).
//! The MongoDB driver's command events were the alternative, but they copy
//! every command and reply document (tracks included).
//!
//! The figures are process-wide (one subscriber per process), kept in a
//! static the `/metrics` scrape reads.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use tracing::span::{Attributes, Id};
use tracing::Subscriber;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use super::histogram::{Histogram, STORE_BUCKETS};

/// The target the store spans are logged under.
pub const TARGET: &str = "bincio_store";

/// (backend, method) → latency.
static CALLS: Mutex<BTreeMap<(&'static str, &'static str), Histogram>> =
    Mutex::new(BTreeMap::new());

/// When a store span began.
struct Began(Instant);

/// Times the store spans (see the module doc).
struct StoreCalls;

/// The backend a span's module belongs to.
fn backend(module: Option<&str>) -> &'static str {
    match module {
        Some(m) if m.starts_with("bincio_store_sqlite") => "sqlite",
        Some(m) if m.starts_with("bincio_store_mongo") => "mongodb",
        _ => "other",
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for StoreCalls {
    fn on_new_span(&self, _: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Began(Instant::now()));
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(began) = span.extensions().get::<Began>().map(|b| b.0) else {
            return;
        };
        let meta = span.metadata();
        let key = (backend(meta.module_path()), meta.name());
        CALLS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_insert_with(|| Histogram::new(STORE_BUCKETS))
            .observe(began.elapsed().as_secs_f64());
    }
}

/// The layer that records store call latency, filtered to the store spans
/// (so it enables them, and nothing else). Add it to the subscriber when
/// metrics are served.
pub fn store_calls_layer<S>() -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    StoreCalls.with_filter(filter_fn(|m| m.target() == TARGET && m.is_span()))
}

/// Append `bincio_store_call_duration_seconds` (nothing when no call was
/// timed).
pub(super) fn render(out: &mut String) {
    let calls = CALLS.lock().unwrap_or_else(|p| p.into_inner());
    if calls.is_empty() {
        return;
    }
    out.push_str(
        "# HELP bincio_store_call_duration_seconds Store calls by backend and method, from call to result.\n\
         # TYPE bincio_store_call_duration_seconds histogram\n",
    );
    for ((backend, op), h) in calls.iter() {
        let labels = format!("backend=\"{backend}\",op=\"{op}\"");
        h.write(out, "bincio_store_call_duration_seconds", &labels);
    }
}
