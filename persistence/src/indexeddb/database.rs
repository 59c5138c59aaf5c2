//! One document's IndexedDB database, in y-indexeddb 9's layout.
//!
//! - The database is named exactly like the document and opened at version 1: y-indexeddb
//!   tabs close their connection on any version change, so a higher version would cut off
//!   every JavaScript tab of the app.
//! - Object store `updates` (auto-increment keys): one Yjs v1 update per row, as a
//!   `Uint8Array`. Keys only grow, so "every row below key k" is a stable set.
//! - Object store `custom` (caller-chosen keys): application metadata.

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;

use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    IdbCursor, IdbCursorDirection, IdbDatabase, IdbFactory, IdbKeyRange, IdbObjectStore,
    IdbObjectStoreParameters, IdbOpenDbRequest, IdbTransaction, IdbTransactionMode,
};

use super::error::IndexeddbError;
use super::request::{committed, first_of, request, sleep, DomFailure, Outcome};

const UPDATES: &str = "updates";
const CUSTOM: &str = "custom";
const VERSION: u32 = 1;

/// How long deleting a database waits for connections that were asked to close.
pub(crate) const BLOCKED_GRACE_MS: i32 = 3000;

/// Rows of the `updates` store, in key order.
pub(crate) struct Rows {
    /// The rows' keys, when asked for.
    pub keys: Option<Vec<f64>>,
    /// The rows' values, normally `Uint8Array`s.
    pub values: Array,
    /// The largest key read, if any row was.
    pub last_key: Option<f64>,
}

/// What a compaction did.
pub(crate) struct Compacted {
    /// The first key it did not read: every row below it was merged and deleted.
    pub next_unread: f64,
}

/// An open connection to one document's database.
pub(crate) struct Database {
    name: String,
    db: IdbDatabase,
    closed_by_version_change: Rc<Cell<bool>>,
    _on_version_change: Closure<dyn FnMut(web_sys::Event)>,
}

fn factory() -> Result<IdbFactory, IndexeddbError> {
    let unavailable = |why: String| IndexeddbError::Unavailable(why);
    // Reading `indexedDB` throws a SecurityError in opaque origins; workers have it too, so
    // go through the global object rather than `window`.
    let factory = Reflect::get(&js_sys::global(), &JsValue::from_str("indexedDB"))
        .map_err(|thrown| unavailable(DomFailure::from_thrown(thrown).message))?;
    factory
        .dyn_into::<IdbFactory>()
        .map_err(|_| unavailable("this context has no indexedDB".into()))
}

