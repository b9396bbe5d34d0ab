//! The `bincio` command line: one binary for the activities instance and the
//! event check-in server. Commands parse flags, open the store, call core
//! services and print; they hold no business rules.
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod password;
mod stores;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BINCIO_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
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
