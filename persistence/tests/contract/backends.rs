//! A fresh, empty store of each backend for one test.

use std::path::PathBuf;
use std::sync::Arc;

use tempfile::TempDir;
use ycord_persistence::{DocStore, MemoryStore, SqliteStore};

/// A store and what has to stay alive (or be cleaned up) with it.
pub struct Backend {
    store: Arc<dyn DocStore>,
    /// The SQLite file, for a second store on it.
    path: Option<PathBuf>,
    _dir: Option<TempDir>,
    #[cfg(feature = "postgres")]
    schema: Option<pg::Schema>,
}

impl Backend {
    pub async fn memory() -> Self {
        Backend {
            store: Arc::new(MemoryStore::new()),
            path: None,
            _dir: None,
            #[cfg(feature = "postgres")]
            schema: None,
        }
    }

    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ycord.sqlite3");
        let store = SqliteStore::open(&path).unwrap();
        Backend {
            store: Arc::new(store),
            path: Some(path),
            _dir: Some(dir),
            #[cfg(feature = "postgres")]
            schema: None,
        }
    }

    /// A store in a schema of its own, so tests running at once do not see each other.
    #[cfg(feature = "postgres")]
    pub async fn postgres() -> Self {
        let schema = pg::Schema::create().await;
        let store = ycord_persistence::PostgresStore::connect(&schema.url(None))
            .await
            .unwrap();
        Backend {
            store: Arc::new(store),
            path: None,
            _dir: None,
            schema: Some(schema),
        }
    }

    pub fn store(&self) -> Arc<dyn DocStore> {
        Arc::clone(&self.store)
    }

    /// A second store on the same data, as another server process (another node) would open
    /// it: the SQLite file opened again, a new PostgreSQL store with its own connections. The
    /// memory store has no other process, so it is the same store.
    pub async fn another_store(&self) -> Arc<dyn DocStore> {
        #[cfg(feature = "postgres")]
        if let Some(schema) = &self.schema {
            let store = ycord_persistence::PostgresStore::connect(&schema.url(None))
                .await
                .unwrap();
            return Arc::new(store);
        }
        match &self.path {
            Some(path) => Arc::new(SqliteStore::open(path).unwrap()),
            None => Arc::clone(&self.store),
        }
    }

    /// Closes the store and removes what the test created (only reached when it passed).
    pub async fn finish(self) {
        drop(self.store);
        #[cfg(feature = "postgres")]
        if let Some(schema) = self.schema {
            schema.drop().await;
        }
    }
}

/// The real PostgreSQL server the tests run against.
#[cfg(feature = "postgres")]
pub mod pg {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};

    use tokio_postgres::{Client, NoTls};

    pub const URL_VARIABLE: &str = "YCORD_TEST_POSTGRES_URL";

    /// The server's URL from `YCORD_TEST_POSTGRES_URL`; a missing variable fails the test.
    pub fn url() -> String {
        match std::env::var(URL_VARIABLE) {
            Ok(url) if !url.is_empty() => url,
            _ => panic!(
                "{URL_VARIABLE} is not set, and the PostgreSQL tests need a real server. \
                 Run `cargo xtask test`, which starts PostgreSQL and sets it; for these tests \
                 alone: `cargo xtask with-postgres cargo test -p ycord-persistence \
                 --all-features`; or point it at a throwaway database: \
                 {URL_VARIABLE}=postgres://postgres@127.0.0.1:5432/ycord_test"
            ),
        }
    }

    /// A connection for setting tests up, outside any store.
    pub async fn admin() -> Client {
        let url = url();
        let (client, connection) = tokio_postgres::connect(&url, NoTls)
            .await
            .unwrap_or_else(|err| panic!("cannot connect to {URL_VARIABLE}={url}: {err:?}"));
        tokio::spawn(connection);
        client
    }

    /// A schema only one test uses.
    pub struct Schema {
        name: String,
    }

    impl Schema {
        pub async fn create() -> Self {
            static COUNTER: AtomicU64 = AtomicU64::new(0);
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .subsec_nanos();
            let name = format!(
                "ycord_test_{}_{}_{nanos}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            admin()
                .await
                .batch_execute(&format!("CREATE SCHEMA {name}"))
                .await
                .unwrap();
            Schema { name }
        }

        /// The server URL with this schema first on the `search_path`, and
        /// `application_name` set when given (to find the store's connections).
        pub fn url(&self, application_name: Option<&str>) -> String {
            let base = url();
            let separator = if base.contains('?') { '&' } else { '?' };
            let mut url = format!("{base}{separator}options=-c%20search_path%3D{}", self.name);
            if let Some(name) = application_name {
                url.push_str("&application_name=");
                url.push_str(name);
            }
            url
        }

        pub fn name(&self) -> &str {
            &self.name
        }

        pub async fn drop(self) {
            admin()
                .await
                .batch_execute(&format!("DROP SCHEMA {} CASCADE", self.name))
                .await
                .unwrap();
        }
    }
}