impl Database {
    /// Opens (creating it if needed) the database of document `name`.
    pub(crate) async fn open(name: &str) -> Result<Database, IndexeddbError> {
        let fail = |failure| IndexeddbError::from_failure(name, "open", failure);
        let open_request: IdbOpenDbRequest = factory()?
            .open_with_u32(name, VERSION)
            .map_err(|thrown| fail(DomFailure::from_thrown(thrown)))?;

        // Runs inside the version-change transaction, which only a new database gets (an
        // existing one is already at version 1).
        let upgrading = open_request.clone();
        let on_upgrade = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            let Ok(db) = upgrading.result() else { return };
            let db: IdbDatabase = db.unchecked_into();
            let names = db.object_store_names();
            if !names.contains(UPDATES) {
                let parameters = IdbObjectStoreParameters::new();
                parameters.set_auto_increment(true);
                // A failure aborts the upgrade, which fails the open request: reported there.
                let _ = db.create_object_store_with_optional_parameters(UPDATES, &parameters);
            }
            if !names.contains(CUSTOM) {
                let _ = db.create_object_store(CUSTOM);
            }
        });
        open_request.set_onupgradeneeded(Some(on_upgrade.as_ref().unchecked_ref()));
        let opened = request(open_request.clone().unchecked_into()).await;
        open_request.set_onupgradeneeded(None);
        let db: IdbDatabase = opened.map_err(fail)?.unchecked_into();

        // Another tab deleting or upgrading the database must not wait for this one.
        let closed_by_version_change = Rc::new(Cell::new(false));
        let on_version_change = {
            let db = db.clone();
            let closed = closed_by_version_change.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                closed.set(true);
                db.close();
            })
        };
        db.set_onversionchange(Some(on_version_change.as_ref().unchecked_ref()));
        Ok(Database {
            name: name.to_owned(),
            db,
            closed_by_version_change,
            _on_version_change: on_version_change,
        })
    }

    /// Deletes the database of document `name` (nothing happens if there is none).
    ///
    /// # Errors
    /// [`IndexeddbError::Blocked`] when another connection is still open
    /// [`BLOCKED_GRACE_MS`] after the browser asked it to close; the browser deletes the
    /// database once it does.
    pub(crate) async fn delete(name: &str) -> Result<(), IndexeddbError> {
        let fail = |failure| IndexeddbError::from_failure(name, "delete", failure);
        let delete_request = factory()?
            .delete_database(name)
            .map_err(|thrown| fail(DomFailure::from_thrown(thrown)))?;
        let blocked = Outcome::new(&delete_request, &["blocked"]);
        let finished = Outcome::new(&delete_request, &["success", "error"]);
        // `blocked` also fires for connections that are closing but still finish a
        // transaction (ycord and y-indexeddb tabs close on request): give them a moment.
        let event = first_of(finished, async {
            blocked.await;
            sleep(BLOCKED_GRACE_MS).await;
            "blocked"
        })
        .await;
        match event {
            "success" => Ok(()),
            "blocked" => Err(IndexeddbError::Blocked {
                name: name.to_owned(),
            }),
            _ => Err(fail(DomFailure::from_exception(
                delete_request.error().ok().flatten(),
            ))),
        }
    }

    /// Closes the connection once its pending transactions have finished.
    pub(crate) fn close(&self) {
        self.db.set_onversionchange(None);
        self.db.close();
    }

    fn error(&self, operation: &'static str, failure: DomFailure) -> IndexeddbError {
        if self.closed_by_version_change.get() {
            IndexeddbError::VersionChange {
                name: self.name.clone(),
            }
        } else {
            IndexeddbError::from_failure(&self.name, operation, failure)
        }
    }

    fn thrown(&self, operation: &'static str) -> impl Fn(JsValue) -> IndexeddbError + '_ {
        move |thrown| self.error(operation, DomFailure::from_thrown(thrown))
    }

    fn store(
        &self,
        name: &str,
        mode: IdbTransactionMode,
        operation: &'static str,
    ) -> Result<(IdbTransaction, IdbObjectStore), IndexeddbError> {
        let transaction = self
            .db
            .transaction_with_str_and_mode(name, mode)
            .map_err(self.thrown(operation))?;
        let store = transaction
            .object_store(name)
            .map_err(self.thrown(operation))?;
        Ok((transaction, store))
    }

    /// Every row with key `from` or above, read in one transaction, without their keys
    /// (reading 100 000s of keys costs about as much as reading the rows).
    pub(crate) async fn read_updates(&self, from: f64) -> Result<Rows, IndexeddbError> {
        let (transaction, store) = self.store(UPDATES, IdbTransactionMode::Readonly, "load")?;
        let done = committed(&transaction);
        let rows = read_rows(&store, from, false).map_err(self.thrown("load"))?;
        let rows = rows.await.map_err(|failure| self.error("load", failure))?;
        done.await.map_err(|failure| self.error("load", failure))?;
        Ok(rows)
    }

    /// Starts appending `update` as a new row (a fresh `Uint8Array` copy, so later changes to
    /// wasm memory cannot reach it). The request is issued before this returns, which keeps
    /// rows in the order of the calls; the future resolves to the row's key once committed.
    pub(crate) fn append(
        &self,
        update: &[u8],
    ) -> Result<impl Future<Output = Result<f64, IndexeddbError>> + 'static, IndexeddbError> {
        let (transaction, store) = self.store(UPDATES, IdbTransactionMode::Readwrite, "store")?;
        let row = Uint8Array::from(update);
        let added = store.add(&row).map_err(self.thrown("store"))?;
        let key = request(added);
        let done = committed(&transaction);
        let name = self.name.clone();
        let closed = self.closed_by_version_change.clone();
        Ok(async move {
            let fail = |failure| {
                if closed.get() {
                    IndexeddbError::VersionChange { name: name.clone() }
                } else {
                    IndexeddbError::from_failure(&name, "store", failure)
                }
            };
            let key = key.await.map_err(fail)?;
            done.await.map_err(fail)?;
            Ok(key.as_f64().unwrap_or_default())
        })
    }

    /// Compacts in one transaction: reads the rows from key `from` on, lets `merge` apply
    /// them and return the whole document, appends that as one row and deletes every row
    /// below the first key not read. Rows appended meanwhile by others sort after the
    /// rows read, so they survive.
    pub(crate) async fn compact(
        &self,
        from: f64,
        merge: impl FnOnce(&Rows) -> Result<Vec<u8>, IndexeddbError>,
    ) -> Result<Compacted, IndexeddbError> {
        let (transaction, store) = self.store(UPDATES, IdbTransactionMode::Readwrite, "compact")?;
        let done = committed(&transaction);
        let rows = read_rows(&store, from, true).map_err(self.thrown("compact"))?;
        let rows = rows
            .await
            .map_err(|failure| self.error("compact", failure))?;
        let snapshot = match merge(&rows) {
            Ok(snapshot) => snapshot,
            Err(err) => {
                let _ = transaction.abort();
                return Err(err);
            }
        };
        let next_unread = rows.last_key.map_or(from, |last| last + 1.0);
        let write = || -> Result<(), JsValue> {
            store.add(&Uint8Array::from(&snapshot[..]))?;
            let merged = IdbKeyRange::upper_bound_with_open(&JsValue::from_f64(next_unread), true)?;
            store.delete(&merged)?;
            Ok(())
        };
        write().map_err(self.thrown("compact"))?;
        done.await
            .map_err(|failure| self.error("compact", failure))?;
        Ok(Compacted { next_unread })
    }

    /// How many rows the `updates` store holds.
    pub(crate) async fn count_updates(&self) -> Result<u32, IndexeddbError> {
        let (transaction, store) = self.store(UPDATES, IdbTransactionMode::Readonly, "count")?;
        let done = committed(&transaction);
        let counted = store.count().map_err(self.thrown("count"))?;
        let count = request(counted)
            .await
            .map_err(|failure| self.error("count", failure))?;
        // Waiting for the end of the transaction lets a close right after take effect at once.
        done.await.map_err(|failure| self.error("count", failure))?;
        Ok(count.as_f64().unwrap_or_default() as u32)
    }

    /// The `custom` value under `key`, `undefined` if none.
    pub(crate) async fn custom_get(&self, key: &JsValue) -> Result<JsValue, IndexeddbError> {
        let (transaction, store) =
            self.store(CUSTOM, IdbTransactionMode::Readonly, "custom get")?;
        let done = committed(&transaction);
        let got = store.get(key).map_err(self.thrown("custom get"))?;
        let value = request(got)
            .await
            .map_err(|failure| self.error("custom get", failure))?;
        done.await
            .map_err(|failure| self.error("custom get", failure))?;
        Ok(value)
    }

    /// Stores `value` under `key` in `custom`, replacing what was there.
    pub(crate) async fn custom_set(
        &self,
        key: &JsValue,
        value: &JsValue,
    ) -> Result<(), IndexeddbError> {
        let (transaction, store) =
            self.store(CUSTOM, IdbTransactionMode::Readwrite, "custom set")?;
        let done = committed(&transaction);
        store
            .put_with_key(value, key)
            .map_err(self.thrown("custom set"))?;
        done.await
            .map_err(|failure| self.error("custom set", failure))
    }

    /// Removes `key` from `custom`.
    pub(crate) async fn custom_delete(&self, key: &JsValue) -> Result<(), IndexeddbError> {
        let (transaction, store) =
            self.store(CUSTOM, IdbTransactionMode::Readwrite, "custom delete")?;
        let done = committed(&transaction);
        store.delete(key).map_err(self.thrown("custom delete"))?;
        done.await
            .map_err(|failure| self.error("custom delete", failure))
    }
}

