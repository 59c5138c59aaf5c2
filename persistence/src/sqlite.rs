//! The embedded default backend: one SQLite database file.
//!
//! # Why SQLite and not redb
//! Both are embedded, transactional and crash-safe on paper; SQLite wins on what an operator
//! of a collaboration server actually needs:
//! - **Crash safety with a long record.** In WAL mode with `synchronous=FULL`, a commit returns
//!   only after its WAL frames are fsynced, so every acknowledged update survives a process
//!   kill or power loss. SQLite's atomic commit has been tested for two decades with fault and
//!   power-loss injection on billions of installs; redb (stable since 2023) is sound by design
//!   but has far less mileage, and its file format has already changed once across majors.
//! - **Tooling.** The `sqlite3` shell opens the file: inspect rooms
//!   (`SELECT doc, count(*) FROM ycord_updates GROUP BY doc`), take an online backup while the
//!   server runs (`.backup` or `VACUUM INTO`), or repair by hand. redb has no such tool.
//! - **Same shape as the PostgreSQL backend.** The same `(doc, seq, data)` tables, the same
//!   SQL, one mental model for both.
//!
//! The costs: a C library compiled into the binary (`rusqlite`'s `bundled` feature, so no
//! system SQLite is needed), and while the store is open the database file `F` has two
//! sidecars, `F-wal` and `F-shm`; they belong to the database (copy all three, or use
//! `.backup`) and SQLite folds them back into `F` and removes them when the last connection
//! closes cleanly. redb would be a single file at all times.
//!
//! # Layout
//! - `ycord_updates(seq INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT, data BLOB)`, the logs,
//!   with an index on `(doc, seq)` so loading a document is one index range scan. `seq` is the
//!   rowid: global, monotonic, never reused (`AUTOINCREMENT`).
//! - `ycord_quarantine(doc TEXT, seq INTEGER, data BLOB, reason TEXT, quarantined_at INTEGER,
//!   PRIMARY KEY (doc, seq))`, the updates taken out of a log because they could not be read,
//!   with the `seq` they had there and the time they were moved (milliseconds since the Unix
//!   epoch). Inspect them with `SELECT doc, seq, reason FROM ycord_quarantine`.
//!
//! `PRAGMA user_version` holds the schema version: 1 had only `ycord_updates`, 2 added
//! `ycord_quarantine`. Opening a file migrates it to the current version; a file of a newer
//! version is refused.
//!
//! # Threads
//! `rusqlite` is blocking. Each operation runs on tokio's blocking pool
//! ([`tokio::task::spawn_blocking`]) with one of two connections: a writer (appends,
//! compaction, deletes, moves into and deletes from the quarantine) and a reader (loads,
//! listing, reading the quarantine), so loads are not queued behind an fsync. Each sits behind
//! a std mutex that is only taken on the blocking thread.
//!
//! [`DocStore::compact_stored`] reads on the reader and merges holding no connection, then
//! swaps the snapshot in on the writer if the rows it read are unchanged, so appends do not
//! wait for a merge; only when another process changed them meanwhile does it read and merge
//! again holding the write lock.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use rusqlite::{
    params, Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, TransactionBehavior,
};

use crate::error::StoreError;
use crate::snapshot::{compacted, merge_in_background, merge_rows, Merged};
use crate::store::{CompactOutcome, DocInfo, DocStore, QuarantinedUpdate, StoredUpdate};

/// Version of the table layout, kept in `PRAGMA user_version`; see the module docs.
const SCHEMA_VERSION: i64 = 2;

/// How long an operation waits for a lock held by another connection (another process with
/// the file open, such as the `sqlite3` shell) before it fails with
/// [`StoreError::Unavailable`].
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The current layout. Every statement is `IF NOT EXISTS` and every version only adds
/// tables, so running it on a file of any older version migrates that file.
const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS ycord_updates (
        seq  INTEGER PRIMARY KEY AUTOINCREMENT,
        doc  TEXT NOT NULL,
        data BLOB NOT NULL
    );
    CREATE INDEX IF NOT EXISTS ycord_updates_by_doc ON ycord_updates (doc, seq);
    CREATE TABLE IF NOT EXISTS ycord_quarantine (
        doc            TEXT    NOT NULL,
        seq            INTEGER NOT NULL,
        data           BLOB    NOT NULL,
        reason         TEXT    NOT NULL,
        quarantined_at INTEGER NOT NULL,
        PRIMARY KEY (doc, seq)
    );
";

