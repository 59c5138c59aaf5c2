//! Syncing with other tabs of the same origin over a `BroadcastChannel`, the way y-websocket
//! does: same channel name, same binary messages.

use tokio::sync::mpsc;
use wasm_bindgen::prelude::*;
use web_sys::{BroadcastChannel, MessageEvent};

use super::socket::describe;

/// The channel y-websocket uses for a room: the server URL without trailing slashes, `/`, the
/// room name.
pub(crate) fn channel_name(server_url: &str, room: &str) -> String {
    format!("{}/{room}", server_url.trim_end_matches('/'))
}

/// An open `BroadcastChannel`; frames other tabs post arrive on the receiver it was opened
/// with. Dropping it closes the channel.
pub(crate) struct CrossTab {
    channel: BroadcastChannel,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl CrossTab {
    /// Joins the channel `name`.
    pub(crate) fn open(name: &str) -> Result<(Self, mpsc::UnboundedReceiver<Vec<u8>>), String> {
        let channel = BroadcastChannel::new(name).map_err(describe)?;
        let (frames, receiver) = mpsc::unbounded_channel();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data();
            // y-websocket posts Uint8Arrays; accept a bare ArrayBuffer too.
            let bytes = if let Some(array) = data.dyn_ref::<js_sys::Uint8Array>() {
                array.to_vec()
            } else if let Some(buffer) = data.dyn_ref::<js_sys::ArrayBuffer>() {
                js_sys::Uint8Array::new(buffer).to_vec()
            } else {
                return;
            };
            let _ = frames.send(bytes);
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Ok((
            CrossTab {
                channel,
                _on_message: on_message,
            },
            receiver,
        ))
    }

    /// Posts one frame to every other tab on the channel, as a `Uint8Array` of its own (never
    /// a view into wasm memory, which the structured clone would not outlive).
    pub(crate) fn post(&self, frame: &[u8]) {
        let array = js_sys::Uint8Array::from(frame);
        if let Err(err) = self.channel.post_message(&array) {
            tracing::debug!(error = %describe(err), "cross-tab post failed");
        }
    }
}

impl Drop for CrossTab {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}
