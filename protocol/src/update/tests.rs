use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use yrs::updates::decoder::Decode;
use yrs::{
    Any, Array, Doc, GetString, Map, MapPrelim, OffsetKind, Options, ReadTxn, StateVector, Text,
    Transact, Update, WriteTxn, XmlElementPrelim, XmlFragment, XmlTextPrelim,
};

use super::*;
use crate::error::DecodeErrorKind;

fn utf16_doc(client: u64) -> Doc {
    Doc::with_options(Options {
        client_id: yrs::ClientID::new(client),
        offset_kind: OffsetKind::Utf16,
        ..Options::default()
    })
}

/// A document using every kind of struct content yjs 13 writes, edited in several
/// transactions (so that it also holds deletions), and its state as one update.
fn rich_update() -> Vec<u8> {
    let doc = utf16_doc(7);
    let text = doc.get_or_insert_text("text");
    let map = doc.get_or_insert_map("map");
    let array = doc.get_or_insert_array("array");
    let xml = doc.get_or_insert_xml_fragment("xml");
    {
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 0, "héllo 👋 world");
        let bold: HashMap<Arc<str>, Any> = HashMap::from([("bold".into(), Any::Bool(true))]);
        text.format(&mut txn, 0, 5, bold);
        text.insert_embed(
            &mut txn,
            3,
            Any::from(HashMap::from([("image".to_owned(), Any::from("x.png"))])),
        );
        map.insert(&mut txn, "number", 42);
        map.insert(&mut txn, "float", 1.5);
        map.insert(
            &mut txn,
            "nested",
            Any::from(HashMap::from([
                (
                    "list".to_owned(),
                    Any::from(vec![Any::Null, Any::Bool(false), Any::from("s")]),
                ),
                ("big".to_owned(), Any::Number(yrs::Number::Int(-(1 << 40)))),
                ("bytes".to_owned(), Any::Buffer(Arc::from(&[1u8, 2, 3][..]))),
            ])),
        );
        map.insert(
            &mut txn,
            "inner",
            MapPrelim::from([("k".to_owned(), Any::from("v"))]),
        );
        map.insert(&mut txn, "subdoc", Doc::new());
        array.insert_range(&mut txn, 0, [1, 2, 3, 4]);
        let element = xml.insert(&mut txn, 0, XmlElementPrelim::empty("p"));
        element.insert(&mut txn, 0, XmlTextPrelim::new("para"));
    }
    text.remove_range(&mut doc.transact_mut(), 1, 2);
    array.remove_range(&mut doc.transact_mut(), 1, 2);
    map.insert(&mut doc.transact_mut(), "number", 43);
    let state = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    state
}

fn err_field(bytes: &[u8]) -> &'static str {
    match validate_update_v1(bytes).unwrap_err() {
        DecodeError::Malformed { field, .. } | DecodeError::Truncated { field } => field,
        other => panic!("{other:?}"),
    }
}

/// A v1 update written by hand: one client section of the given structs, no deletions.
fn one_section(client: u8, clock: u8, structs: &[&[u8]]) -> Vec<u8> {
    let mut bytes = vec![1, structs.len() as u8, client, clock];
    for s in structs {
        bytes.extend_from_slice(s);
    }
    bytes.push(0);
    bytes
}

/// An item under the root type `t` with the given content tag and content bytes.
fn root_item(content_tag: u8, content: &[u8]) -> Vec<u8> {
    let mut item = vec![content_tag, 1, 1, b't'];
    item.extend_from_slice(content);
    item
}

#[test]
fn updates_yrs_writes_for_every_content_kind_are_accepted() {
    let update = rich_update();
    validate_update_v1(&update).unwrap();
    let empty = Doc::new()
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    validate_update_v1(&empty).unwrap();
}

#[test]
fn merged_updates_of_several_clients_are_accepted() {
    let a = utf16_doc(1);
    let b = utf16_doc(2);
    a.get_or_insert_text("t")
        .insert(&mut a.transact_mut(), 0, "abc");
    let from_a = a
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    b.transact_mut()
        .apply_update(Update::decode_v1(&from_a).unwrap())
        .unwrap();
    b.get_or_insert_text("t")
        .insert(&mut b.transact_mut(), 1, "xyz");
    let state = b
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    validate_update_v1(&state).unwrap();
    let merged = yrs::merge_updates_v1([from_a.as_slice(), state.as_slice()]).unwrap();
    validate_update_v1(&merged).unwrap();
}

#[test]
fn every_strict_prefix_of_an_update_is_refused() {
    let update = rich_update();
    for end in 0..update.len() {
        assert!(
            validate_update_v1(&update[..end]).is_err(),
            "prefix of {end} bytes accepted"
        );
    }
}

