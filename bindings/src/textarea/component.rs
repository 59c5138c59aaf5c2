//! `<CollabTextarea>`: a textarea bound to a Y.Text.

use std::sync::{Arc, Mutex};

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use yrs::{Doc, GetString, Text, TextRef, Transact};

use super::rebase::Rebased;
use super::splice::{map_position, utf16_splice, utf16_splice_near};
use crate::origin::{is_local, write};
use crate::subscription::observe_scoped;
use crate::text::TextDelta;

/// A `<textarea>` bound to a Y.Text.
///
/// Each `input` event becomes the minimal delete + insert (one transaction, local origin),
/// computed in UTF-16 code units so emoji, CJK and combining characters round-trip. Remote
/// changes replace the value and move the caret and selection through the change, so they stay
/// on the same characters the user had them on.
///
/// While an input method composes (CJK input, dead keys, phone keyboards), remote changes are
/// held back from the textarea, since rewriting its value would end the composition; the
/// document still receives them at once. When the composition ends, the composed text is
/// applied as one edit moved over the held-back changes (a peer's text typed inside the
/// replaced word survives), and the textarea shows the document again with the caret where the
/// user left it.
///
/// The document must count text offsets in UTF-16 (`ycord_provider::new_doc` does), as the
/// browser does.
#[component]
pub fn CollabTextarea(
    /// The document `text` belongs to.
    doc: Doc,
    /// The text to edit.
    text: TextRef,
    /// CSS class of the textarea.
    #[prop(optional, into)]
    class: MaybeProp<String>,
    /// Placeholder shown while the text is empty.
    #[prop(optional, into)]
    placeholder: MaybeProp<String>,
    /// Visible rows.
    #[prop(optional, into)]
    rows: MaybeProp<u32>,
) -> impl IntoView {
    let node_ref = NodeRef::<html::Textarea>::new();
    let initial = text.get_string(&doc.transact());
    let state = Arc::new(Mutex::new(Shown {
        value: initial.clone(),
        composing: None,
    }));

    {
        let state = state.clone();
        observe_scoped(&text, move |txn, event| {
            // Before taking the lock: the handlers below hold it while they apply local edits,
            // which runs this observer.
            if is_local(txn) {
                return;
            }
            let delta: Vec<TextDelta> = event
                .delta(txn)
                .iter()
                .map(crate::text::text_delta)
                .collect();
            let mut state = state.lock().expect("textarea state poisoned");
            if let Some(composition) = &mut state.composing {
                // Rewriting the value now would end the user's composition.
                composition.held.push(delta);
                return;
            }
            let value = event.target().get_string(txn);
            if let Some(el) = node_ref.get_untracked() {
                let selection = read_selection(&el);
                let (start, end) =
                    selection.map(|p, stick_right| map_position(p, &delta, stick_right));
                el.set_value(&value);
                selection.restore(&el, start, end);
            }
            state.value = value;
        });
    }

    let on_input = {
        let (doc, text, state) = (doc.clone(), text.clone(), state.clone());
        move |event: web_sys::Event| {
            let Some(el) = node_ref.get_untracked() else {
                return;
            };
            let mut state = state.lock().expect("textarea state poisoned");
            if state.composing.is_some() {
                // An input that says it is not part of a composition means the composition is
                // over even if no `compositionend` came; otherwise the composed text is taken as
                // one edit when it ends.
                let done = event
                    .dyn_ref::<web_sys::InputEvent>()
                    .is_some_and(|input| !input.is_composing());
                if done {
                    end_composition(&el, &doc, &text, &mut state);
                }
                return;
            }
            let value = el.value();
            if let Some(splice) = utf16_splice(&state.value, &value) {
                apply(&doc, &text, Rebased::new(splice, Vec::new()));
            }
            state.value = value;
        }
    };

    let on_composition_start = {
        let state = state.clone();
        move |_| {
            let Some(el) = node_ref.get_untracked() else {
                return;
            };
            let selection = read_selection(&el);
            let mut state = state.lock().expect("textarea state poisoned");
            // A second start without an end keeps what the first one held back.
            state.composing.get_or_insert_with(|| Composition {
                start: selection.start,
                end: selection.end,
                held: Vec::new(),
            });
        }
    };

    let finish = move || {
        let Some(el) = node_ref.get_untracked() else {
            return;
        };
        let mut state = state.lock().expect("textarea state poisoned");
        if state.composing.is_some() {
            end_composition(&el, &doc, &text, &mut state);
        }
    };
    let on_composition_end = {
        let finish = finish.clone();
        move |_| finish()
    };
    // Browsers end a composition when the textarea loses focus; if one did not say so, the
    // held-back changes must not stay held.
    let on_blur = move |_| finish();

    view! {
        <textarea
            node_ref=node_ref
            class=move || class.get()
            placeholder=move || placeholder.get()
            rows=move || rows.get()
            on:input=on_input
            on:compositionstart=on_composition_start
            on:compositionend=on_composition_end
            on:blur=on_blur
        >
            // The initial value as the textarea's default value: present as soon as it renders.
            {initial}
        </textarea>
    }
}

