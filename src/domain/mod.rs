//! The domain core: plain Rust, no Telegram and no SQL.

pub mod node;
pub mod role;

pub use node::{Level, Node, NodeCode};
pub use role::{Post, Role};
