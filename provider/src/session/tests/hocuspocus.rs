//! The Hocuspocus dialect: what the session sends on open, how it answers the server's
//! sync, auth, sync-status, close and ping messages, and that it keeps a quiet socket alive
//! without ever sending a lone ping.

use super::*;
use ycord_protocol::hocuspocus::{
    self, AuthScope, HocuspocusAuthMessage, HocuspocusFrame, HocuspocusMessage,
};
use yrs::StateVector;

const NAME: &str = "notes/demo";

fn hocuspocus_session(id: u64, clock: &ManualClock) -> SyncSession {
    SyncSession::hocuspocus(doc(id), clock.clone(), SessionConfig::default(), NAME)
}

/// The message of a frame addressed to [`NAME`]; panics on anything else.
fn addressed(frame: &[u8]) -> HocuspocusMessage<'_> {
    match hocuspocus::decode(frame).unwrap() {
        HocuspocusFrame::Document { document, message } => {
            assert_eq!(document, NAME, "every frame names the document");
            message
        }
        other => panic!("expected a document message, got {other:?}"),
    }
}

/// A server document with some text, and its full state as the server's step2.
fn server_doc_with(text: &str) -> Doc {
    let server = doc(99);
    server
        .get_or_insert_text("text")
        .insert(&mut server.transact_mut(), 0, text);
    server
}

/// Opens `session` and feeds it the server's side of a successful handshake: authenticated,
/// the server's step1, then its step2. Returns what the session answered.
fn handshake(session: &mut SyncSession, server: &Doc) -> Output {
    session.socket_opened();
    let mut out = Output::default();
    let client_sv = session.doc().transact().state_vector();
    for frame in [
        hocuspocus::encode::authenticated(NAME, AuthScope::ReadWrite),
        hocuspocus::encode::sync_step1(NAME, &server.transact().state_vector()),
        hocuspocus::encode::sync_step2(
            NAME,
            &server.transact().encode_state_as_update_v1(&client_sv),
        ),
    ] {
        let answer = session.frame_received(&frame).unwrap();
        out.frames.extend(answer.frames);
        out.events.extend(answer.events);
    }
    out
}

