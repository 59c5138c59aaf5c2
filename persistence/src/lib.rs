//! `ycord-persistence` — where ycord keeps documents.
//!
//! One [`DocStore`] trait, implemented by every backend. A document is stored as the list of
//! v1 updates appended to it, each with a sequence number; compaction replaces a prefix of
//! that list by one snapshot update, atomically.
//!
//! Backends:
//! - [`SqliteStore`]: one SQLite file, crash-safe, no setup; the server's default.
//! - `PostgresStore` (cargo feature `postgres`): a PostgreSQL database.
//! - [`MemoryStore`]: nothing survives the process; tests and throwaway servers.
//!
//! ```
//! use bytes::Bytes;
//! use ycord_persistence::{DocStore, SqliteStore};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), ycord_persistence::StoreError> {
//! let dir = tempfile::tempdir().unwrap();
//! let store = SqliteStore::open(&dir.path().join("ycord.sqlite3"))?;
//! let seq = store.append("room-1", Bytes::from_static(&[0, 0])).await?;
//! let updates = store.load("room-1").await?;
//! assert_eq!(updates[0].seq, seq);
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

mod error;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
mod sqlite;
mod store;

pub use error::StoreError;
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use store::{DocInfo, DocStore, StoredUpdate};
