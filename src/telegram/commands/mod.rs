//! One file per command (or pair of commands): parse the arguments, check
//! the permission rule, apply, and word the reply.

pub mod addnode;
pub mod alert;
pub mod alerts;
pub mod bind;
pub mod help;
pub mod roles;
pub mod schedule;
pub mod staff;
pub mod start;
pub mod stats;
pub mod tree;
pub mod whoami;
