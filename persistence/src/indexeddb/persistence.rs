//! [`IndexeddbPersistence`]: a yrs document kept in IndexedDB.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicU64, Ordering};

use wasm_bindgen::JsValue;
use yrs::{Doc, Origin, ReadTxn, StateVector, Transact};

use super::apply::apply_rows;
use super::compaction::CompactionPolicy;
use super::database::{Database, Rows};
use super::error::IndexeddbError;
use super::notify::Notify;
use super::options::IndexeddbOptions;

/// Keeps a yrs [`Doc`] in the browser's IndexedDB, readable and writable by the y-indexeddb 9
/// npm package as well.
///
/// - On creation it loads every stored update into the document (applied in one
///   transaction with [`origin`](Self::origin)); [`when_synced`](Self::when_synced) resolves
///   once that is done. Reloading stores nothing new.
/// - Every later update of the document, whatever its origin except this instance's own, is
///   appended as one row at once, in the order the document produced them.
/// - Past [`IndexeddbOptions`]' row or byte threshold it compacts: it first applies the rows
///   other tabs appended since it last read, appends the whole document as one row and
///   deletes only the rows it has merged. Several tabs (ycord or y-indexeddb) can therefore
///   share one database without losing each other's rows.
///
/// Write failures happen in the background; [`flush`](Self::flush) reports them.
///
/// Dropping it (or [`destroy`](Self::destroy)) stops storing updates; the rows already
/// written stay.
pub struct IndexeddbPersistence {
    inner: Rc<Inner>,
}

struct Inner {
    id: u64,
    name: String,
    doc: Doc,
    origin: Origin,
    observer_key: Origin,
    db: RefCell<Option<Rc<Database>>>,
    state: RefCell<State>,
    /// Set once the instance is dropped or destroyed: nothing is stored any more.
    destroyed: Cell<bool>,
    changed: Notify,
}

enum Load {
    Loading,
    Synced,
    Failed(IndexeddbError),
}

struct State {
    load: Load,
    /// Every row below this key has been applied to the document (or written from it).
    next_unread: f64,
    /// Keys of rows this instance wrote at or above `next_unread`: already in the document.
    own_rows: HashSet<u64>,
    /// Updates made before the database was open.
    queued: Vec<Vec<u8>>,
    /// Appends and compactions started and not yet finished.
    in_flight: usize,
    compacting: bool,
    policy: CompactionPolicy,
    /// The first background failure not yet reported by `flush`.
    error: Option<IndexeddbError>,
}

