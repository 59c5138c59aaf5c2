//! Two tabs of one app, a ycord provider and the real y-websocket provider sharing the
//! cross-tab channel, go offline together and come back: within a second both see the peer who
//! stayed connected, it sees both, and every later change reaches everyone. (The server replays
//! present peers above every clock it sent before; tabs that remember the old clocks, through
//! the socket or each other, must accept the replay.)

use std::time::Duration;

use crate::common::{provider, server_url, unique_room, wait_for, PATIENCE};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use ycord_provider::{new_doc, WebsocketProvider};

/// How soon after reconnecting everyone must see everyone: far below the 15 s renewal that
/// would otherwise be what makes them visible.
const AT_ONCE: Duration = Duration::from_secs(1);

#[wasm_bindgen(module = "/../interop/browser/dist/yjs-browser.js")]
extern "C" {
    type YTab;
    #[wasm_bindgen(js_name = openYWebsocketTab)]
    fn open_y_websocket_tab(server_url: &str, room: &str) -> YTab;
    #[wasm_bindgen(js_name = yTabClientId)]
    fn y_tab_client_id(tab: &YTab) -> f64;
    #[wasm_bindgen(js_name = yTabSetPresence)]
    fn y_tab_set_presence(tab: &YTab, json: &str);
    #[wasm_bindgen(js_name = yTabWaitForState)]
    fn y_tab_wait_for_state(
        tab: &YTab,
        client_id: f64,
        json: &str,
        timeout_ms: u32,
    ) -> js_sys::Promise;
    #[wasm_bindgen(js_name = yTabWaitForAbsence)]
    fn y_tab_wait_for_absence(tab: &YTab, client_id: f64, timeout_ms: u32) -> js_sys::Promise;
    #[wasm_bindgen(js_name = yTabDisconnect)]
    fn y_tab_disconnect(tab: &YTab);
    #[wasm_bindgen(js_name = yTabConnect)]
    fn y_tab_connect(tab: &YTab);
    #[wasm_bindgen(js_name = yTabClose)]
    fn y_tab_close(tab: &YTab);
}

fn state(name: &str, round: u32) -> String {
    format!(r#"{{"name":"{name}","round":{round}}}"#)
}

async fn js_sees(tab: &YTab, client_id: u64, json: &str, timeout: Duration, what: &str) {
    JsFuture::from(y_tab_wait_for_state(
        tab,
        client_id as f64,
        json,
        timeout.as_millis() as u32,
    ))
    .await
    .unwrap_or_else(|err| panic!("the y-websocket tab: {what}: {err:?}"));
}

async fn ycord_sees(provider: &WebsocketProvider, client_id: u64, json: &str, what: &str) {
    let mut changes = provider.awareness_changes();
    wait_for(&mut changes, what, || {
        provider
            .awareness_states()
            .get(&client_id)
            .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
            == serde_json::from_str(json).ok()
    })
    .await;
}

#[wasm_bindgen_test]
async fn tabs_back_from_offline_see_the_peer_who_stayed_at_once() {
    let room = unique_room("tabs-return");
    let patience = PATIENCE.as_millis() as u32;
    let stayed = provider(server_url(), &room, new_doc(), false);
    let ycord_tab = provider(server_url(), &room, new_doc(), true);
    let js_tab = open_y_websocket_tab(server_url(), &room);
    let (stayed_id, ycord_id) = (stayed.client_id(), ycord_tab.client_id());
    let js_id = y_tab_client_id(&js_tab) as u64;
    stayed.set_local_state(&state("stayed", 0));
    ycord_tab.set_local_state(&state("ycord", 0));
    y_tab_set_presence(&js_tab, &state("js", 0));

    for (id, json) in [(js_id, state("js", 0)), (ycord_id, state("ycord", 0))] {
        ycord_sees(&stayed, id, &json, "the peer who stays seeing both tabs").await;
    }
    ycord_sees(
        &ycord_tab,
        stayed_id,
        &state("stayed", 0),
        "the ycord tab seeing the peer",
    )
    .await;
    js_sees(
        &js_tab,
        stayed_id,
        &state("stayed", 0),
        PATIENCE,
        "seeing the peer",
    )
    .await;

    // Offline together: the server removes both, and both forget the peer.
    y_tab_disconnect(&js_tab);
    ycord_tab.disconnect().await;
    let mut changes = stayed.awareness_changes();
    wait_for(
        &mut changes,
        "the peer who stays seeing both tabs leave",
        || {
            let states = stayed.awareness_states();
            !states.contains_key(&js_id) && !states.contains_key(&ycord_id)
        },
    )
    .await;
    JsFuture::from(y_tab_wait_for_absence(&js_tab, stayed_id as f64, patience))
        .await
        .expect("the offline y-websocket tab forgets the peer");

    let back = js_sys::Date::now();
    y_tab_connect(&js_tab);
    ycord_tab.connect();
    ycord_sees(
        &ycord_tab,
        stayed_id,
        &state("stayed", 0),
        "the ycord tab seeing the peer again",
    )
    .await;
    js_sees(
        &js_tab,
        stayed_id,
        &state("stayed", 0),
        PATIENCE,
        "seeing the peer again",
    )
    .await;
    for (id, json) in [(js_id, state("js", 0)), (ycord_id, state("ycord", 0))] {
        ycord_sees(&stayed, id, &json, "the peer seeing both tabs again").await;
    }
    let elapsed = js_sys::Date::now() - back;
    assert!(
        elapsed < AT_ONCE.as_millis() as f64,
        "everyone saw everyone {elapsed} ms after the tabs reconnected (bound {AT_ONCE:?})"
    );

    // Nothing is refused afterwards: each change reaches both others.
    stayed.set_local_state(&state("stayed", 1));
    ycord_tab.set_local_state(&state("ycord", 1));
    y_tab_set_presence(&js_tab, &state("js", 1));
    let soon = Duration::from_secs(5);
    js_sees(
        &js_tab,
        stayed_id,
        &state("stayed", 1),
        soon,
        "the peer's change",
    )
    .await;
    js_sees(
        &js_tab,
        ycord_id,
        &state("ycord", 1),
        soon,
        "the ycord tab's change",
    )
    .await;
    ycord_sees(
        &ycord_tab,
        stayed_id,
        &state("stayed", 1),
        "the peer's change",
    )
    .await;
    ycord_sees(
        &ycord_tab,
        js_id,
        &state("js", 1),
        "the y-websocket tab's change",
    )
    .await;
    ycord_sees(
        &stayed,
        js_id,
        &state("js", 1),
        "the y-websocket tab's change",
    )
    .await;
    ycord_sees(
        &stayed,
        ycord_id,
        &state("ycord", 1),
        "the ycord tab's change",
    )
    .await;
    y_tab_close(&js_tab);
}
