//! Roles people hold on a node ("1+1+1+1+N", 一格四人) and the A/B post (AB岗).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Leader or office of the node: grants roles, issues alerts, supervises.
    Admin,
    /// 网格员
    Worker,
    /// 民警/辅警/协管员
    Police,
    /// 调解员
    Mediator,
    /// 楼栋长/志愿者
    Volunteer,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Worker,
        Role::Police,
        Role::Mediator,
        Role::Volunteer,
    ];

    /// Accepts the English key or the usual Chinese words.
    pub fn parse(raw: &str) -> Option<Role> {
        Some(match raw.trim().to_lowercase().as_str() {
            "admin" | "管理员" | "领导" => Role::Admin,
            "worker" | "网格员" => Role::Worker,
            "police" | "民警" | "辅警" | "协管员" => Role::Police,
            "mediator" | "调解员" => Role::Mediator,
            "volunteer" | "志愿者" | "楼栋长" => Role::Volunteer,
            _ => return None,
        })
    }

    pub fn key(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Worker => "worker",
            Role::Police => "police",
            Role::Mediator => "mediator",
            Role::Volunteer => "volunteer",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Role::Admin => "管理员",
            Role::Worker => "网格员",
            Role::Police => "民警",
            Role::Mediator => "调解员",
            Role::Volunteer => "志愿者",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The A post is the primary holder of a duty, the B post its backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Post {
    A,
    B,
}

impl Post {
    pub fn from_backup(backup: bool) -> Post {
        if backup { Post::B } else { Post::A }
    }

    pub fn is_backup(self) -> bool {
        self == Post::B
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_and_chinese() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.key()), Some(r));
            assert_eq!(Role::parse(r.name_zh()), Some(r));
        }
        assert_eq!(Role::parse("ADMIN"), Some(Role::Admin));
        assert_eq!(Role::parse("boss"), None);
    }
}
