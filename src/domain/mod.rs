//! The domain core: plain Rust, no Telegram and no SQL.

pub mod alert;
pub mod case;
pub mod id;
pub mod node;
pub mod period;
pub mod permission;
pub mod role;
pub mod stats;

pub use node::{Level, Node, NodeCode};
pub use permission::{Action, Actor, Denied, Grant};
pub use role::{Post, Role};
