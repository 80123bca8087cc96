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
    // The sandbox's console is for people: only warnings unless RUST_LOG says otherwise.
    let quiet = matches!(cli.command, Some(pingan::cli::Command::Sandbox { .. }));
    let default = if quiet { "warn" } else { "info,sqlx=warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    match cli.log_format {
        LogFormat::Text => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
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
