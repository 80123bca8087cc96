//! The scheduled reports — 日报 daily, 周排 weekly screening, 旬判 ten-day
//! assessment, 月结 monthly settlement — sent to every bound district and
//! town group (and community groups if configured), each about its subtree.
//!
//! Exactly once: the slot is claimed in `job_runs` in the same transaction
//! that queues the reports, so a restart or a second instance on the same
//! PostgreSQL cannot send it twice. A slot missed while the bot was down is
//! sent once when it is back, marked late; one older than the catch-up
//! window is recorded as skipped and logged.

use std::collections::BTreeMap;

use crate::app::App;
use crate::config::Settings;
use crate::domain::period::{Period, PeriodKind, local_date};
use crate::domain::stats::{CaseRecord, Category, Figures};
use crate::domain::{Level, NodeCode};
use crate::i18n::{Locale, esc};
use crate::outbox;
use crate::scheduler::schedule::{CronSchedule, Due};
use crate::scheduler::{Job, JobFuture, claim_slot, last_slot};
use crate::store::outbox::Outgoing;
use crate::store::{groups, nodes};
use crate::tr;

use super::render::{
    Names, child_lines, counts_line, late_note, node_label, quiet_report, satisfaction_line,
    skipped_note, stats_text,
};
use super::{chart, export, gather};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    Daily,
    Weekly,
    Xun,
    Monthly,
}

impl ReportKind {
    pub fn job_name(self) -> &'static str {
        match self {
            ReportKind::Daily => "report_daily",
            ReportKind::Weekly => "report_weekly",
            ReportKind::Xun => "report_xun",
            ReportKind::Monthly => "report_monthly",
        }
    }

    fn title(self, l: Locale) -> &'static str {
        match (self, l) {
            (ReportKind::Daily, Locale::Zh) => "📰 日报",
            (ReportKind::Weekly, Locale::Zh) => "📋 周排",
            (ReportKind::Xun, Locale::Zh) => "📈 旬判",
            (ReportKind::Monthly, Locale::Zh) => "📊 月结",
            (ReportKind::Daily, Locale::En) => "📰 Daily report",
            (ReportKind::Weekly, Locale::En) => "📋 Weekly screening",
            (ReportKind::Xun, Locale::En) => "📈 Ten-day assessment",
            (ReportKind::Monthly, Locale::En) => "📊 Monthly settlement",
        }
    }

    /// The period a report sent at `slot` covers: today, last week, the
    /// 旬 just ended, last month.
    pub fn period(self, tz: chrono_tz::Tz, slot: i64) -> Period {
        match self {
            ReportKind::Daily => Period::containing(PeriodKind::Day, tz, slot),
            ReportKind::Weekly => Period::containing(PeriodKind::Week, tz, slot).previous(tz),
            ReportKind::Xun => Period::containing(PeriodKind::Xun, tz, slot).previous(tz),
            ReportKind::Monthly => Period::containing(PeriodKind::Month, tz, slot).previous(tz),
        }
    }
}

pub struct ReportJob {
    pub kind: ReportKind,
    pub schedule: CronSchedule,
}

/// The four report jobs with the configured schedules.
pub fn jobs(settings: &Settings) -> Vec<Box<dyn Job>> {
    let r = &settings.reports;
    [
        (ReportKind::Daily, &r.daily),
        (ReportKind::Weekly, &r.weekly),
        (ReportKind::Xun, &r.xun),
        (ReportKind::Monthly, &r.monthly),
    ]
    .into_iter()
    .map(|(kind, s)| {
        Box::new(ReportJob {
            kind,
            schedule: s.clone(),
        }) as Box<dyn Job>
    })
    .collect()
}

