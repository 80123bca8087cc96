//! What a person types at the `pingan sandbox` console, parsed once.
//!
//! Anything that is not a console command is a message typed as the current
//! person in the current chat, exactly as in Telegram.

use crate::i18n::Locale;
use crate::tr;

#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// `as <who> [in <where>]`: become someone (and move).
    As {
        who: String,
        place: Option<String>,
    },
    /// `in <where>`: a node code, a group title, or `private`.
    In(String),
    /// `press <n>`: the n-th button of the bot's latest message with buttons here.
    Press(usize),
    /// `wait <duration>`: move the clock on (e.g. `2h`, `1d`) and run what falls due.
    Wait(i64),
    Photo(String),
    Location(f64, f64),
    /// `expect <text>`: the script stops with an error unless the bot's
    /// replies since the last command contain the text.
    Expect(String),
    Who,
    Groups,
    Help,
    Quit,
    /// `# …`: narration, printed in scripts.
    Comment(String),
    Say(String),
    Empty,
}

/// Parses a duration like `90s`, `30m`, `2h`, `1d` into seconds.
pub fn parse_duration(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = raw.split_at(split);
    let n: i64 = n.parse().ok()?;
    let unit = match unit {
        "s" | "秒" => 1,
        "m" | "min" | "分钟" => 60,
        "h" | "小时" => 3600,
        "d" | "天" => 86_400,
        _ => return None,
    };
    let secs = n.checked_mul(unit)?;
    (n > 0 && secs <= 366 * 86_400).then_some(secs)
}

impl Line {
    pub fn parse(raw: &str) -> Result<Line, String> {
        let line = raw.trim();
        if line.is_empty() {
            return Ok(Line::Empty);
        }
        if let Some(c) = line.strip_prefix('#') {
            return Ok(Line::Comment(c.trim().to_string()));
        }
        let (head, rest) = line
            .split_once(char::is_whitespace)
            .map(|(h, r)| (h, r.trim()))
            .unwrap_or((line, ""));
        Ok(match head {
            "as" | "我是" => {
                let (who, place) = match rest.split_once(" in ").or_else(|| rest.split_once(" 在 "))
                {
                    Some((w, p)) => (w.trim(), Some(p.trim().to_string())),
                    None => (rest, None),
                };
                if who.is_empty() {
                    return Err("as <who> [in <where>]".into());
                }
                Line::As {
                    who: who.to_string(),
                    place,
                }
            }
            "in" | "在" if !rest.is_empty() => Line::In(rest.to_string()),
            "press" | "按" => {
                Line::Press(rest.parse().ok().filter(|n| *n >= 1).ok_or("press <n>")?)
            }
            "wait" | "等待" => {
                Line::Wait(parse_duration(rest).ok_or("wait <duration>, e.g. wait 2h, wait 1d")?)
            }
            "photo" | "照片" => Line::Photo(rest.to_string()),
            "location" | "位置" => {
                let mut it = rest.split_whitespace().map(str::parse::<f64>);
                match (it.next(), it.next()) {
                    (Some(Ok(lat)), Some(Ok(lon))) => Line::Location(lat, lon),
                    _ => return Err("location <latitude> <longitude>".into()),
                }
            }
            "expect" | "期望" if !rest.is_empty() => Line::Expect(rest.to_string()),
            "who" | "谁" => Line::Who,
            "groups" | "群" => Line::Groups,
            "help" | "帮助" => Line::Help,
            "quit" | "exit" | "退出" => Line::Quit,
            _ => Line::Say(line.to_string()),
        })
    }
}

pub fn help(l: Locale) -> String {
    tr!(
        l,
        "控制台命令：\n  as <人> [in <地点>]   切换身份（名字或 @用户名），并可换群\n  in <地点>             切换到群（节点编码或群名）或 private（私聊）\n  press <n>             按下机器人最新消息的第 n 个按钮\n  wait <时长>           时间前进（如 2h、1d），途中到期的报表、提醒按时发出\n  photo <说明>          发送照片（说明可写 /report …）\n  location <纬度> <经度> 发送位置\n  expect <文字>         （脚本里）上一步之后机器人的回复里必须有这段文字，否则脚本失败\n  who / groups          列出人物 / 群组\n  help / quit           帮助 / 退出\n其他输入都作为当前身份在当前聊天里发送的消息，就像在 Telegram 里一样。\n{{今天}}、{{昨天}} 会换成沙盒里的日期（如 /stats {{昨天}}）。",
        "Console commands:\n  as <who> [in <where>]  become someone (name or @username), and move\n  in <where>             go to a group (node code or title) or `private`\n  press <n>              press button n of the bot's latest message here\n  wait <duration>        move time on (e.g. 2h, 1d); reports and reminders due meanwhile go out on time\n  photo <caption>        send a photo (the caption may be /report …)\n  location <lat> <lon>   send a location\n  expect <text>          (in scripts) the bot's replies since the last step must contain the text, or the script fails\n  who / groups           list the people / the groups\n  help / quit            this help / leave\nAnything else is a message from the current person in the current chat, as in Telegram.\n{{today}} and {{yesterday}} become the sandbox's dates (e.g. /stats {{yesterday}})."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_console_commands() {
        assert_eq!(
            Line::parse("as 王网格员 in xq.hmk.c1.g3").unwrap(),
            Line::As {
                who: "王网格员".into(),
                place: Some("xq.hmk.c1.g3".into())
            }
        );
        assert_eq!(
            Line::parse("我是 陈阿姨 在 private").unwrap(),
            Line::As {
                who: "陈阿姨".into(),
                place: Some("private".into())
            }
        );
        assert_eq!(Line::parse("press 2").unwrap(), Line::Press(2));
        assert_eq!(Line::parse("wait 1d").unwrap(), Line::Wait(86_400));
        assert_eq!(
            Line::parse("/report 纠纷 楼上漏水").unwrap(),
            Line::Say("/report 纠纷 楼上漏水".into())
        );
        assert_eq!(
            Line::parse("# 暴雨预警").unwrap(),
            Line::Comment("暴雨预警".into())
        );
        assert!(Line::parse("press x").is_err());
        assert!(Line::parse("wait soon").is_err());
        assert_eq!(Line::parse("in").unwrap(), Line::Say("in".into()));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("2h"), Some(7200));
        assert_eq!(parse_duration("3天"), Some(259_200));
        assert_eq!(parse_duration("0h"), None);
        assert_eq!(parse_duration("h"), None);
    }
}
