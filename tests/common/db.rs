//! A fresh database per test: a SQLite file in a temporary folder, or a new
//! database on the PostgreSQL server named by `PINGAN_TEST_POSTGRES`
//! (default `postgres://postgres@127.0.0.1:5432/test`).
//!
//! Without a reachable PostgreSQL, PostgreSQL tests fail when `CI` or
//! `PINGAN_REQUIRE_POSTGRES` is set and are skipped loudly otherwise.

use sqlx::Connection;

pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        url: String,
    },
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("pingan.db").display());
        TestDb::Sqlite { _dir: dir, url }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url } => url,
        }
    }

    /// A new, empty PostgreSQL database, or `None` (with a notice) when the
    /// server is unreachable and not required.
    pub async fn postgres() -> Option<TestDb> {
        let admin = std::env::var("PINGAN_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let required = std::env::var_os("CI").is_some()
            || std::env::var_os("PINGAN_REQUIRE_POSTGRES").is_some();
        let mut conn = match sqlx::PgConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) if required => {
                panic!("PostgreSQL is required (CI) but unreachable at {admin}: {e}")
            }
            Err(e) => {
                eprintln!(
                    "SKIPPED: PostgreSQL unreachable at {admin} ({e}); set PINGAN_TEST_POSTGRES to run this test"
                );
                return None;
            }
        };
        let name = format!("pingan_t_{}", rand::random::<u64>());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let mut url = url::Url::parse(&admin).expect("PINGAN_TEST_POSTGRES is a URL");
        url.set_path(&name);
        Some(TestDb::Postgres {
            url: url.to_string(),
        })
    }
}
