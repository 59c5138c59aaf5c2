use ycord_protocol::{decode_awareness_update, encode as ws, SyncMessage};
use yrs::StateVector;

use super::*;
use crate::auth::Access;
use warp::http::StatusCode;

const NOTES: &str = "notes";

fn session() -> Session {
    let mut next = 0;
    Session::new(None, true, move || {
        next += 1;
        next
    })
}

fn admitted(access: Access) -> Admitted {
    Admitted {
        access,
        sub: None,
        expires_at: None,
    }
}

/// Tokens are room names with an access suffix: `notes:rw`, `notes:ro`; anything else is
/// refused as a token for another room.
fn authorize(room: &str, token: &str) -> Result<Admitted, Refusal> {
    match token.split_once(':') {
        Some((for_room, "rw")) if for_room == room => Ok(admitted(Access::ReadWrite)),
        Some((for_room, "ro")) if for_room == room => Ok(admitted(Access::ReadOnly)),
        _ => Err(Refusal::new(StatusCode::FORBIDDEN, "wrong_room", "no")),
    }
}

fn open() -> Result<Admitted, Refusal> {
    Ok(admitted(Access::ReadWrite))
}

fn receive(session: &mut Session, frame: Vec<u8>) -> Vec<Action> {
    session.receive(frame.into(), &authorize).unwrap()
}

fn step1(address: &str) -> Vec<u8> {
    encode::sync_step1(address, &StateVector::default())
}

fn send(frame: Vec<u8>) -> Action {
    Action::Send(frame.into())
}

fn join(conn: ConnId, room: &str, is_read_only: bool, access: Access) -> Action {
    Action::Join {
        conn,
        room: room.into(),
        dialect: Dialect::Hocuspocus { is_read_only },
        admitted: admitted(access),
    }
}

fn forward(conn: ConnId, frame: Vec<u8>) -> Action {
    Action::Forward {
        conn,
        frame: frame.into(),
    }
}

#[test]
fn a_document_waits_for_its_token_then_joins_and_its_queued_messages_follow_in_order() {
    let mut session = session();
    assert!(receive(&mut session, step1(NOTES)).is_empty(), "queued");
    let awareness = decode_awareness_update(&[1, 7, 1, 2, b'{', b'}']).unwrap();
    assert!(receive(&mut session, encode::awareness(NOTES, &awareness)).is_empty());
    let actions = receive(
        &mut session,
        encode::token(NOTES, "notes:rw", Some("4.8.0")),
    );
    assert_eq!(
        actions,
        vec![
            send(encode::authenticated(NOTES, AuthScope::ReadWrite)),
            join(1, NOTES, false, Access::ReadWrite),
            forward(1, ws::sync_step1(&StateVector::default())),
            forward(1, ws::awareness(&awareness)),
        ]
    );
}

#[test]
fn a_refused_document_is_told_why_and_the_other_documents_of_the_socket_carry_on() {
    let mut session = session();
    receive(&mut session, encode::token("a", "a:rw", None));
    receive(&mut session, step1("b"));
    let actions = receive(&mut session, encode::token("b", "a:rw", None));
    assert_eq!(
        actions,
        vec![send(encode::permission_denied("b", "wrong_room"))],
        "no join, and the queued step1 is forgotten"
    );
    let update = encode::sync_update("a", &[0, 0]);
    assert_eq!(
        receive(&mut session, update),
        vec![forward(1, ws::sync_update(&[0, 0]))]
    );
}

#[test]
fn a_read_only_token_joins_read_only_with_the_readonly_scope() {
    let mut session = session();
    let actions = receive(&mut session, encode::token(NOTES, "notes:ro", None));
    assert_eq!(
        actions,
        vec![
            send(encode::authenticated(NOTES, AuthScope::ReadOnly)),
            join(1, NOTES, true, Access::ReadOnly),
        ]
    );
}

#[test]
fn read_only_awareness_is_dropped_only_when_the_server_says_so() {
    let awareness = decode_awareness_update(&[1, 7, 1, 2, b'{', b'}']).unwrap();
    for relays in [true, false] {
        let mut session = Session::new(None, relays, || 1);
        receive(&mut session, encode::token(NOTES, "notes:ro", None));
        let actions = receive(&mut session, encode::awareness(NOTES, &awareness));
        assert_eq!(actions.len(), usize::from(relays), "{actions:?}");
    }
}

#[test]
fn an_empty_token_stands_for_the_one_on_the_upgrade() {
    let mut session = Session::new(Some("notes:ro".into()), true, || 1);
    let actions = receive(&mut session, encode::token(NOTES, "", Some("4.8.0")));
    assert_eq!(
        actions[0],
        send(encode::authenticated(NOTES, AuthScope::ReadOnly))
    );
}