#[test]
fn trailing_bytes_are_refused() {
    let mut update = rich_update();
    update.extend([0, 0, 0]);
    assert_eq!(err_field(&update), "update");
}

#[test]
fn a_pending_struct_with_invalid_utf8_is_refused() {
    // The second edit depends on the first, which the receiver lacks: yrs would park its
    // structs unchecked and fail on them later. Its string is made invalid UTF-8 in place.
    let doc = utf16_doc(9);
    let text = doc.get_or_insert_text("text");
    text.insert(&mut doc.transact_mut(), 0, "first");
    let before = doc.transact().state_vector();
    text.insert(&mut doc.transact_mut(), 5, "zz");
    let mut second = doc.transact().encode_state_as_update_v1(&before);
    validate_update_v1(&second).unwrap();
    let at = second.windows(2).position(|w| w == b"zz").unwrap();
    second[at] = 0xff;
    second[at + 1] = 0xfe;
    match validate_update_v1(&second).unwrap_err() {
        DecodeError::Malformed { field, .. } => assert_eq!(field, "string content"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn content_yjs_13_never_writes_or_reads_differently_is_refused() {
    // JSON content (tag 2), one string.
    let json = one_section(1, 0, &[&root_item(2, &[1, 2, b'1', b'2'])]);
    assert_eq!(err_field(&json), "struct content");
    // An XML hook (type tag 5) with its name.
    let hook = one_section(1, 0, &[&root_item(7, &[5, 1, b'h'])]);
    assert_eq!(err_field(&hook), "shared type");
    // Content tag 17: yrs masks it to 1 (deleted), yjs has no reader for it.
    let unknown = one_section(1, 0, &[&root_item(17, &[1])]);
    assert_eq!(err_field(&unknown), "struct info");
    // Type tag 9 (yrs's subdocument type, unknown to yjs).
    let subdoc_type = one_section(1, 0, &[&root_item(7, &[9])]);
    assert_eq!(err_field(&subdoc_type), "shared type");
}

#[test]
fn empty_structs_and_ranges_are_refused() {
    let empty_string = one_section(1, 0, &[&root_item(4, &[0])]);
    assert_eq!(err_field(&empty_string), "struct length");
    let empty_gc = one_section(1, 0, &[&[0, 0]]);
    assert_eq!(err_field(&empty_gc), "struct length");
    // No structs, one delete-set client with a zero-length range.
    assert_eq!(err_field(&[0, 1, 3, 1, 5, 0]), "delete range length");
    // A client section holding no struct.
    assert_eq!(err_field(&[1, 0, 1, 0, 0]), "struct count");
}

#[test]
fn a_client_listed_twice_is_refused() {
    let item = root_item(4, &[1, b'a']);
    let mut twice = vec![2];
    for clock in [0, 1] {
        twice.extend([1, 5, clock]);
        twice.extend(&item);
    }
    twice.push(0);
    assert_eq!(err_field(&twice), "struct client id");
    let ds_twice = [0, 2, 3, 1, 0, 1, 3, 1, 4, 1];
    assert_eq!(err_field(&ds_twice), "delete set client id");
}

#[test]
fn a_reference_to_a_later_clock_of_the_same_client_is_refused() {
    // Client 1 at clock 0 with origin 1:5: yjs looks 1:5 up while integrating and throws.
    let forward = one_section(1, 0, &[&[0x84, 1, 5, 1, b'a']]);
    assert_eq!(err_field(&forward), "origin");
    // The same origin on another client is a dependency, not an error.
    let dependency = one_section(1, 0, &[&[0x84, 2, 5, 1, b'a']]);
    validate_update_v1(&dependency).unwrap();
    // Parent by id: its own clock is not yet written either.
    let parent = one_section(1, 3, &[&[0x04, 0, 1, 3, 1, b'a']]);
    assert_eq!(err_field(&parent), "parent");
}

#[test]
fn numbers_yjs_and_yrs_read_differently_are_refused() {
    // Client id 2^53.
    let mut big_client = vec![1, 1];
    big_client.extend([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0]);
    big_client.extend(root_item(4, &[1, b'a']));
    big_client.push(0);
    assert_eq!(err_field(&big_client), "struct client id");
    // Clock 2^32 - 1 plus a two-unit string passes yrs's 32-bit clock.
    let mut late = vec![1, 1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f];
    late.extend(root_item(4, &[2, b'a', b'b']));
    late.push(0);
    assert_eq!(err_field(&late), "struct length");
    // An overlong varint (1 written as 0x81 0x00).
    let overlong = [0x81, 0x00, 0, 0];
    assert_eq!(
        validate_update_v1(&overlong).unwrap_err().kind(),
        DecodeErrorKind::Malformed
    );
}

#[test]
fn any_values_nested_too_deeply_are_refused() {
    let nested = |depth: usize| {
        let mut content = vec![1];
        content.extend(std::iter::repeat_n([117u8, 1], depth).flatten());
        content.push(126);
        one_section(1, 0, &[&root_item(8, &content)])
    };
    validate_update_v1(&nested(MAX_ANY_DEPTH)).unwrap();
    let deep = nested(MAX_ANY_DEPTH + 1);
    assert_eq!(err_field(&deep), "any value");
    // Far deeper than any stack: refused before anything recurses that far.
    assert_eq!(err_field(&nested(100_000)), "any value");
}

#[test]
fn json_that_yrs_cannot_parse_is_refused() {
    let embed = one_section(1, 0, &[&root_item(5, &[3, b'{', b'x', b'}'])]);
    assert_eq!(err_field(&embed), "embed content");
    let format = one_section(1, 0, &[&root_item(6, &[1, b'b', 1, b'{'])]);
    assert_eq!(err_field(&format), "format value");
}

/// Applies `update` to `doc` and reads the document back, catching panics: whatever the
/// validator accepts, yrs must take without panicking, now and when encoding later.
fn apply_and_reencode(doc: &Doc, update: &[u8]) -> Result<Vec<u8>, String> {
    catch_unwind(AssertUnwindSafe(|| {
        let decoded = Update::decode_v1(update).map_err(|e| e.to_string())?;
        doc.transact_mut()
            .apply_update(decoded)
            .map_err(|e| e.to_string())?;
        let state = doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let _ = doc.get_or_insert_text("text").get_string(&doc.transact());
        Ok(state)
    }))
    .map_err(|_| "panicked".to_owned())?
}

#[test]
fn every_single_bit_flip_of_a_real_update_is_refused_or_handled_by_yrs() {
    let doc = utf16_doc(3);
    let text = doc.get_or_insert_text("text");
    text.insert(&mut doc.transact_mut(), 0, "base");
    let base = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let before = doc.transact().state_vector();
    text.insert_with_attributes(
        &mut doc.transact_mut(),
        2,
        "ab",
        HashMap::from([("em".into(), Any::Bool(true))]),
    );
    doc.get_or_insert_map("m").insert(
        &mut doc.transact_mut(),
        "k",
        Any::from(vec![Any::from(1.25)]),
    );
    text.remove_range(&mut doc.transact_mut(), 0, 1);
    let edit = doc.transact().encode_state_as_update_v1(&before);
    let mut accepted = 0;
    for (name, original) in [("state", &base), ("edit", &edit)] {
        for bit in 0..original.len() * 8 {
            let mut flipped = original.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            if validate_update_v1(&flipped).is_err() {
                continue;
            }
            accepted += 1;
            // Onto a fresh document (where the edit's structs stay pending) and onto one that
            // has the base, then encoded and reloaded.
            for target in [utf16_doc(11), {
                let d = utf16_doc(12);
                d.transact_mut()
                    .apply_update(Update::decode_v1(&base).unwrap())
                    .unwrap();
                d
            }] {
                match apply_and_reencode(&target, &flipped) {
                    Ok(state) => {
                        let reloaded = utf16_doc(13);
                        apply_and_reencode(&reloaded, &state).unwrap_or_else(|e| {
                            panic!("{name} bit {bit}: state does not reload: {e}")
                        });
                        validate_update_v1(&state)
                            .unwrap_or_else(|e| panic!("{name} bit {bit}: yrs wrote {e}"));
                    }
                    Err(failure) => {
                        assert_ne!(failure, "panicked", "{name} bit {bit} panicked yrs")
                    }
                }
            }
        }
    }
    assert!(
        accepted > 0,
        "some flips (in string bytes, clocks) stay valid"
    );
}

#[test]
fn delete_sets_of_real_updates_are_accepted() {
    let doc = utf16_doc(4);
    let text = doc.get_or_insert_text("text");
    text.insert(&mut doc.transact_mut(), 0, "abcdef");
    let before = doc.transact().state_vector();
    text.remove_range(&mut doc.transact_mut(), 1, 3);
    let delete_only = doc.transact().encode_state_as_update_v1(&before);
    validate_update_v1(&delete_only).unwrap();
    // Binary content, as yjs writes for a Uint8Array inserted directly.
    let mut txn = doc.transact_mut();
    let array = txn.get_or_insert_array("bytes");
    array.push_back(&mut txn, Any::Buffer(Arc::from(&b"raw"[..])));
    drop(txn);
    validate_update_v1(
        &doc.transact()
            .encode_state_as_update_v1(&StateVector::default()),
    )
    .unwrap();
}