impl Job for ReportJob {
    fn name(&self) -> &'static str {
        self.kind.job_name()
    }

    fn run<'a>(&'a self, app: &'a App, now: i64) -> JobFuture<'a> {
        Box::pin(async move {
            let tz = app.settings.tz;
            let last = {
                let mut conn = app.store.conn().await?;
                last_slot(&mut conn, self.name()).await?
            };
            match self
                .schedule
                .due(tz, last, now, app.settings.report_catch_up_secs)
            {
                Due::Nothing => Ok(()),
                Due::Skip { slot } => {
                    let mut tx = app.store.begin().await?;
                    if claim_slot(&mut tx, self.name(), slot, now).await? {
                        tracing::warn!(
                            job = self.name(),
                            slot,
                            now,
                            "report slot too old, skipped"
                        );
                    }
                    tx.commit().await?;
                    Ok(())
                }
                Due::Run { slot, late } => {
                    let msgs = self.compose(app, slot, late, now).await?;
                    let mut tx = app.store.begin().await?;
                    if claim_slot(&mut tx, self.name(), slot, now).await? {
                        outbox::queue(&mut tx, &msgs, now).await?;
                        tracing::info!(
                            job = self.name(),
                            slot,
                            late,
                            groups = msgs.len(),
                            "report queued"
                        );
                    }
                    tx.commit().await?;
                    Ok(())
                }
            }
        })
    }
}

impl ReportJob {
    /// Every message of this slot, for every receiving group. A group whose
    /// report cannot be made is told so (and the error logged); the others
    /// still get theirs, and the slot is not retried for the whole district.
    async fn compose(
        &self,
        app: &App,
        slot: i64,
        late: bool,
        now: i64,
    ) -> anyhow::Result<Vec<Outgoing>> {
        let mut conn = app.store.conn().await?;
        let mut msgs = Vec::new();
        for root in nodes::roots(&mut conn).await? {
            let names: Names = nodes::subtree(&mut conn, &root.code)
                .await?
                .into_iter()
                .map(|n| (n.code, n.name))
                .collect();
            for group in groups::bound_in(&mut conn, &root.code).await? {
                let Some(code) = group.node.clone().filter(|_| group.active) else {
                    continue;
                };
                let wanted = match code.level() {
                    Level::District | Level::Town => true,
                    Level::Community => app.settings.report_communities,
                    Level::Grid => false,
                };
                if !wanted {
                    continue;
                }
                let chat = group.chat_id;
                match self
                    .for_node(app, chat, &code, &names, slot, late, now)
                    .await
                {
                    Ok(out) => msgs.extend(out),
                    Err(e) => {
                        tracing::error!(
                            job = self.name(),
                            node = %code,
                            error = %format!("{e:#}"),
                            "a group's report could not be made"
                        );
                        let l = app.settings.locale;
                        let head = self.head(app, &code, &names, slot, late);
                        msgs.push(Outgoing::text(
                            chat,
                            tr!(
                                l,
                                "{head}\n⚠️ 本期报表未能生成，已记录错误，请联系运维人员。",
                                "{head}\n⚠️ This report could not be made; the error is logged for the operators."
                            ),
                        ));
                    }
                }
            }
        }
        Ok(msgs)
    }

    /// `<b>📊 月结</b> 西区 xq`, marked late when it is.
    fn head(&self, app: &App, code: &NodeCode, names: &Names, slot: i64, late: bool) -> String {
        let (l, tz) = (app.settings.locale, app.settings.tz);
        let mut head = format!("<b>{}</b> {}", self.kind.title(l), node_label(names, code));
        if late {
            head.push_str(&late_note(l, &export::local_time(tz, Some(slot))));
        }
        head
    }

