//! `pingan sandbox`: the scripted demo and the interactive console, run as a person would.

use std::io::Write;
use std::process::{Command, Stdio};

fn sandbox(args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pingan"))
        .arg("sandbox")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
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

#[test]
fn the_demo_story_plays() {
    let (ok, out, err) = sandbox(&["--script", "examples/demo.txt"], "");
    assert!(ok, "demo failed: {err}\n{out}");
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
