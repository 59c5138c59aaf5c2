//! `disconnect()` tells the room this client is gone: other providers drop its awareness state
//! right away (not after the 30 s expiry), and it reappears when the client reconnects.

use crate::common::{provider, start_server, synced, unique_room, until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_removes_the_client_from_other_providers_and_reconnect_restores_it() {
    let server = start_server().await;
    let room = unique_room("presence");
    let a = provider(&server.ws_url(), &room);
    let b = provider(&server.ws_url(), &room);
    a.set_local_state(r#"{"user":{"name":"a"}}"#);
    b.set_local_state(r#"{"user":{"name":"b"}}"#);
    synced(&a).await;
    synced(&b).await;
    let a_id = a.client_id();
    let mut b_presence = [b.awareness_changes()];

    until("b sees a", &mut b_presence, || {
        b.awareness_states().get(&a_id).map(String::as_str) == Some(r#"{"user":{"name":"a"}}"#)
    })
    .await;
    let b_id = b.client_id();
    until("a sees b", &mut [a.awareness_changes()], || {
        a.awareness_states().contains_key(&b_id)
    })
    .await;

    let started = tokio::time::Instant::now();
    a.disconnect().await;
    until("b no longer sees a", &mut b_presence, || {
        !b.awareness_states().contains_key(&a_id)
    })
    .await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "removal came from the leave message, not from expiry"
    );
    let own_only: Vec<u64> = a.awareness_states().into_keys().collect();
    assert_eq!(
        own_only,
        vec![a_id],
        "a forgot remote states when its socket closed"
    );

    a.connect();
    until("b sees a again", &mut b_presence, || {
        b.awareness_states().contains_key(&a_id)
    })
    .await;
    server.shutdown().await;
}