#[test]
fn opening_sends_the_token_then_step1_then_awareness_all_addressed() {
    let clock = ManualClock::new(0);
    let mut session = hocuspocus_session(1, &clock);
    session.set_local_state(r#"{"name":"rust"}"#).unwrap();
    session.set_token(Some("secret"));
    let opened = session.socket_opened();
    assert_eq!(opened.frames.len(), 3);
    assert_eq!(
        addressed(&opened.frames[0]),
        HocuspocusMessage::Auth(HocuspocusAuthMessage::Token {
            token: "secret",
            provider_version: None
        })
    );
    assert!(matches!(
        addressed(&opened.frames[1]),
        HocuspocusMessage::Sync(SyncMessage::Step1(_))
    ));
    match addressed(&opened.frames[2]) {
        HocuspocusMessage::Awareness(update) => {
            let entry = &update.clients[&session.client_id()];
            assert_eq!(&*entry.json, r#"{"name":"rust"}"#);
        }
        other => panic!("expected awareness, got {other:?}"),
    }
}

#[test]
fn without_a_token_the_auth_message_carries_an_empty_one() {
    let clock = ManualClock::new(0);
    let mut session = hocuspocus_session(1, &clock);
    session.set_token(Some("old"));
    session.set_token(None);
    let opened = session.socket_opened();
    assert_eq!(
        opened.frames.len(),
        2,
        "token and step1; no awareness state set"
    );
    assert_eq!(
        addressed(&opened.frames[0]),
        HocuspocusMessage::Auth(HocuspocusAuthMessage::Token {
            token: "",
            provider_version: None
        })
    );
}

#[test]
fn the_servers_step1_gets_an_addressed_step2_and_its_step2_makes_the_session_synced() {
    let clock = ManualClock::new(0);
    let mut session = hocuspocus_session(1, &clock);
    session
        .doc()
        .get_or_insert_text("text")
        .insert(&mut session.doc().transact_mut(), 0, "local ");
    let server = server_doc_with("from the server");
    let out = handshake(&mut session, &server);

    assert!(session.is_synced());
    assert_eq!(
        out.events,
        vec![
            SessionEvent::Authenticated {
                scope: AuthScope::ReadWrite
            },
            SessionEvent::Synced(true)
        ]
    );
    assert_eq!(session.auth_scope(), Some(AuthScope::ReadWrite));
    let text = session.doc().get_or_insert_text("text");
    assert!(text
        .get_string(&session.doc().transact())
        .contains("from the server"));
    // The answer to the server's step1 holds what the server lacks: the local edit.
    assert_eq!(out.frames.len(), 1);
    let HocuspocusMessage::Sync(SyncMessage::Step2(update)) = addressed(&out.frames[0]) else {
        panic!("expected a step2");
    };
    server
        .transact_mut()
        .apply_update(Update::decode_v1(update).unwrap())
        .unwrap();
    let server_text = server.get_or_insert_text("text");
    assert!(server_text
        .get_string(&server.transact())
        .contains("local "));
}

#[test]
fn a_step1_alone_does_not_make_the_session_synced() {
    // Hocuspocus never sends step1 first; its step1 is an answer, and only the step2 after
    // it means the server's state arrived.
    let clock = ManualClock::new(0);
    let mut session = hocuspocus_session(1, &clock);
    session.socket_opened();
    let out = session
        .frame_received(&hocuspocus::encode::sync_step1(
            NAME,
            &StateVector::default(),
        ))
        .unwrap();
    assert!(!session.is_synced());
    assert!(!out.events.contains(&SessionEvent::Synced(true)));
}

#[test]
fn local_updates_are_addressed_and_counted_until_the_server_acknowledges_them() {
    let clock = ManualClock::new(0);
    let mut session = hocuspocus_session(1, &clock);
    assert_eq!(
        session.local_update(b"ignored"),
        None,
        "no socket, no frame"
    );
    handshake(&mut session, &server_doc_with(""));
    assert_eq!(
        session.unsynced_changes(),
        1,
        "the opening step2 awaits its ack"
    );

    let update = {
        let text = session.doc().get_or_insert_text("text");
        let mut txn = session.doc().transact_mut();
        text.insert(&mut txn, 0, "x");
        txn.encode_update_v1()
    };
    let frame = session.local_update(&update).unwrap();
    assert_eq!(
        addressed(&frame),
        HocuspocusMessage::Sync(SyncMessage::Update(&update))
    );
    assert_eq!(frame, hocuspocus::encode::sync_update(NAME, &update));
    assert_eq!(session.unsynced_changes(), 2);

    for expected in [1, 0, 0] {
        let out = session
            .frame_received(&hocuspocus::encode::sync_status(NAME, true))
            .unwrap();
        assert!(out.is_empty());
        assert_eq!(session.unsynced_changes(), expected);
    }
}

#[test]
fn a_refused_change_is_reported_once_as_read_only_and_stays_unsynced() {
    let clock = ManualClock::new(0);
    let mut session = hocuspocus_session(1, &clock);
    session.socket_opened();
    let out = session
        .frame_received(&hocuspocus::encode::authenticated(
            NAME,
            AuthScope::ReadOnly,
        ))
        .unwrap();
    assert_eq!(
        out.events,
        vec![SessionEvent::Authenticated {
            scope: AuthScope::ReadOnly
        }]
    );
    assert_eq!(session.auth_scope(), Some(AuthScope::ReadOnly));
    let refused = hocuspocus::encode::sync_status(NAME, false);
    let first = session.frame_received(&refused).unwrap();
    assert_eq!(
        first.events,
        vec![SessionEvent::PermissionDenied {
            reason: READ_ONLY_REASON.into()
        }]
    );
    assert!(session.frame_received(&refused).unwrap().events.is_empty());
    assert_eq!(session.unsynced_changes(), 1);

    // A new socket starts over: no scope until the server answers the token again.
    session.socket_closed();
    assert_eq!(session.auth_scope(), None);
    session.socket_opened();
    let again = session.frame_received(&refused).unwrap();
    assert_eq!(again.events.len(), 1);
}

#[test]
fn a_refused_token_is_an_authentication_failure_with_the_servers_reason() {
    let clock = ManualClock::new(0);
    let mut session = hocuspocus_session(1, &clock);
    session.socket_opened();
    let out = session
        .frame_received(&hocuspocus::encode::permission_denied(NAME, "bad token"))
        .unwrap();
    assert_eq!(
        out.events,
        vec![SessionEvent::AuthenticationFailed {
            reason: "bad token".into()
        }]
    );
    assert!(out.frames.is_empty());
    assert!(!session.is_synced());
}

#[test]
fn a_token_request_is_answered_with_the_token_again() {
    let clock = ManualClock::new(0);
    let mut session = hocuspocus_session(1, &clock);
    session.set_token(Some("t1"));
    session.socket_opened();
    let out = session
        .frame_received(&hocuspocus::encode::token_request(NAME))
        .unwrap();
    assert_eq!(
        out.frames,
        vec![hocuspocus::encode::token(NAME, "t1", None)]
    );
}

#[test]
fn a_close_from_the_server_ends_the_document_connection() {
    let clock = ManualClock::new(0);
    let mut session = hocuspocus_session(1, &clock);
    session.socket_opened();
    let out = session
        .frame_received(&hocuspocus::encode::close(
            NAME,
            Some("Server closed the connection"),
        ))
        .unwrap();
    assert_eq!(
        out.events,
        vec![SessionEvent::DocumentClosed {
            reason: "Server closed the connection".into()
        }]
    );
}

#[test]
fn a_ping_is_answered_with_a_lone_pong_and_a_pong_needs_nothing() {
    let clock = ManualClock::new(0);
    let mut session = hocuspocus_session(1, &clock);
    session.socket_opened();
    let out = session.frame_received(&hocuspocus::encode::ping()).unwrap();
    assert_eq!(out.frames, vec![vec![10u8]]);
    assert!(session
        .frame_received(&hocuspocus::encode::pong())
        .unwrap()
        .is_empty());
}

#[test]
fn messages_for_another_document_change_nothing() {
    let clock = ManualClock::new(0);
    let mut session = hocuspocus_session(1, &clock);
    session.socket_opened();
    let other = server_doc_with("elsewhere");
    let update = other
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let out = session
        .frame_received(&hocuspocus::encode::sync_step2("other", &update))
        .unwrap();
    assert!(out.is_empty());
    assert!(!session.is_synced());
    assert_eq!(snapshot(session.doc())["text"], serde_json::Value::Null);
}

#[test]
fn a_session_address_of_the_same_document_is_ours() {
    let clock = ManualClock::new(0);
    let mut session = hocuspocus_session(1, &clock);
    session.socket_opened();
    let update = server_doc_with("hi")
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let address = format!("{NAME}\0abc");
    session
        .frame_received(&hocuspocus::encode::sync_step2(&address, &update))
        .unwrap();
    assert!(session.is_synced());
}

#[test]
fn a_y_websocket_frame_is_a_decode_error_not_a_panic() {
    let clock = ManualClock::new(0);
    let mut session = hocuspocus_session(1, &clock);
    session.socket_opened();
    // [0, 0, 0]: a y-websocket step1; as Hocuspocus it is an empty name and a truncated sync.
    let err = session.frame_received(&[0, 0, 0]).unwrap_err();
    assert!(matches!(err, SessionError::HocuspocusDecode(_)), "{err:?}");
}

/// Everything a session sends over `minutes` of silence from the server, ticking at every
/// deadline, with the time of each frame.
fn quiet_minutes(
    session: &mut SyncSession,
    clock: &ManualClock,
    minutes: u64,
) -> Vec<(u64, Vec<u8>)> {
    let mut sent = Vec::new();
    let end = clock.now() + minutes * 60_000;
    while let Some(deadline) = session.next_deadline() {
        if deadline > end {
            break;
        }
        clock.set(deadline.max(clock.now()));
        // The server answers nothing, but the socket stays healthy (its WebSocket pongs
        // keep the adapter's liveness check happy).
        session.note_activity();
        for frame in session.tick().frames {
            sent.push((clock.now(), frame));
        }
    }
    sent
}

fn longest_silence(sent: &[(u64, Vec<u8>)], start: u64, end: u64) -> u64 {
    let mut last = start;
    let mut longest = 0;
    for (at, _) in sent {
        longest = longest.max(at - last);
        last = *at;
    }
    longest.max(end - last)
}

#[test]
fn a_quiet_session_without_awareness_state_speaks_before_the_servers_60_s_timeout() {
    let clock = ManualClock::new(1_000);
    let mut session = hocuspocus_session(1, &clock);
    session.socket_opened();
    let start = clock.now();
    let sent = quiet_minutes(&mut session, &clock, 5);
    assert!(!sent.is_empty());
    assert!(
        longest_silence(&sent, start, clock.now()) <= 30_000,
        "{sent:?}"
    );
    for (_, frame) in &sent {
        assert_eq!(addressed(frame), HocuspocusMessage::QueryAwareness);
        assert_ne!(frame.as_slice(), [9u8], "never a lone ping");
    }
}

#[test]
fn with_an_awareness_state_its_15_s_renewal_keeps_the_socket_alive() {
    let clock = ManualClock::new(1_000);
    let mut session = hocuspocus_session(1, &clock);
    session.set_local_state(r#"{"name":"rust"}"#).unwrap();
    session.socket_opened();
    let start = clock.now();
    let sent = quiet_minutes(&mut session, &clock, 5);
    assert!(
        longest_silence(&sent, start, clock.now()) <= 15_000,
        "{sent:?}"
    );
    for (_, frame) in &sent {
        assert!(
            matches!(addressed(frame), HocuspocusMessage::Awareness(_)),
            "only renewals, no extra keep-alive: {frame:?}"
        );
    }
}

#[test]
fn awareness_frames_for_the_socket_are_addressed_and_the_y_websocket_dialect_is_unchanged() {
    let clock = ManualClock::new(0);
    let mut session = hocuspocus_session(1, &clock);
    session.socket_opened();
    let frame = session.set_local_state(r#"{"a":1}"#).unwrap().unwrap();
    assert!(
        matches!(messages(&frame)[0], Message::Awareness(_)),
        "the awareness methods speak y-websocket, for sibling tabs"
    );
    let for_socket = session.socket_frame(frame.clone());
    assert!(matches!(
        addressed(&for_socket),
        HocuspocusMessage::Awareness(_)
    ));

    let plain = super::session(2, &clock);
    assert_eq!(plain.socket_frame(frame.clone()), frame);
    assert_eq!(plain.dialect(), crate::Dialect::YWebsocket);
    assert_eq!(session.dialect(), crate::Dialect::Hocuspocus);
    assert_eq!(session.document_name(), Some(NAME));
}

#[test]
fn two_hocuspocus_sessions_converge_through_a_relaying_server() {
    // A minimal Hocuspocus-like relay: answers step1 with step1 + step2, acks and relays
    // updates, as docs/hocuspocus.md describes.
    let clock = ManualClock::new(0);
    let server = doc(99);
    let mut a = hocuspocus_session(1, &clock);
    let mut b = hocuspocus_session(2, &clock);
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..10 {
        random_edit(a.doc(), &mut rng);
        random_edit(b.doc(), &mut rng);
    }
    let serve = |server: &Doc, frame: &[u8]| -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        // (to the sender, to everyone else)
        match addressed(frame) {
            HocuspocusMessage::Sync(SyncMessage::Step1(sv)) => {
                let txn = server.transact();
                (
                    vec![
                        hocuspocus::encode::sync_step1(NAME, &txn.state_vector()),
                        hocuspocus::encode::sync_step2(NAME, &txn.encode_state_as_update_v1(&sv)),
                    ],
                    vec![],
                )
            }
            HocuspocusMessage::Sync(SyncMessage::Step2(u) | SyncMessage::Update(u)) => {
                server
                    .transact_mut()
                    .apply_update(Update::decode_v1(u).unwrap())
                    .unwrap();
                (
                    vec![hocuspocus::encode::sync_status(NAME, true)],
                    vec![hocuspocus::encode::sync_update(NAME, u)],
                )
            }
            _ => (vec![], vec![]),
        }
    };
    let mut queue: Vec<(usize, Vec<u8>)> = Vec::new();
    queue.extend(a.socket_opened().frames.into_iter().map(|f| (0, f)));
    queue.extend(b.socket_opened().frames.into_iter().map(|f| (1, f)));
    let from_a = capture_local_updates(&a);
    let from_b = capture_local_updates(&b);
    for round in 0..3 {
        if round == 1 {
            for _ in 0..20 {
                random_edit(a.doc(), &mut rng);
                random_edit(b.doc(), &mut rng);
            }
            let ua: Vec<_> = from_a.lock().unwrap().drain(..).collect();
            let ub: Vec<_> = from_b.lock().unwrap().drain(..).collect();
            queue.extend(ua.iter().filter_map(|u| a.local_update(u)).map(|f| (0, f)));
            queue.extend(ub.iter().filter_map(|u| b.local_update(u)).map(|f| (1, f)));
        }
        while let Some((from, frame)) = (!queue.is_empty()).then(|| queue.remove(0)) {
            let (reply, relay) = serve(&server, &frame);
            for (to, frames) in [(from, reply), (1 - from, relay)] {
                let session = if to == 0 { &mut a } else { &mut b };
                for f in frames {
                    let out = session.frame_received(&f).unwrap();
                    queue.extend(out.frames.into_iter().map(|f| (to, f)));
                }
            }
        }
    }
    assert!(a.is_synced() && b.is_synced());
    assert_eq!(snapshot(a.doc()), snapshot(&server));
    assert_eq!(snapshot(b.doc()), snapshot(&server));
    assert_eq!(a.unsynced_changes(), 0);
    assert_eq!(b.unsynced_changes(), 0);
}

#[test]
fn a_shared_socket_routes_frames_by_document_name_and_keeps_pings_for_itself() {
    let update = [0u8, 0];
    assert_eq!(
        route(&hocuspocus::encode::sync_update("doc-one", &update)),
        FrameRoute::Document("doc-one")
    );
    assert_eq!(
        route(&hocuspocus::encode::sync_status("doc-two\0session", true)),
        FrameRoute::Document("doc-two"),
        "a session address belongs to its document"
    );
    assert_eq!(route(&hocuspocus::encode::ping()), FrameRoute::Ping);
    assert_eq!(route(&hocuspocus::encode::pong()), FrameRoute::Pong);
    assert_eq!(route(&[5, b'a']), FrameRoute::Unroutable, "name cut short");
    assert_eq!(route(&[]), FrameRoute::Unroutable);
    assert_eq!(
        route(&[2, 0xff, 0xfe, 0]),
        FrameRoute::Unroutable,
        "not UTF-8"
    );
}

#[test]
fn the_answer_to_a_keep_alive_in_an_empty_room_is_harmless() {
    // Hocuspocus answers a query-awareness with every state it knows, which may be none:
    // an awareness update of zero clients.
    let clock = ManualClock::new(0);
    let mut session = hocuspocus_session(1, &clock);
    session.socket_opened();
    let mut empty = vec![u8::try_from(NAME.len()).unwrap()];
    empty.extend_from_slice(NAME.as_bytes());
    empty.extend_from_slice(&[1, 1, 0]);
    let out = session.frame_received(&empty).unwrap();
    assert!(out.frames.is_empty());
}

#[test]
fn every_step2_answering_a_later_step1_is_counted_until_acknowledged() {
    // A resync (or the browser's probe) sends step1 again; the server answers it with its
    // own step1, and the step2 sent in reply gets a sync status like any change.
    let clock = ManualClock::new(0);
    let mut session = hocuspocus_session(1, &clock);
    handshake(&mut session, &server_doc_with("x"));
    let ack = hocuspocus::encode::sync_status(NAME, true);
    session.frame_received(&ack).unwrap();
    assert_eq!(session.unsynced_changes(), 0);

    let step1 = hocuspocus::encode::sync_step1(NAME, &StateVector::default());
    let out = session.frame_received(&step1).unwrap();
    assert_eq!(out.frames.len(), 1, "answered with a step2");
    assert_eq!(session.unsynced_changes(), 1);
    session.frame_received(&ack).unwrap();
    assert_eq!(session.unsynced_changes(), 0);
}

#[test]
fn a_message_type_from_a_newer_server_is_skipped_not_fatal() {
    let clock = ManualClock::new(0);
    let mut session = hocuspocus_session(1, &clock);
    session.socket_opened();
    let mut unknown = vec![u8::try_from(NAME.len()).unwrap()];
    unknown.extend_from_slice(NAME.as_bytes());
    unknown.push(42);
    assert!(session.frame_received(&unknown).unwrap().is_empty());
    let mut unknown_auth = unknown[..unknown.len() - 1].to_vec();
    unknown_auth.extend_from_slice(&[2, 9]);
    assert!(session.frame_received(&unknown_auth).unwrap().is_empty());
}

#[test]
fn a_stateless_message_from_the_server_becomes_an_event_with_its_payload() {
    let clock = ManualClock::new(0);
    let mut session = hocuspocus_session(1, &clock);
    handshake(&mut session, &server_doc_with("hi"));
    let payload = r#"{"cursor":3,"note":"é"}"#;
    let out = session
        .frame_received(&hocuspocus::encode::stateless(NAME, payload))
        .unwrap();
    assert_eq!(
        out,
        Output {
            frames: Vec::new(),
            events: vec![SessionEvent::Stateless {
                payload: payload.to_owned()
            }],
        }
    );
    // An empty payload is a message too.
    let out = session
        .frame_received(&hocuspocus::encode::stateless(NAME, ""))
        .unwrap();
    assert_eq!(
        out.events,
        vec![SessionEvent::Stateless {
            payload: String::new()
        }]
    );
}

#[test]
fn a_stateless_message_for_another_document_is_not_reported() {
    let clock = ManualClock::new(0);
    let mut session = hocuspocus_session(1, &clock);
    session.socket_opened();
    let out = session
        .frame_received(&hocuspocus::encode::stateless("other", "not for us"))
        .unwrap();
    assert!(out.is_empty());
}

#[test]
fn sending_a_stateless_message_encodes_an_addressed_stateless_frame() {
    let clock = ManualClock::new(0);
    let mut session = hocuspocus_session(1, &clock);
    session.socket_opened();
    let unsynced = session.unsynced_changes();
    let frame = session.stateless_frame("hello, server").unwrap();
    assert_eq!(
        addressed(&frame),
        HocuspocusMessage::Stateless("hello, server")
    );
    assert_eq!(frame, hocuspocus::encode::stateless(NAME, "hello, server"));
    // Not a change: the server acknowledges nothing for it.
    assert_eq!(session.unsynced_changes(), unsynced);
}

#[test]
fn without_an_open_socket_a_stateless_message_is_refused_not_queued() {
    let clock = ManualClock::new(0);
    let mut session = hocuspocus_session(1, &clock);
    assert_eq!(session.stateless_frame("early"), Err(SessionError::NotOpen));
    session.socket_opened();
    session.socket_closed();
    assert_eq!(session.stateless_frame("late"), Err(SessionError::NotOpen));
    // Nothing of the refused messages comes out when the next socket opens.
    let opened = session.socket_opened();
    assert!(opened
        .frames
        .iter()
        .all(|f| !matches!(addressed(f), HocuspocusMessage::Stateless(_))));
}

#[test]
fn the_y_websocket_dialect_refuses_to_send_a_stateless_message() {
    let clock = ManualClock::new(0);
    let mut session = session(1, &clock);
    session.socket_opened();
    assert_eq!(
        session.stateless_frame("hello"),
        Err(SessionError::StatelessUnsupported)
    );
    // Refused before the socket is considered: the answer does not depend on timing.
    session.socket_closed();
    assert_eq!(
        session.stateless_frame("hello"),
        Err(SessionError::StatelessUnsupported)
    );
}
