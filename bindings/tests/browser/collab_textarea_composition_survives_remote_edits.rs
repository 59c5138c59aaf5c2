//! `<CollabTextarea>` in headless Chromium while an input method composes: remote changes do
//! not rewrite the textarea (which would end the composition), the document gets them at once,
//! and the composed text lands where the user typed it once the composition ends.

use wasm_bindgen_test::*;
use web_sys::HtmlTextAreaElement;
use ycord_provider::new_doc;
use yrs::{Doc, GetString, Text, TextRef, Transact};

use crate::common::{
    self, compose, end_composition, fire_input_event, mount_textarea, start_composition, sync,
    Mounted,
};

/// A focused textarea bound to `local`, and a `remote` replica that starts with the same text.
struct Editing {
    local: Doc,
    remote: Doc,
    text: TextRef,
    mounted: Mounted,
}

impl Editing {
    fn new(initial: &str) -> Self {
        let (local, remote) = (new_doc(), new_doc());
        let text = local.get_or_insert_text("t");
        text.insert(&mut local.transact_mut(), 0, initial);
        sync(&local, &remote);
        let mounted = mount_textarea(&local, &text);
        mounted.textarea.focus().unwrap();
        Editing {
            local,
            remote,
            text,
            mounted,
        }
    }

    fn textarea(&self) -> &HtmlTextAreaElement {
        &self.mounted.textarea
    }

    /// The text of the document the textarea is bound to.
    fn document(&self) -> String {
        self.text.get_string(&self.local.transact())
    }

    /// The peer's replica edits its text (each `transact_mut` in `edit` is one remote change),
    /// then its changes reach the bound document.
    fn peer_edits(&self, edit: impl FnOnce(&Doc, &TextRef)) {
        edit(&self.remote, &self.remote.get_or_insert_text("t"));
        sync(&self.remote, &self.local);
    }
}

#[wasm_bindgen_test]
fn remote_edits_wait_for_the_composition_and_the_composed_text_keeps_its_place() {
    let editing = Editing::new("hello world");
    let ta = editing.textarea();
    ta.set_selection_range(6, 6).unwrap(); // in front of "world"

    start_composition(ta);
    compose(ta, 6, 6, "に");
    // A peer adds a prefix and a suffix mid-composition.
    editing.peer_edits(|doc, r| {
        r.insert(&mut doc.transact_mut(), 0, "big ");
        r.insert(&mut doc.transact_mut(), 15, "!");
    });
    assert_eq!(
        editing.document(),
        "big hello world!",
        "the document has the peer's edits and not the unfinished composition"
    );
    assert_eq!(
        ta.value(),
        "hello にworld",
        "the textarea is left alone while composing"
    );

    compose(ta, 6, 7, "日本");
    end_composition(ta);
    assert_eq!(editing.document(), "big hello 日本world!");
    assert_eq!(ta.value(), "big hello 日本world!");
    let caret = ta.selection_start().unwrap().unwrap();
    assert_eq!(ta.selection_end().unwrap().unwrap(), caret);
    assert_eq!(caret, 12, "the caret stays right after the composed text");

    let remote = &editing.remote;
    sync(&editing.local, remote);
    assert_eq!(
        remote
            .get_or_insert_text("t")
            .get_string(&remote.transact()),
        "big hello 日本world!"
    );
}

#[wasm_bindgen_test]
fn a_peer_insertion_inside_a_replaced_word_survives_the_composition() {
    let editing = Editing::new("one two three");
    let ta = editing.textarea();

    // A phone keyboard composes over the word before the caret: "two" becomes "2".
    ta.set_selection_range(7, 7).unwrap();
    start_composition(ta);
    compose(ta, 4, 7, "2");
    editing.peer_edits(|doc, r| {
        r.insert(&mut doc.transact_mut(), 5, "X");
        r.remove_range(&mut doc.transact_mut(), 0, 4);
    });
    assert_eq!(ta.value(), "one 2 three");
    end_composition(ta);

    assert_eq!(editing.document(), "2X three");
    assert_eq!(ta.value(), "2X three");
    assert_eq!(ta.selection_start().unwrap().unwrap(), 1);

    // Typing after the composition is an ordinary edit again.
    common::type_text(ta, "!");
    assert_eq!(editing.document(), "2!X three");
}

#[wasm_bindgen_test]
fn a_character_composed_beside_the_same_character_stays_where_it_was_typed() {
    let editing = Editing::new("hello world");
    let ta = editing.textarea();
    ta.set_selection_range(6, 6).unwrap(); // in front of "world"

    start_composition(ta);
    compose(ta, 6, 6, "w");
    // The peer types right after the existing "w".
    editing.peer_edits(|doc, r| r.insert(&mut doc.transact_mut(), 7, "X"));
    end_composition(ta);

    assert_eq!(editing.document(), "hello wwXorld");
    assert_eq!(ta.value(), "hello wwXorld");
    assert_eq!(ta.selection_start().unwrap().unwrap(), 7);
}

#[wasm_bindgen_test]
fn text_committed_before_the_last_input_is_taken_once() {
    // Safari's order: `compositionend`, then an `input` that is no longer composing.
    let editing = Editing::new("");
    let ta = editing.textarea();

    start_composition(ta);
    compose(ta, 0, 0, "に");
    ta.set_selection_range(0, 1).unwrap();
    common::replace_selection(ta, "日本");
    end_composition(ta);
    fire_input_event(ta, false);

    assert_eq!(editing.document(), "日本");
    assert_eq!(ta.value(), "日本");
}

#[wasm_bindgen_test]
fn a_cancelled_composition_shows_the_remote_edits_it_held_back() {
    let editing = Editing::new("abc");
    let ta = editing.textarea();

    start_composition(ta);
    compose(ta, 3, 3, "k");
    editing.peer_edits(|doc, r| r.insert(&mut doc.transact_mut(), 0, "12"));
    assert_eq!(ta.value(), "abck");
    // Escape: the input method takes its text back.
    compose(ta, 3, 4, "");
    end_composition(ta);

    assert_eq!(editing.document(), "12abc");
    assert_eq!(ta.value(), "12abc");
    assert_eq!(ta.selection_start().unwrap().unwrap(), 5);
}

#[wasm_bindgen_test]
fn an_input_that_is_not_composing_ends_a_composition_that_never_ended() {
    let editing = Editing::new("");
    let ta = editing.textarea();

    start_composition(ta);
    compose(ta, 0, 0, "が");
    editing.peer_edits(|doc, r| r.insert(&mut doc.transact_mut(), 0, "peer "));
    // No `compositionend`: the next ordinary input must not stay ignored.
    ta.set_selection_range(1, 1).unwrap();
    common::replace_selection(ta, "!");
    fire_input_event(ta, false);

    assert_eq!(editing.document(), "peer が!");
    assert_eq!(ta.value(), "peer が!");
    common::type_text(ta, "?");
    assert_eq!(editing.document(), "peer が!?");
}
