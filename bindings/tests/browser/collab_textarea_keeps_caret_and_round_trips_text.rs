//! `<CollabTextarea>` in headless Chromium: the caret stays on its character when remote
//! edits land before it, and typed emoji and combining characters reach the document intact.

use wasm_bindgen_test::*;
use ycord_provider::new_doc;
use yrs::{GetString, Text, Transact};

use crate::common::{backspace, mount_textarea, slice_utf16, sync, type_text};

#[wasm_bindgen_test]
fn caret_stays_on_its_character_when_a_remote_insert_lands_before_it() {
    let (local, remote) = (new_doc(), new_doc());
    let text = local.get_or_insert_text("t");
    text.insert(&mut local.transact_mut(), 0, "hello world");
    sync(&local, &remote);
    let mounted = mount_textarea(&local, &text);
    let ta = &mounted.textarea;
    assert_eq!(ta.value(), "hello world");

    // Caret in front of the 'w'.
    ta.focus().unwrap();
    ta.set_selection_range(6, 6).unwrap();
    let r = remote.get_or_insert_text("t");
    r.insert(&mut remote.transact_mut(), 0, "big 😀 ");
    sync(&remote, &local);
    assert_eq!(ta.value(), "big 😀 hello world");
    let caret = ta.selection_start().unwrap().unwrap();
    assert_eq!(ta.selection_end().unwrap().unwrap(), caret);
    assert_eq!(
        caret, 13,
        "4 + 2 (surrogate pair) + 1 units were inserted before the caret"
    );
    assert_eq!(slice_utf16(&ta.value(), caret, caret + 1), "w");

    // A selection of "world" survives a remote insert before it and an insert after it.
    ta.set_selection_range(13, 18).unwrap();
    r.insert(&mut remote.transact_mut(), 4, "中文");
    let end = r.len(&remote.transact());
    r.insert(&mut remote.transact_mut(), end, "!");
    sync(&remote, &local);
    let (start, end) = (
        ta.selection_start().unwrap().unwrap(),
        ta.selection_end().unwrap().unwrap(),
    );
    assert_eq!(slice_utf16(&ta.value(), start, end), "world");

    // A remote deletion before the caret moves it back; the character stays the same.
    assert_eq!(ta.value(), "big 中文😀 hello world!");
    ta.set_selection_range(17, 17).unwrap(); // in front of "rld"
    assert_eq!(slice_utf16(&ta.value(), 17, 18), "r");
    r.remove_range(&mut remote.transact_mut(), 0, 4);
    sync(&remote, &local);
    assert_eq!(ta.value(), "中文😀 hello world!");
    let caret = ta.selection_start().unwrap().unwrap();
    assert_eq!(caret, 13);
    assert_eq!(slice_utf16(&ta.value(), caret, caret + 1), "r");

    // The document saw none of this as a local edit: both replicas agree.
    sync(&local, &remote);
    assert_eq!(
        text.get_string(&local.transact()),
        r.get_string(&remote.transact())
    );
}

#[wasm_bindgen_test]
fn typing_emoji_and_combining_characters_round_trips() {
    let (local, remote) = (new_doc(), new_doc());
    let text = local.get_or_insert_text("t");
    let mounted = mount_textarea(&local, &text);
    let ta = &mounted.textarea;
    ta.focus().unwrap();
    ta.set_selection_range(0, 0).unwrap();

    let typed = [
        "cafe",
        "\u{0301}", // combining acute accent on the 'e'
        " 👍🏽",      // emoji with a skin-tone modifier (two surrogate pairs)
        " 👨‍👩‍👧",      // a ZWJ family sequence
        " 中文",
        " 🇫🇷", // a flag (two regional indicators)
    ];
    let mut expected = String::new();
    for chunk in typed {
        type_text(ta, chunk);
        expected.push_str(chunk);
        assert_eq!(text.get_string(&local.transact()), expected);
    }
    assert_eq!(ta.value(), expected);

    // Type in the middle: between "café" (with its combining accent) and " 👍🏽".
    let cafe = "cafe\u{0301}";
    let middle = cafe.encode_utf16().count() as u32;
    ta.set_selection_range(middle, middle).unwrap();
    type_text(ta, "😀");
    expected = expected.replacen(cafe, &format!("{cafe}😀"), 1);
    assert_eq!(text.get_string(&local.transact()), expected);

    // Backspace over the emoji removes both of its code units and nothing else.
    backspace(ta, 2);
    expected = expected.replacen(&format!("{cafe}😀"), cafe, 1);
    assert_eq!(text.get_string(&local.transact()), expected);

    // Replace a selection spanning an emoji with a CJK character.
    let start = middle + 1;
    let end = start + "👍🏽".encode_utf16().count() as u32;
    ta.set_selection_range(start, end).unwrap();
    type_text(ta, "好");
    expected = expected.replacen("👍🏽", "好", 1);
    assert_eq!(text.get_string(&local.transact()), expected);

    // Another replica receives exactly the same characters.
    sync(&local, &remote);
    assert_eq!(
        remote
            .get_or_insert_text("t")
            .get_string(&remote.transact()),
        expected
    );
    assert_eq!(ta.value(), expected);
}
