//! The room's side of the Hocuspocus dialect: no step1 greeting, step1 answered with the room's
//! own step1 then the step2, every step2 and update acknowledged with SyncStatus behind its
//! append (so the sender hears "stored" only for stored data, and before its echo), and
//! read-only document connections answered as Hocuspocus answers them.

use yrs::Text;

use super::tests::{room, text_of, text_update};
use super::*;

const WRITER: Dialect = Dialect::Hocuspocus {
    is_read_only: false,
};
const READER: Dialect = Dialect::Hocuspocus { is_read_only: true };

fn status(conn: ConnId, is_applied: bool) -> Effect {
    Effect::Send(conn, sync_status(is_applied))
}

#[test]
fn a_hocuspocus_connection_is_not_greeted_with_a_step1() {
    let mut room = room();
    assert!(room.join_as(1, WRITER).is_empty());
    let [Effect::Send(2, greeting)] = &room.join(2)[..] else {
        panic!("a y-websocket connection is greeted with a step1")
    };
    assert!(matches!(
        decode_frame(greeting).unwrap()[0],
        Message::Sync(SyncMessage::Step1(_))
    ));
}

#[test]
fn a_step1_is_answered_with_the_rooms_step1_then_the_step2() {
    let mut room = room();
    room.join(9);
    room.receive(
        9,
        encode::sync_update(&text_update(&Doc::new(), "x")).into(),
    );
    room.join_as(1, WRITER);
    let effects = room.receive(1, encode::sync_step1(&StateVector::default()).into());
    let [Effect::Send(1, first), Effect::Send(1, second)] = &effects[..] else {
        panic!("{effects:?}")
    };
    let Message::Sync(SyncMessage::Step1(own)) = &decode_frame(first).unwrap()[0] else {
        panic!("first the room's step1")
    };
    assert_eq!(*own, room.doc().transact().state_vector());
    assert!(matches!(
        decode_frame(second).unwrap()[0],
        Message::Sync(SyncMessage::Step2(_))
    ));
}

#[test]
fn an_update_is_acknowledged_after_its_append_and_before_its_echo() {
    let mut room = room();
    room.join_as(1, WRITER);
    room.join(2);
    let frame = Bytes::from(encode::sync_update(&text_update(&Doc::new(), "hi")));
    let effects = room.receive(1, frame.clone());
    let [Effect::Append(_), ack, Effect::Broadcast(echo)] = &effects[..] else {
        panic!("{effects:?}")
    };
    assert_eq!(*ack, status(1, true));
    assert_eq!(*echo, frame);
    assert_eq!(sync_status(true), Bytes::from_static(&[8, 1]));
}

#[test]
fn a_step2_or_update_with_nothing_new_is_still_acknowledged() {
    let mut room = room();
    room.join_as(1, WRITER);
    let update = text_update(&Doc::new(), "abc");
    room.receive(1, encode::sync_update(&update).into());
    assert_eq!(
        room.receive(1, encode::sync_step2(&update).into()),
        vec![status(1, true)]
    );
    assert_eq!(
        room.receive(1, encode::sync_update(&update).into()),
        vec![status(1, true)]
    );
}

#[test]
fn an_update_the_room_re_encodes_is_acknowledged_after_its_append() {
    let mut room = room();
    room.join_as(1, WRITER);
    let doc = Doc::new();
    let first = text_update(&doc, "a");
    text_update(&doc, "b");
    room.receive(1, encode::sync_update(&first).into());
    let all = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let effects = room.receive(1, encode::sync_step2(&all).into());
    let [Effect::Append(_), ack, Effect::Broadcast(_)] = &effects[..] else {
        panic!("{effects:?}")
    };
    assert_eq!(*ack, status(1, true));
}

#[test]
fn y_websocket_connections_never_get_a_sync_status() {
    let mut room = room();
    room.join(1);
    let effects = room.receive(
        1,
        encode::sync_update(&text_update(&Doc::new(), "x")).into(),
    );
    assert!(
        matches!(&effects[..], [Effect::Append(_), Effect::Broadcast(_)]),
        "{effects:?}"
    );
}

#[test]
fn a_read_only_update_is_refused_with_sync_status_false_and_never_applied() {
    let mut room = room();
    room.join_as(1, READER);
    let effects = room.receive(
        1,
        encode::sync_update(&text_update(&Doc::new(), "no")).into(),
    );
    assert_eq!(effects, vec![status(1, false)]);
    assert_eq!(text_of(&room), "");
    assert!(room.is_connected(1), "refused, not closed");
}

#[test]
fn a_read_only_step2_is_acknowledged_only_when_the_room_holds_all_of_it() {
    let mut room = room();
    room.join(9);
    let writer = Doc::new();
    let text = writer.get_or_insert_text("text");
    text.insert(&mut writer.transact_mut(), 0, "hello");
    text.remove_range(&mut writer.transact_mut(), 0, 2);
    let all = writer
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    room.receive(9, encode::sync_update(&all).into());
    room.join_as(1, READER);
    // What a reader that has everything answers the room's step1 with: deletions included.
    let known = writer
        .transact()
        .encode_state_as_update_v1(&room.doc().transact().state_vector());
    assert_ne!(known, [0, 0], "the delete set is always sent");
    assert_eq!(
        room.receive(1, encode::sync_step2(&known).into()),
        vec![status(1, true)]
    );
    text.insert(&mut writer.transact_mut(), 0, "new");
    let new = writer
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    assert_eq!(
        room.receive(1, encode::sync_step2(&new).into()),
        vec![status(1, false)]
    );
    // A deletion the room does not have is new too.
    let deleter = Doc::new();
    deleter
        .transact_mut()
        .apply_update(Update::decode_v1(&all).unwrap())
        .unwrap();
    deleter
        .get_or_insert_text("text")
        .remove_range(&mut deleter.transact_mut(), 0, 1);
    let deleted = deleter
        .transact()
        .encode_state_as_update_v1(&room.doc().transact().state_vector());
    assert_eq!(
        room.receive(1, encode::sync_step2(&deleted).into()),
        vec![status(1, false)]
    );
    assert_eq!(text_of(&room), "llo", "nothing of the reader's was applied");
}

#[test]
fn a_read_only_step1_and_awareness_query_are_answered_as_for_a_writer() {
    let mut room = room();
    room.join_as(1, READER);
    let effects = room.receive(1, encode::sync_step1(&StateVector::default()).into());
    assert_eq!(effects.len(), 2, "step1 then step2: {effects:?}");
}

#[test]
fn a_read_only_step2_that_is_not_an_update_closes_the_connection() {
    let mut room = room();
    room.join_as(1, READER);
    let effects = room.receive(1, encode::sync_step2(&[0xff, 0xff, 0xff, 0x01, 7]).into());
    let Some(Effect::Close(1, reason)) = effects.last() else {
        panic!("{effects:?}")
    };
    assert_eq!(reason.code(), 1007);
}