/// Copies one update into the quarantine, stamped with SQLite's clock (`'now'` is read once
/// per statement, in whole milliseconds); copies nothing when it is not in the log.
const QUARANTINE_COPY: &str = "
    INSERT INTO ycord_quarantine (doc, seq, data, reason, quarantined_at)
    SELECT doc, seq, data, ?3, CAST(round(unixepoch('subsec') * 1000) AS INTEGER)
    FROM ycord_updates WHERE doc = ?1 AND seq = ?2
";

/// Documents in one SQLite database file; the default store of `ycord`.
///
/// Every successful write is durable (WAL, `synchronous=FULL`). A failed write (disk full,
/// read-only file system, I/O error, lock held elsewhere) returns
/// [`StoreError::Unavailable`] carrying SQLite's message, rolls back, and leaves the store
/// usable: the next call succeeds once the condition clears.
///
/// The async methods need a tokio runtime (they run on its blocking pool). Cloning is cheap
/// and shares the connections.
///
/// # Cancellation
/// Dropping the future of a write does not stop it: the write may still commit. A caller
/// that gives up on a write must treat it as "maybe stored", never as "not stored".
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

/// Which connection an operation uses.
#[derive(Clone, Copy)]
enum Role {
    Writer,
    Reader,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the database at `path`, creating it, its parent directories and the schema if
    /// they are missing, and switches it to WAL mode.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the file cannot be created or opened for writing
    /// (the message names the path and the cause); [`StoreError::Corrupt`] when the file is
    /// not a SQLite database or was written by a newer schema version.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(|err| {
                StoreError::Unavailable(format!(
                    "cannot create directory {} for the SQLite database: {err}",
                    parent.display()
                ))
            })?;
        }
        let fail = |err| store_error(path, err);
        let mut writer = connect(path).map_err(fail)?;
        let mode: String = writer
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(fail)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Unavailable(format!(
                "SQLite database {}: cannot switch to WAL mode (got journal_mode={mode})",
                path.display()
            )));
        }
        create_schema(&mut writer).map_err(|err| match err {
            SchemaError::Sqlite(err) => fail(err),
            SchemaError::TooNew(version) => StoreError::Corrupt(format!(
                "SQLite database {} has schema version {version}, this ycord knows up to \
                 {SCHEMA_VERSION}: upgrade ycord or use another data directory",
                path.display()
            )),
        })?;
        let reader = connect(path).map_err(fail)?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: Mutex::new(writer),
                reader: Mutex::new(reader),
            }),
        })
    }

    /// The database file this store was opened on.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `op` on a blocking thread with the connection of `role`.
    async fn run<T, F>(&self, role: Role, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, rusqlite::Error> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let connection = match role {
                Role::Writer => &inner.writer,
                Role::Reader => &inner.reader,
            };
            // A panic while the lock was held leaves nothing half-done behind (an open
            // transaction is rolled back when it is dropped), so poisoning is ignored.
            let mut connection = connection.lock().unwrap_or_else(PoisonError::into_inner);
            op(&mut connection).map_err(|err| store_error(&inner.path, err))
        })
        .await
        .map_err(|err| StoreError::Unavailable(format!("SQLite operation did not finish: {err}")))?
    }
}

/// Opens one connection with the settings every connection of the store needs.
fn connect(path: &Path) -> Result<Connection, rusqlite::Error> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    // FULL: a WAL commit is fsynced before it returns (NORMAL would only sync at checkpoints
    // and could lose the last commits on power loss).
    connection.pragma_update(None, "synchronous", "FULL")?;
    Ok(connection)
}

enum SchemaError {
    Sqlite(rusqlite::Error),
    TooNew(i64),
}

impl From<rusqlite::Error> for SchemaError {
    fn from(err: rusqlite::Error) -> Self {
        SchemaError::Sqlite(err)
    }
}

fn create_schema(connection: &mut Connection) -> Result<(), SchemaError> {
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = transaction.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(SchemaError::TooNew(version));
    }
    transaction.execute_batch(SCHEMA)?;
    transaction.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    transaction.commit()?;
    Ok(())
}

