//! pingan (平安): a Telegram bot for a four-level community-safety chat network.

pub mod domain;
pub mod sandbox;
