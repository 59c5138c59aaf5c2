//! `ycord-persistence` — where ycord keeps documents.
//!
//! One [`DocStore`] trait, implemented by every backend. A document is stored as the list of
//! v1 updates appended to it, each with a sequence number; compaction replaces a prefix of
//! that list by one snapshot update, atomically. [`DocStore::compact_stored`] builds that
//! snapshot from the stored rows themselves, so it is safe with several writers (several
//! servers sharing one PostgreSQL database).
//!
//! Backends:
//! - [`SqliteStore`]: one SQLite file, crash-safe, no setup; the server's default.
//! - `PostgresStore` (cargo feature `postgres`): a PostgreSQL database.
//! - [`MemoryStore`]: nothing survives the process; tests and throwaway servers.
//!
//! In the browser (wasm32) the SQLite and PostgreSQL backends do not exist; instead
//! `IndexeddbPersistence` keeps a yrs document in IndexedDB, in the format of the y-indexeddb 9
//! npm package, so a JavaScript app and a ycord app of the same origin open each other's
//! documents. See the `indexeddb` module.
//!
//! ```ignore-wasm32
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
#[cfg(target_arch = "wasm32")]
pub mod indexeddb;
mod memory;
#[cfg(all(feature = "postgres", not(target_arch = "wasm32")))]
mod postgres;
pub mod rebuild;
mod snapshot;
#[cfg(not(target_arch = "wasm32"))]
mod sqlite;
mod store;

pub use error::StoreError;
#[cfg(target_arch = "wasm32")]
pub use indexeddb::{IndexeddbError, IndexeddbOptions, IndexeddbPersistence};
pub use memory::MemoryStore;
#[cfg(all(feature = "postgres", not(target_arch = "wasm32")))]
pub use postgres::PostgresStore;
#[cfg(not(target_arch = "wasm32"))]
pub use sqlite::SqliteStore;
pub use store::{CompactOutcome, DocInfo, DocStore, QuarantinedUpdate, StoredUpdate};
