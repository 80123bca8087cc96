//! The world `pingan sandbox` starts with: Xiqu district from
//! `examples/xiqu.toml`, a few bound groups, and a small cast of people.

use std::collections::HashSet;

use crate::config::Settings;
use crate::domain::{Grant, NodeCode, Post, Role};
use crate::import::{self, Format};
use crate::sandbox::Sandbox;
use crate::scheduler::claim_slot;
use crate::stats::reports::ReportKind;
use crate::store::{Store, groups, nodes, people};

const XIQU: &str = include_str!("../../examples/xiqu.toml");

/// Someone the console can act as.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: &'static str,
    /// Telegram username, without the `@`.
    pub username: &'static str,
    pub id: i64,
    pub about: &'static str,
}

/// A group of the world, bound to a node.
#[derive(Debug, Clone)]
pub struct Group {
    pub chat_id: i64,
    pub title: String,
    pub code: NodeCode,
}

pub struct Cast {
    pub people: Vec<Person>,
    pub groups: Vec<Group>,
}

/// A role on a node (by code), A or B post.
type Duty = Option<(Role, &'static str, Post)>;

/// (name, username, duty, what they are)
const PEOPLE: &[(&str, &str, Duty, &str)] = &[
    (
        "李主任",
        "li_zhuren",
        Some((Role::Admin, "xq", Post::A)),
        "西区综治办主任 district admin",
    ),
    (
        "张书记",
        "zhang_shuji",
        Some((Role::Admin, "xq.hmk", Post::A)),
        "河门口街道书记 street leader",
    ),
    (
        "王网格员",
        "wang_wgy",
        Some((Role::Worker, "xq.hmk.c1.g3", Post::A)),
        "第三网格网格员 grid worker (A)",
    ),
    (
        "刘网格员",
        "liu_wgy",
        Some((Role::Worker, "xq.hmk.c1.g3", Post::B)),
        "第三网格B岗 grid worker (B post)",
    ),
    (
        "赵民警",
        "zhao_mj",
        Some((Role::Police, "xq.hmk.c1.g3", Post::A)),
        "社区民警 community police",
    ),
    (
        "孙调解员",
        "sun_tjy",
        Some((Role::Mediator, "xq.hmk.c1", Post::A)),
        "河门口社区调解员 community mediator",
    ),
    ("陈阿姨", "chen_ayi", None, "第三网格居民 resident"),
    ("小周", "xiao_zhou", None, "第三网格居民 resident"),
];

/// Which nodes get a group: the district, every town, and the path down to grid g3's community.
fn bound(code: &NodeCode) -> bool {
    let depth = code.level().depth();
    depth <= 2
        || code.as_str().starts_with("xq.hmk.c1")
        || (depth == 3 && code.as_str().starts_with("xq.hmk."))
}

/// Fills the database and the sandbox's world. The bot is not running yet:
/// what the world does now reaches it as updates when it starts. Seeding a
/// database seeded before is harmless: the world's ids are the same each time.
pub async fn seed(
    store: &Store,
    sandbox: &Sandbox,
    settings: &Settings,
    now: i64,
) -> anyhow::Result<Cast> {
    let plan = import::parse(Format::Toml, XIQU, &|_: &NodeCode| false)
        .map_err(|e| anyhow::anyhow!("examples/xiqu.toml: {e}"))?;
    let mut tx = store.begin().await?;
    for node in &plan.nodes {
        nodes::upsert(&mut tx, &node.code, &node.name, now).await?;
    }
    let mut cast = Cast {
        people: Vec::new(),
        groups: Vec::new(),
    };
    for (name, username, duty, about) in PEOPLE {
        let id = sandbox.add_user(name, Some(username));
        let sighting = people::Sighting {
            id,
            username: Some(username),
            first_name: name,
            last_name: None,
            private: false,
            grid: None,
        };
        people::seen(&mut tx, &sighting, now).await?;
        if let Some((role, code, post)) = duty {
            let grant = Grant {
                code: NodeCode::parse(code)?,
                role: *role,
                post: *post,
            };
            people::grant_role(&mut tx, id, &grant, None, now).await?;
        } else {
            people::set_grid(&mut tx, id, &NodeCode::parse("xq.hmk.c1.g3")?).await?;
        }
        cast.people.push(Person {
            name,
            username,
            id,
            about,
        });
    }
    let leader = cast.people[0].id;
    let mut seen = HashSet::new();
    for node in plan.nodes.iter().filter(|n| bound(&n.code)) {
        let title = format!("{}平安群", node.name);
        let chat = sandbox.create_group(&title, leader);
        for p in &cast.people {
            if p.id != leader {
                sandbox.join(chat, p.id);
            }
        }
        sandbox.add_bot(chat, leader);
        // An administrator with the pin right, as a district would set it
        // up: severe alerts are pinned and no pin is refused.
        sandbox.promote(chat, sandbox.bot_id());
        groups::seen(&mut tx, chat, &title, true, now).await?;
        groups::bind(&mut tx, chat, &node.code, now).await?;
        seen.insert(node.code.clone());
        cast.groups.push(Group {
            chat_id: chat,
            title,
            code: node.code.clone(),
        });
    }
    // The district has been running: the latest report of each kind went out
    // on time, so the bot does not start by skipping (and logging) old slots.
    let r = &settings.reports;
    for (kind, schedule) in [
        (ReportKind::Daily, &r.daily),
        (ReportKind::Weekly, &r.weekly),
        (ReportKind::Xun, &r.xun),
        (ReportKind::Monthly, &r.monthly),
    ] {
        if let Some(slot) = schedule.latest_at_or_before(settings.tz, now) {
            claim_slot(&mut tx, kind.job_name(), slot, now).await?;
        }
    }
    tx.commit().await?;
    // Everyone has started the bot, so it may write to them privately.
    for p in &cast.people {
        sandbox.send_text(p.id, p.id, "/start");
    }
    Ok(cast)
}

impl Cast {
    /// By name, `@username` (or the bare username), or numeric id.
    pub fn person(&self, who: &str) -> Option<&Person> {
        let who = who.trim();
        let bare = who.strip_prefix('@').unwrap_or(who);
        self.people.iter().find(|p| {
            p.name == who || p.username.eq_ignore_ascii_case(bare) || p.id.to_string() == who
        })
    }

    pub fn group(&self, place: &str) -> Option<&Group> {
        self.groups.iter().find(|g| {
            g.code.as_str() == place
                || g.title == place
                || g.title.trim_end_matches("平安群") == place
        })
    }

    pub fn chat_name(&self, chat: i64) -> Option<String> {
        self.groups
            .iter()
            .find(|g| g.chat_id == chat)
            .map(|g| g.title.clone())
            .or_else(|| {
                self.people
                    .iter()
                    .find(|p| p.id == chat)
                    .map(|p| format!("私聊·{}", p.name))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_bot_may_pin_in_every_group_and_people_answer_to_their_usernames() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("cast.db").display());
        let store = Store::open(&url).await.unwrap();
        let sandbox = Sandbox::start().await.unwrap();
        let cast = seed(&store, &sandbox, &Settings::default(), 1_750_000_000)
            .await
            .unwrap();
        assert!(!cast.groups.is_empty());
        for g in &cast.groups {
            assert!(sandbox.bot_can_pin(g.chat_id), "{}", g.title);
        }
        let roles: Vec<Role> = PEOPLE.iter().filter_map(|p| p.2.map(|d| d.0)).collect();
        assert!(roles.contains(&Role::Mediator) && roles.contains(&Role::Police));
        let chen = cast.person("陈阿姨").unwrap().id;
        for who in ["@chen_ayi", "chen_ayi", "@Chen_Ayi", &chen.to_string()] {
            assert_eq!(cast.person(who).map(|p| p.id), Some(chen), "{who}");
        }
        assert!(cast.person("@nobody").is_none());
        store.close().await;
    }
}