/// Maps a SQLite error to what the caller can act on; the message names the database file.
fn store_error(path: &Path, err: rusqlite::Error) -> StoreError {
    let path = path.display();
    match &err {
        rusqlite::Error::SqliteFailure(code, message) => {
            let message = message.clone().unwrap_or_else(|| code.to_string());
            let text = format!(
                "SQLite database {path}: {message} ({:?}, extended code {})",
                code.code, code.extended_code
            );
            match code.code {
                ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => StoreError::Corrupt(text),
                // Disk full, read-only, I/O error, cannot open, busy/locked, out of memory,
                // and anything unexpected: the store cannot take the write now.
                _ => StoreError::Unavailable(text),
            }
        }
        rusqlite::Error::FromSqlConversionFailure(..)
        | rusqlite::Error::InvalidColumnType(..)
        | rusqlite::Error::IntegralValueOutOfRange(..)
        | rusqlite::Error::Utf8Error(..) => {
            StoreError::Corrupt(format!("SQLite database {path}: {err}"))
        }
        _ => StoreError::Unavailable(format!("SQLite database {path}: {err}")),
    }
}

/// A stored `seq` as the trait's `u64`; rowids are positive, anything else is corruption.
fn to_seq(value: i64) -> Result<u64, rusqlite::Error> {
    u64::try_from(value).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(0, value))
}

