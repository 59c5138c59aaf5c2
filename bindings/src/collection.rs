//! Typed collections: records stored as one Y.Map of fields each, with reactive queries.

use std::cmp::Ordering as CmpOrdering;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use yrs::types::{EntryChange, Event, PathSegment, ToJson};
use yrs::{Any, Doc, Map, MapPrelim, MapRef, Out, ReadTxn, Transact};

use crate::convert::any_of;
use crate::error::BindingError;
use crate::origin::write;
use crate::subscription::observe_deep_scoped;

/// A typed collection over a Y.Map: each record is a nested Y.Map of its fields, keyed by id.
///
/// Storing fields separately is what lets two peers edit different fields of the same record
/// concurrently and keep both edits. [`update`](Self::update) writes only the fields whose
/// value changed.
///
/// Reactive reads: [`get`](Self::get) depends on one record; [`query`](Self::query) depends on
/// the records of this collection (any of them may start or stop matching a filter) and
/// nothing else in the document, deserializes only the records that changed since its last
/// run, and notifies its readers only when its result changed.
pub struct YCollection<T> {
    inner: Arc<CollectionInner>,
    _record: PhantomData<fn() -> T>,
}

impl<T> Clone for YCollection<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            _record: PhantomData,
        }
    }
}

struct CollectionInner {
    doc: Doc,
    root: MapRef,
    records: Mutex<HashMap<Arc<str>, RecordState>>,
    membership: ArcTrigger,
    next_id: AtomicU64,
}

#[derive(Clone)]
struct RecordState {
    trigger: ArcTrigger,
    /// Bumped on every change of the record; queries cache deserialized records by version.
    version: u64,
}

impl CollectionInner {
    fn record_state(&self, id: &str) -> RecordState {
        let mut records = self.records.lock().expect("collection state poisoned");
        records
            .entry(Arc::from(id))
            .or_insert_with(|| RecordState {
                trigger: ArcTrigger::new(),
                version: 0,
            })
            .clone()
    }

    fn bump(&self, id: &Arc<str>) {
        let trigger = {
            let mut records = self.records.lock().expect("collection state poisoned");
            let state = records.entry(id.clone()).or_insert_with(|| RecordState {
                trigger: ArcTrigger::new(),
                version: 0,
            });
            state.version += 1;
            state.trigger.clone()
        };
        trigger.notify();
    }
}

type Filter<T> = Arc<dyn Fn(&T) -> bool + Send + Sync>;
type Order<T> = Arc<dyn Fn(&T, &T) -> CmpOrdering + Send + Sync>;
/// Deserialized records by id, with the record version they were read at.
type RecordCache<T> = Mutex<HashMap<Arc<str>, (u64, Option<T>)>>;

/// One query over a collection: an optional filter, an optional order and an optional limit.
pub struct Query<T> {
    filter: Option<Filter<T>>,
    sort: Option<Order<T>>,
    limit: Option<usize>,
}

impl<T> Default for Query<T> {
    fn default() -> Self {
        Self {
            filter: None,
            sort: None,
            limit: None,
        }
    }
}

impl<T> Query<T> {
    /// All records, in id order.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the records for which `f` returns `true`.
    pub fn filter(mut self, f: impl Fn(&T) -> bool + Send + Sync + 'static) -> Self {
        self.filter = Some(Arc::new(f));
        self
    }

    /// Orders the records with `f` (stable; ties keep id order).
    pub fn sort_by(mut self, f: impl Fn(&T, &T) -> CmpOrdering + Send + Sync + 'static) -> Self {
        self.sort = Some(Arc::new(f));
        self
    }

    /// Keeps at most `n` records (after filtering and sorting).
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }
}