impl Drop for Database {
    /// A connection left to the garbage collector would keep blocking `clear_data` and
    /// version changes until it is collected.
    fn drop(&mut self) {
        self.close();
    }
}

/// Issues the reads of every row from key `from` on, in key order, and of their keys or
/// only of the last key (all in the caller's transaction, so they match).
fn read_rows(
    store: &IdbObjectStore,
    from: f64,
    with_keys: bool,
) -> Result<impl Future<Output = Result<Rows, DomFailure>>, JsValue> {
    let range = IdbKeyRange::lower_bound(&JsValue::from_f64(from))?;
    let values = request(store.get_all_with_key(&range)?);
    let keys = if with_keys {
        Ok(request(store.get_all_keys_with_key(&range)?))
    } else {
        Err(request(store.open_key_cursor_with_range_and_direction(
            &range,
            IdbCursorDirection::Prev,
        )?))
    };
    Ok(async move {
        let values: Array = values.await?.unchecked_into();
        let (keys, last_key) = match keys {
            Ok(keys) => {
                let keys: Array = keys.await?.unchecked_into();
                let keys: Vec<f64> = keys
                    .iter()
                    .map(|key| key.as_f64().unwrap_or(f64::NAN))
                    .collect();
                let last_key = keys.last().copied();
                (Some(keys), last_key)
            }
            Err(last) => {
                let cursor = last.await?;
                let last_key = cursor
                    .dyn_ref::<IdbCursor>()
                    .and_then(|cursor| cursor.key().ok())
                    .and_then(|key| key.as_f64());
                (None, last_key)
            }
        };
        Ok(Rows {
            keys,
            values,
            last_key,
        })
    })
}