    /// The report for one group. Rows that cannot be read or written are
    /// left out and named at the end of its text.
    #[allow(clippy::too_many_arguments)]
    async fn for_node(
        &self,
        app: &App,
        chat: i64,
        code: &NodeCode,
        names: &Names,
        slot: i64,
        late: bool,
        now: i64,
    ) -> anyhow::Result<Vec<Outgoing>> {
        let (l, tz) = (app.settings.locale, app.settings.tz);
        let period = self.kind.period(tz, slot);
        let report = gather(app.stats.as_ref(), code, period, tz, now).await?;
        let head = self.head(app, code, names, slot, late);
        let mut skipped = report.skipped.clone();
        // Nothing to report: one line instead of pages of zeros (the 周排
        // still lists open cases, if there are any).
        if report.figures.is_quiet()
            && (self.kind != ReportKind::Weekly || report.figures.total.open == 0)
        {
            let line = quiet_report(l, &report.figures);
            let note = skipped_note(l, &skipped);
            return Ok(vec![Outgoing::text(chat, format!("{head}\n{line}{note}"))]);
        }
        let body = match self.kind {
            ReportKind::Daily => daily(l, &report.figures, names),
            ReportKind::Weekly => {
                let live = app.stats.cases(code, slot, slot + 1).await?;
                skipped.extend(live.skipped);
                weekly(l, tz, &report.figures, &live.records, names, slot)
            }
            ReportKind::Xun | ReportKind::Monthly => {
                stats_text(l, &report.figures, &report.previous, names)
            }
        };
        let mut files = Vec::new();
        if self.kind == ReportKind::Monthly {
            let png = chart::monthly_png(l, &report.figures, names)?;
            let stamp = period.first.format("%Y-%m");
            files.push(Outgoing::photo(
                chat,
                format!("pingan-{code}-{stamp}.png"),
                png,
                head.clone(),
            ));
            let events = app.stats.events(code, period.start, period.end).await?;
            skipped.extend(events.skipped);
            let book = export::xlsx(
                l,
                tz,
                &report.cases,
                &events.records,
                &report.figures,
                names,
            )?;
            skipped.extend(book.skipped);
            files.push(Outgoing::document(
                chat,
                format!("pingan-{code}-{stamp}.xlsx"),
                book.bytes,
                head.clone(),
            ));
        }
        skipped.sort();
        skipped.dedup();
        let note = skipped_note(l, &skipped);
        let mut out = vec![Outgoing::text(chat, format!("{head}\n{body}{note}"))];
        out.extend(files);
        Ok(out)
    }
}

/// 日报: today's figures, then one line per child node with something to
/// report and one line for the quiet ones.
pub fn daily(l: Locale, f: &Figures, names: &Names) -> String {
    let mut t = format!("{}\n{}", f.period.label(), counts_line(l, &f.total));
    if f.satisfaction.whole > 0 {
        t.push('\n');
        t.push_str(&satisfaction_line(l, f));
    }
    for line in child_lines(l, f, names, |code, c| {
        tr!(
            l,
            "{}：{}",
            "{}: {}",
            node_label(names, code),
            counts_line(l, c)
        )
    }) {
        t.push('\n');
        t.push_str(&line);
    }
    t
}

/// Most cases listed in a 周排 (the rest are counted).
pub const WEEKLY_LIST_MAX: usize = 40;

/// 周排: every open dispute and supervised case, oldest first, with its handler.
pub fn weekly(
    l: Locale,
    tz: chrono_tz::Tz,
    f: &Figures,
    cases: &[CaseRecord],
    names: &Names,
    at: i64,
) -> String {
    let mut open: Vec<_> = cases
        .iter()
        .filter(|c| c.open_at(at) && (c.category == Category::Dispute || c.supervised))
        .collect();
    open.sort_by_key(|c| (c.opened_at, c.id));
    let mut t = tr!(
        l,
        "{} 上周：{}\n在办矛盾纠纷与挂牌督办 {} 件（按受理先后）：",
        "{} last week: {}\nOpen disputes and supervised cases: {} (oldest first):",
        f.period.label(),
        counts_line(l, &f.total),
        open.len()
    );
    let by_code: BTreeMap<_, _> = names.iter().collect();
    for c in open.iter().take(WEEKLY_LIST_MAX) {
        let cat = if l.is_en() {
            c.category.name_en()
        } else {
            c.category.name_zh()
        };
        let grid = by_code
            .get(&c.grid_code)
            .map(|n| esc(n))
            .unwrap_or_else(|| c.grid_code.to_string());
        let handler = c
            .handler
            .as_ref()
            .map(|h| esc(&h.1))
            .unwrap_or_else(|| tr!(l, "未指派", "unassigned"));
        let opened = local_date(tz, c.opened_at).format("%m-%d");
        t.push_str(&format!(
            "\n#{} {cat} · {grid} · {opened} · {handler}",
            c.id
        ));
        if c.supervised {
            t.push_str(&tr!(l, " · 督办", " · supervised"));
        }
        if c.overdue_at(at) {
            t.push_str(&tr!(l, " · ⚠️超期", " · ⚠️overdue"));
        }
    }
    if open.len() > WEEKLY_LIST_MAX {
        t.push_str(&tr!(
            l,
            "\n……另有 {} 件",
            "\n… and {} more",
            open.len() - WEEKLY_LIST_MAX
        ));
    }
    t
}