/// A `seq` from the caller as a SQLite integer; values above `i64::MAX` compare above every
/// stored seq.
fn to_sql_seq(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

/// A `seq` from the caller as the stored integer it names; `None` above `i64::MAX`, which no
/// stored update has.
fn exact_sql_seq(seq: u64) -> Option<i64> {
    i64::try_from(seq).ok()
}

#[async_trait]
impl DocStore for SqliteStore {
    async fn load(&self, doc: &str) -> Result<Vec<StoredUpdate>, StoreError> {
        let doc = doc.to_owned();
        self.run(Role::Reader, move |connection| {
            let mut statement = connection.prepare_cached(
                "SELECT seq, data FROM ycord_updates WHERE doc = ?1 ORDER BY seq",
            )?;
            let rows = statement.query_map([&doc], |row| {
                Ok(StoredUpdate {
                    seq: to_seq(row.get(0)?)?,
                    data: Bytes::from(row.get::<_, Vec<u8>>(1)?),
                })
            })?;
            rows.collect()
        })
        .await
    }

    async fn append_batch(&self, batch: &[(&str, Bytes)]) -> Result<Vec<u64>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let batch: Vec<(String, Bytes)> = batch
            .iter()
            .map(|(doc, data)| ((*doc).to_owned(), data.clone()))
            .collect();
        self.run(Role::Writer, move |connection| {
            let transaction =
                connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut seqs = Vec::with_capacity(batch.len());
            {
                let mut insert = transaction
                    .prepare_cached("INSERT INTO ycord_updates (doc, data) VALUES (?1, ?2)")?;
                for (doc, data) in &batch {
                    insert.execute(params![doc, data.as_ref()])?;
                    seqs.push(to_seq(transaction.last_insert_rowid())?);
                }
            }
            // On error the dropped transaction rolls back (unless SQLite already did), so
            // the connection is ready for the next call.
            transaction.commit()?;
            Ok(seqs)
        })
        .await
    }

    async fn compact(&self, doc: &str, up_to: u64, snapshot: Bytes) -> Result<(), StoreError> {
        let doc = doc.to_owned();
        self.run(Role::Writer, move |connection| {
            let transaction =
                connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let up_to = to_sql_seq(up_to);
            let last_replaced: Option<i64> = transaction
                .prepare_cached(
                    "SELECT max(seq) FROM ycord_updates WHERE doc = ?1 AND seq <= ?2 \
                     HAVING count(*) > 0",
                )?
                .query_row(params![doc, up_to], |row| row.get(0))
                .optional()?;
            let Some(last_replaced) = last_replaced else {
                return Ok(());
            };
            transaction
                .prepare_cached("DELETE FROM ycord_updates WHERE doc = ?1 AND seq <= ?2")?
                .execute(params![doc, up_to])?;
            transaction
                .prepare_cached("INSERT INTO ycord_updates (seq, doc, data) VALUES (?1, ?2, ?3)")?
                .execute(params![last_replaced, doc, snapshot.as_ref()])?;
            transaction.commit()
        })
        .await
    }

    async fn compact_stored(
        &self,
        doc: &str,
        up_to: Option<u64>,
    ) -> Result<CompactOutcome, StoreError> {
        let up_to = up_to.map_or(i64::MAX, to_sql_seq);
        // First without the write lock, which every room's appends need: read, merge, and
        // swap the snapshot in only if the rows read are still there unchanged.
        let read_doc = doc.to_owned();
        let rows = self
            .run(Role::Reader, move |connection| {
                read_range(connection, &read_doc, up_to)
            })
            .await?;
        let (snapshot, rows) = match merge_in_background(rows).await? {
            Ok(merged) => merged,
            Err(outcome) => return Ok(outcome),
        };
        let outcome = compacted(&rows, &snapshot);
        let swap_doc = doc.to_owned();
        let swapped = self
            .run(Role::Writer, move |connection| {
                let transaction =
                    connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
                if !replace_rows(&transaction, &swap_doc, &rows, &snapshot)? {
                    return Ok(false);
                }
                transaction.commit()?;
                Ok(true)
            })
            .await?;
        if swapped {
            return Ok(outcome);
        }
        // Another connection (another process) compacted, quarantined or deleted rows
        // meanwhile: again, holding the write lock throughout, so this cannot lose again.
        let doc = doc.to_owned();
        self.run(Role::Writer, move |connection| {
            let transaction =
                connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let rows = read_range(&transaction, &doc, up_to)?;
            if rows.len() < 2 {
                return Ok(Ok(CompactOutcome::NothingToCompact));
            }
            let snapshot = match merge_rows(&rows) {
                Ok(Merged::Snapshot(snapshot)) => snapshot,
                Ok(Merged::Unreadable(unreadable)) => {
                    return Ok(Ok(CompactOutcome::Unreadable(unreadable)))
                }
                Err(err) => return Ok(Err(err)),
            };
            // Under the lock since the read: every row is still there.
            replace_rows(&transaction, &doc, &rows, &snapshot)?;
            transaction.commit()?;
            Ok(Ok(compacted(&rows, &snapshot)))
        })
        .await?
    }

    async fn delete(&self, doc: &str) -> Result<(), StoreError> {
        let doc = doc.to_owned();
        self.run(Role::Writer, move |connection| {
            let transaction =
                connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            transaction
                .prepare_cached("DELETE FROM ycord_updates WHERE doc = ?1")?
                .execute([&doc])?;
            transaction
                .prepare_cached("DELETE FROM ycord_quarantine WHERE doc = ?1")?
                .execute([&doc])?;
            transaction.commit()
        })
        .await
    }

    async fn list(&self) -> Result<Vec<DocInfo>, StoreError> {
        self.run(Role::Reader, |connection| {
            // BINARY collation compares UTF-8 bytes: the same order as Rust's `str`.
            let mut statement = connection.prepare_cached(
                "SELECT doc, count(*), sum(length(data)) FROM ycord_updates \
                 GROUP BY doc ORDER BY doc",
            )?;
            let rows = statement.query_map([], |row| {
                Ok(DocInfo {
                    name: row.get(0)?,
                    updates: to_seq(row.get(1)?)?,
                    bytes: to_seq(row.get(2)?)?,
                })
            })?;
            rows.collect()
        })
        .await
    }

    async fn quarantine(&self, doc: &str, updates: &[(u64, String)]) -> Result<(), StoreError> {
        let doc = doc.to_owned();
        let updates: Vec<(i64, String)> = updates
            .iter()
            .filter_map(|(seq, reason)| Some((exact_sql_seq(*seq)?, reason.clone())))
            .collect();
        if updates.is_empty() {
            return Ok(());
        }
        self.run(Role::Writer, move |connection| {
            let transaction =
                connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut copy = transaction.prepare_cached(QUARANTINE_COPY)?;
                let mut remove = transaction
                    .prepare_cached("DELETE FROM ycord_updates WHERE doc = ?1 AND seq = ?2")?;
                for (seq, reason) in &updates {
                    // A seq listed twice is copied once: the first removal takes it out
                    // of the log the second copy reads from.
                    copy.execute(params![doc, seq, reason])?;
                    remove.execute(params![doc, seq])?;
                }
            }
            transaction.commit()
        })
        .await
    }

    async fn quarantined(&self, doc: &str) -> Result<Vec<QuarantinedUpdate>, StoreError> {
        let doc = doc.to_owned();
        self.run(Role::Reader, move |connection| {
            let mut statement = connection.prepare_cached(
                "SELECT seq, data, reason, quarantined_at FROM ycord_quarantine \
                 WHERE doc = ?1 ORDER BY seq",
            )?;
            let rows = statement.query_map([&doc], |row| {
                Ok(QuarantinedUpdate {
                    seq: to_seq(row.get(0)?)?,
                    data: Bytes::from(row.get::<_, Vec<u8>>(1)?),
                    reason: row.get(2)?,
                    quarantined_at_ms: to_seq(row.get(3)?)?,
                })
            })?;
            rows.collect()
        })
        .await
    }

    async fn delete_quarantined(&self, doc: &str, seq: u64) -> Result<bool, StoreError> {
        let Some(seq) = exact_sql_seq(seq) else {
            return Ok(false);
        };
        let doc = doc.to_owned();
        self.run(Role::Writer, move |connection| {
            let deleted = connection
                .prepare_cached("DELETE FROM ycord_quarantine WHERE doc = ?1 AND seq = ?2")?
                .execute(params![doc, seq])?;
            Ok(deleted > 0)
        })
        .await
    }
}

