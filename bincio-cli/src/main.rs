//! The `bincio` command line: one binary for the activities instance and the
//! event check-in server. Commands parse flags, open the store, call core
//! services and print; they hold no business rules.
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod config_file;
mod password;
mod stores;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    let applied = match config_file::apply(std::env::args_os().collect()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let matches = match cli::Cli::command().try_get_matches_from(&applied.args) {
        Ok(m) => m,
        Err(e) => {
            if let (Some(f), false) = (&applied.file, applied.from_file.is_empty()) {
                // The command line alone parsed: a value from the file is bad.
                let _ = e.print();
                eprintln!(
                    "note: values from the config file {}: {}",
                    f.display(),
                    applied
                        .from_file
                        .iter()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                return ExitCode::from(2);
            }
            e.exit()
        }
    };
    let cli = match cli::Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    if let (cli::Command::Serve(a), Some(("serve", m))) = (&cli.command, matches.subcommand()) {
        if a.print_config {
            print!("{}", config_file::print(m, &applied));
            return ExitCode::SUCCESS;
        }
    }
    let (json_logs, store_calls) = match &cli.command {
        cli::Command::Serve(a) => (
            a.log_format == cli::LogFormat::Json,
            a.metrics_token.as_deref().is_some_and(|t| !t.is_empty()),
        ),
        _ => (false, false),
    };
    init_logging(json_logs, store_calls);
    // Local extraction needs no runtime: skip starting tokio's threads.
    let cli = match cli.command {
        cli::Command::Extract(a) if commands::extract::is_local(&a) => {
            return exit(commands::extract::run_local(a));
        }
        command => cli::Cli { command },
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    exit(rt.block_on(commands::run(cli)))
}

/// Log to stderr, filtered by `BINCIO_LOG` (default `info`): text, or one
/// JSON object per line carrying the list of its enclosing spans (`spans`:
/// the request span's `request_id`, route, … then the handler's and the
/// service's own) — the list, not just the innermost span, so an event deep
/// in a service call still names its request. With `store_calls`, the
/// store-call timing layer of `/metrics` is added (its own filter: the log
/// filter does not hide the store spans from it).
fn init_logging(json: bool, store_calls: bool) {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    use tracing_subscriber::Layer as _;
    let filter = tracing_subscriber::EnvFilter::try_from_env("BINCIO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let fmt = if json {
        fmt.json()
            .with_current_span(false)
            .with_span_list(true)
            .flatten_event(true)
            .with_filter(filter)
            .boxed()
    } else {
        fmt.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_filter(filter)
            .boxed()
    };
    tracing_subscriber::registry()
        .with(fmt)
        .with(store_calls.then(bincio_http::metrics::store_calls_layer))
        .init();
}

/// The exit code of a command, printing its error.
fn exit(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One clear line: the error and its causes, joined.
            let msg = e
                .chain()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(": ");
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}
