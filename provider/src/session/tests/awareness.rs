//! The awareness rules: announcing, answering, renewing, expiring and leaving.

use super::*;

#[test]
fn query_awareness_is_answered_with_all_known_states() {
    let clock = ManualClock::new(0);
    let mut a = session(1, &clock);
    let mut b = session(2, &clock);
    a.set_local_state(r#"{"name":"a"}"#).unwrap();
    let b_state = b.set_local_state(r#"{"name":"b"}"#).unwrap();
    assert!(b_state.is_none(), "nothing is sent while closed");
    b.socket_opened();
    let b_frame = b.local_awareness_changed().unwrap();
    a.socket_opened();
    let out = a.frame_received(&b_frame).unwrap();
    assert!(
        matches!(out.events[0], SessionEvent::AwarenessChanged { ref added, .. } if added == &[ClientID::new(2)])
    );

    let reply = a.frame_received(&encode::query_awareness()).unwrap();
    assert_eq!(reply.frames.len(), 1);
    let entries = awareness_entries(&reply.frames[0]);
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[&1].1, r#"{"name":"a"}"#);
    assert_eq!(entries[&2].1, r#"{"name":"b"}"#);
}

#[test]
fn local_awareness_is_renewed_after_fifteen_seconds() {
    let clock = ManualClock::new(1_000);
    let mut a = session(1, &clock);
    a.set_local_state(r#"{"name":"a"}"#).unwrap();
    let opened = a.socket_opened();
    let opened_clock = awareness_entries(&opened.frames[1])[&1].0;
    assert_eq!(a.next_deadline(), Some(16_000));

    clock.advance(14_999);
    assert!(a.tick().frames.is_empty());
    // Keep the socket alive so the liveness check stays out of the way.
    a.note_activity();
    clock.advance(1);
    let out = a.tick();
    assert_eq!(out.frames.len(), 1);
    let (renewed_clock, json) = awareness_entries(&out.frames[0])[&1].clone();
    assert_eq!(renewed_clock, opened_clock + 1);
    assert_eq!(json, r#"{"name":"a"}"#);
    assert_eq!(a.next_deadline(), Some(31_000));
}

#[test]
fn remote_awareness_expires_after_thirty_seconds_without_renewal() {
    let clock = ManualClock::new(0);
    let mut a = session(1, &clock);
    let mut b = session(2, &clock);
    b.set_local_state("{}").unwrap();
    b.socket_opened();
    a.socket_opened();
    a.frame_received(&b.local_awareness_changed().unwrap())
        .unwrap();
    clock.advance(29_999);
    a.note_activity();
    assert!(a.tick().events.is_empty());
    clock.advance(1);
    let out = a.tick();
    assert!(out.events.contains(&SessionEvent::AwarenessChanged {
        added: vec![],
        updated: vec![],
        removed: vec![ClientID::new(2)],
    }));
    assert!(out.frames.is_empty(), "expiry is not broadcast");
    assert!(a
        .awareness()
        .state::<serde_json::Value>(ClientID::new(2))
        .is_none());
}

#[test]
fn socket_closed_forgets_remote_awareness_but_keeps_the_local_state() {
    let clock = ManualClock::new(0);
    let mut a = session(1, &clock);
    let mut b = session(2, &clock);
    a.set_local_state(r#"{"me":1}"#).unwrap();
    b.set_local_state("{}").unwrap();
    b.socket_opened();
    a.socket_opened();
    a.frame_received(&b.local_awareness_changed().unwrap())
        .unwrap();
    let out = a.socket_closed();
    assert!(out.events.contains(&SessionEvent::AwarenessChanged {
        added: vec![],
        updated: vec![],
        removed: vec![ClientID::new(2)],
    }));
    let present: Vec<_> = a
        .awareness()
        .iter()
        .filter(|(_, s)| s.data.is_some())
        .map(|(id, _)| id)
        .collect();
    assert_eq!(present, vec![ClientID::new(1)]);
}

#[test]
fn after_a_reconnect_peers_replayed_one_clock_up_are_seen_at_once() {
    let clock = ManualClock::new(0);
    let mut a = session(1, &clock);
    let mut b = session(2, &clock);
    b.set_local_state(r#"{"name":"b"}"#).unwrap();
    b.socket_opened();
    let b_frame = b.local_awareness_changed().unwrap();
    a.socket_opened();
    a.frame_received(&b_frame).unwrap();
    let (b_clock, _) = b.awareness().meta(ClientID::new(2)).unwrap();
    a.socket_closed();
    a.socket_opened();
    // The server replays b's unchanged state one clock above anything it sent before.
    let mut replay = b
        .awareness()
        .update_with_clients([ClientID::new(2)])
        .unwrap();
    replay.clients.get_mut(&ClientID::new(2)).unwrap().clock = b_clock + 1;
    let out = a.frame_received(&encode::awareness(&replay)).unwrap();
    assert!(
        matches!(&out.events[..], [SessionEvent::AwarenessChanged { updated, .. }] if updated == &[ClientID::new(2)]),
        "{:?}",
        out.events
    );
}

#[test]
fn a_remote_null_for_our_own_state_is_refused_and_reannounced() {
    let clock = ManualClock::new(0);
    let mut a = session(1, &clock);
    a.set_local_state(r#"{"me":1}"#).unwrap();
    a.socket_opened();
    let (own_clock, _) = a.awareness().meta(ClientID::new(1)).unwrap();
    let mut clients = HashMap::new();
    clients.insert(
        ClientID::new(1),
        yrs::sync::awareness::AwarenessUpdateEntry {
            clock: own_clock,
            json: Arc::from("null"),
        },
    );
    let out = a
        .frame_received(&encode::awareness(&AwarenessUpdate { clients }))
        .unwrap();
    assert_eq!(out.frames.len(), 1);
    let (announced_clock, json) = awareness_entries(&out.frames[0])[&1].clone();
    assert!(announced_clock > own_clock);
    assert_eq!(json, r#"{"me":1}"#);
    assert!(a.awareness().local_state_raw().is_some());
}

#[test]
fn leave_frame_announces_null_and_reconnecting_supersedes_it() {
    let clock = ManualClock::new(0);
    let mut a = session(1, &clock);
    let mut peer = session(2, &clock);
    a.set_local_state(r#"{"me":1}"#).unwrap();
    a.socket_opened();
    peer.socket_opened();
    peer.frame_received(&a.local_awareness_changed().unwrap())
        .unwrap();

    let leave = a.leave_frame().unwrap();
    assert_eq!(awareness_entries(&leave)[&1].1, "null");
    let out = peer.frame_received(&leave).unwrap();
    assert!(
        matches!(&out.events[0], SessionEvent::AwarenessChanged { removed, .. } if removed == &[ClientID::new(1)])
    );
    a.socket_closed();
    assert!(
        a.awareness().local_state_raw().is_some(),
        "the local state is kept"
    );

    let reopened = a.socket_opened();
    let out = peer.frame_received(&reopened.frames[1]).unwrap();
    assert!(
        matches!(&out.events[0], SessionEvent::AwarenessChanged { added, updated, .. }
        if added.contains(&ClientID::new(1)) || updated.contains(&ClientID::new(1)))
    );
    assert!(peer
        .awareness()
        .state::<serde_json::Value>(ClientID::new(1))
        .is_some());
}

#[test]
fn clearing_the_local_state_announces_null() {
    let clock = ManualClock::new(0);
    let mut a = session(1, &clock);
    a.set_local_state("{}").unwrap();
    a.socket_opened();
    let frame = a.clear_local_state().unwrap();
    assert_eq!(awareness_entries(&frame)[&1].1, "null");
    assert_eq!(a.clear_local_state(), None, "already cleared");
    assert_eq!(a.socket_opened().frames.len(), 1, "no state to announce");
}

#[test]
fn invalid_json_awareness_state_is_refused() {
    let clock = ManualClock::new(0);
    let mut a = session(1, &clock);
    let err = a.set_local_state("{name").unwrap_err();
    assert!(matches!(err, SessionError::InvalidAwarenessState { .. }));
    assert!(a.awareness().local_state_raw().is_none());
}
