//! Safety alerts (警情提示): broadcast down the tree, durably, with
//! acknowledgement (DESIGN.md §1 "Alerts").
//!
//! The pure values (severity, category, scope) are in
//! [`crate::domain::alert`], the rows in [`crate::store::alerts`], the
//! commands and buttons in `telegram::commands::alert*`. Here:
//! - [`broadcast`] — queue one copy per target group in one transaction and
//!   keep the issuer's progress card current ([`ProgressHook`], called by the
//!   dispatcher after each recorded send);
//! - [`amend`] — `/alert_edit` and `/alert_cancel` on copies sent or waiting;
//! - [`followup`] — reminders, escalation to the B post and the parent group,
//!   expiry ([`FollowUpJob`]);
//! - [`schedule`] — recurring alerts ([`ScheduleJob`]);
//! - [`acks`] — who acknowledged and who has not, on the card and in
//!   `/alert_info`;
//! - [`render`] — how copies and cards look.

pub mod acks;
pub mod amend;
pub mod broadcast;
pub mod followup;
pub mod render;
pub mod schedule;

pub use broadcast::ProgressHook;
pub use followup::FollowUpJob;
pub use schedule::ScheduleJob;