#[test]
fn a_session_address_joins_the_room_of_its_name_and_is_answered_at_the_whole_address() {
    let mut session = session();
    let address = "notes\0k3x";
    let actions = session
        .receive(encode::token(address, "", None).into(), &|_, _| open())
        .unwrap();
    assert_eq!(actions[1], join(1, NOTES, false, Access::ReadWrite));
    let relayed = session.addressed(1, &ws::sync_update(&[0, 0])).unwrap();
    assert_eq!(relayed, Bytes::from(encode::sync_update(address, &[0, 0])));
}

#[test]
fn room_frames_become_the_same_hocuspocus_message_with_the_address_in_front() {
    let mut session = session();
    receive(&mut session, encode::token(NOTES, "notes:rw", None));
    let awareness = decode_awareness_update(&[1, 7, 1, 2, b'{', b'}']).unwrap();
    let mut sv = StateVector::default();
    sv.set_max(yrs::ClientID::new(3), 4);
    let pairs = [
        (ws::sync_step1(&sv), encode::sync_step1(NOTES, &sv)),
        (ws::sync_step2(&[0, 0]), encode::sync_step2(NOTES, &[0, 0])),
        (
            ws::sync_update(&[0, 0]),
            encode::sync_update(NOTES, &[0, 0]),
        ),
        (
            ws::awareness(&awareness),
            encode::awareness(NOTES, &awareness),
        ),
        (
            crate::room::sync_status(true).to_vec(),
            encode::sync_status(NOTES, true),
        ),
        (
            crate::room::sync_status(false).to_vec(),
            encode::sync_status(NOTES, false),
        ),
        (
            encode::stateless("", "hi")[1..].to_vec(),
            encode::stateless(NOTES, "hi"),
        ),
    ];
    for (room_frame, expected) in pairs {
        assert_eq!(
            session.addressed(1, &room_frame),
            Some(Bytes::from(expected))
        );
    }
    assert_eq!(session.addressed(2, &ws::sync_update(&[0, 0])), None);
}

#[test]
fn a_provider_close_leaves_only_that_document() {
    let mut session = session();
    receive(&mut session, encode::token("a", "a:rw", None));
    receive(&mut session, encode::token("b", "b:rw", None));
    let actions = receive(&mut session, encode::close("a", None));
    assert_eq!(
        actions,
        vec![
            Action::Leave { conn: 1 },
            send(encode::close("a", Some("provider_initiated"))),
        ]
    );
    assert_eq!(session.addressed(1, &[0, 2, 2, 0, 0]), None);
    assert!(session.addressed(2, &[0, 2, 2, 0, 0]).is_some());
    assert_eq!(session.leave_all(), vec![Action::Leave { conn: 2 }]);
}

#[test]
fn a_clients_broadcast_stateless_closes_that_document_as_hocuspocus_does() {
    let mut session = session();
    receive(&mut session, encode::token(NOTES, "notes:rw", None));
    let actions = receive(&mut session, encode::broadcast_stateless(NOTES, "x"));
    assert_eq!(
        actions,
        vec![
            Action::Leave { conn: 1 },
            send(encode::close(NOTES, Some("Reset Connection"))),
        ]
    );
}

#[test]
fn stateless_goes_out_without_its_address_and_never_to_the_room() {
    let mut session = session();
    receive(&mut session, encode::token(NOTES, "notes:rw", None));
    let actions = receive(&mut session, encode::stateless(NOTES, "{\"a\":1}"));
    assert_eq!(
        actions,
        vec![Action::Stateless {
            conn: 1,
            frame: encode::stateless("", "{\"a\":1}")[1..].to_vec().into(),
        }]
    );
}

#[test]
fn a_lone_ping_is_answered_with_a_lone_pong() {
    let mut session = session();
    assert_eq!(receive(&mut session, encode::ping()), vec![send(vec![10])]);
    assert!(receive(&mut session, encode::pong()).is_empty());
}

#[test]
fn a_sync_reply_reaches_the_room_as_sync() {
    let mut session = session();
    receive(&mut session, encode::token(NOTES, "notes:rw", None));
    let reply = encode::sync_reply(NOTES, &SyncMessage::Update(&[0, 0]));
    assert_eq!(
        receive(&mut session, reply),
        vec![forward(1, ws::sync_update(&[0, 0]))]
    );
}

#[test]
fn a_frame_that_does_not_decode_closes_the_socket_with_the_precise_code() {
    let cases: [(Vec<u8>, u16); 5] = [
        (vec![], 1002),
        (vec![5, b'n', b'o'], 1002), // truncated address
        (vec![5, b'n', b'o', b't', b'e', b's', 42], 1003), // unknown type
        (
            [encode::sync_update(NOTES, &[0, 0]), vec![1]].concat(),
            1002,
        ), // trailing byte
        (vec![0, 9], 1002),          // addressed ping
    ];
    for (frame, code) in cases {
        let mut session = session();
        let err = session
            .receive(frame.clone().into(), &authorize)
            .unwrap_err();
        assert_eq!(err.code(), code, "{frame:?}: {err:?}");
    }
}

#[test]
fn only_a_server_sends_authenticated_or_permission_denied() {
    let mut session = session();
    let frame = encode::authenticated(NOTES, AuthScope::ReadWrite);
    let err = session.receive(frame.into(), &authorize).unwrap_err();
    assert_eq!(err.code(), 1002);
}

