use bytes::Bytes;
use ycord_protocol::{encode, ManualClock};
use yrs::sync::awareness::AwarenessUpdateEntry;
use yrs::sync::AwarenessUpdate;

use crate::conn_id::NODE_OWNER_BASE;
use crate::room::tests::{text_of, text_update};
use crate::room::{Effect, Room};

const NODE: u64 = NODE_OWNER_BASE;
const OTHER_NODE: u64 = NODE_OWNER_BASE + 1;

fn room() -> Room {
    Room::new(crate::load::new_document(), ManualClock::new(0))
}

fn awareness(client: u64, clock: u32, json: &str) -> Bytes {
    let mut clients = std::collections::HashMap::new();
    clients.insert(
        yrs::ClientID::new(client),
        AwarenessUpdateEntry {
            clock,
            json: json.into(),
        },
    );
    encode::awareness(&AwarenessUpdate { clients }).into()
}

fn broadcast_awareness(effects: &[Effect]) -> Vec<AwarenessUpdate> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Broadcast(frame) => {
                match ycord_protocol::decode_frame(frame).unwrap().remove(0) {
                    ycord_protocol::Message::Awareness(update) => Some(update),
                    _ => None,
                }
            }
            _ => None,
        })
        .collect()
}

fn states(update: &AwarenessUpdate) -> Vec<(u64, String)> {
    let mut states: Vec<(u64, String)> = update
        .clients
        .iter()
        .map(|(id, entry)| (id.get(), entry.json.to_string()))
        .collect();
    states.sort();
    states
}

#[test]
fn an_update_from_another_node_is_relayed_but_not_stored_again() {
    let mut room = room();
    room.join(1);
    let update = text_update(&crate::load::new_document(), "from node b");
    let effects = room.apply_remote(Bytes::from(update.clone())).unwrap();
    assert_eq!(
        effects,
        vec![Effect::Broadcast(encode::sync_update(&update).into())]
    );
    assert_eq!(text_of(&room), "from node b");
    // At least once: the same entry again changes nothing and relays nothing.
    assert_eq!(room.apply_remote(Bytes::from(update)).unwrap(), vec![]);
}

#[test]
fn a_garbled_update_from_another_node_changes_nothing() {
    let mut room = room();
    room.join(1);
    let before = room.encode_state();
    for garbage in [&b"\x01\x02\x03"[..], b"", b"\xff\xff\xff\xff\xff\xff"] {
        let rejected = room
            .apply_remote(Bytes::copy_from_slice(garbage))
            .unwrap_err();
        assert!(rejected.partial.is_empty());
    }
    assert_eq!(room.encode_state(), before);
    assert_eq!(room.connection_count(), 1);
}

#[test]
fn an_update_from_another_node_that_fills_a_gap_releases_the_held_local_update() {
    let mut room = room();
    room.join(1);
    let doc = crate::load::new_document();
    let first = text_update(&doc, "a");
    let second = text_update(&doc, "b");
    // The second edit arrives first from a client here: held, unstored.
    assert!(room
        .receive(1, encode::sync_update(&second).into())
        .is_empty());
    let effects = room.apply_remote(Bytes::from(first.clone())).unwrap();
    // The other node stored the first; the held one is this node's to store.
    assert_eq!(
        effects,
        vec![
            Effect::Broadcast(encode::sync_update(&first).into()),
            Effect::Append(Bytes::from(second.clone())),
            Effect::Broadcast(encode::sync_update(&second).into()),
        ]
    );
    assert_eq!(text_of(&room), "ba");
}

#[test]
fn awareness_from_another_node_is_relayed_and_leaves_with_that_node() {
    let mut room = room();
    room.join(1);
    let effects = room
        .apply_remote_awareness(NODE, &awareness(7, 1, r#"{"user":"b"}"#))
        .unwrap();
    assert_eq!(
        states(&broadcast_awareness(&effects)[0]),
        vec![(7, r#"{"user":"b"}"#.to_string())]
    );
    // A connection joining later sees the remote client.
    let joined = room.join(2);
    assert_eq!(
        states(&broadcast_or_send(&joined)),
        vec![(7, r#"{"user":"b"}"#.to_string())]
    );
    let gone = room.release_node(NODE);
    assert_eq!(
        states(&broadcast_awareness(&gone)[0]),
        vec![(7, "null".to_string())]
    );
    assert_eq!(room.release_node(NODE), vec![]);
}

#[test]
fn another_node_never_changes_or_removes_a_state_a_connection_here_owns() {
    let mut room = room();
    room.join(1);
    room.receive(1, awareness(7, 3, r#"{"here":true}"#));
    let removal = room
        .apply_remote_awareness(NODE, &awareness(7, 50, "null"))
        .unwrap();
    assert_eq!(removal, vec![]);
    let change = room
        .apply_remote_awareness(NODE, &awareness(7, 51, r#"{"there":true}"#))
        .unwrap();
    assert_eq!(change, vec![]);
    assert_eq!(room.release_node(NODE), vec![]);
}

#[test]
fn a_client_that_moved_to_another_node_is_owned_by_that_node() {
    let mut room = room();
    room.join(1);
    room.apply_remote_awareness(NODE, &awareness(7, 9, r#"{"on":"b"}"#))
        .unwrap();
    // Node c numbers its clocks on its own: a lower clock than b's still takes over.
    let moved = room
        .apply_remote_awareness(OTHER_NODE, &awareness(7, 2, r#"{"on":"c"}"#))
        .unwrap();
    assert_eq!(
        states(&broadcast_awareness(&moved)[0]),
        vec![(7, r#"{"on":"c"}"#.to_string())]
    );
    // Node b's late removal of the old socket's state does not remove it.
    let late = room
        .apply_remote_awareness(NODE, &awareness(7, 10, "null"))
        .unwrap();
    assert_eq!(late, vec![]);
    assert_eq!(room.release_node(NODE), vec![]);
    assert_eq!(
        states(&broadcast_awareness(&room.release_node(OTHER_NODE))[0]),
        vec![(7, "null".to_string())]
    );
}

#[test]
fn an_entry_that_is_not_awareness_is_refused() {
    let mut room = room();
    let update = text_update(&crate::load::new_document(), "x");
    let frame = Bytes::from(encode::sync_update(&update));
    assert!(room.apply_remote_awareness(NODE, &frame).is_err());
    assert!(room
        .apply_remote_awareness(NODE, &Bytes::from_static(b"\x01\xff"))
        .is_err());
    assert_eq!(text_of(&room), "");
}

fn broadcast_or_send(effects: &[Effect]) -> AwarenessUpdate {
    effects
        .iter()
        .find_map(|effect| match effect {
            Effect::Send(_, frame) | Effect::Broadcast(frame) => {
                match ycord_protocol::decode_frame(frame).unwrap().remove(0) {
                    ycord_protocol::Message::Awareness(update) => Some(update),
                    _ => None,
                }
            }
            _ => None,
        })
        .expect("an awareness frame")
}
