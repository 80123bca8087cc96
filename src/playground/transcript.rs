//! Renders what the bot did in the sandbox for a person: new messages and
//! edits, each with the group (or private chat) it went to.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::cast::Cast;
use crate::i18n::Locale;
use crate::sandbox::{Sandbox, SentKind, SentMessage};

pub struct Transcript {
    locale: Locale,
    /// (chat, message id) → edits already shown.
    shown: HashMap<(i64, i64), u32>,
    /// Output since the last command, for `expect`.
    turn: String,
    /// Button answers (toasts) already shown.
    answers: usize,
    /// Where the files the bot sends are saved, and how many were.
    files: PathBuf,
    saved: usize,
}

impl Transcript {
    pub fn new(locale: Locale, files: PathBuf) -> Transcript {
        Transcript {
            locale,
            shown: HashMap::new(),
            turn: String::new(),
            answers: 0,
            files,
            saved: 0,
        }
    }

    pub fn locale(&self) -> Locale {
        self.locale
    }

    pub fn skip_all(&mut self, sandbox: &Sandbox) {
        for m in sandbox.all_messages() {
            self.shown.insert((m.chat_id, m.message_id), m.edits);
        }
        self.answers = sandbox.callback_answers().len();
    }

    pub fn start_turn(&mut self) {
        self.turn.clear();
    }

    pub fn last_output(&self) -> &str {
        &self.turn
    }

    /// Everything not shown yet, rendered; remembers it as shown.
    pub fn take_new(&mut self, sandbox: &Sandbox, cast: &Cast) -> String {
        let mut out = String::new();
        for m in sandbox.all_messages() {
            let key = (m.chat_id, m.message_id);
            let edited = match self.shown.get(&key) {
                None => false,
                Some(edits) if *edits < m.edits => true,
                Some(_) => continue,
            };
            self.shown.insert(key, m.edits);
            let saved = if edited { None } else { self.save(sandbox, &m) };
            out.push_str(&render(&m, cast, edited, self.locale, saved.as_deref()));
        }
        let answers = sandbox.callback_answers();
        for a in answers.iter().skip(self.answers) {
            if let Some(text) = a.text.as_deref().filter(|t| !t.is_empty()) {
                out.push_str(&format!("  💬 {text}\n"));
            }
        }
        self.answers = answers.len();
        self.turn.push_str(&out);
        out
    }
}

impl Transcript {
    /// Saves the photo or document of `m` in the files folder; its path.
    fn save(&mut self, sandbox: &Sandbox, m: &SentMessage) -> Option<PathBuf> {
        let name = match &m.kind {
            SentKind::Text => return None,
            SentKind::Photo => String::new(),
            SentKind::Document { file_name } => file_name.replace(['/', '\\'], "_"),
        };
        let bytes = sandbox.file_bytes(m.chat_id, m.message_id)?;
        let name = if name.is_empty() {
            let ext = if bytes.starts_with(b"\x89PNG") {
                "png"
            } else {
                "jpg"
            };
            format!("photo.{ext}")
        } else {
            name
        };
        self.saved += 1;
        let path = self.files.join(format!("{:02}-{name}", self.saved));
        let written =
            std::fs::create_dir_all(&self.files).and_then(|()| std::fs::write(&path, bytes));
        match written {
            Ok(()) => Some(path),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot save the bot's file");
                None
            }
        }
    }
}

fn render(m: &SentMessage, cast: &Cast, edited: bool, l: Locale, saved: Option<&Path>) -> String {
    let place = cast
        .chat_name(m.chat_id)
        .unwrap_or_else(|| m.chat_id.to_string());
    let mark = match (edited, l) {
        (true, Locale::Zh) => "✏️ 已编辑 ",
        (true, Locale::En) => "✏️ edited ",
        (false, _) => "",
    };
    let kind = match &m.kind {
        SentKind::Text => String::new(),
        SentKind::Photo => "🖼 ".into(),
        SentKind::Document { file_name } => format!("📎 {file_name} "),
    };
    let mut s = format!(
        "【{place}】{mark}{kind}{}\n",
        m.text.replace('\n', "\n    ")
    );
    if let Some(path) = saved {
        s.push_str(&match l {
            Locale::Zh => format!("    💾 已保存到 {}\n", path.display()),
            Locale::En => format!("    💾 saved to {}\n", path.display()),
        });
    }
    let buttons = m.buttons();
    if !buttons.is_empty() {
        let labels: Vec<String> = buttons
            .iter()
            .enumerate()
            .map(|(i, (text, _))| format!("[{} {text}]", i + 1))
            .collect();
        s.push_str(&format!("    {}\n", labels.join(" ")));
    }
    s
}