thread_local! {
    /// The live instances, by id. yrs wants `Send + Sync` observers (its `sync` feature); the
    /// observer therefore holds an id and finds the instance here, on the one thread a page
    /// has.
    static INSTANCES: RefCell<HashMap<u64, Weak<Inner>>> = RefCell::new(HashMap::new());
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl IndexeddbPersistence {
    /// Starts keeping `doc` in the database named `name` with default options; see
    /// [`with_options`](Self::with_options).
    pub fn new(name: &str, doc: &Doc) -> Self {
        Self::with_options(name, doc, IndexeddbOptions::default())
    }

    /// Starts keeping `doc` in the database named `name` (exactly the document name, as
    /// y-indexeddb names it). Loading runs in the background: await
    /// [`when_synced`](Self::when_synced) before relying on the stored content being in
    /// `doc`. Updates made before then are stored once the database is open.
    ///
    /// # Panics
    /// If a transaction on `doc` is open (yrs needs one to register the update observer).
    pub fn with_options(name: &str, doc: &Doc, options: IndexeddbOptions) -> Self {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let inner = Rc::new(Inner {
            id,
            name: name.to_owned(),
            doc: doc.clone(),
            origin: Origin::from(format!("ycord-indexeddb/{id}")),
            observer_key: Origin::from(format!("ycord-indexeddb/observer/{id}")),
            db: RefCell::new(None),
            state: RefCell::new(State {
                load: Load::Loading,
                next_unread: 0.0,
                own_rows: HashSet::new(),
                queued: Vec::new(),
                in_flight: 0,
                compacting: false,
                policy: CompactionPolicy::new(&options),
                error: None,
            }),
            destroyed: Cell::new(false),
            changed: Notify::default(),
        });
        INSTANCES.with(|instances| {
            instances.borrow_mut().insert(id, Rc::downgrade(&inner));
        });
        let own_origin = inner.origin.clone();
        // The document is locked while this runs: only hand the bytes over.
        doc.observe_update_v1(inner.observer_key.clone(), move |txn, event| {
            if txn.origin() == Some(&own_origin) {
                return;
            }
            let instance = INSTANCES.with(|instances| instances.borrow().get(&id)?.upgrade());
            if let Some(instance) = instance {
                instance.store_local(&event.update);
            }
        })
        .expect("IndexeddbPersistence needs the document without an open transaction");
        wasm_bindgen_futures::spawn_local(inner.clone().load());
        IndexeddbPersistence { inner }
    }

    /// Opens the database named `name` and applies what it holds to `doc` before returning.
    ///
    /// # Errors
    /// When the database cannot be opened or holds a row that is not a Yjs update; see
    /// [`IndexeddbError`].
    pub async fn open(name: &str, doc: &Doc) -> Result<Self, IndexeddbError> {
        Self::open_with_options(name, doc, IndexeddbOptions::default()).await
    }

    /// [`open`](Self::open) with options.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub async fn open_with_options(
        name: &str,
        doc: &Doc,
        options: IndexeddbOptions,
    ) -> Result<Self, IndexeddbError> {
        let persistence = Self::with_options(name, doc, options);
        persistence.when_synced().await?;
        Ok(persistence)
    }

    /// Resolves once the stored updates have been applied to the document.
    ///
    /// # Errors
    /// Why loading failed; the instance then stores nothing.
    pub fn when_synced(&self) -> impl Future<Output = Result<(), IndexeddbError>> + '_ {
        self.inner
            .changed
            .until(|| match &self.inner.state.borrow().load {
                Load::Loading => None,
                Load::Synced => Some(Ok(())),
                Load::Failed(err) => Some(Err(err.clone())),
            })
    }

    /// Whether the stored updates have been applied to the document.
    pub fn is_synced(&self) -> bool {
        matches!(self.inner.state.borrow().load, Load::Synced)
    }

    /// The database (document) name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The document kept.
    pub fn doc(&self) -> &Doc {
        &self.inner.doc
    }

    /// The origin of the transactions in which this instance applies stored rows. Its own
    /// update observer ignores them; other observers (a provider) can recognise them too.
    pub fn origin(&self) -> &Origin {
        &self.inner.origin
    }

    /// Waits until every update made so far is committed to IndexedDB and no compaction
    /// runs.
    ///
    /// # Errors
    /// The first background failure since the last `flush` (a failed append or compaction),
    /// or why loading failed.
    pub async fn flush(&self) -> Result<(), IndexeddbError> {
        self.when_synced().await?;
        self.inner
            .changed
            .until(|| (self.inner.state.borrow().in_flight == 0).then_some(()))
            .await;
        match self.inner.state.borrow_mut().error.take() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    /// Compacts now, whatever the thresholds say, and waits for it; see the type's docs.
    ///
    /// # Errors
    /// Why loading or the compaction failed.
    pub async fn compact(&self) -> Result<(), IndexeddbError> {
        self.when_synced().await?;
        self.inner
            .changed
            .until(|| (!self.inner.state.borrow().compacting).then_some(()))
            .await;
        self.inner.state.borrow_mut().begin_compaction();
        self.inner.clone().compaction().await
    }

    /// How many rows the database's `updates` store holds now (rows of other tabs included).
    ///
    /// # Errors
    /// When loading failed or the database cannot be read.
    pub async fn stored_rows(&self) -> Result<u32, IndexeddbError> {
        self.database().await?.count_updates().await
    }

    /// The value stored under `key` in the database's `custom` store (application metadata
    /// that y-indexeddb's `get` reads too), or `None`. Keys and values are IndexedDB keys and
    /// structured-clonable values: strings, numbers, dates, `ArrayBuffer`s, plain objects.
    ///
    /// # Errors
    /// When loading failed or the database cannot be read.
    pub async fn get(&self, key: &JsValue) -> Result<Option<JsValue>, IndexeddbError> {
        let value = self.database().await?.custom_get(key).await?;
        Ok((!value.is_undefined()).then_some(value))
    }

    /// Stores `value` under `key` in the `custom` store; see [`get`](Self::get).
    ///
    /// # Errors
    /// When loading failed, `key` is not a valid IndexedDB key, the value cannot be cloned,
    /// or the quota is used up.
    pub async fn set(&self, key: &JsValue, value: &JsValue) -> Result<(), IndexeddbError> {
        self.database().await?.custom_set(key, value).await
    }

    /// Removes `key` from the `custom` store.
    ///
    /// # Errors
    /// When loading failed or the database cannot be written.
    pub async fn delete(&self, key: &JsValue) -> Result<(), IndexeddbError> {
        self.database().await?.custom_delete(key).await
    }

    /// Stops storing updates of the document once the ones made so far are committed, and
    /// closes the database. Dropping the instance stops at once instead.
    ///
    /// # Errors
    /// As [`flush`](Self::flush); the instance is closed either way.
    pub async fn destroy(self) -> Result<(), IndexeddbError> {
        self.inner.unobserve();
        let flushed = self.flush().await;
        drop(self);
        flushed
    }

    /// Destroys the instance and deletes the database with everything in it (both stores).
    ///
    /// # Errors
    /// [`IndexeddbError::Blocked`] when another tab keeps the database open; it is deleted
    /// once that tab closes it.
    pub async fn clear_data(self) -> Result<(), IndexeddbError> {
        let name = self.inner.name.clone();
        self.inner.unobserve();
        // Whatever is still being written is about to be deleted.
        let _ = self.flush().await;
        drop(self);
        Database::delete(&name).await
    }

    async fn database(&self) -> Result<Rc<Database>, IndexeddbError> {
        self.when_synced().await?;
        if self.inner.destroyed.get() {
            return Err(IndexeddbError::Destroyed {
                name: self.inner.name.clone(),
            });
        }
        self.inner
            .db
            .borrow()
            .clone()
            .ok_or_else(|| IndexeddbError::Destroyed {
                name: self.inner.name.clone(),
            })
    }
}

