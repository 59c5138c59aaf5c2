//! `use_y_map`: a Y.Map with one reactive source per key.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use yrs::{ArrayRef, Doc, Map, MapRef, Out, TextRef, Transact};

use crate::convert::{any_of, value_of};
use crate::error::BindingError;
use crate::origin::write;
use crate::subscription::observe_scoped;

/// A bound Y.Map. Reading a key subscribes the caller to that key only: a memo or effect that
/// reads `"title"` re-runs when `"title"` changes and not when any other key does.
///
/// Cheap to clone, `Send + Sync`. Writes use one transaction each with the
/// [local origin](crate::origin::local_origin).
///
/// # Deadlocks
/// Reads open a read transaction: do not call them while holding a transaction of the document.
#[derive(Clone)]
pub struct YMap {
    inner: Arc<MapInner>,
}

struct MapInner {
    doc: Doc,
    map: MapRef,
    /// Created on first read of a key; the observer notifies only the keys a change touched.
    per_key: Mutex<HashMap<Arc<str>, ArcTrigger>>,
    /// Notified when keys appear or disappear.
    membership: ArcTrigger,
    /// Notified on any change.
    any: ArcTrigger,
}

impl YMap {
    fn key_trigger(&self, key: &str) -> ArcTrigger {
        let mut per_key = self.inner.per_key.lock().expect("map triggers poisoned");
        if let Some(trigger) = per_key.get(key) {
            return trigger.clone();
        }
        let trigger = ArcTrigger::new();
        per_key.insert(Arc::from(key), trigger.clone());
        trigger
    }

    /// Tracks `key` and returns its raw yrs value.
    pub fn get_out(&self, key: &str) -> Option<Out> {
        self.key_trigger(key).track();
        self.inner.map.get(&self.inner.doc.transact(), key)
    }

    /// Tracks `key` and returns its value as `T`; `None` when absent or of another shape.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.try_get(key).ok().flatten()
    }

    /// Tracks `key` and returns its value as `T`, or why it cannot.
    pub fn try_get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, BindingError> {
        self.key_trigger(key).track();
        let txn = self.inner.doc.transact();
        match self.inner.map.get(&txn, key) {
            Some(out) => value_of(&out, &txn).map(Some),
            None => Ok(None),
        }
    }

    /// A signal of one key's value as `T`.
    pub fn signal<T>(&self, key: &str) -> Signal<Option<T>>
    where
        T: DeserializeOwned + Send + Sync + 'static,
    {
        let this = self.clone();
        let key = key.to_owned();
        Signal::derive(move || this.get::<T>(&key))
    }

    /// Tracks `key` and returns the Y.Text stored under it, if any.
    pub fn text(&self, key: &str) -> Option<TextRef> {
        match self.get_out(key)? {
            Out::YText(text) => Some(text),
            _ => None,
        }
    }

    /// Tracks `key` and returns the Y.Map stored under it, if any.
    pub fn map(&self, key: &str) -> Option<MapRef> {
        match self.get_out(key)? {
            Out::YMap(map) => Some(map),
            _ => None,
        }
    }

    /// Tracks `key` and returns the Y.Array stored under it, if any.
    pub fn array(&self, key: &str) -> Option<ArrayRef> {
        match self.get_out(key)? {
            Out::YArray(array) => Some(array),
            _ => None,
        }
    }

    /// Stores `value` under `key`.
    ///
    /// # Errors
    /// When `value` cannot be represented as a yrs value.
    pub fn set<T: Serialize>(&self, key: &str, value: T) -> Result<(), BindingError> {
        let any = any_of(&value)?;
        let mut txn = write(&self.inner.doc);
        self.inner.map.insert(&mut txn, key, any);
        Ok(())
    }

    /// Stores a shared type (or any yrs input, e.g. `TextPrelim`, `MapPrelim`) under `key` and
    /// returns the integrated value.
    pub fn set_shared<V: yrs::block::Prelim>(&self, key: &str, value: V) -> V::Return {
        let mut txn = write(&self.inner.doc);
        self.inner.map.insert(&mut txn, key, value)
    }

    /// Removes `key`.
    pub fn remove(&self, key: &str) {
        let mut txn = write(&self.inner.doc);
        self.inner.map.remove(&mut txn, key);
    }

    /// The keys, sorted. Tracks membership only.
    pub fn keys(&self) -> Vec<String> {
        self.inner.membership.track();
        let txn = self.inner.doc.transact();
        let mut keys: Vec<String> = self.inner.map.keys(&txn).map(str::to_owned).collect();
        keys.sort();
        keys
    }

    /// The number of keys. Tracks membership only.
    pub fn len(&self) -> u32 {
        self.inner.membership.track();
        self.inner.map.len(&self.inner.doc.transact())
    }

    /// Whether the map has no keys. Tracks membership only.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All entries as `(key, value as T)`, sorted by key; entries of another shape are skipped.
    /// Tracks every change.
    pub fn entries<T: DeserializeOwned>(&self) -> Vec<(String, T)> {
        self.inner.any.track();
        let txn = self.inner.doc.transact();
        let mut entries: Vec<(String, T)> = self
            .inner
            .map
            .iter(&txn)
            .filter_map(|(k, v)| value_of(&v, &txn).ok().map(|v| (k.to_owned(), v)))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        entries
    }

    /// The underlying map.
    pub fn map_ref(&self) -> &MapRef {
        &self.inner.map
    }

    /// The document the map belongs to.
    pub fn doc(&self) -> &Doc {
        &self.inner.doc
    }
}

