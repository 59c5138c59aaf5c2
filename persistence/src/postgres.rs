//! The PostgreSQL backend (cargo feature `postgres`), for servers that keep documents in a
//! database they already run and back up.
//!
//! # Layout
//! - `ycord_updates(doc TEXT, seq BIGINT, data BYTEA, PRIMARY KEY (doc, seq))`, the logs, with
//!   `seq` drawn from the sequence `ycord_update_seq`: global, monotonic, never reused.
//! - `ycord_quarantine(doc TEXT, seq BIGINT, data BYTEA, reason TEXT, quarantined_at BIGINT,
//!   PRIMARY KEY (doc, seq))`, the updates taken out of a log because they could not be read,
//!   with the `seq` they had there and the time they were moved by the database's clock
//!   (milliseconds since the Unix epoch).
//!
//! All are created on start (`IF NOT EXISTS`, under an advisory lock so servers starting
//! together do not race), so a database of an older ycord gains the tables it lacks; they
//! live in the first schema of the connection's `search_path`. To keep ycord's tables in
//! their own schema, name it in the URL (it is created when missing):
//! `postgres://…/db?options=-c%20search_path%3Dycord`.
//!
//! # Connections
//! Two connections: writes (appends, compaction, deletes, moves into and deletes from the
//! quarantine) go through one at a time, so sequence numbers are committed in the order they
//! are drawn; loads, listings and quarantine reads use the other and run concurrently
//! (pipelined). Every write is one transaction and one commit, so it is durable when it
//! returns as far as the server's `synchronous_commit` setting goes (on by default).
//!
//! [`DocStore::compact_stored`] runs on a third connection, opened on its first use, so the
//! appends of every room go on while it merges; compactions of one store run one at a time.
//!
//! # Several servers on one database
//! A document's compactions ([`DocStore::compact_stored`]) and deletion take a transaction
//! advisory lock on the document,
//! `pg_advisory_xact_lock(2036560484, hashtext(current_schema() || '.' || doc))` (the first
//! key is "ycrd" in ASCII; a `hashtext` collision only makes two documents wait for each
//! other). A compaction holds it while it reads the rows (`FOR UPDATE`), merges them and
//! replaces exactly those rows; when it is taken, the compaction does not wait but returns
//! [`CompactOutcome::LockedByAnotherStore`]. A deletion waits for it, on the write connection,
//! so for as long as another server's compaction of that document runs, this store's
//! writes wait too. Appends take no lock.
//!
//! When an operation fails, its connection is dropped and the next operation opens a new
//! one: the store recovers by itself when the database comes back. An operation that gets
//! no answer within 30 s fails the same way.
//!
//! # Limitations
//! - No TLS: connections use `NoTls`. Use it on loopback, a private network, or through a
//!   local TLS-terminating proxy (pgbouncer, stunnel, a cloud SQL proxy).
//! - [`DocStore::compact`] is for one writer per document: it replaces everything up to a
//!   sequence number, and with two writers a smaller number can commit after a larger one
//!   was read. Several writers use [`DocStore::compact_stored`].

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::Mutex;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, NoTls, Row, Statement};

use crate::error::StoreError;
use crate::snapshot::{compacted, merge_in_background};
use crate::store::{CompactOutcome, DocInfo, DocStore, QuarantinedUpdate, StoredUpdate};

/// Longest wait for a new connection, unless the URL sets `connect_timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest wait for the answer to one operation; the connection is then dropped.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);

/// Serialises schema creation across servers starting together ("ycord" in ASCII).
const SCHEMA_LOCK: i64 = 0x79_636f_7264;

/// First key of the per-document advisory lock ("ycrd" in ASCII); the second is a hash of
/// the schema and the document name. Two-key locks never collide with one-key locks such as
/// [`SCHEMA_LOCK`].
const DOC_LOCK_CLASS: i32 = 0x7963_7264;

/// Waits for the document's advisory lock, held until the transaction ends. Advisory locks
/// are per database: the schema in the key keeps stores on other schemas out of the way.
const LOCK_DOC: &str = "SELECT pg_advisory_xact_lock($1, hashtext(current_schema() || '.' || $2))";

/// Takes the document's advisory lock until the transaction ends, if it is free.
const TRY_LOCK_DOC: &str =
    "SELECT pg_try_advisory_xact_lock($1, hashtext(current_schema() || '.' || $2))";

