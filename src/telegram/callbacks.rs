//! Button presses.
//!
//! Callback data is `<feature>:<rest>` (`a:…` alerts, `c:…` cases). It only
//! says which button was pressed, never that the presser may press it: each
//! feature's handler loads the stored object and applies the permission rule
//! to the presser, so forged or stale data is answered and changes nothing.

use teloxide::types::CallbackQuery;

use super::context::{Ctx, Here, Person, UserError, arrive};
use super::updates::{explain, remember_refused};
use crate::app::App;
use crate::i18n::plain;
use crate::outbox;
use crate::store::Conn;
use crate::tr;

/// The short notice Telegram shows the presser.
pub struct Toast {
    pub text: String,
    pub alert: bool,
}

/// What a feature's button handler returns: the toast text.
pub type Pressed = Result<String, UserError>;

async fn route(ctx: &mut Ctx, conn: &mut Conn, data: &str) -> Pressed {
    let (feature, rest) = data.split_once(':').unwrap_or((data, ""));
    match feature {
        "a" => super::commands::alert::press(ctx, conn, rest).await,
        "c" => crate::cases::press::press(ctx, conn, rest).await,
        _ => Err(UserError::Refused(tr!(
            ctx.locale,
            "此按钮已失效。",
            "This button is no longer valid."
        ))),
    }
}

/// Handles a press in its own transaction; `None` when it was handled before.
pub async fn on_press(
    app: &App,
    update_id: i64,
    q: &CallbackQuery,
    presser: Person,
) -> anyhow::Result<Option<Toast>> {
    let mut tx = app.store.begin().await?;
    let toast = match press_within(app, &mut tx, update_id, q, presser).await? {
        Ok(toast) => {
            tx.commit().await?;
            toast
        }
        Err(refused) => {
            tx.rollback().await?;
            if let Some(msg) = q.message.as_ref() {
                remember_refused(app, update_id, msg.chat(), &q.from, None).await?;
            }
            Some(refused)
        }
    };
    app.wake_dispatcher();
    Ok(toast)
}

/// Handles a press inside the caller's transaction: the toast (`None` when
/// the press was handled before), or `Err` with the refusal to show after
/// the caller has rolled back.
pub async fn press_within(
    app: &App,
    conn: &mut Conn,
    update_id: i64,
    q: &CallbackQuery,
    presser: Person,
) -> anyhow::Result<Result<Option<Toast>, Toast>> {
    let now = app.clock.now();
    let Some(msg) = q.message.as_ref() else {
        return Ok(Ok(Some(Toast {
            text: tr!(
                app.settings.locale,
                "此按钮已失效。",
                "This button is no longer valid."
            ),
            alert: false,
        })));
    };
    let here = Here {
        chat_id: msg.chat().id.0,
        private: msg.chat().is_private(),
        message_id: i64::from(msg.id().0),
    };
    let data = q.data.clone().unwrap_or_default();
    let Some(arrival) = arrive(conn, update_id, msg.chat(), &q.from, now).await? else {
        return Ok(Ok(None));
    };
    let mut ctx = Ctx::new(app, here, presser, arrival, None, None);
    Ok(match route(&mut ctx, conn, &data).await {
        Ok(text) => {
            outbox::queue_capped(conn, &ctx.out, now, ctx.locale).await?;
            Ok(Some(Toast { text, alert: false }))
        }
        Err(err) => Err(Toast {
            text: plain(&explain(&ctx, err)),
            alert: true,
        }),
    })
}
