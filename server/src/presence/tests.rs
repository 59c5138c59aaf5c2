use super::*;
use ycord_protocol::ManualClock;
use yrs::sync::Awareness;
use yrs::{Doc, Options};

fn entry(id: u64, clock: u32, json: &str) -> AwarenessUpdate {
    let mut clients = HashMap::new();
    clients.insert(
        ClientID::new(id),
        AwarenessUpdateEntry {
            clock,
            json: Arc::from(json),
        },
    );
    AwarenessUpdate { clients }
}

fn presence() -> (Presence, ManualClock) {
    let clock = ManualClock::new(0);
    (
        Presence::new(clock.clone(), AwarenessTimer::default()),
        clock,
    )
}

fn relayed(relay: Relay, received: &AwarenessUpdate) -> AwarenessUpdate {
    match relay {
        Relay::Nothing => AwarenessUpdate {
            clients: HashMap::new(),
        },
        Relay::AsReceived => received.clone(),
        Relay::Rewritten(update) => update,
    }
}

/// A client that applies awareness as y-protocols does and, like y-websocket, forgets remote
/// states but keeps their clocks when its socket drops.
struct Client {
    awareness: Awareness,
}

impl Client {
    fn new(id: u64) -> Self {
        let doc = Doc::with_options(Options {
            client_id: ClientID::new(id),
            ..Options::default()
        });
        Client {
            awareness: Awareness::with_clock(doc, ManualClock::new(0)),
        }
    }

    fn id(&self) -> u64 {
        self.awareness.client_id().get()
    }

    fn set(&mut self, json: &str) -> AwarenessUpdate {
        self.awareness.set_local_state_raw(json);
        self.own()
    }

    fn clear(&mut self) -> AwarenessUpdate {
        self.awareness.clean_local_state();
        self.own()
    }

    fn own(&self) -> AwarenessUpdate {
        self.awareness
            .update_with_clients([self.awareness.client_id()])
            .expect("own state")
    }

    fn receive(&mut self, update: &AwarenessUpdate) {
        self.awareness
            .apply_update(update.clone())
            .expect("valid update");
    }

    fn drop_socket(&mut self) {
        let own = self.awareness.client_id();
        let remote: HashMap<ClientID, AwarenessUpdateEntry> = self
            .awareness
            .iter()
            .filter(|(id, state)| *id != own && state.data.is_some())
            .map(|(id, state)| {
                let removal = AwarenessUpdateEntry {
                    clock: state.clock,
                    json: Arc::from("null"),
                };
                (id, removal)
            })
            .collect();
        self.receive(&AwarenessUpdate { clients: remote });
    }

    fn sees(&self, id: u64) -> Option<String> {
        self.awareness
            .state::<serde_json::Value>(ClientID::new(id))
            .map(|state| state.to_string())
    }
}

/// The room, for awareness: connections with the client behind each, and what reaches them.
struct Room {
    presence: Presence,
    clients: HashMap<ConnId, Client>,
    first: HashMap<ConnId, bool>,
}

impl Room {
    fn new() -> Self {
        Room {
            presence: presence().0,
            clients: HashMap::new(),
            first: HashMap::new(),
        }
    }

    fn join(&mut self, conn: ConnId, mut client: Client) {
        if let Some(states) = self.presence.snapshot() {
            client.receive(&states);
        }
        self.clients.insert(conn, client);
        self.first.insert(conn, true);
    }

    fn send(&mut self, conn: ConnId, update: AwarenessUpdate) {
        let is_first = self.first.insert(conn, false).unwrap_or(true);
        let relay = self.presence.apply(conn, update.clone(), is_first);
        self.broadcast(&relayed(relay, &update));
    }

    fn set(&mut self, conn: ConnId, json: &str) {
        let update = self.clients.get_mut(&conn).expect("client").set(json);
        self.send(conn, update);
    }

    fn drop_socket(&mut self, conn: ConnId) -> Client {
        let mut client = self.clients.remove(&conn).expect("client");
        client.drop_socket();
        if let Some(removed) = self.presence.release(conn) {
            self.broadcast(&removed);
        }
        client
    }

    /// The client comes back on `conn` and announces its state, as y-websocket does on open.
    fn rejoin(&mut self, conn: ConnId, client: Client) {
        let announce = client.own();
        self.join(conn, client);
        self.send(conn, announce);
    }