/// What [`use_y_map`] returns.
pub struct UseYMapReturn<S, R>
where
    S: Fn(&str, serde_json::Value) + Clone + Send + Sync,
    R: Fn(&str) + Clone + Send + Sync,
{
    /// The handle: typed, per-key tracked `get` / `set`, nested types.
    pub map: YMap,
    /// The keys, sorted; changes when keys appear or disappear.
    pub keys: Signal<Vec<String>>,
    /// The number of keys.
    pub len: Signal<u32>,
    /// All entries as JSON values, sorted by key; changes on every change.
    pub entries: Signal<Vec<(String, serde_json::Value)>>,
    /// Stores a JSON value under a key (typed writes: [`YMap::set`]).
    pub set: S,
    /// Removes a key.
    pub remove: R,
}

/// Options of [`use_y_map_with_options`]. None yet; reserved so adding one is not breaking.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct UseYMapOptions {}

/// Binds a Y.Map (root or nested) to per-key reactive reads. The observer is removed when the
/// current owner is cleaned up.
// The commands are opaque closures, as in leptos-use; their types cannot be named shorter.
#[allow(clippy::type_complexity)]
pub fn use_y_map(
    doc: &Doc,
    map: &MapRef,
) -> UseYMapReturn<
    impl Fn(&str, serde_json::Value) + Clone + Send + Sync,
    impl Fn(&str) + Clone + Send + Sync,
> {
    use_y_map_with_options(doc, map, UseYMapOptions::default())
}

/// [`use_y_map`] with options.
// The commands are opaque closures, as in leptos-use; their types cannot be named shorter.
#[allow(clippy::type_complexity)]
pub fn use_y_map_with_options(
    doc: &Doc,
    map: &MapRef,
    _options: UseYMapOptions,
) -> UseYMapReturn<
    impl Fn(&str, serde_json::Value) + Clone + Send + Sync,
    impl Fn(&str) + Clone + Send + Sync,
> {
    let handle = bind_map(doc, map);
    let keys = {
        let m = handle.clone();
        Signal::derive(move || m.keys())
    };
    let len = {
        let m = handle.clone();
        Signal::derive(move || m.len())
    };
    let entries = {
        let m = handle.clone();
        Signal::derive(move || m.entries::<serde_json::Value>())
    };
    let set = {
        let m = handle.clone();
        move |key: &str, value: serde_json::Value| {
            // A JSON value always converts to a yrs value.
            let _ = m.set(key, value);
        }
    };
    let remove = {
        let m = handle.clone();
        move |key: &str| m.remove(key)
    };
    UseYMapReturn {
        map: handle,
        keys,
        len,
        entries,
        set,
        remove,
    }
}

/// The handle alone, observed until the current owner is cleaned up.
pub fn bind_map(doc: &Doc, map: &MapRef) -> YMap {
    let inner = Arc::new(MapInner {
        doc: doc.clone(),
        map: map.clone(),
        per_key: Mutex::new(HashMap::new()),
        membership: ArcTrigger::new(),
        any: ArcTrigger::new(),
    });
    let weak = Arc::downgrade(&inner);
    observe_scoped(map, move |txn, event| {
        let Some(inner) = weak.upgrade() else { return };
        let mut membership_changed = false;
        {
            let per_key = inner.per_key.lock().expect("map triggers poisoned");
            for (key, change) in event.keys(txn) {
                if !matches!(change, yrs::types::EntryChange::Updated(_, _)) {
                    membership_changed = true;
                }
                if let Some(trigger) = per_key.get(key) {
                    trigger.notify();
                }
            }
        }
        if membership_changed {
            inner.membership.notify();
        }
        inner.any.notify();
    });
    YMap { inner }
}