#[test]
fn messages_waiting_for_a_token_are_bounded_per_socket() {
    let mut session = session();
    for _ in 0..MAX_QUEUED_MESSAGES {
        receive(&mut session, step1(NOTES));
    }
    let err = session
        .receive(step1(NOTES).into(), &authorize)
        .unwrap_err();
    assert_eq!(err.code(), 1008);
    // Once authenticated, the queue is free again.
    let mut session = self::session();
    for _ in 0..10 {
        receive(&mut session, step1(NOTES));
    }
    receive(&mut session, encode::token(NOTES, "notes:rw", None));
    assert_eq!((session.queued_messages, session.queued_bytes), (0, 0));
}

#[test]
fn documents_waiting_for_a_token_are_bounded_per_socket() {
    let mut session = session();
    for n in 0..MAX_AWAITING_DOCUMENTS {
        receive(&mut session, step1(&format!("doc{n}")));
    }
    let err = session
        .receive(step1("one-more").into(), &authorize)
        .unwrap_err();
    assert_eq!(err.code(), 1008);
}

#[test]
fn the_socket_expires_with_its_earliest_document_token() {
    let mut session = session();
    let expiring = |exp: u64| {
        move |_: &str, _: &str| {
            Ok(Admitted {
                expires_at: Some(exp),
                ..admitted(Access::ReadWrite)
            })
        }
    };
    assert_eq!(session.next_expiry(), None);
    session
        .receive(encode::token("a", "", None).into(), &expiring(200))
        .unwrap();
    session
        .receive(encode::token("b", "", None).into(), &expiring(100))
        .unwrap();
    assert_eq!(session.next_expiry(), Some(100));
    receive(&mut session, encode::close("b", None));
    assert_eq!(session.next_expiry(), Some(200));
}

#[test]
fn a_room_that_ends_a_document_for_good_closes_only_that_document() {
    let mut session = session();
    receive(&mut session, encode::token("a", "a:rw", None));
    receive(&mut session, encode::token("b", "b:rw", None));
    let reason = CloseReason::DocumentTooLarge { limit: 10 };
    let actions = session.closed_by_room(1, reason.clone()).unwrap();
    assert_eq!(
        actions,
        vec![
            Action::Leave { conn: 1 },
            send(encode::close("a", Some(&reason.text()))),
        ]
    );
    assert_eq!(session.addressed(1, &[0, 2, 2, 0, 0]), None);
    // Any other reason closes the socket, as it closes a y-websocket connection.
    let invalid = CloseReason::InvalidUpdate("bad".into());
    assert_eq!(session.closed_by_room(2, invalid.clone()), Err(invalid));
}

#[test]
fn damaged_frames_close_the_socket_with_a_reason_and_only_valid_messages_reach_a_room() {
    let seed = std::env::var("YCORD_TEST_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or(0x5eed_0015_u64);
    let mut rng = fastrand::Rng::with_seed(seed);
    let writer = yrs::Doc::with_client_id(5);
    let update = {
        use yrs::{ReadTxn, Text, Transact};
        let text = writer.get_or_insert_text("text");
        text.insert(&mut writer.transact_mut(), 0, "hello");
        writer
            .transact()
            .encode_state_as_update_v1(&StateVector::default())
    };
    let awareness = decode_awareness_update(&[1, 7, 1, 2, b'{', b'}']).unwrap();
    let honest = [
        encode::token(NOTES, "notes:rw", Some("4.8.0")),
        step1(NOTES),
        encode::sync_update(NOTES, &update),
        encode::sync_step2(NOTES, &update),
        encode::awareness(NOTES, &awareness),
        encode::query_awareness(NOTES),
        encode::stateless(NOTES, "{\"at\":1}"),
        encode::close(NOTES, None),
        encode::ping(),
    ];
    let (mut closed, mut handled) = (0, 0);
    for _ in 0..5_000 {
        let mut session = session();
        receive(&mut session, honest[0].clone());
        let frame = &honest[rng.usize(..honest.len())];
        let other = &honest[rng.usize(..honest.len())];
        let damaged = crate::room::hostile_frames::mutate(&mut rng, frame, other);
        match session.receive(damaged.clone().into(), &authorize) {
            Ok(actions) => {
                for action in actions {
                    if let Action::Forward { frame, .. } = action {
                        assert!(
                            ycord_protocol::decode_frame(&frame).is_ok(),
                            "seed {seed:#x}: {damaged:?} forwarded {frame:?}"
                        );
                    }
                }
                handled += 1;
            }
            Err(reason) => {
                assert!(
                    matches!(reason.code(), 1002 | 1003 | 1007 | 1008 | 1009),
                    "seed {seed:#x}: {damaged:?} closed with {reason:?}"
                );
                closed += 1;
            }
        }
    }
    assert!(
        closed > 1_000 && handled > 100,
        "the damage exercises both paths ({closed} closed, {handled} handled)"
    );
}
