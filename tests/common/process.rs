//! The bot as an operator runs it: `pingan run` in a process of its own,
//! against the sandbox, so a test can kill it (`kill -9` included).

use std::process::{Child, Command, Stdio};

use pingan::sandbox::Sandbox;

/// `pingan run ARGS…` on the sandbox and the database at `db_url`, with
/// `root` as superadmin; stderr is piped (the process's one-line errors).
pub fn run_as_process(sandbox: &Sandbox, db_url: &str, root: i64, args: &[&str]) -> Child {
    run_as_process_with(sandbox, db_url, root, args, &[])
}

/// [`run_as_process`] with `envs` added to the environment (settings such
/// as `PINGAN_REPORT_DAILY`).
pub fn run_as_process_with(
    sandbox: &Sandbox,
    db_url: &str,
    root: i64,
    args: &[&str],
    envs: &[(&str, &str)],
) -> Child {
    Command::new(env!("CARGO_BIN_EXE_pingan"))
        .arg("run")
        .args(args)
        .env_clear()
        .env("TELOXIDE_TOKEN", Sandbox::TOKEN)
        .env("TELOXIDE_API_URL", sandbox.api_url().as_str())
        .env("DATABASE_URL", db_url)
        .env("PINGAN_SUPERADMINS", root.to_string())
        .env("RUST_LOG", "warn")
        .envs(envs.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pingan")
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The `role …` line of the process's `/healthz` at `metrics_port`, or
/// `None` while it does not answer.
pub async fn role_of(metrics_port: u16) -> Option<String> {
    let body = reqwest::get(format!("http://127.0.0.1:{metrics_port}/healthz"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    body.lines()
        .find_map(|l| l.strip_prefix("role "))
        .map(str::to_string)
}
