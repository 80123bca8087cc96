//! The `pingan` binary: reads `.env`, sets up logging, and hands over to [`pingan::cli`].

use std::process::ExitCode;

use clap::Parser;
use pingan::cli::{Cli, LogFormat};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    if let Err(e) = dotenvy::dotenv()
        && !e.not_found()
    {
        eprintln!("pingan: .env: {e}");
        return ExitCode::FAILURE;
    }
    let cli = Cli::parse();
    // The sandbox's console is for people: its log goes to a file in the
    // session's folder (the banner names it), and the terminal stays quiet.
    let sandbox = matches!(cli.command, Some(pingan::cli::Command::Sandbox { .. }));
    let log_file = sandbox
        .then(pingan::playground::open_log)
        .and_then(|r| match r {
            Ok(file) => Some(std::sync::Arc::new(file)),
            Err(e) => {
                eprintln!("pingan: sandbox log: {e}");
                None
            }
        });
    let default = if sandbox && log_file.is_none() {
        "warn"
    } else {
        "info,sqlx=warn"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let writer = tracing_subscriber::fmt::writer::BoxMakeWriter::new(std::io::stderr);
    let (writer, ansi) = match log_file {
        Some(file) => (
            tracing_subscriber::fmt::writer::BoxMakeWriter::new(file),
            false,
        ),
        None => (writer, std::env::var_os("NO_COLOR").is_none()),
    };
    match cli.log_format {
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(ansi)
            .with_writer(writer)
            .init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_writer(writer)
            .init(),
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pingan: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(pingan::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pingan: {e:#}");
            ExitCode::FAILURE
        }
    }
}
