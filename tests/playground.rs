//! `pingan sandbox`: the scripted demo and the interactive console, run as a person would.

use std::io::Write;
use std::process::{Command, Stdio};

fn sandbox(args: &[&str], stdin: &str) -> (bool, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    sandbox_in(tmp.path(), args, stdin)
}

/// Runs `pingan sandbox` with its session folder under `tmp`.
fn sandbox_in(tmp: &std::path::Path, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pingan"))
        .arg("sandbox")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TMPDIR", tmp)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pingan sandbox starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A script in a temporary file.
fn script(dir: &tempfile::TempDir, text: &str) -> String {
    let path = dir.path().join("story.txt");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// The session folder the banner names (`…/pingan-sandbox-PID`).
fn session_dir(out: &str) -> std::path::PathBuf {
    let log = out
        .lines()
        .find_map(|l| l.strip_prefix("日志："))
        .unwrap_or_else(|| panic!("no log path in the banner:\n{out}"));
    std::path::Path::new(log.trim())
        .parent()
        .unwrap()
        .to_path_buf()
}

#[test]
fn the_demo_story_plays() {
    let tmp = tempfile::tempdir().unwrap();
    let (ok, out, err) = sandbox_in(tmp.path(), &["--script", "examples/demo.txt"], "");
    assert!(ok, "demo failed: {err}\n{out}");
    // A plain run is quiet: nothing logged on the console, and nothing to
    // warn about in the log file either.
    assert!(err.is_empty(), "{err}");
    let log = std::fs::read_to_string(session_dir(&out).join("sandbox.log")).unwrap();
    for noise in ["WARN", "ERROR"] {
        assert!(!out.contains(noise), "{out}");
        assert!(!log.contains(noise), "{log}");
    }
    // The report's story: a rainstorm alert reaches every group and is acknowledged, a resident
    // reports a dispute, the grid worker resolves it, the resident rates it, the statistics show it.
    for expected in [
        "【第三网格平安群】🟧 平安提示 · 严重 · 天气",
        "【格里坪镇平安群】🟧 平安提示 · 严重 · 天气",
        "💬 已确认收到",
        "【第三网格平安群】📋 已登记 #1（矛盾纠纷）",
        "【私聊·陈阿姨】📋 您反映的 #1（矛盾纠纷）：已解决",
        "[1 满意] [2 基本满意] [3 不满意]",
        "📰 日报 西区 xq",
        "矛盾纠纷化解成功率 100.0%（1/1）",
        "群众满意率 100.0%（1/1）",
    ] {
        assert!(
            out.contains(expected),
            "{expected:?} missing from the transcript:\n{out}"
        );
    }
}

#[test]
fn a_failed_expectation_fails_the_script() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("bad.txt");
    std::fs::write(
        &script,
        "as 陈阿姨 in private\n/whoami\nexpect 超级管理员\n",
    )
    .unwrap();
    let (ok, _, err) = sandbox(&["--script", script.to_str().unwrap()], "");
    assert!(
        !ok && err.contains("line 3") && err.contains("超级管理员"),
        "{err}"
    );
}

#[test]
fn the_console_answers_a_person() {
    let (ok, out, err) = sandbox(
        &[],
        "help\nwho\nas 陈阿姨 in xq.hmk.c1.g3\n/whoami\nin nowhere\npress 9\nquit\n",
    );
    assert!(ok, "{err}");
    for expected in [
        "控制台命令",
        "陈阿姨 — 第三网格居民",
        "【第三网格平安群】陈阿姨",
        "没有这个群：nowhere",
        "这里没有第 9 个按钮",
    ] {
        assert!(out.contains(expected), "{expected:?} missing:\n{out}");
    }
}

#[test]
fn the_demo_plays_from_a_months_last_day() {
    for start in ["2025-01-31", "2024-02-29 23:50"] {
        let (ok, out, err) = sandbox(&["--script", "examples/demo.txt", "--start", start], "");
        assert!(ok, "demo from {start} failed: {err}\n{out}");
        assert!(out.contains("群众满意率 100.0%（1/1）"), "{out}");
    }
}

#[test]
fn waiting_across_monday_morning_brings_the_weekly_report_once_on_time() {
    let dir = tempfile::tempdir().unwrap();
    // Sunday 10:00 → Monday 10:00: the daily report at 18:00, the weekly at 09:00.
    let story = script(&dir, "wait 1d\nexpect 📋 周排 西区 xq\n");
    let (ok, out, err) = sandbox(&["--script", &story, "--start", "2025-06-15 10:00"], "");
    assert!(ok, "{err}\n{out}");
    assert_eq!(
        out.matches("【西区平安群】📋 周排 西区 xq").count(),
        1,
        "{out}"
    );
    assert_eq!(
        out.matches("【西区平安群】📰 日报 西区 xq").count(),
        1,
        "{out}"
    );
    assert!(!out.contains("补发"), "{out}");
    let weekly = out.find("📋 周排").unwrap();
    let daily = out.find("📰 日报").unwrap();
    let (at_18, at_9) = (
        out.find("⏱ 2025-06-15 18:00").unwrap(),
        out.find("⏱ 2025-06-16 09:00").unwrap(),
    );
    assert!(at_18 < daily && daily < at_9 && at_9 < weekly, "{out}");
    assert!(out.contains("现在是 2025-06-16 10:00"), "{out}");
}

#[test]
fn a_long_wait_reminds_and_escalates_at_their_times() {
    let dir = tempfile::tempdir().unwrap();
    let story = script(
        &dir,
        "as @li_zhuren in xq\n/alert severe weather 暴雨\npress 1\nwait 30d\n",
    );
    let started = std::time::Instant::now();
    let (ok, out, err) = sandbox(&["--script", &story, "--start", "2025-06-12 10:00"], "");
    assert!(ok, "{err}\n{out}");
    // Sent at 10:00: reminded at 10:30 (remind after 30 min), escalated at
    // 11:00 (30 min later), each once per group.
    let reminder = "【第三网格平安群】⏰ 提醒：平安提示 A1 尚未确认";
    let escalation = "【私聊·刘网格员】⚠️ 以下 1 个群仍未确认平安提示 A1";
    let (at_1030, at_11, at_18) = (
        out.find("⏱ 2025-06-12 10:30").expect("a stop at 10:30"),
        out.find("⏱ 2025-06-12 11:00").expect("a stop at 11:00"),
        out.find("⏱ 2025-06-12 18:00").expect("a stop at 18:00"),
    );
    let (r, e) = (out.find(reminder).unwrap(), out.find(escalation).unwrap());
    assert!(at_1030 < r && r < at_11 && at_11 < e && e < at_18, "{out}");
    assert_eq!(out.matches(reminder).count(), 1);
    assert_eq!(out.matches(escalation).count(), 1);
    // A month of reports, none late, in a few seconds.
    assert_eq!(out.matches("【西区平安群】📰 日报").count(), 30, "{out}");
    assert_eq!(out.matches("【西区平安群】🖼 📊 月结").count(), 1, "{out}");
    assert!(!out.contains("补发"), "{out}");
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

#[test]
fn files_the_bot_sends_are_saved_where_the_banner_says() {
    let dir = tempfile::tempdir().unwrap();
    let story = script(
        &dir,
        "as @li_zhuren in xq\n/export month\n/export month csv\n",
    );
    let tmp = tempfile::tempdir().unwrap();
    let (ok, out, err) = sandbox_in(tmp.path(), &["--script", &story], "");
    assert!(ok, "{err}\n{out}");
    let folder = out
        .lines()
        .find_map(|l| l.strip_prefix("机器人发送的文件保存在："))
        .expect("the banner names the files folder")
        .trim()
        .to_string();
    assert!(folder.starts_with(tmp.path().to_str().unwrap()), "{folder}");
    let saved: Vec<&str> = out
        .lines()
        .filter_map(|l| l.trim().strip_prefix("💾 已保存到 "))
        .collect();
    assert_eq!(saved.len(), 2, "{out}");
    for path in &saved {
        assert!(path.starts_with(&folder), "{path}");
        assert!(std::fs::metadata(path).unwrap().len() > 0, "{path}");
    }
    assert!(
        saved[0].ends_with(".xlsx") && saved[1].ends_with(".csv"),
        "{saved:?}"
    );
    // The session's database is gone; the log and the files stay.
    let session = session_dir(&out);
    assert!(!session.join("sandbox.db").exists());
    assert!(session.join("sandbox.log").exists());
}

#[test]
fn a_person_is_found_by_username_and_help_lists_expect() {
    let (ok, out, err) = sandbox(
        &[],
        "help\nas @chen_ayi in xq.hmk.c1.g3\n/whoami\nas @nobody\nwho\nquit\n",
    );
    assert!(ok, "{err}");
    for expected in [
        "expect <文字>",
        "陈阿姨 @ 第三网格平安群",
        "没有这个人：@nobody",
        "孙调解员 — 河门口社区调解员",
        "赵民警 — 社区民警",
        "(@chen_ayi)",
    ] {
        assert!(out.contains(expected), "{expected:?} missing:\n{out}");
    }
}

#[test]
fn a_given_database_keeps_the_data_between_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("kept.db").display());
    let first = script(
        &dir,
        "as @chen_ayi in xq.hmk.c1.g3\n/report 纠纷 楼上漏水\nexpect #1\n",
    );
    let (ok, out, err) = sandbox(&["--script", &first, "--database", &url], "");
    assert!(ok && out.contains("--database"), "{err}\n{out}");
    let second = script(
        &dir,
        "as @chen_ayi in xq.hmk.c1.g3\n/report 纠纷 楼下噪音\nexpect #2\n",
    );
    let (ok, out, err) = sandbox(&["--script", &second, "--database", &url], "");
    assert!(ok, "{err}\n{out}");
}