/// The rows a compaction replaces, locked so nothing else removes them before it does.
const COMPACT_READ: &str = "
    SELECT seq, data FROM ycord_updates WHERE doc = $1 AND seq <= $2 ORDER BY seq FOR UPDATE
";

/// Removes exactly the rows a compaction read.
const COMPACT_REMOVE: &str = "DELETE FROM ycord_updates WHERE doc = $1 AND seq = ANY($2)";

const COMPACT_INSERT: &str = "INSERT INTO ycord_updates (doc, seq, data) VALUES ($1, $2, $3)";

const SCHEMA: &str = "
    CREATE SEQUENCE IF NOT EXISTS ycord_update_seq AS BIGINT;
    CREATE TABLE IF NOT EXISTS ycord_updates (
        doc  TEXT   NOT NULL,
        seq  BIGINT NOT NULL,
        data BYTEA  NOT NULL,
        PRIMARY KEY (doc, seq)
    );
    CREATE TABLE IF NOT EXISTS ycord_quarantine (
        doc            TEXT   NOT NULL,
        seq            BIGINT NOT NULL,
        data           BYTEA  NOT NULL,
        reason         TEXT   NOT NULL,
        quarantined_at BIGINT NOT NULL,
        PRIMARY KEY (doc, seq)
    );
";

/// Draws one sequence number per update, hands them out in increasing order of input
/// position (whatever order the database evaluated `nextval` in) and inserts, all in one
/// statement; returns the numbers in input order.
const APPEND: &str = "
    WITH drawn AS MATERIALIZED (
        SELECT nextval('ycord_update_seq') AS seq
        FROM generate_series(1, cardinality($1::text[]))
    ), ranked AS (
        SELECT seq, row_number() OVER (ORDER BY seq) AS position FROM drawn
    ), input AS (
        SELECT doc, data, position
        FROM unnest($1::text[], $2::bytea[]) WITH ORDINALITY AS t (doc, data, position)
    ), inserted AS (
        INSERT INTO ycord_updates (doc, seq, data)
        SELECT input.doc, ranked.seq, input.data
        FROM input JOIN ranked USING (position)
    )
    SELECT seq FROM ranked ORDER BY position
";

/// Deletes the replaced updates and inserts the snapshot under the largest replaced `seq`;
/// inserts nothing when nothing was replaced.
const COMPACT: &str = "
    WITH replaced AS (
        DELETE FROM ycord_updates WHERE doc = $1 AND seq <= $2 RETURNING seq
    )
    INSERT INTO ycord_updates (doc, seq, data)
    SELECT $1, max(seq), $3 FROM replaced HAVING count(*) > 0
";

/// Deletes a document's log and its quarantine.
const DELETE: &str = "
    WITH quarantine AS (DELETE FROM ycord_quarantine WHERE doc = $1)
    DELETE FROM ycord_updates WHERE doc = $1
";

/// Moves the listed updates (`$2` seqs, `$3` reasons) of `$1` from its log to its
/// quarantine; a seq not in the log matches nothing and is skipped. A seq listed twice is
/// deleted, hence moved, once.
const QUARANTINE: &str = "
    WITH listed AS (
        SELECT seq, reason FROM unnest($2::bigint[], $3::text[]) AS t (seq, reason)
    ), moved AS (
        DELETE FROM ycord_updates AS u USING listed
        WHERE u.doc = $1 AND u.seq = listed.seq
        RETURNING u.seq, u.data, listed.reason
    )
    INSERT INTO ycord_quarantine (doc, seq, data, reason, quarantined_at)
    SELECT $1, seq, data, reason, floor(extract(epoch FROM now()) * 1000)::bigint FROM moved
";

const DELETE_QUARANTINED: &str = "DELETE FROM ycord_quarantine WHERE doc = $1 AND seq = $2";

const LOAD: &str = "SELECT seq, data FROM ycord_updates WHERE doc = $1 ORDER BY seq";

const QUARANTINED: &str = "
    SELECT seq, data, reason, quarantined_at FROM ycord_quarantine WHERE doc = $1 ORDER BY seq
";

/// `COLLATE "C"` sorts by bytes, as Rust sorts `str`, whatever the database's locale.
const LIST: &str = "
    SELECT doc, count(*), sum(octet_length(data))::bigint
    FROM ycord_updates GROUP BY doc ORDER BY doc COLLATE \"C\"
";