/// Binds a typed collection stored in `root` (a map of id → record map). The observer is
/// removed when the current owner is cleaned up.
pub fn use_y_collection<T>(doc: &Doc, root: &MapRef) -> YCollection<T>
where
    T: Serialize + DeserializeOwned,
{
    let inner = Arc::new(CollectionInner {
        doc: doc.clone(),
        root: root.clone(),
        records: Mutex::new(HashMap::new()),
        membership: ArcTrigger::new(),
        next_id: AtomicU64::new(0),
    });
    let weak = Arc::downgrade(&inner);
    observe_deep_scoped(root, move |txn, events| {
        let Some(inner) = weak.upgrade() else { return };
        let mut membership_changed = false;
        for event in events.iter() {
            let path = event.path();
            match path.front() {
                // A change of the collection map itself: records added, replaced or removed.
                None => {
                    if let Event::Map(e) = event {
                        for (id, change) in e.keys(txn) {
                            if !matches!(change, EntryChange::Updated(_, _)) {
                                membership_changed = true;
                            }
                            inner.bump(id);
                        }
                    }
                }
                // A change inside one record.
                Some(PathSegment::Key(id)) => inner.bump(id),
                Some(PathSegment::Index(_)) => {}
            }
        }
        if membership_changed {
            inner.membership.notify();
        }
    });
    YCollection {
        inner,
        _record: PhantomData,
    }
}

