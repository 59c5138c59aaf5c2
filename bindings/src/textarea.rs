//! `<CollabTextarea>`: a textarea bound to a Y.Text.

use std::sync::{Arc, Mutex};

use leptos::html;
use leptos::prelude::*;
use yrs::{Doc, GetString, Text, TextRef, Transact};

use crate::origin::{is_local, write};
use crate::splice::{map_position, utf16_splice};
use crate::subscription::observe_scoped;
use crate::text::TextDelta;

/// A `<textarea>` bound to a Y.Text.
///
/// Each `input` event becomes the minimal delete + insert (one transaction, local origin),
/// computed in UTF-16 code units so emoji, CJK and combining characters round-trip. Remote
/// changes replace the value and move the caret and selection through the change, so they stay
/// on the same characters the user had them on.
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
    // The value the textarea shows, as of the document's last known state.
    let shown = Arc::new(Mutex::new(initial.clone()));

    {
        let shown = shown.clone();
        observe_scoped(&text, move |txn, event| {
            if is_local(txn) {
                return;
            }
            let value = event.target().get_string(txn);
            let mut shown = shown.lock().expect("textarea state poisoned");
            if let Some(el) = node_ref.get_untracked() {
                let delta: Vec<TextDelta> = event
                    .delta(txn)
                    .iter()
                    .map(crate::text::text_delta)
                    .collect();
                let start = el.selection_start().ok().flatten().unwrap_or(0);
                let end = el.selection_end().ok().flatten().unwrap_or(start);
                let direction = el.selection_direction().ok().flatten();
                let collapsed = start == end;
                let new_start = map_position(start, &delta, true);
                let new_end = if collapsed {
                    new_start
                } else {
                    map_position(end, &delta, false)
                };
                el.set_value(&value);
                let _ = match direction {
                    Some(direction) => {
                        el.set_selection_range_with_direction(new_start, new_end, &direction)
                    }
                    None => el.set_selection_range(new_start, new_end),
                };
            }
            *shown = value;
        });
    }

    let on_input = move |_| {
        let Some(el) = node_ref.get_untracked() else {
            return;
        };
        let value = el.value();
        let mut shown = shown.lock().expect("textarea state poisoned");
        if let Some(splice) = utf16_splice(&shown, &value) {
            let mut txn = write(&doc);
            if splice.delete > 0 {
                text.remove_range(&mut txn, splice.index, splice.delete);
            }
            if !splice.insert.is_empty() {
                text.insert(&mut txn, splice.index, &splice.insert);
            }
        }
        *shown = value;
    };

    view! {
        <textarea
            node_ref=node_ref
            class=move || class.get()
            placeholder=move || placeholder.get()
            rows=move || rows.get()
            on:input=on_input
        >
            // The initial value as the textarea's default value: present as soon as it renders.
            {initial}
        </textarea>
    }
}
