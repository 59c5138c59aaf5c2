//! `use_y_text`: a Y.Text as signals.

use std::sync::{Arc, Mutex};

use leptos::prelude::*;
use yrs::types::Delta;
use yrs::{Doc, GetString, Out, Text, TextRef, Transact};

use crate::origin::{is_local, write};
use crate::subscription::observe_scoped;

/// One step of a text change, in the document's offset unit (UTF-16 code units for documents
/// from `ycord_provider::new_doc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextDelta {
    /// Keep this many units unchanged.
    Retain(u32),
    /// Insert this text here.
    Insert(String),
    /// Delete this many units here.
    Delete(u32),
}

/// Options of [`use_y_text_with_options`].
#[derive(Debug, Clone)]
pub struct UseYTextOptions {
    /// Compute [`UseYTextReturn::delta`] on every change (default `true`). Turn off when no
    /// component patches the DOM from deltas, to save converting each change.
    pub track_delta: bool,
}

impl Default for UseYTextOptions {
    fn default() -> Self {
        Self { track_delta: true }
    }
}

/// What [`use_y_text`] returns.
pub struct UseYTextReturn<I, D, R>
where
    I: Fn(u32, &str) + Clone + Send + Sync,
    D: Fn(u32, u32) + Clone + Send + Sync,
    R: Fn(u32, u32, &str) + Clone + Send + Sync,
{
    /// The whole text. Read lazily: the string is rebuilt only when a reader asks after a change.
    pub text: Signal<String>,
    /// The length in the document's offset unit.
    pub len: Signal<u32>,
    /// The delta of the last change (local or remote), for components that patch the DOM.
    pub delta: Signal<Arc<[TextDelta]>>,
    /// Inserts a string at an index (clamped to the length).
    pub insert: I,
    /// Deletes `len` units starting at an index (clamped to the text).
    pub delete: D,
    /// Replaces `len` units at an index by a string, in one transaction.
    pub replace: R,
}

/// Binds a Y.Text (root or nested) to signals. Writes go through one transaction each with the
/// [local origin](crate::origin::local_origin). The observer is removed when the current owner
/// is cleaned up.
///
/// # Deadlocks
/// Do not read `text` while holding a transaction of `doc`: the signal opens its own.
// The commands are opaque closures, as in leptos-use; their types cannot be named shorter.
#[allow(clippy::type_complexity)]
pub fn use_y_text(
    doc: &Doc,
    text: &TextRef,
) -> UseYTextReturn<
    impl Fn(u32, &str) + Clone + Send + Sync,
    impl Fn(u32, u32) + Clone + Send + Sync,
    impl Fn(u32, u32, &str) + Clone + Send + Sync,
> {
    use_y_text_with_options(doc, text, UseYTextOptions::default())
}

/// [`use_y_text`] with options.
// The commands are opaque closures, as in leptos-use; their types cannot be named shorter.
#[allow(clippy::type_complexity)]
pub fn use_y_text_with_options(
    doc: &Doc,
    text: &TextRef,
    options: UseYTextOptions,
) -> UseYTextReturn<
    impl Fn(u32, &str) + Clone + Send + Sync,
    impl Fn(u32, u32) + Clone + Send + Sync,
    impl Fn(u32, u32, &str) + Clone + Send + Sync,
> {
    // Length and last delta change together: one signal, one notification per change, which
    // the string memo tracks as well. The delta is shared, so a reader's copy is a refcount.
    let change: ArcRwSignal<(u32, Arc<[TextDelta]>)> =
        ArcRwSignal::new((text.len(&doc.transact()), Arc::new([])));
    // The delta of an edit made by this hook's commands, left here inside the edit's
    // transaction: yrs computes an event's delta by walking the whole text, which would make
    // every local keystroke cost O(length). Remote changes still use the event's delta.
    let local_delta: Arc<Mutex<Option<Vec<TextDelta>>>> = Arc::default();

    {
        let change = change.clone();
        let local_delta = local_delta.clone();
        let untracked: Arc<[TextDelta]> = Arc::new([]);
        observe_scoped(text, move |txn, event| {
            let ours = local_delta.lock().expect("text state poisoned").take();
            let delta: Arc<[TextDelta]> = if !options.track_delta {
                untracked.clone()
            } else {
                match ours {
                    Some(ours) if is_local(txn) => ours.into(),
                    _ => event.delta(txn).iter().map(text_delta).collect(),
                }
            };
            change.set((event.target().len(txn), delta));
        });
    }

    let string = {
        let doc = doc.clone();
        let text = text.clone();
        let change = change.clone();
        ArcMemo::new(move |_| {
            change.track();
            text.get_string(&doc.transact())
        })
    };

    let replace = {
        let doc = doc.clone();
        let text = text.clone();
        move |index: u32, count: u32, chunk: &str| {
            let mut txn = write(&doc);
            let (index, count) = clamp_range(text.len(&txn), index, count);
            if count == 0 && chunk.is_empty() {
                return;
            }
            if count > 0 {
                text.remove_range(&mut txn, index, count);
            }
            if !chunk.is_empty() {
                text.insert(&mut txn, index, chunk);
            }
            // Set while the transaction is open, so no other edit can commit in between.
            *local_delta.lock().expect("text state poisoned") =
                Some(splice_delta(index, count, chunk));
        }
    };
    let insert = {
        let replace = replace.clone();
        move |index: u32, chunk: &str| replace(index, 0, chunk)
    };
    let delete = {
        let replace = replace.clone();
        move |index: u32, count: u32| replace(index, count, "")
    };

    UseYTextReturn {
        text: Signal::from(string),
        len: {
            let change = change.clone();
            Signal::derive(move || change.with(|c| c.0))
        },
        delta: Signal::derive(move || change.with(|c| c.1.clone())),
        insert,
        delete,
        replace,
    }
}

/// The delta yrs reports for deleting `count` units at `index` and inserting `chunk` there.
fn splice_delta(index: u32, count: u32, chunk: &str) -> Vec<TextDelta> {
    let mut delta = Vec::with_capacity(3);
    if index > 0 {
        delta.push(TextDelta::Retain(index));
    }
    if count > 0 {
        delta.push(TextDelta::Delete(count));
    }
    if !chunk.is_empty() {
        delta.push(TextDelta::Insert(chunk.to_owned()));
    }
    delta
}

fn clamp_range(len: u32, index: u32, count: u32) -> (u32, u32) {
    let index = index.min(len);
    (index, count.min(len - index))
}

pub(crate) fn text_delta(delta: &Delta) -> TextDelta {
    match delta {
        Delta::Retain(n, _) => TextDelta::Retain(*n),
        Delta::Deleted(n) => TextDelta::Delete(*n),
        Delta::Inserted(Out::Any(yrs::Any::String(s)), _) => TextDelta::Insert(s.to_string()),
        // Embeds occupy one unit; they have no text of their own.
        Delta::Inserted(_, _) => TextDelta::Insert(String::from("\u{FFFC}")),
    }
}