/// Documents in a PostgreSQL database.
///
/// Failures (connection refused or lost, database shut down, disk full on the server) are
/// [`StoreError::Unavailable`] with PostgreSQL's message; the next call reconnects.
///
/// # Cancellation
/// Dropping the future of a write does not take it back: the statement may already be on
/// its way and commit. Treat an abandoned write as "maybe stored".
pub struct PostgresStore {
    config: Config,
    /// The write connection; `None` after a failure until the next write reconnects.
    writer: Mutex<Option<Writer>>,
    /// The read connection, shared by concurrent reads; `None` after a failure.
    reader: Mutex<Option<Arc<Reader>>>,
    /// The connection of [`DocStore::compact_stored`]; `None` until the first compaction and
    /// after a failure.
    compactor: Mutex<Option<Client>>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("target", &target(&self.config))
            .finish_non_exhaustive()
    }
}

/// A write connection and its prepared statements.
struct Writer {
    client: Client,
    append: Statement,
    compact: Statement,
    delete: Statement,
    quarantine: Statement,
    delete_quarantined: Statement,
}

/// A read connection and its prepared statements.
struct Reader {
    client: Client,
    load: Statement,
    list: Statement,
    quarantined: Statement,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/dbname`, or
    /// the `key=value` form) and creates the schema if it is missing.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] if the URL is invalid, the database cannot be reached or
    /// refuses the login, or the schema cannot be created; the message says which.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let mut config: Config = url.parse().map_err(|err| {
            StoreError::Unavailable(format!("invalid PostgreSQL URL: {}", describe(&err)))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let writer = Writer::connect(&config).await?;
        let reader = Reader::connect(&config).await?;
        Ok(PostgresStore {
            config,
            writer: Mutex::new(Some(writer)),
            reader: Mutex::new(Some(Arc::new(reader))),
            compactor: Mutex::new(None),
        })
    }

    /// Runs `op` on the write connection, reconnecting first if the last one failed; drops
    /// the connection when `op` fails.
    async fn write<T>(
        &self,
        op: impl AsyncFnOnce(&mut Writer) -> Result<T, tokio_postgres::Error>,
    ) -> Result<T, StoreError> {
        let mut slot = self.writer.lock().await;
        let mut writer = match slot.take() {
            Some(writer) if !writer.client.is_closed() => writer,
            _ => Writer::connect(&self.config).await?,
        };
        let result = within_timeout(op(&mut writer)).await;
        if result.is_ok() {
            *slot = Some(writer);
        }
        result
    }

    /// Runs `op` on the shared read connection, reconnecting first if the last one failed;
    /// drops the connection when `op` fails.
    async fn read<T>(
        &self,
        op: impl AsyncFnOnce(&Reader) -> Result<T, tokio_postgres::Error>,
    ) -> Result<T, StoreError> {
        let reader = {
            let mut slot = self.reader.lock().await;
            match slot.as_ref() {
                Some(reader) if !reader.client.is_closed() => Arc::clone(reader),
                _ => {
                    let reader = Arc::new(Reader::connect(&self.config).await?);
                    *slot = Some(Arc::clone(&reader));
                    reader
                }
            }
        };
        let result = within_timeout(op(&reader)).await;
        if result.is_err() {
            let mut slot = self.reader.lock().await;
            if slot
                .as_ref()
                .is_some_and(|current| Arc::ptr_eq(current, &reader))
            {
                *slot = None;
            }
        }
        result
    }
}

/// Compacts `doc` up to `up_to` in one transaction holding the document's advisory lock; see
/// [`DocStore::compact_stored`]. An early return drops the transaction, which rolls it back.
async fn compact_locked(
    client: &mut Client,
    doc: &str,
    up_to: i64,
) -> Result<CompactOutcome, StoreError> {
    let transaction = client.transaction().await.map_err(store_error)?;
    let is_locked: bool = transaction
        .query_one(TRY_LOCK_DOC, &[&DOC_LOCK_CLASS, &doc])
        .await
        .and_then(|row| row.try_get(0))
        .map_err(store_error)?;
    if !is_locked {
        // Waiting would hold up this store's other compactions, and whoever holds the lock is
        // compacting or deleting the document anyway.
        return Ok(CompactOutcome::LockedByAnotherStore);
    }
    let rows = transaction
        .query(COMPACT_READ, &[&doc, &up_to])
        .await
        .map_err(store_error)?
        .iter()
        .map(stored_update)
        .collect::<Result<Vec<_>, _>>()?;
    let (snapshot, rows) = match merge_in_background(rows).await? {
        Ok(merged) => merged,
        Err(outcome) => return Ok(outcome),
    };
    let seqs: Vec<i64> = rows
        .iter()
        .filter_map(|row| exact_sql_seq(row.seq))
        .collect();
    let removed = transaction
        .execute(COMPACT_REMOVE, &[&doc, &seqs])
        .await
        .map_err(store_error)?;
    if removed != rows.len() as u64 {
        // The rows are locked, so this would be a bug: never replace what was not read.
        return Err(StoreError::Unavailable(format!(
            "PostgreSQL: compacting {doc:?} read {} updates but removed {removed}",
            rows.len()
        )));
    }
    let seq = seqs[seqs.len() - 1];
    transaction
        .execute(COMPACT_INSERT, &[&doc, &seq, &snapshot.as_ref()])
        .await
        .map_err(store_error)?;
    transaction.commit().await.map_err(store_error)?;
    Ok(compacted(&rows, &snapshot))
}

/// One row of `ycord_updates` (`seq`, `data`).
fn stored_update(row: &Row) -> Result<StoredUpdate, StoreError> {
    let seq: i64 = row.try_get(0).map_err(store_error)?;
    let data: Vec<u8> = row.try_get(1).map_err(store_error)?;
    Ok(StoredUpdate {
        seq: u64::try_from(seq).map_err(|_| corrupt("seq", seq))?,
        data: Bytes::from(data),
    })
}

/// Creates the schema the URL names first in `search_path` when it does not exist yet, so
/// `?options=-c%20search_path%3Dycord` needs no setup. Without one (the default path, whose
/// `public` exists) nothing happens.
async fn create_named_schema(
    transaction: &tokio_postgres::Transaction<'_>,
) -> Result<(), tokio_postgres::Error> {
    let row = transaction
        .query_one("SELECT current_schema()", &[])
        .await?;
    if row.get::<_, Option<String>>(0).is_some() {
        return Ok(());
    }
    let path: String = transaction
        .query_one("SELECT current_setting('search_path')", &[])
        .await?
        .get(0);
    let Some(schema) = first_schema(&path) else {
        return Ok(());
    };
    let create: String = transaction
        .query_one(
            "SELECT format('CREATE SCHEMA IF NOT EXISTS %I', $1::text)",
            &[&schema],
        )
        .await?
        .get(0);
    transaction.batch_execute(&create).await
}

/// The first schema named in a `search_path` setting, unquoted; `None` for `"$user"` or an
/// empty path.
fn first_schema(path: &str) -> Option<String> {
    let first = path.split(',').next()?.trim();
    let name = match first
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => first.to_lowercase(),
    };
    (!name.is_empty() && name != "$user").then_some(name)
}

impl Writer {
    async fn connect(config: &Config) -> Result<Self, StoreError> {
        let mut client = open(config).await?;
        within_timeout(async {
            let transaction = client.transaction().await?;
            transaction
                .execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
                .await?;
            create_named_schema(&transaction).await?;
            transaction.batch_execute(SCHEMA).await?;
            transaction.commit().await
        })
        .await
        .map_err(|err| in_context("cannot create the ycord schema", err))?;
        let (append, compact, delete, quarantine, delete_quarantined) = within_timeout(async {
            Ok((
                client.prepare(APPEND).await?,
                client.prepare(COMPACT).await?,
                client.prepare(DELETE).await?,
                client.prepare(QUARANTINE).await?,
                client.prepare(DELETE_QUARANTINED).await?,
            ))
        })
        .await?;
        Ok(Writer {
            client,
            append,
            compact,
            delete,
            quarantine,
            delete_quarantined,
        })
    }
}

impl Reader {
    async fn connect(config: &Config) -> Result<Self, StoreError> {
        let client = open(config).await?;
        let (load, list, quarantined) = within_timeout(async {
            Ok((
                client.prepare(LOAD).await?,
                client.prepare(LIST).await?,
                client.prepare(QUARANTINED).await?,
            ))
        })
        .await?;
        Ok(Reader {
            client,
            load,
            list,
            quarantined,
        })
    }
}

/// Opens a connection and drives it on its own task.
async fn open(config: &Config) -> Result<Client, StoreError> {
    let (client, connection) = config.connect(NoTls).await.map_err(|err| {
        StoreError::Unavailable(format!(
            "cannot connect to PostgreSQL at {}: {}",
            target(config),
            describe(&err)
        ))
    })?;
    tokio::spawn(async move {
        if let Err(err) = connection.await {
            tracing::warn!(error = %describe(&err), "PostgreSQL connection lost");
        }
    });
    Ok(client)
}

/// `host:port/dbname` for messages; never the password.
fn target(config: &Config) -> String {
    use tokio_postgres::config::Host;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let dbname = config.get_dbname().unwrap_or("(default database)");
    format!("{host}:{port}/{dbname}")
}

async fn within_timeout<T>(
    operation: impl Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(OPERATION_TIMEOUT, operation).await {
        Ok(result) => result.map_err(store_error),
        Err(_) => Err(StoreError::Unavailable(format!(
            "PostgreSQL did not answer within {OPERATION_TIMEOUT:?}"
        ))),
    }
}

/// Maps a PostgreSQL error to what the caller can act on.
fn store_error(err: tokio_postgres::Error) -> StoreError {
    let text = format!("PostgreSQL: {}", describe(&err));
    match err.code() {
        Some(code) if *code == SqlState::DATA_CORRUPTED || *code == SqlState::INDEX_CORRUPTED => {
            StoreError::Corrupt(text)
        }
        // Connection problems, shutdowns, disk full, read-only transactions, …: the store
        // cannot take the operation now.
        _ => StoreError::Unavailable(text),
    }
}

fn in_context(context: &str, err: StoreError) -> StoreError {
    match err {
        StoreError::Unavailable(text) => StoreError::Unavailable(format!("{context}: {text}")),
        StoreError::Corrupt(text) => StoreError::Corrupt(format!("{context}: {text}")),
    }
}

/// The error and its causes: tokio-postgres's own message is only the kind ("db error").
fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A `seq` from the caller as a PostgreSQL `bigint`; values above `i64::MAX` compare above
/// every stored seq.
fn to_sql_seq(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

/// A `seq` from the caller as the stored `bigint` it names; `None` above `i64::MAX`, which
/// no stored update has.
fn exact_sql_seq(seq: u64) -> Option<i64> {
    i64::try_from(seq).ok()
}

fn corrupt(what: &str, value: i64) -> StoreError {
    StoreError::Corrupt(format!("PostgreSQL: {what} {value} is negative"))
}

#[async_trait]
impl DocStore for PostgresStore {
    async fn load(&self, doc: &str) -> Result<Vec<StoredUpdate>, StoreError> {
        let rows = self
            .read(async |reader| reader.client.query(&reader.load, &[&doc]).await)
            .await?;
        rows.iter().map(stored_update).collect()
    }

    async fn append_batch(&self, batch: &[(&str, Bytes)]) -> Result<Vec<u64>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let docs: Vec<&str> = batch.iter().map(|(doc, _)| *doc).collect();
        let data: Vec<&[u8]> = batch.iter().map(|(_, data)| data.as_ref()).collect();
        let rows = self
            .write(async |writer| writer.client.query(&writer.append, &[&docs, &data]).await)
            .await?;
        if rows.len() != batch.len() {
            return Err(StoreError::Unavailable(format!(
                "PostgreSQL: appending {} updates returned {} sequence numbers",
                batch.len(),
                rows.len()
            )));
        }
        rows.iter()
            .map(|row| {
                let seq: i64 = row.try_get(0).map_err(store_error)?;
                u64::try_from(seq).map_err(|_| corrupt("seq", seq))
            })
            .collect()
    }

    async fn compact(&self, doc: &str, up_to: u64, snapshot: Bytes) -> Result<(), StoreError> {
        let up_to = to_sql_seq(up_to);
        let snapshot: &[u8] = snapshot.as_ref();
        self.write(async |writer| {
            writer
                .client
                .execute(&writer.compact, &[&doc, &up_to, &snapshot])
                .await
        })
        .await?;
        Ok(())
    }

    async fn compact_stored(
        &self,
        doc: &str,
        up_to: Option<u64>,
    ) -> Result<CompactOutcome, StoreError> {
        let up_to = up_to.map_or(i64::MAX, to_sql_seq);
        let mut slot = self.compactor.lock().await;
        let mut client = match slot.take() {
            Some(client) if !client.is_closed() => client,
            _ => open(&self.config).await?,
        };
        let result =
            match tokio::time::timeout(OPERATION_TIMEOUT, compact_locked(&mut client, doc, up_to))
                .await
            {
                Ok(result) => result,
                Err(_) => Err(StoreError::Unavailable(format!(
                    "PostgreSQL did not finish compacting {doc:?} within {OPERATION_TIMEOUT:?}"
                ))),
            };
        // After a failure the connection goes, and with it the transaction and its lock.
        if result.is_ok() {
            *slot = Some(client);
        }
        result
    }

    async fn delete(&self, doc: &str) -> Result<(), StoreError> {
        // The lock first: a compaction of this document running now commits before the
        // deletion reads the log, so its snapshot is deleted with the rest, not left behind.
        self.write(async |writer| {
            let transaction = writer.client.transaction().await?;
            transaction
                .execute(LOCK_DOC, &[&DOC_LOCK_CLASS, &doc])
                .await?;
            transaction.execute(&writer.delete, &[&doc]).await?;
            transaction.commit().await
        })
        .await
    }

    async fn list(&self) -> Result<Vec<DocInfo>, StoreError> {
        let rows = self
            .read(async |reader| reader.client.query(&reader.list, &[]).await)
            .await?;
        rows.iter()
            .map(|row| {
                let name: String = row.try_get(0).map_err(store_error)?;
                let updates: i64 = row.try_get(1).map_err(store_error)?;
                let bytes: i64 = row.try_get(2).map_err(store_error)?;
                Ok(DocInfo {
                    name,
                    updates: u64::try_from(updates).map_err(|_| corrupt("count", updates))?,
                    bytes: u64::try_from(bytes).map_err(|_| corrupt("size", bytes))?,
                })
            })
            .collect()
    }

    async fn quarantine(&self, doc: &str, updates: &[(u64, String)]) -> Result<(), StoreError> {
        let (seqs, reasons): (Vec<i64>, Vec<&str>) = updates
            .iter()
            .filter_map(|(seq, reason)| Some((exact_sql_seq(*seq)?, reason.as_str())))
            .unzip();
        if seqs.is_empty() {
            return Ok(());
        }
        self.write(async |writer| {
            writer
                .client
                .execute(&writer.quarantine, &[&doc, &seqs, &reasons])
                .await
        })
        .await?;
        Ok(())
    }

    async fn quarantined(&self, doc: &str) -> Result<Vec<QuarantinedUpdate>, StoreError> {
        let rows = self
            .read(async |reader| reader.client.query(&reader.quarantined, &[&doc]).await)
            .await?;
        rows.iter()
            .map(|row| {
                let seq: i64 = row.try_get(0).map_err(store_error)?;
                let data: Vec<u8> = row.try_get(1).map_err(store_error)?;
                let reason: String = row.try_get(2).map_err(store_error)?;
                let at: i64 = row.try_get(3).map_err(store_error)?;
                Ok(QuarantinedUpdate {
                    seq: u64::try_from(seq).map_err(|_| corrupt("seq", seq))?,
                    data: Bytes::from(data),
                    reason,
                    quarantined_at_ms: u64::try_from(at)
                        .map_err(|_| corrupt("quarantine time", at))?,
                })
            })
            .collect()
    }

    async fn delete_quarantined(&self, doc: &str, seq: u64) -> Result<bool, StoreError> {
        let Some(seq) = exact_sql_seq(seq) else {
            return Ok(false);
        };
        let deleted = self
            .write(async |writer| {
                writer
                    .client
                    .execute(&writer.delete_quarantined, &[&doc, &seq])
                    .await
            })
            .await?;
        Ok(deleted > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_to_create_is_the_first_of_the_search_path() {
        assert_eq!(first_schema("ycord"), Some("ycord".into()));
        assert_eq!(first_schema("Rooms, public"), Some("rooms".into()));
        assert_eq!(
            first_schema("\"My \"\"Rooms\"\"\", public"),
            Some("My \"Rooms\"".into())
        );
        assert_eq!(first_schema("\"$user\", public"), None);
        assert_eq!(first_schema(""), None);
    }

    #[test]
    fn messages_name_the_server_but_not_the_password() {
        let config: Config = "postgres://ycord:secret@db.example:6543/rooms"
            .parse()
            .unwrap();
        let text = target(&config);
        assert_eq!(text, "db.example:6543/rooms");
        assert!(!format!("{:?}", text).contains("secret"));
    }

    #[test]
    fn invalid_urls_are_reported() {
        let err = tokio_test_block_on(PostgresStore::connect("postgres://host:notaport/db"))
            .expect_err("an invalid port must be rejected");
        assert!(
            matches!(&err, StoreError::Unavailable(text) if text.contains("invalid PostgreSQL URL")),
            "{err}"
        );
    }

    fn tokio_test_block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    }
}
