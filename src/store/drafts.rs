//! The private reporting flow's state, one draft per resident, kept in the
//! database (not in teloxide's dialogue storage) so it survives restarts.

use sqlx::Row;

use super::cases::{e6, from_e6};
use super::nodes::stored_code;
use super::{Conn, flag};
use crate::domain::NodeCode;
use crate::domain::case::Category;

/// Where a resident is in the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Waiting for the grid code.
    Grid,
    Category,
    Text,
    /// Text given: photos, a location, then anonymous or named.
    Extras,
}

impl Stage {
    fn key(self) -> &'static str {
        match self {
            Stage::Grid => "grid",
            Stage::Category => "category",
            Stage::Text => "text",
            Stage::Extras => "extras",
        }
    }

    fn parse(s: &str) -> Stage {
        match s {
            "grid" => Stage::Grid,
            "category" => Stage::Category,
            "text" => Stage::Text,
            _ => Stage::Extras,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub user_id: i64,
    pub stage: Stage,
    pub grid: Option<NodeCode>,
    pub category: Option<Category>,
    pub text: Option<String>,
    pub photo: Option<String>,
    pub location: Option<(f64, f64)>,
}

impl Draft {
    pub fn new(user_id: i64) -> Draft {
        Draft {
            user_id,
            stage: Stage::Grid,
            grid: None,
            category: None,
            text: None,
            photo: None,
            location: None,
        }
    }
}

pub async fn get(conn: &mut Conn, user_id: i64) -> sqlx::Result<Option<Draft>> {
    let Some(row) = sqlx::query(
        "SELECT stage, grid_code, category, text, photo, lat_e6, lon_e6 FROM case_drafts WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let lat: Option<i64> = row.try_get("lat_e6")?;
    let lon: Option<i64> = row.try_get("lon_e6")?;
    Ok(Some(Draft {
        user_id,
        stage: Stage::parse(&row.try_get::<String, _>("stage")?),
        grid: row
            .try_get::<Option<String>, _>("grid_code")?
            .map(stored_code)
            .transpose()?,
        category: row
            .try_get::<Option<String>, _>("category")?
            .and_then(|c| Category::parse(&c)),
        text: row.try_get("text")?,
        photo: row.try_get("photo")?,
        location: lat
            .zip(lon)
            .map(|(a, o)| (from_e6(Some(a)), from_e6(Some(o)))),
    }))
}

pub async fn put(conn: &mut Conn, d: &Draft, now: i64) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO case_drafts (user_id, stage, grid_code, category, text, anonymous, photo, lat_e6, lon_e6, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (user_id) DO UPDATE SET \
         stage = excluded.stage, grid_code = excluded.grid_code, category = excluded.category, text = excluded.text, \
         photo = excluded.photo, lat_e6 = excluded.lat_e6, lon_e6 = excluded.lon_e6, updated_at = excluded.updated_at",
    )
    .bind(d.user_id)
    .bind(d.stage.key())
    .bind(d.grid.as_ref().map(|g| g.as_str().to_string()))
    .bind(d.category.map(Category::key))
    .bind(d.text.as_deref())
    .bind(flag(false))
    .bind(d.photo.as_deref())
    .bind(d.location.map(|l| e6(l.0)))
    .bind(d.location.map(|l| e6(l.1)))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn delete(conn: &mut Conn, user_id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM case_drafts WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Deletes drafts last touched before `before` (abandoned); returns how many.
pub async fn forget_before(conn: &mut Conn, before: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM case_drafts WHERE updated_at < $1")
        .bind(before)
        .execute(&mut *conn)
        .await?
        .rows_affected())
}
