//! The command line: `pingan [run]`, `pingan migrate`, `pingan import FILE`.

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::app::RunOptions;
use crate::config::{BotConfig, Settings};
use crate::domain::NodeCode;
use crate::import::{self, DistrictPlan, Format};
use crate::store::{Store, nodes, people};
use crate::telegram::Intake;
use crate::tr;

#[derive(Debug, Parser)]
#[command(
    name = "pingan",
    version,
    about = "平安 — community-safety Telegram bot"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Log lines as plain text or JSON (filter with RUST_LOG).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Receive updates by webhook at this public HTTPS URL instead of polling.
    #[arg(long)]
    pub webhook: Option<url::Url>,
    /// Address the webhook server listens on.
    #[arg(long, default_value = "0.0.0.0:8443", requires = "webhook")]
    pub listen: std::net::SocketAddr,
    /// Serve /healthz and /metrics on this address (off by default).
    #[arg(long)]
    pub metrics: Option<std::net::SocketAddr>,
}

impl RunArgs {
    pub fn options(&self) -> RunOptions {
        let intake = match &self.webhook {
            Some(url) => Intake::Webhook {
                url: url.clone(),
                listen: self.listen,
                secret: std::env::var("PINGAN_WEBHOOK_SECRET")
                    .ok()
                    .filter(|s| !s.is_empty()),
            },
            None => Intake::Polling,
        };
        RunOptions {
            intake,
            metrics: self.metrics,
            ..RunOptions::default()
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the bot (long polling unless --webhook is given; the default command).
    Run(RunArgs),
    /// Try the bot without Telegram: a local Bot API sandbox, the bot, and a console.
    Sandbox {
        /// Play a scripted story (console lines) and print the transcript.
        #[arg(long)]
        script: Option<PathBuf>,
        /// Port for the sandbox's Bot API server (0 picks a free one).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Where the sandbox's clock starts, in the district's time zone
        /// (`2025-06-12` or `2025-06-12 10:00`). Default: now, or for a
        /// script 2025-06-12 10:00, so a story plays the same on any day.
        #[arg(long, env = "PINGAN_SANDBOX_START")]
        start: Option<String>,
        /// Keep the sandbox's data in this database (`sqlite://…` or
        /// `postgres://…`) instead of a temporary one deleted at the end.
        /// DATABASE_URL is not used here, so the sandbox never touches the
        /// bot's real database by accident.
        #[arg(long)]
        database: Option<String>,
    },
    /// Write a subtree's cases for a period to an .xlsx (or .csv) file, as /export sends it.
    Export {
        /// today, week, xun, month, YYYY-MM or FROM..TO (default: this month).
        #[arg(long, default_value = "month")]
        period: String,
        /// The node whose subtree is exported (default: the district).
        #[arg(long)]
        code: Option<String>,
        /// CSV (UTF-8 with BOM) instead of an Excel workbook.
        #[arg(long)]
        csv: bool,
        /// Where to write (default: the file's own name in this folder).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Import a district (nodes and staff) from a .toml or .csv file.
    Import {
        /// The file to read.
        file: PathBuf,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    match cli.command.unwrap_or(Command::Run(RunArgs {
        webhook: None,
        listen: ([0, 0, 0, 0], 8443).into(),
        metrics: None,
    })) {
        Command::Run(args) => {
            let bot = BotConfig::from_env()?;
            crate::app::run(settings, bot, args.options(), crate::app::signal()).await
        }
        Command::Sandbox {
            script,
            port,
            start,
            database,
        } => {
            let opts = crate::playground::PlaygroundOptions {
                script,
                port,
                start,
                database,
            };
            crate::playground::run(settings, opts).await
        }
        Command::Export {
            period,
            code,
            csv,
            out,
        } => export(&settings, &period, code.as_deref(), csv, out).await,
        Command::Migrate => {
            Store::open(&settings.database_url).await?;
            println!(
                "{}",
                tr!(
                    settings.locale,
                    "数据库已是最新结构：{}",
                    "migrations applied: {}",
                    settings.database_url
                )
            );
            Ok(())
        }
        Command::Import { file } => import_file(&settings, &file).await,
    }
}

pub async fn import_file(settings: &Settings, file: &std::path::Path) -> anyhow::Result<()> {
    let en = settings.locale.is_en();
    let format = Format::from_path(file)
        .with_context(|| format!("{}: the file must end in .toml or .csv", file.display()))?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let store = Store::open(&settings.database_url).await?;
    let existing: HashSet<NodeCode> = {
        let mut conn = store.conn().await?;
        let mut codes = HashSet::new();
        for root in nodes::roots(&mut conn).await? {
            codes.extend(
                nodes::subtree(&mut conn, &root.code)
                    .await?
                    .into_iter()
                    .map(|n| n.code),
            );
        }
        codes
    };
    let plan = match import::parse_bytes(format, &bytes, &|c: &NodeCode| existing.contains(c)) {
        Ok(plan) => plan,
        Err(errors) => {
            eprintln!("{}", errors.render(en));
            anyhow::bail!(if en {
                "nothing was imported"
            } else {
                "未导入任何内容"
            });
        }
    };
    let summary = apply(&store, &plan, &existing).await?;
    if en {
        println!(
            "imported {}: {} nodes ({} new), {} staff roles",
            file.display(),
            plan.nodes.len(),
            summary.new_nodes,
            plan.staff.len()
        );
    } else {
        println!(
            "已导入 {}：节点 {} 个（新增 {} 个），职务 {} 项",
            file.display(),
            plan.nodes.len(),
            summary.new_nodes,
            plan.staff.len()
        );
    }
    Ok(())
}

struct Summary {
    new_nodes: usize,
}

/// Writes a validated plan in one transaction; importing twice changes nothing.
async fn apply(
    store: &Store,
    plan: &DistrictPlan,
    existing: &HashSet<NodeCode>,
) -> anyhow::Result<Summary> {
    let now = chrono::Utc::now().timestamp();
    let mut tx = store.begin().await?;
    for node in &plan.nodes {
        nodes::upsert(&mut tx, &node.code, &node.name, now).await?;
    }
    for staff in &plan.staff {
        people::known_by_import(
            &mut tx,
            staff.user_id,
            staff.username.as_deref(),
            staff.name.as_deref(),
            now,
        )
        .await?;
        let grant = crate::domain::Grant {
            code: staff.code.clone(),
            role: staff.role,
            post: staff.post,
        };
        people::grant_role(&mut tx, staff.user_id, &grant, None, now).await?;
    }
    tx.commit().await.context("failed to save the import")?;
    Ok(Summary {
        new_nodes: plan
            .nodes
            .iter()
            .filter(|n| !existing.contains(&n.code))
            .count(),
    })
}

async fn export(
    settings: &Settings,
    period: &str,
    code: Option<&str>,
    csv: bool,
    out: Option<PathBuf>,
) -> anyhow::Result<()> {
    let (tz, now, l) = (settings.tz, chrono::Utc::now().timestamp(), settings.locale);
    let period = crate::domain::period::Period::parse(period, tz, now).map_err(|_| {
        anyhow::anyhow!(tr!(
            l,
            "--period：「{period}」不是 today、week、xun、month、YYYY-MM 或 起..止",
            "--period: `{period}` is not today, week, xun, month, YYYY-MM or FROM..TO"
        ))
    })?;
    let store = Store::open(&settings.database_url).await?;
    let mut conn = store.conn().await?;
    let root = match code {
        Some(raw) => NodeCode::parse(raw).map_err(|e| anyhow::anyhow!("--code: `{raw}`: {e}"))?,
        None => nodes::roots(&mut conn)
            .await?
            .into_iter()
            .next()
            .map(|n| n.code)
            .with_context(|| {
                tr!(
                    l,
                    "数据库里还没有节点（先运行 pingan import）",
                    "the database has no nodes yet (run pingan import)"
                )
            })?,
    };
    let names = nodes::subtree(&mut conn, &root)
        .await?
        .into_iter()
        .map(|n| (n.code, n.name))
        .collect();
    drop(conn);
    let names: crate::stats::render::Names = names;
    anyhow::ensure!(
        !names.is_empty(),
        tr!(
            l,
            "--code：没有节点 {root}",
            "--code: there is no node {root}"
        )
    );
    let source = crate::store::stats::StoreStats(store.clone());
    let file = crate::stats::export_file(
        &source,
        settings.locale,
        (&root, &names),
        period,
        tz,
        now,
        csv,
    )
    .await?;
    let path = out.unwrap_or_else(|| PathBuf::from(&file.name));
    std::fs::write(&path, &file.bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "{}",
        tr!(
            l,
            "已导出 {}（{} 件事项）",
            "exported {} ({} cases)",
            path.display(),
            file.cases
        )
    );
    if !file.skipped.is_empty() {
        eprintln!(
            "{}",
            crate::i18n::plain(&crate::stats::render::skipped_note(l, &file.skipped))
        );
    }
    Ok(())
}