/// What the textarea shows, and the composition in progress.
struct Shown {
    /// The value the textarea showed before the composition, as of the document's last known
    /// state.
    value: String,
    /// `Some` while an input method composes.
    composing: Option<Composition>,
}

/// An input method's composition in progress.
struct Composition {
    /// The selection when it started (UTF-16 offsets of `Shown::value`): the composed text
    /// replaces it, so the edit is known to cover it.
    start: u32,
    end: u32,
    /// The deltas of the remote changes held back from the textarea, oldest first.
    held: Vec<Vec<TextDelta>>,
}

/// Takes the composed text as one edit, moved over the remote changes held back meanwhile, and
/// shows the document again with the selection where the user left it.
fn end_composition(
    el: &web_sys::HtmlTextAreaElement,
    doc: &Doc,
    text: &TextRef,
    state: &mut Shown,
) {
    let Some(composition) = state.composing.take() else {
        return;
    };
    let value = el.value();
    let selection = read_selection(el);
    let edit = utf16_splice_near(&state.value, &value, composition.start, composition.end);
    let (start, end) = match edit {
        Some(splice) => {
            let rebased = Rebased::new(splice, composition.held);
            let moved = selection.map(|p, stick_right| rebased.map_position(p, stick_right));
            apply(doc, text, rebased);
            moved
        }
        None => selection.map(|p, stick_right| {
            composition
                .held
                .iter()
                .fold(p, |p, d| map_position(p, d, stick_right))
        }),
    };
    let now = text.get_string(&doc.transact());
    if now != value {
        el.set_value(&now);
        selection.restore(el, start, end);
    }
    state.value = now;
}

/// The textarea's selection, to put back after its value is replaced.
struct Selection {
    start: u32,
    end: u32,
    direction: Option<String>,
}

fn read_selection(el: &web_sys::HtmlTextAreaElement) -> Selection {
    let start = el.selection_start().ok().flatten().unwrap_or(0);
    Selection {
        start,
        end: el.selection_end().ok().flatten().unwrap_or(start),
        direction: el.selection_direction().ok().flatten(),
    }
}

impl Selection {
    /// Where the selection's ends move, given how a position moves (`stick_right` as in
    /// [`map_position`]). The start sticks right and the end left, so text inserted at the edge
    /// of a selection stays outside it; a caret stays one caret.
    fn map(&self, map: impl Fn(u32, bool) -> u32) -> (u32, u32) {
        let start = map(self.start, true);
        if self.start == self.end {
            (start, start)
        } else {
            (start, map(self.end, false))
        }
    }

    fn restore(&self, el: &web_sys::HtmlTextAreaElement, start: u32, end: u32) {
        let _ = match &self.direction {
            Some(direction) => el.set_selection_range_with_direction(start, end, direction),
            None => el.set_selection_range(start, end),
        };
    }
}

/// Applies a local edit in one transaction with the local origin.
fn apply(doc: &Doc, text: &TextRef, edit: Rebased) {
    let mut txn = write(doc);
    for &(start, end) in edit.deletes.iter().rev() {
        text.remove_range(&mut txn, start, end - start);
    }
    if !edit.insert.is_empty() {
        text.insert(&mut txn, edit.at, &edit.insert);
    }
}