/// The updates of `doc` with `seq <= up_to`, in seq order.
fn read_range(
    connection: &Connection,
    doc: &str,
    up_to: i64,
) -> Result<Vec<StoredUpdate>, rusqlite::Error> {
    let mut statement = connection.prepare_cached(
        "SELECT seq, data FROM ycord_updates WHERE doc = ?1 AND seq <= ?2 ORDER BY seq",
    )?;
    let rows = statement.query_map(params![doc, up_to], |row| {
        Ok(StoredUpdate {
            seq: to_seq(row.get(0)?)?,
            data: Bytes::from(row.get::<_, Vec<u8>>(1)?),
        })
    })?;
    rows.collect()
}

/// Replaces `rows` (in seq order) of `doc` by `snapshot` under the last row's seq, if every
/// row is still stored byte for byte; `false` when one is not (another connection compacted,
/// quarantined or deleted it since it was read), and then the caller must roll back. Rows
/// not in `rows` stay.
fn replace_rows(
    transaction: &Transaction<'_>,
    doc: &str,
    rows: &[StoredUpdate],
    snapshot: &[u8],
) -> Result<bool, rusqlite::Error> {
    let mut remove = transaction
        .prepare_cached("DELETE FROM ycord_updates WHERE doc = ?1 AND seq = ?2 AND data = ?3")?;
    let mut last = None;
    for row in rows {
        let Some(seq) = exact_sql_seq(row.seq) else {
            return Ok(false);
        };
        if remove.execute(params![doc, seq, row.data.as_ref()])? != 1 {
            return Ok(false);
        }
        last = Some(seq);
    }
    let Some(last) = last else {
        return Ok(false);
    };
    transaction
        .prepare_cached("INSERT INTO ycord_updates (seq, doc, data) VALUES (?1, ?2, ?3)")?
        .execute(params![last, doc, snapshot])?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: i32, message: &str) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), Some(message.to_string()))
    }

    #[test]
    fn storage_conditions_are_unavailable_with_sqlite_message() {
        let path = Path::new("/data/ycord.sqlite3");
        for (code, message) in [
            (rusqlite::ffi::SQLITE_FULL, "database or disk is full"),
            (
                rusqlite::ffi::SQLITE_READONLY,
                "attempt to write a readonly database",
            ),
            (rusqlite::ffi::SQLITE_IOERR_WRITE, "disk I/O error"),
            (
                rusqlite::ffi::SQLITE_CANTOPEN,
                "unable to open database file",
            ),
            (rusqlite::ffi::SQLITE_BUSY, "database is locked"),
        ] {
            match store_error(path, failure(code, message)) {
                StoreError::Unavailable(text) => {
                    assert!(text.contains(message), "{text}");
                    assert!(text.contains("/data/ycord.sqlite3"), "{text}");
                }
                other => panic!("{message}: expected Unavailable, got {other:?}"),
            }
        }
    }

    #[test]
    fn every_connection_is_durable_at_commit() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("ycord.sqlite3")).unwrap();
        for connection in [&store.inner.writer, &store.inner.reader] {
            let connection = connection.lock().unwrap();
            let mode: String = connection
                .pragma_query_value(None, "journal_mode", |row| row.get(0))
                .unwrap();
            let synchronous: i64 = connection
                .pragma_query_value(None, "synchronous", |row| row.get(0))
                .unwrap();
            assert_eq!(mode, "wal");
            assert_eq!(synchronous, 2, "synchronous=FULL");
        }
    }

    #[test]
    fn damaged_files_are_corrupt() {
        let path = Path::new("ycord.sqlite3");
        for code in [rusqlite::ffi::SQLITE_CORRUPT, rusqlite::ffi::SQLITE_NOTADB] {
            assert!(matches!(
                store_error(path, failure(code, "file is not a database")),
                StoreError::Corrupt(_)
            ));
        }
        assert!(matches!(
            store_error(path, rusqlite::Error::IntegralValueOutOfRange(0, -1)),
            StoreError::Corrupt(_)
        ));
    }
}
