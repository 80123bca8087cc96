//! The HTTP side: axum routes `/bot{token}/{method}`, authentication, fault injection, stats and long polling.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::{Value, json};
use tokio::sync::watch;

use super::methods;
use super::params::{ApiErr, Params};
use super::types::Fault;
use super::world::World;

/// State shared by the HTTP server and the [`super::Sandbox`] handle.
pub(crate) struct Inner {
    world: Mutex<World>,
    /// Bumped on every state change; waiters re-check their condition.
    pub changed: watch::Sender<u64>,
}

impl Inner {
    pub fn new() -> Inner {
        Inner {
            world: Mutex::new(World::new()),
            changed: watch::Sender::new(0),
        }
    }

    /// Locks the world, ignoring poisoning (a panicking test must not wedge the server).
    pub fn lock(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn notify(&self) {
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }
}

pub(crate) fn router(inner: Arc<Inner>) -> Router {
    Router::new()
        .route("/{bot}/{method}", any(handle))
        .fallback(|| async { reply(Err(ApiErr::new(404, "Not Found"))) })
        .layer(DefaultBodyLimit::max(64 * 1024 * 1024))
        .with_state(inner)
}

fn reply(result: Result<Value, ApiErr>) -> Response {
    match result {
        Ok(v) => (StatusCode::OK, axum::Json(json!({"ok": true, "result": v}))).into_response(),
        Err(e) => {
            let status = StatusCode::from_u16(e.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, axum::Json(e.body())).into_response()
        }
    }
}

fn fault_error(f: &Fault) -> ApiErr {
    let prefixed = |prefix: &str, s: &str| {
        if s.starts_with(prefix) {
            s.to_string()
        } else {
            format!("{prefix} {s}")
        }
    };
    match f {
        Fault::TooManyRequests { retry_after } => ApiErr::retry_after(*retry_after),
        Fault::ServerError(code) => {
            let text = match code {
                502 => "Bad Gateway",
                503 => "Service Unavailable",
                504 => "Gateway Timeout",
                _ => "Internal Server Error",
            };
            ApiErr::new(*code, text)
        }
        Fault::Forbidden(s) => ApiErr::new(403, prefixed("Forbidden:", s)),
        Fault::BadRequest(s) => ApiErr::new(400, prefixed("Bad Request:", s)),
        Fault::Hang => unreachable!("a hang is no answer"),
    }
}

/// Takes one injected fault matching this call, if any.
fn take_fault(w: &mut World, method: &str, chat: Option<i64>) -> Option<Fault> {
    let lower = method.to_ascii_lowercase();
    let i = w.faults.iter().position(|f| {
        f.method == lower && f.remaining > 0 && (f.chat.is_none() || f.chat == chat)
    })?;
    let rule = &mut w.faults[i];
    rule.remaining -= 1;
    let fault = rule.fault.clone();
    if rule.remaining == 0 {
        w.faults.remove(i);
    }
    w.stats.errors_injected += 1;
    Some(fault)
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    Path((bot, method)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(token) = bot.strip_prefix("bot") else {
        return reply(Err(ApiErr::new(404, "Not Found")));
    };
    if token != super::Sandbox::TOKEN {
        return reply(Err(ApiErr::new(401, "Unauthorized")));
    }
    let canon = methods::canonical(&method);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let result = match Params::parse(content_type, query.as_deref(), &body) {
        Err(e) => Err(e),
        Ok(p) => dispatch(&inner, canon, &method, &p).await,
    };
    match result.as_ref().map_err(|e| e.code) {
        Err(429) => inner.lock().stats.too_many_requests += 1,
        Err(400) => inner.lock().stats.bad_requests += 1,
        _ => {}
    }
    inner.notify();
    reply(result)
}

async fn dispatch(
    inner: &Inner,
    canon: Option<&'static str>,
    method: &str,
    p: &Params,
) -> Result<Value, ApiErr> {
    let hang = {
        let mut w = inner.lock();
        let key = canon.map_or_else(|| method.to_string(), str::to_string);
        *w.stats.requests_by_method.entry(key).or_default() += 1;
        match take_fault(&mut w, method, p.chat_hint()) {
            Some(Fault::Hang) => true,
            Some(f) => return Err(fault_error(&f)),
            None => match canon {
                None => return Err(ApiErr::new(404, "Not Found")),
                Some("getUpdates") => false,
                Some(m) => return methods::call(&mut w, m, p),
            },
        }
    };
    if hang {
        inner.notify(); // the hang is taken: a test may act on it
        return std::future::pending().await;
    }
    get_updates(inner, p).await
}

/// `getUpdates` with offset confirmation and long polling (`timeout` seconds).
async fn get_updates(inner: &Inner, p: &Params) -> Result<Value, ApiErr> {
    let offset = p.i64("offset")?;
    let limit = p.i64("limit")?.unwrap_or(100).clamp(1, 100) as usize;
    let timeout = p.i64("timeout")?.unwrap_or(0).clamp(0, 50) as u64;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout);
    let allowed = match p.json("allowed_updates")? {
        Some(Value::Array(a)) if !a.is_empty() => Some(
            a.iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect::<Vec<_>>(),
        ),
        Some(Value::Array(_)) => None,
        _ => Some(Vec::new()), // not given: keep the previous setting
    };
    let generation = {
        let mut w = inner.lock();
        match allowed {
            Some(list) if list.is_empty() => {}
            Some(list) => w.allowed_updates = Some(list),
            None => w.allowed_updates = None,
        }
        w.poll_gen += 1;
        w.poll_gen
    };
    let mut rx = inner.changed.subscribe();
    // Wake an older poll so that it is terminated, and waiters watching for this poll.
    inner.notify();
    loop {
        {
            let mut w = inner.lock();
            if w.poll_gen != generation {
                return Err(ApiErr::new(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is \
                     running",
                ));
            }
            if w.webhook.is_some() {
                return Err(ApiErr::new(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active",
                ));
            }
            match offset {
                Some(o) if o < 0 => {
                    let keep = o.unsigned_abs() as usize;
                    while w.updates.len() > keep {
                        w.updates.pop_front();
                    }
                }
                Some(o) => {
                    while w.updates.front().is_some_and(|(id, _)| *id < o) {
                        w.updates.pop_front();
                    }
                }
                None => {}
            }
            if let Some(kinds) = w.allowed_updates.clone() {
                w.updates
                    .retain(|(_, u)| kinds.iter().any(|k| u.get(k).is_some()));
            }
            if !w.updates.is_empty() || timeout == 0 {
                let out: Vec<Value> = w
                    .updates
                    .iter()
                    .take(limit)
                    .map(|(_, u)| u.clone())
                    .collect();
                return Ok(out.into());
            }
        }
        match tokio::time::timeout_at(deadline, rx.changed()).await {
            Ok(Ok(())) => continue,
            _ => return Ok(json!([])),
        }
    }
}
