//! The sync rules: step1/step2, updates, liveness, resync, sibling tabs, malformed input.

use super::*;

#[test]
fn two_sessions_wired_together_reach_identical_docs() {
    let clock = ManualClock::new(0);
    let mut a = session(1, &clock);
    let mut b = session(2, &clock);
    let mut rng = StdRng::seed_from_u64(42);
    // Edits made before the connection travel in the step1/step2 exchange.
    for _ in 0..20 {
        random_edit(a.doc(), &mut rng);
        random_edit(b.doc(), &mut rng);
    }
    let from_a = capture_local_updates(&a);
    let from_b = capture_local_updates(&b);
    let opened_a = a.socket_opened().frames;
    let opened_b = b.socket_opened().frames;
    pump(&mut a, &mut b, opened_a, opened_b);
    assert!(a.is_synced() && b.is_synced());
    assert_eq!(snapshot(a.doc()), snapshot(b.doc()));
    // Applying the other side's state was not mistaken for a local edit.
    assert!(from_a.lock().unwrap().is_empty());
    assert!(from_b.lock().unwrap().is_empty());

    // Concurrent edits afterwards travel as incremental updates.
    for _ in 0..50 {
        random_edit(a.doc(), &mut rng);
        random_edit(b.doc(), &mut rng);
    }
    let to_b: Vec<_> = from_a
        .lock()
        .unwrap()
        .drain(..)
        .filter_map(|u| a.local_update(&u))
        .collect();
    let to_a: Vec<_> = from_b
        .lock()
        .unwrap()
        .drain(..)
        .filter_map(|u| b.local_update(&u))
        .collect();
    assert_eq!(to_b.len(), 50);
    pump(&mut a, &mut b, to_b, to_a);
    assert_eq!(snapshot(a.doc()), snapshot(b.doc()));
    assert!(
        from_a.lock().unwrap().is_empty(),
        "remote updates were echoed"
    );
}