impl Drop for IndexeddbPersistence {
    fn drop(&mut self) {
        self.inner.shut_down();
    }
}

impl std::fmt::Debug for IndexeddbPersistence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexeddbPersistence")
            .field("name", &self.inner.name)
            .field("synced", &self.is_synced())
            .finish_non_exhaustive()
    }
}

impl State {
    fn begin_compaction(&mut self) {
        self.compacting = true;
        self.in_flight += 1;
    }

    fn record(&mut self, err: IndexeddbError) {
        tracing::warn!(error = %err, "IndexedDB persistence failed");
        self.error.get_or_insert(err);
    }
}

impl Inner {
    async fn load(self: Rc<Self>) {
        let loaded = self.clone().try_load().await;
        let mut state = self.state.borrow_mut();
        match loaded {
            Ok(()) => state.load = Load::Synced,
            Err(err) => {
                state.queued.clear();
                state.load = Load::Failed(err);
            }
        }
        drop(state);
        self.changed.notify_all();
        self.clone().compact_if_due();
    }

    async fn try_load(self: Rc<Self>) -> Result<(), IndexeddbError> {
        let db = Rc::new(Database::open(&self.name).await?);
        let rows = db.read_updates(0.0).await?;
        if self.destroyed.get() {
            db.close();
            return Err(IndexeddbError::Destroyed {
                name: self.name.clone(),
            });
        }
        let bytes = self.apply(&rows, |_| false)?;
        {
            let mut state = self.state.borrow_mut();
            if let Some(last) = rows.last_key {
                state.next_unread = last + 1.0;
            }
            state.policy.loaded(rows.values.length(), bytes);
        }
        *self.db.borrow_mut() = Some(db.clone());
        let queued = std::mem::take(&mut self.state.borrow_mut().queued);
        for update in queued {
            self.append(&db, &update);
        }
        Ok(())
    }