    fn broadcast(&mut self, update: &AwarenessUpdate) {
        if update.clients.is_empty() {
            return;
        }
        for client in self.clients.values_mut() {
            client.receive(update);
        }
    }

    fn sees(&self, observer: ConnId, id: u64) -> Option<String> {
        self.clients[&observer].sees(id)
    }
}

#[test]
fn closing_a_connection_removes_exactly_the_ids_it_introduced() {
    let (mut p, _) = presence();
    assert_eq!(p.apply(1, entry(10, 1, "{}"), true), Relay::AsReceived);
    assert_eq!(p.apply(2, entry(20, 1, "{}"), true), Relay::AsReceived);
    // Connection 2 relays 10's state back: stale, not broadcast, ownership unchanged.
    assert_eq!(p.apply(2, entry(10, 1, "{}"), false), Relay::Nothing);
    let removed = p.release(1).expect("10 removed");
    let e = &removed.clients[&ClientID::new(10)];
    assert_eq!((e.clock, e.json.as_ref()), (2, "null"));
    assert_eq!(removed.clients.len(), 1);
    assert_eq!(p.owned_by(2), vec![ClientID::new(20)]);
}

#[test]
fn an_owner_in_a_quiet_room_is_relayed_byte_for_byte() {
    let (mut p, _) = presence();
    assert_eq!(p.apply(1, entry(10, 0, "{}"), true), Relay::AsReceived);
    for clock in 1..5 {
        let update = entry(10, clock, &format!(r#"{{"n":{clock}}}"#));
        assert_eq!(p.apply(1, update, false), Relay::AsReceived);
    }
}

#[test]
fn a_returning_client_is_relayed_above_the_removal_so_peers_accept_it() {
    let (mut p, _) = presence();
    p.apply(1, entry(10, 3, r#"{"n":1}"#), true);
    p.release(1); // broadcast null at clock 4
    match p.apply(2, entry(10, 3, r#"{"n":1}"#), true) {
        Relay::Rewritten(update) => assert_eq!(update.clients[&ClientID::new(10)].clock, 5),
        other => panic!("expected a rewrite, got {other:?}"),
    }
    assert_eq!(p.owned_by(2), vec![ClientID::new(10)]);
    assert!(p.snapshot().is_some());
}

#[test]
fn a_new_connection_takes_over_its_client_from_a_half_dead_socket() {
    let (mut p, _) = presence();
    p.apply(1, entry(10, 1, "{}"), true);
    // The client reconnects before the server noticed the old socket died.
    assert_ne!(p.apply(2, entry(10, 1, "{}"), true), Relay::Nothing);
    assert!(
        p.release(1).is_none(),
        "old socket must not remove a connected client"
    );
    assert!(p.release(2).is_some());
}

#[test]
fn a_relayed_copy_of_an_older_state_never_takes_an_id_over() {
    let (mut p, _) = presence();
    p.apply(1, entry(10, 4, r#"{"n":4}"#), true);
    // Another tab's first message is a late relay of 10's older state.
    assert_eq!(p.apply(2, entry(10, 3, r#"{"n":3}"#), true), Relay::Nothing);
    assert_eq!(p.owned_by(1), vec![ClientID::new(10)]);
}

#[test]
fn every_snapshot_is_above_every_clock_sent_before() {
    let (mut p, _) = presence();
    p.apply(1, entry(10, 7, "{}"), true);
    let first = p.snapshot().expect("one state").clients[&ClientID::new(10)].clock;
    let second = p.snapshot().expect("one state").clients[&ClientID::new(10)].clock;
    assert_eq!((first, second), (8, 9));
    // The owner's next change goes out above both snapshots, although its own clock is 8.
    match p.apply(1, entry(10, 8, r#"{"n":1}"#), false) {
        Relay::Rewritten(update) => assert_eq!(update.clients[&ClientID::new(10)].clock, 10),
        other => panic!("expected a rewrite, got {other:?}"),
    }
}

#[test]
fn stale_states_expire_after_thirty_seconds() {
    let (mut p, clock) = presence();
    p.apply(1, entry(10, 1, "{}"), true);
    clock.advance(29_999);
    assert!(p.expire(clock.now()).is_none());
    clock.advance(1);
    let removed = p.expire(clock.now()).expect("expired");
    assert_eq!(removed.clients[&ClientID::new(10)].json.as_ref(), "null");
    assert!(p.owned_by(1).is_empty());
}

#[test]
fn a_client_back_from_a_dropped_socket_sees_every_peer_at_once() {
    let mut room = Room::new();
    for conn in 1..=3 {
        room.join(conn, Client::new(100 + conn));
        room.set(conn, &format!(r#"{{"name":"c{conn}"}}"#));
    }
    let returning = room.drop_socket(3);
    assert_eq!(room.sees(1, 103), None, "peers saw the drop");
    room.rejoin(4, returning);
    for (observer, id) in [(4, 101), (4, 102), (1, 103), (2, 103)] {
        assert!(
            room.sees(observer, id).is_some(),
            "connection {observer} does not see client {id}"
        );
    }
}

#[test]
fn several_returning_clients_see_each_other_and_those_who_stayed() {
    let mut room = Room::new();
    for conn in 1..=4 {
        room.join(conn, Client::new(100 + conn));
        room.set(conn, &format!(r#"{{"name":"c{conn}"}}"#));
    }
    let third = room.drop_socket(3);
    let fourth = room.drop_socket(4);
    room.rejoin(13, third);
    room.rejoin(14, fourth);
    for observer in [1, 2, 13, 14] {
        for id in 101..=104 {
            assert!(
                room.sees(observer, id).is_some(),
                "connection {observer} does not see client {id}"
            );
        }
    }
}

#[test]
fn after_returning_every_change_and_removal_reaches_everyone() {
    let mut room = Room::new();
    for conn in 1..=3 {
        room.join(conn, Client::new(100 + conn));
        room.set(conn, r#"{"round":0}"#);
    }
    let returning = room.drop_socket(3);
    room.rejoin(4, returning);
    for round in 1..=3 {
        for conn in [1, 2, 4] {
            room.set(conn, &format!(r#"{{"round":{round}}}"#));
        }
        for observer in [1, 2, 4] {
            for id in 101..=103 {
                assert_eq!(
                    room.sees(observer, id).as_deref(),
                    Some(format!(r#"{{"round":{round}}}"#).as_str()),
                    "round {round}: connection {observer} on client {id}"
                );
            }
        }
    }
    let removal = room.clients.get_mut(&4).expect("client").clear();
    room.send(4, removal);
    assert_eq!(room.sees(1, 103), None);
    assert_eq!(room.sees(2, 103), None);
    // And it can come back after removing itself.
    room.set(4, r#"{"round":4}"#);
    assert_eq!(room.sees(1, 103).as_deref(), Some(r#"{"round":4}"#));
}

#[test]
fn a_client_back_before_its_old_socket_died_keeps_the_state_it_set_offline() {
    let mut room = Room::new();
    room.join(1, Client::new(101));
    room.set(1, r#"{"at":"before"}"#);
    room.join(2, Client::new(102));
    room.set(2, r#"{"name":"b"}"#);
    // 101 goes offline; the server does not notice, and 101 changes its state meanwhile.
    let mut offline = room.clients.remove(&1).expect("client");
    offline.drop_socket();
    offline.awareness.set_local_state_raw(r#"{"at":"offline"}"#);
    room.rejoin(3, offline);
    assert!(room.presence.release(1).is_none());
    for observer in [2, 3] {
        assert_eq!(
            room.sees(observer, 101).as_deref(),
            Some(r#"{"at":"offline"}"#),
            "connection {observer}"
        );
    }
    assert!(room.sees(3, 102).is_some());
}

#[test]
fn the_owner_accepts_its_own_renumbered_state() {
    let mut room = Room::new();
    room.join(1, Client::new(101));
    room.set(1, r#"{"n":1}"#);
    // Two joins push the wire clock of 101 above the owner's own clock.
    room.join(2, Client::new(102));
    room.join(3, Client::new(103));
    room.set(1, r#"{"n":2}"#);
    let owner = &room.clients[&1];
    assert_eq!(owner.sees(owner.id()).as_deref(), Some(r#"{"n":2}"#));
    assert_eq!(room.sees(2, 101).as_deref(), Some(r#"{"n":2}"#));
    assert_eq!(room.sees(3, 101).as_deref(), Some(r#"{"n":2}"#));
}
