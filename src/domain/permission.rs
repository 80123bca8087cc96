//! The one permission rule: "may this person do this to that node?"
//!
//! - Superadmins (from the configuration) may do everything.
//! - Staff — anyone holding a role on a node — act on that node and its
//!   whole subtree: they see it and operate on it.
//! - Only admins grant and revoke roles, add nodes and bind or unbind a
//!   node's group, and only inside their own subtree. Creating a district
//!   (a root) is for superadmins alone.
//! - Residents act only on their own things.
//!
//! The adapter asks this for every command and every button press; nothing
//! the client sends (callback data included) is taken as proof of a right.

use super::{NodeCode, Post, Role};

/// A role held on a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub code: NodeCode,
    pub role: Role,
    pub post: Post,
}

/// The person asking, with everything the rule needs to know about them.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: i64,
    pub superadmin: bool,
    pub grants: Vec<Grant>,
}

/// What the person wants to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<'a> {
    /// See a node's tree, staff, cases, statistics.
    View(&'a NodeCode),
    /// Bind or unbind a Telegram group to this node.
    Bind(&'a NodeCode),
    /// Staff work on this node: alerts, cases.
    Operate(&'a NodeCode),
    /// Add a child under this node; `None` creates a district.
    AddChild(Option<&'a NodeCode>),
    /// Grant or revoke roles on this node.
    ManageRoles(&'a NodeCode),
    /// Something that belongs to the given user (a resident's own case).
    Own(i64),
    /// Change or withdraw something issued on `node` by `issuer` (an alert):
    /// the issuer while still staff there, or an admin covering the node.
    Amend { node: &'a NodeCode, issuer: i64 },
    /// Put a case on this node under listed supervision (挂牌督办): only
    /// admins of a node strictly above it.
    Supervise(&'a NodeCode),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// The person holds no role covering the node.
    NotStaff,
    /// Staff, but not an admin covering the node.
    NotAdmin,
    /// Only superadmins may do this.
    NotSuperadmin,
    /// It belongs to someone else.
    NotYours,
    /// Only an admin of a node above this one may do this.
    NotAbove,
}

impl Actor {
    pub fn is_staff(&self) -> bool {
        self.superadmin || !self.grants.is_empty()
    }

    fn covers(&self, code: &NodeCode, admin_only: bool) -> bool {
        self.grants
            .iter()
            .any(|g| code.is_within(&g.code) && (!admin_only || g.role == Role::Admin))
    }

    /// The single permission rule (see the module docs).
    pub fn may(&self, action: Action<'_>) -> Result<(), Denied> {
        if let Action::Own(owner) = action {
            return if owner == self.user_id || self.superadmin {
                Ok(())
            } else {
                Err(Denied::NotYours)
            };
        }
        if self.superadmin {
            return Ok(());
        }
        match action {
            Action::View(code) | Action::Operate(code) => self
                .covers(code, false)
                .then_some(())
                .ok_or(Denied::NotStaff),
            Action::AddChild(None) => Err(Denied::NotSuperadmin),
            Action::AddChild(Some(code)) | Action::ManageRoles(code) | Action::Bind(code) => {
                if self.covers(code, true) {
                    Ok(())
                } else if self.covers(code, false) {
                    Err(Denied::NotAdmin)
                } else {
                    Err(Denied::NotStaff)
                }
            }
            Action::Amend { node, issuer } => {
                if self.covers(node, true) || (issuer == self.user_id && self.covers(node, false)) {
                    Ok(())
                } else if self.covers(node, false) {
                    Err(Denied::NotYours)
                } else {
                    Err(Denied::NotStaff)
                }
            }
            Action::Supervise(code) => {
                let above = self
                    .grants
                    .iter()
                    .any(|g| g.role == Role::Admin && code.is_within(&g.code) && *code != g.code);
                if above { Ok(()) } else { Err(Denied::NotAbove) }
            }
            Action::Own(_) => unreachable!("handled above"),
        }
    }

    /// The highest nodes this person holds a role on (their default scope).
    pub fn top_nodes(&self) -> Vec<NodeCode> {
        let mut tops: Vec<NodeCode> = Vec::new();
        for g in &self.grants {
            if !self
                .grants
                .iter()
                .any(|o| o.code != g.code && g.code.is_within(&o.code))
                && !tops.contains(&g.code)
            {
                tops.push(g.code.clone());
            }
        }
        tops.sort();
        tops
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> NodeCode {
        NodeCode::parse(s).unwrap()
    }

    fn actor(grants: &[(&str, Role)]) -> Actor {
        Actor {
            user_id: 7,
            superadmin: false,
            grants: grants
                .iter()
                .map(|(c, r)| Grant {
                    code: code(c),
                    role: *r,
                    post: Post::A,
                })
                .collect(),
        }
    }

    /// The rule as a table: who, what, on which node, and the verdict.
    #[test]
    fn permission_table() {
        use Denied::*;
        use Role::*;
        let street_admin = actor(&[("xq.hmk", Admin)]);
        let grid_worker = actor(&[("xq.hmk.c1.g3", Worker)]);
        let grid_police_b = actor(&[("xq.hmk.c1.g3", Police)]);
        let community_mediator = actor(&[("xq.hmk.c1", Mediator)]);
        let resident = actor(&[]);
        let superadmin = Actor {
            user_id: 1,
            superadmin: true,
            grants: vec![],
        };

        let g3 = code("xq.hmk.c1.g3");
        let g4 = code("xq.hmk.c1.g4");
        let hmk = code("xq.hmk");
        let other_street = code("xq.qxp.c1");
        let district = code("xq");
        let community = code("xq.hmk.c1");

        let table: Vec<(&str, &Actor, Action, Result<(), Denied>)> = vec![
            (
                "admin views own subtree",
                &street_admin,
                Action::View(&g3),
                Ok(()),
            ),
            (
                "admin views own node",
                &street_admin,
                Action::View(&hmk),
                Ok(()),
            ),
            (
                "admin cannot view sibling street",
                &street_admin,
                Action::View(&other_street),
                Err(NotStaff),
            ),
            (
                "admin cannot view above",
                &street_admin,
                Action::View(&district),
                Err(NotStaff),
            ),
            (
                "admin grants in subtree",
                &street_admin,
                Action::ManageRoles(&g3),
                Ok(()),
            ),
            (
                "admin grants on own node",
                &street_admin,
                Action::ManageRoles(&hmk),
                Ok(()),
            ),
            (
                "admin cannot grant outside",
                &street_admin,
                Action::ManageRoles(&other_street),
                Err(NotStaff),
            ),
            (
                "admin adds child in subtree",
                &street_admin,
                Action::AddChild(Some(&hmk)),
                Ok(()),
            ),
            (
                "admin cannot create district",
                &street_admin,
                Action::AddChild(None),
                Err(NotSuperadmin),
            ),
            (
                "worker views own grid",
                &grid_worker,
                Action::View(&g3),
                Ok(()),
            ),
            (
                "worker cannot bind own grid",
                &grid_worker,
                Action::Bind(&g3),
                Err(NotAdmin),
            ),
            (
                "worker cannot bind sibling grid",
                &grid_worker,
                Action::Bind(&g4),
                Err(NotStaff),
            ),
            (
                "mediator above cannot bind a grid",
                &community_mediator,
                Action::Bind(&g4),
                Err(NotAdmin),
            ),
            (
                "admin binds in subtree",
                &street_admin,
                Action::Bind(&g3),
                Ok(()),
            ),
            (
                "admin binds own node",
                &street_admin,
                Action::Bind(&hmk),
                Ok(()),
            ),
            (
                "admin cannot bind above",
                &street_admin,
                Action::Bind(&district),
                Err(NotStaff),
            ),
            (
                "superadmin binds anything",
                &superadmin,
                Action::Bind(&district),
                Ok(()),
            ),
            (
                "worker cannot view parent",
                &grid_worker,
                Action::View(&community),
                Err(NotStaff),
            ),
            (
                "worker cannot grant",
                &grid_worker,
                Action::ManageRoles(&g3),
                Err(NotAdmin),
            ),
            (
                "worker cannot add nodes",
                &grid_worker,
                Action::AddChild(Some(&g3)),
                Err(NotAdmin),
            ),
            (
                "police B post operates own grid",
                &grid_police_b,
                Action::Operate(&g3),
                Ok(()),
            ),
            (
                "community mediator covers grids",
                &community_mediator,
                Action::Operate(&g4),
                Ok(()),
            ),
            (
                "mediator cannot grant",
                &community_mediator,
                Action::ManageRoles(&g4),
                Err(NotAdmin),
            ),
            (
                "resident cannot view",
                &resident,
                Action::View(&g3),
                Err(NotStaff),
            ),
            (
                "resident cannot grant",
                &resident,
                Action::ManageRoles(&g3),
                Err(NotStaff),
            ),
            (
                "resident acts on own thing",
                &resident,
                Action::Own(7),
                Ok(()),
            ),
            (
                "resident not on others' things",
                &resident,
                Action::Own(8),
                Err(NotYours),
            ),
            (
                "staff not on others' things either",
                &street_admin,
                Action::Own(8),
                Err(NotYours),
            ),
            (
                "street admin supervises a grid below",
                &street_admin,
                Action::Supervise(&g3),
                Ok(()),
            ),
            (
                "street admin cannot supervise own node",
                &street_admin,
                Action::Supervise(&hmk),
                Err(NotAbove),
            ),
            (
                "street admin cannot supervise outside",
                &street_admin,
                Action::Supervise(&other_street),
                Err(NotAbove),
            ),
            (
                "mediator above is not an admin",
                &community_mediator,
                Action::Supervise(&g4),
                Err(NotAbove),
            ),
            (
                "grid worker cannot supervise",
                &grid_worker,
                Action::Supervise(&g3),
                Err(NotAbove),
            ),
            (
                "superadmin supervises anything",
                &superadmin,
                Action::Supervise(&district),
                Ok(()),
            ),
            (
                "superadmin creates district",
                &superadmin,
                Action::AddChild(None),
                Ok(()),
            ),
            (
                "issuer amends own alert",
                &grid_worker,
                Action::Amend {
                    node: &g3,
                    issuer: 7,
                },
                Ok(()),
            ),
            (
                "staff cannot amend another's alert",
                &grid_worker,
                Action::Amend {
                    node: &g3,
                    issuer: 8,
                },
                Err(NotYours),
            ),
            (
                "admin above amends another's alert",
                &street_admin,
                Action::Amend {
                    node: &g3,
                    issuer: 8,
                },
                Ok(()),
            ),
            (
                "issuer no longer staff there cannot amend",
                &grid_worker,
                Action::Amend {
                    node: &g4,
                    issuer: 7,
                },
                Err(NotStaff),
            ),
            (
                "superadmin grants anywhere",
                &superadmin,
                Action::ManageRoles(&other_street),
                Ok(()),
            ),
        ];
        for (what, who, action, expected) in table {
            assert_eq!(who.may(action), expected, "{what}");
        }
    }

    #[test]
    fn top_nodes_drop_covered_ones() {
        let a = actor(&[
            ("xq.hmk.c1.g3", Role::Worker),
            ("xq.hmk", Role::Admin),
            ("xq.qxp.c2", Role::Police),
        ]);
        assert_eq!(a.top_nodes(), vec![code("xq.hmk"), code("xq.qxp.c2")]);
    }
}