    /// Applies `rows` (except those `skip` names) in one transaction with this instance's
    /// origin; returns their size in bytes.
    fn apply(&self, rows: &Rows, skip: impl Fn(f64) -> bool) -> Result<usize, IndexeddbError> {
        let mut txn = self.doc.transact_mut_with(self.origin.clone());
        apply_rows(&self.name, &mut txn, rows, skip)
    }

    /// Called by the document's update observer, for every update not applied by us.
    fn store_local(self: Rc<Self>, update: &[u8]) {
        if self.destroyed.get() {
            return;
        }
        let db = self.db.borrow().clone();
        match db {
            Some(db) => self.append(&db, update),
            None => {
                let mut state = self.state.borrow_mut();
                if matches!(state.load, Load::Loading) {
                    state.queued.push(update.to_vec());
                }
            }
        }
    }

    fn append(self: &Rc<Self>, db: &Database, update: &[u8]) {
        let appending = match db.append(update) {
            Ok(appending) => appending,
            Err(err) => {
                self.state.borrow_mut().record(err);
                return;
            }
        };
        {
            let mut state = self.state.borrow_mut();
            state.in_flight += 1;
            state.policy.appended(update.len());
        }
        let inner = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let appended = appending.await;
            {
                let mut state = inner.state.borrow_mut();
                state.in_flight -= 1;
                match appended {
                    Ok(key) if key >= state.next_unread => {
                        state.own_rows.insert(key as u64);
                    }
                    Ok(_) => {}
                    Err(err) => state.record(err),
                }
            }
            inner.changed.notify_all();
        });
        self.clone().compact_if_due();
    }

    fn compact_if_due(self: Rc<Self>) {
        {
            let mut state = self.state.borrow_mut();
            if self.destroyed.get()
                || state.compacting
                || !matches!(state.load, Load::Synced)
                || !state.policy.is_due()
            {
                return;
            }
            state.begin_compaction();
        }
        wasm_bindgen_futures::spawn_local(async move {
            // Failures are recorded for `flush`.
            let _ = self.compaction().await;
        });
    }

    /// Runs one compaction; the caller has called `begin_compaction`.
    async fn compaction(self: Rc<Self>) -> Result<(), IndexeddbError> {
        let result = self.clone().try_compaction().await;
        {
            let mut state = self.state.borrow_mut();
            state.compacting = false;
            state.in_flight -= 1;
            if let Err(err) = &result {
                state.record(err.clone());
            }
        }
        self.changed.notify_all();
        if result.is_ok() {
            // Appends during the compaction may have reached a threshold again.
            self.clone().compact_if_due();
        }
        result
    }

    async fn try_compaction(self: Rc<Self>) -> Result<(), IndexeddbError> {
        let db = self.db.borrow().clone();
        let Some(db) = db.filter(|_| !self.destroyed.get()) else {
            return Err(IndexeddbError::Destroyed {
                name: self.name.clone(),
            });
        };
        let (from, start) = {
            let state = self.state.borrow();
            (state.next_unread, state.policy.start())
        };
        let compacted = db
            .compact(from, |rows| {
                let own_rows = std::mem::take(&mut self.state.borrow_mut().own_rows);
                let mut txn = self.doc.transact_mut_with(self.origin.clone());
                apply_rows(&self.name, &mut txn, rows, |key| {
                    own_rows.contains(&(key as u64))
                })?;
                Ok(txn.encode_state_as_update_v1(&StateVector::default()))
            })
            .await?;
        let mut state = self.state.borrow_mut();
        state.next_unread = compacted.next_unread;
        let next_unread = compacted.next_unread;
        state.own_rows.retain(|&key| key as f64 >= next_unread);
        state.policy.finished(start);
        Ok(())
    }

    fn unobserve(&self) {
        // Fails only inside an open transaction of the document; `shut_down` retries.
        if let Ok(true) = self.doc.unobserve_update_v1(self.observer_key.clone()) {
            tracing::trace!(name = %self.name, "IndexedDB persistence stopped observing");
        }
    }

    fn shut_down(&self) {
        if self.destroyed.replace(true) {
            return;
        }
        self.unobserve();
        INSTANCES.with(|instances| {
            instances.borrow_mut().remove(&self.id);
        });
        if let Some(db) = self.db.borrow_mut().take() {
            db.close();
        }
        self.changed.notify_all();
    }
}