impl<T> YCollection<T>
where
    T: Serialize + DeserializeOwned,
{
    /// Inserts (or replaces) the record `id`.
    ///
    /// # Errors
    /// When `record` does not serialize to a map of fields.
    pub fn insert(&self, id: &str, record: &T) -> Result<(), BindingError> {
        let fields = fields_of(record)?;
        let mut txn = write(&self.inner.doc);
        let map = self.inner.root.insert(&mut txn, id, MapPrelim::default());
        for (field, value) in fields.iter() {
            map.insert(&mut txn, field.as_str(), value.clone());
        }
        Ok(())
    }

    /// Inserts `record` under a fresh id (unique across peers: it starts with this document's
    /// client id) and returns the id.
    ///
    /// # Errors
    /// When `record` does not serialize to a map of fields.
    pub fn create(&self, record: &T) -> Result<String, BindingError> {
        let client = self.inner.doc.client_id().get();
        let id = loop {
            let n = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
            let id = format!("{client:x}-{n}");
            if !self
                .inner
                .root
                .contains_key(&self.inner.doc.transact(), &id)
            {
                break id;
            }
        };
        self.insert(&id, record)?;
        Ok(id)
    }

    /// Writes the fields of `record` that differ from the stored record `id` (and removes the
    /// fields it no longer has) in one transaction; inserts it when absent.
    ///
    /// # Errors
    /// When `record` does not serialize to a map of fields.
    pub fn update(&self, id: &str, record: &T) -> Result<(), BindingError> {
        let fields = fields_of(record)?;
        let mut txn = write(&self.inner.doc);
        let Some(Out::YMap(map)) = self.inner.root.get(&txn, id) else {
            let map = self.inner.root.insert(&mut txn, id, MapPrelim::default());
            for (field, value) in fields.iter() {
                map.insert(&mut txn, field.as_str(), value.clone());
            }
            return Ok(());
        };
        let stale: Vec<String> = map
            .keys(&txn)
            .filter(|k| !fields.contains_key(*k))
            .map(str::to_owned)
            .collect();
        for field in stale {
            map.remove(&mut txn, &field);
        }
        for (field, value) in fields.iter() {
            let same =
                matches!(map.get(&txn, field), Some(Out::Any(ref current)) if current == value);
            if !same {
                map.insert(&mut txn, field.as_str(), value.clone());
            }
        }
        Ok(())
    }

    /// Reads record `id` (untracked), lets `f` change it, and writes back the changed fields.
    /// Returns `false` when there is no such record.
    ///
    /// # Errors
    /// When the stored record does not deserialize as `T`, or the result does not serialize.
    pub fn update_with(&self, id: &str, f: impl FnOnce(&mut T)) -> Result<bool, BindingError> {
        let current = {
            let txn = self.inner.doc.transact();
            read_record::<T, _>(&self.inner.root, &txn, id)
        };
        match current {
            Some(record) => {
                let mut record = record?;
                f(&mut record);
                self.update(id, &record)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Removes record `id`.
    pub fn remove(&self, id: &str) {
        let mut txn = write(&self.inner.doc);
        self.inner.root.remove(&mut txn, id);
    }

    /// Record `id`, tracking that record only. `None` when absent or not a `T`.
    pub fn get(&self, id: &str) -> Option<T> {
        self.inner.record_state(id).trigger.track();
        let txn = self.inner.doc.transact();
        read_record::<T, _>(&self.inner.root, &txn, id).and_then(Result::ok)
    }

    /// The ids, sorted. Tracks membership only.
    pub fn ids(&self) -> Vec<String> {
        self.inner.membership.track();
        let txn = self.inner.doc.transact();
        let mut ids: Vec<String> = self.inner.root.keys(&txn).map(str::to_owned).collect();
        ids.sort();
        ids
    }

    /// The number of records. Tracks membership only.
    pub fn len(&self) -> u32 {
        self.inner.membership.track();
        self.inner.root.len(&self.inner.doc.transact())
    }

    /// Whether the collection has no records. Tracks membership only.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> YCollection<T>
where
    T: Serialize + DeserializeOwned + Clone + PartialEq + Send + Sync + 'static,
{
    /// A signal of one record.
    pub fn signal(&self, id: &str) -> Signal<Option<T>> {
        let this = self.clone();
        let id = id.to_owned();
        Signal::derive(move || this.get(&id))
    }

    /// A reactive query: `(id, record)` pairs filtered, sorted and limited as `query` says.
    ///
    /// Re-runs only when a record of this collection changes, re-reads only the changed
    /// records, and notifies its readers only when the result differs.
    pub fn query_with_ids(&self, query: Query<T>) -> Signal<Vec<(String, T)>> {
        let inner = self.inner.clone();
        let cache: RecordCache<T> = Mutex::new(HashMap::new());
        let memo = ArcMemo::new(move |_| {
            inner.membership.track();
            let txn = inner.doc.transact();
            let ids: Vec<Arc<str>> = inner.root.keys(&txn).map(Arc::from).collect();
            let states: Vec<RecordState> = {
                let mut records = inner.records.lock().expect("collection state poisoned");
                ids.iter()
                    .map(|id| {
                        records
                            .entry(id.clone())
                            .or_insert_with(|| RecordState {
                                trigger: ArcTrigger::new(),
                                version: 0,
                            })
                            .clone()
                    })
                    .collect()
            };
            let mut cache = cache.lock().expect("query cache poisoned");
            cache.retain(|id, _| ids.contains(id));
            let mut rows: Vec<(String, T)> = Vec::with_capacity(ids.len());
            for (id, state) in ids.iter().zip(states) {
                state.trigger.track();
                let entry = cache.entry(id.clone()).or_insert((u64::MAX, None));
                if entry.0 != state.version {
                    let record = read_record::<T, _>(&inner.root, &txn, id).and_then(Result::ok);
                    *entry = (state.version, record);
                }
                if let Some(record) = &entry.1 {
                    if query.filter.as_ref().is_none_or(|f| f(record)) {
                        rows.push((id.to_string(), record.clone()));
                    }
                }
            }
            rows.sort_by(|a, b| a.0.cmp(&b.0));
            if let Some(sort) = &query.sort {
                rows.sort_by(|a, b| sort(&a.1, &b.1));
            }
            if let Some(limit) = query.limit {
                rows.truncate(limit);
            }
            rows
        });
        Signal::from(memo)
    }

    /// A reactive query returning the records only (see [`query_with_ids`](Self::query_with_ids)).
    pub fn query(&self, query: Query<T>) -> Signal<Vec<T>> {
        let rows = self.query_with_ids(query);
        let memo = ArcMemo::new(move |_| {
            rows.with(|rows| rows.iter().map(|(_, r)| r.clone()).collect::<Vec<T>>())
        });
        Signal::from(memo)
    }
}

fn fields_of<T: Serialize>(record: &T) -> Result<Arc<HashMap<String, Any>>, BindingError> {
    match any_of(record)? {
        Any::Map(fields) => Ok(fields),
        other => Err(BindingError::NotARecord(other.to_string())),
    }
}

fn read_record<T: DeserializeOwned, R: ReadTxn>(
    root: &MapRef,
    txn: &R,
    id: &str,
) -> Option<Result<T, BindingError>> {
    let Out::YMap(map) = root.get(txn, id)? else {
        return None;
    };
    let any = map.to_json(txn);
    Some(yrs::encoding::serde::from_any(&any).map_err(|e| BindingError::Deserialize(e.to_string())))
}