#[test]
fn opening_sends_step1_then_the_local_awareness_state() {
    let clock = ManualClock::new(0);
    let mut a = session(1, &clock);
    assert_eq!(a.socket_opened().frames.len(), 1);
    a.socket_closed();
    a.set_local_state(r#"{"name":"a"}"#).unwrap();
    let frames = a.socket_opened().frames;
    assert_eq!(frames.len(), 2);
    assert!(matches!(
        messages(&frames[0])[0],
        Message::Sync(SyncMessage::Step1(_))
    ));
    let entries = awareness_entries(&frames[1]);
    assert_eq!(entries[&1].1, r#"{"name":"a"}"#);
}

#[test]
fn step1_is_answered_with_the_missing_state_as_step2() {
    let clock = ManualClock::new(0);
    let mut a = session(1, &clock);
    a.doc()
        .get_or_insert_text("text")
        .insert(&mut a.doc().transact_mut(), 0, "hi");
    a.socket_opened();
    let step1 = encode::sync_step1(&yrs::StateVector::default());
    let out = a.frame_received(&step1).unwrap();
    let Message::Sync(SyncMessage::Step2(update)) = messages(&out.frames[0])[0] else {
        panic!("expected step2");
    };
    let b = doc(2);
    b.transact_mut()
        .apply_update(Update::decode_v1(update).unwrap())
        .unwrap();
    assert_eq!(snapshot(&b), snapshot(a.doc()));
}

#[test]
fn sibling_tabs_converge_through_greetings_without_becoming_synced() {
    let clock = ManualClock::new(0);
    let mut a = session(1, &clock);
    let mut b = session(2, &clock);
    a.doc()
        .get_or_insert_text("text")
        .insert(&mut a.doc().transact_mut(), 0, "from a");
    b.set_local_state(r#"{"name":"b"}"#).unwrap();
    a.socket_opened();
    let local_edits = capture_local_updates(&a);

    // b joins the channel a second later; a answers its step1 and its awareness query.
    clock.set(1_000);
    let mut to_b = Vec::new();
    for frame in b.peer_greeting() {
        let out = a.peer_frame_received(&frame).unwrap();
        to_b.extend(out.frames);
    }
    for frame in to_b {
        let out = b.peer_frame_received(&frame).unwrap();
        assert!(out.frames.is_empty(), "answers are not answered");
    }
    assert_eq!(snapshot(b.doc()), snapshot(a.doc()));
    assert!(a
        .awareness()
        .iter()
        .any(|(id, s)| id.get() == 2 && s.data.is_some()));
    assert!(
        !a.is_synced() && !b.is_synced(),
        "only the server syncs a session"
    );
    assert!(
        local_edits.lock().unwrap().is_empty(),
        "what a sibling sent is applied as remote, never forwarded as a local edit"
    );
    // Peer frames do not keep a silent socket alive.
    clock.set(DEFAULT_LIVENESS_TIMEOUT.as_millis() as u64);
    assert!(a.tick().events.contains(&SessionEvent::ConnectionStale));
}

#[test]
fn first_step2_after_open_marks_synced_and_closing_unsyncs() {
    let clock = ManualClock::new(0);
    let mut a = session(1, &clock);
    a.socket_opened();
    let empty_update = yrs::Doc::new()
        .transact()
        .encode_state_as_update_v1(&Default::default());
    let update = a
        .frame_received(&encode::sync_update(&empty_update))
        .unwrap();
    assert!(!a.is_synced(), "an update is not a step2");
    assert!(update.events.is_empty());
    let first = a
        .frame_received(&encode::sync_step2(&empty_update))
        .unwrap();
    assert_eq!(first.events, vec![SessionEvent::Synced(true)]);
    assert!(a.is_synced());
    let second = a
        .frame_received(&encode::sync_step2(&empty_update))
        .unwrap();
    assert!(second.events.is_empty());

    assert_eq!(a.socket_closed().events, vec![SessionEvent::Synced(false)]);
    assert!(!a.is_synced());
    a.socket_opened();
    assert!(!a.is_synced(), "a new socket must sync again");
}

#[test]
fn malformed_frames_are_errors_not_panics() {
    let clock = ManualClock::new(0);
    let mut a = session(1, &clock);
    assert_eq!(a.frame_received(&[0, 0, 0]), Err(SessionError::NotOpen));
    a.socket_opened();
    assert!(matches!(
        a.frame_received(&[]),
        Err(SessionError::Decode(_))
    ));
    assert!(matches!(
        a.frame_received(&[0, 2, 9, 1]),
        Err(SessionError::Decode(_))
    ));
    assert!(matches!(
        a.frame_received(&[7]),
        Err(SessionError::Decode(_))
    ));

    // A client id above 2^53 trips a debug assertion inside yrs's decoder.
    let huge_client = [
        1, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0,
    ];
    let err = a
        .frame_received(&encode::sync_update(&huge_client))
        .unwrap_err();
    assert!(matches!(err, SessionError::InvalidUpdate { .. }), "{err}");

    // Random bytes. Single-byte varints keep client ids small: the case above already
    // covers the assertion, and each caught panic costs a backtrace when RUST_BACKTRACE=1.
    let mut rng = StdRng::seed_from_u64(9);
    for _ in 0..1000 {
        let len = rng.random_range(0..40);
        let garbage: Vec<u8> = (0..len).map(|_| rng.random::<u8>() & 0x7f).collect();
        // Either outcome is fine; unwinding out of the session is not.
        let _ = a.frame_received(&encode::sync_update(&garbage));
        let _ = a.frame_received(&encode::sync_step2(&garbage));
    }
    // The session still works afterwards.
    assert!(a.frame_received(&encode::query_awareness()).is_ok());
}

#[test]
fn silent_socket_is_reported_stale_after_the_liveness_timeout() {
    let clock = ManualClock::new(0);
    let mut a = session(1, &clock);
    a.socket_opened();
    assert_eq!(a.next_deadline(), Some(30_000));
    clock.advance(20_000);
    a.frame_received(&encode::query_awareness()).unwrap();
    clock.advance(29_999);
    assert!(!a.tick().events.contains(&SessionEvent::ConnectionStale));
    clock.advance(1);
    assert!(a.tick().events.contains(&SessionEvent::ConnectionStale));
    a.socket_closed();
    clock.advance(60_000);
    assert!(a.tick().events.is_empty(), "no liveness without a socket");
    assert_eq!(a.next_deadline(), None);
}

#[test]
fn resync_interval_resends_step1_while_open() {
    let clock = ManualClock::new(0);
    let config = SessionConfig {
        resync_interval: Some(Duration::from_secs(5)),
        ..SessionConfig::default()
    };
    let mut a = SyncSession::with_config(doc(1), clock.clone(), config);
    a.socket_opened();
    assert_eq!(a.next_deadline(), Some(5_000));
    clock.advance(5_000);
    let out = a.tick();
    assert_eq!(out.frames.len(), 1);
    assert!(matches!(
        messages(&out.frames[0])[0],
        Message::Sync(SyncMessage::Step1(_))
    ));
    assert_eq!(a.next_deadline(), Some(10_000));
}

#[test]
fn local_origin_updates_are_forwarded_and_remote_ones_are_not() {
    let clock = ManualClock::new(0);
    let mut a = session(1, &clock);
    let forwarded = capture_local_updates(&a);
    a.socket_opened();

    let remote = doc(2);
    remote
        .get_or_insert_text("text")
        .insert(&mut remote.transact_mut(), 0, "remote");
    let update = remote
        .transact()
        .encode_state_as_update_v1(&Default::default());
    a.frame_received(&encode::sync_update(&update)).unwrap();
    assert!(forwarded.lock().unwrap().is_empty());
    assert_eq!(
        a.doc()
            .get_or_insert_text("text")
            .get_string(&a.doc().transact()),
        "remote"
    );

    // Another origin (an app, IndexedDB, another server) is local from this session's view.
    {
        let mut txn = a.doc().transact_mut_with("app");
        txn.get_or_insert_text("text").insert(&mut txn, 0, "local ");
    }
    let updates = forwarded.lock().unwrap().clone();
    assert_eq!(updates.len(), 1);
    let frame = a.local_update(&updates[0]).unwrap();
    assert!(
        matches!(messages(&frame)[0], Message::Sync(SyncMessage::Update(u)) if u == updates[0])
    );
    assert!(a.is_remote_origin(Some(a.remote_origin())));
    assert!(!a.is_remote_origin(Some(&Origin::from("app"))));
    assert!(!a.is_remote_origin(None));

    a.socket_closed();
    assert_eq!(
        a.local_update(&updates[0]),
        None,
        "no frames without a socket"
    );
}

#[test]
fn permission_denied_is_surfaced_as_an_event() {
    let clock = ManualClock::new(0);
    let mut a = session(1, &clock);
    a.socket_opened();
    let out = a
        .frame_received(&encode::permission_denied("read-only room"))
        .unwrap();
    assert_eq!(
        out.events,
        vec![SessionEvent::PermissionDenied {
            reason: "read-only room".into()
        }]
    );
}
