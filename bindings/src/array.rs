//! `use_y_array`: a Y.Array as a list of items with stable identities.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use leptos::prelude::*;
use serde::de::DeserializeOwned;
use yrs::types::Change;
use yrs::{Array, ArrayRef, Doc, In, MapRef, Out, TextRef, Transact};

use crate::convert::value_of;
use crate::origin::write;
use crate::subscription::observe_scoped;

/// One element of a bound array with an identity that survives edits around it.
///
/// Use [`YItem::id`] as the key of a `<For>`: when an element is inserted, every other item
/// keeps its id, so only the new row renders.
#[derive(Debug, Clone, PartialEq)]
pub struct YItem {
    /// Stable for as long as this element stays in the array (local to this binding).
    pub id: u64,
    /// The element: a plain value (`Out::Any`) or a nested shared type.
    pub value: Out,
}

impl YItem {
    /// The element as `T`, when it is a plain value of that shape.
    pub fn get<T: DeserializeOwned>(&self) -> Option<T> {
        match &self.value {
            Out::Any(any) => yrs::encoding::serde::from_any(any).ok(),
            _ => None,
        }
    }

    /// The element as a nested Y.Map.
    pub fn as_map(&self) -> Option<MapRef> {
        match &self.value {
            Out::YMap(map) => Some(map.clone()),
            _ => None,
        }
    }

    /// The element as a nested Y.Text.
    pub fn as_text(&self) -> Option<TextRef> {
        match &self.value {
            Out::YText(text) => Some(text.clone()),
            _ => None,
        }
    }

    /// The element as a nested Y.Array.
    pub fn as_array(&self) -> Option<ArrayRef> {
        match &self.value {
            Out::YArray(array) => Some(array.clone()),
            _ => None,
        }
    }
}

/// What [`use_y_array`] returns.
pub struct UseYArrayReturn<I, P, R>
where
    I: Fn(u32, In) + Clone + Send + Sync,
    P: Fn(In) + Clone + Send + Sync,
    R: Fn(u32, u32) + Clone + Send + Sync,
{
    /// The elements in order, each with a stable id.
    pub items: Signal<Vec<YItem>>,
    /// The number of elements.
    pub len: Signal<u32>,
    /// Inserts a value (`yrs::Any`, `MapPrelim`, `TextPrelim`, …) at an index (clamped).
    pub insert: I,
    /// Appends a value.
    pub push: P,
    /// Removes `len` elements starting at an index (clamped to the array).
    pub remove: R,
}

/// Options of [`use_y_array_with_options`]. None yet; reserved so adding one is not breaking.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct UseYArrayOptions {}

/// Binds a Y.Array (root or nested). The observer is removed when the current owner is
/// cleaned up.
// The commands are opaque closures, as in leptos-use; their types cannot be named shorter.
#[allow(clippy::type_complexity)]
pub fn use_y_array(
    doc: &Doc,
    array: &ArrayRef,
) -> UseYArrayReturn<
    impl Fn(u32, In) + Clone + Send + Sync,
    impl Fn(In) + Clone + Send + Sync,
    impl Fn(u32, u32) + Clone + Send + Sync,
> {
    use_y_array_with_options(doc, array, UseYArrayOptions::default())
}

/// [`use_y_array`] with options.
// The commands are opaque closures, as in leptos-use; their types cannot be named shorter.
#[allow(clippy::type_complexity)]
pub fn use_y_array_with_options(
    doc: &Doc,
    array: &ArrayRef,
    _options: UseYArrayOptions,
) -> UseYArrayReturn<
    impl Fn(u32, In) + Clone + Send + Sync,
    impl Fn(In) + Clone + Send + Sync,
    impl Fn(u32, u32) + Clone + Send + Sync,
> {
    let ids = Arc::new(AtomicU64::new(0));
    let next_id = move || ids.fetch_add(1, Ordering::Relaxed);
    let initial: Vec<YItem> = array
        .iter(&doc.transact())
        .map(|value| YItem {
            id: next_id(),
            value,
        })
        .collect();
    let items = ArcRwSignal::new(initial);
    {
        let items = items.clone();
        observe_scoped(array, move |txn, event| {
            let delta = event.delta(txn);
            items.update(|items| apply_delta(items, delta, &next_id));
        });
    }
    let len = {
        let items = items.clone();
        Signal::derive(move || items.with(|items| items.len() as u32))
    };
    let insert = {
        let doc = doc.clone();
        let array = array.clone();
        move |index: u32, value: In| {
            let mut txn = write(&doc);
            let index = index.min(array.len(&txn));
            array.insert(&mut txn, index, value);
        }
    };
    let push = {
        let doc = doc.clone();
        let array = array.clone();
        move |value: In| {
            array.push_back(&mut write(&doc), value);
        }
    };
    let remove = {
        let doc = doc.clone();
        let array = array.clone();
        move |index: u32, count: u32| {
            let mut txn = write(&doc);
            let len = array.len(&txn);
            let index = index.min(len);
            let count = count.min(len - index);
            if count > 0 {
                array.remove_range(&mut txn, index, count);
            }
        }
    };
    UseYArrayReturn {
        items: Signal::from(items),
        len,
        insert,
        push,
        remove,
    }
}

/// Applies an array change to the item list: retained items keep their ids, inserted ones
/// get fresh ids.
fn apply_delta(items: &mut Vec<YItem>, delta: &[Change], next_id: &impl Fn() -> u64) {
    let mut at = 0usize;
    for change in delta {
        match change {
            Change::Retain(n) => at += *n as usize,
            Change::Removed(n) => {
                let start = at.min(items.len());
                let end = (start + *n as usize).min(items.len());
                items.drain(start..end);
            }
            Change::Added(values) => {
                let at_now = at.min(items.len());
                items.splice(
                    at_now..at_now,
                    values.iter().cloned().map(|value| YItem {
                        id: next_id(),
                        value,
                    }),
                );
                at = at_now + values.len();
            }
        }
    }
}

/// Reads every element as `T`, skipping the ones of another shape.
pub fn items_as<T: DeserializeOwned>(doc: &Doc, items: &[YItem]) -> Vec<T> {
    let txn = doc.transact();
    items
        .iter()
        .filter_map(|item| value_of(&item.value, &txn).ok())
        .collect()
}
