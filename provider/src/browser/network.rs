//! The browser's `online` / `offline` events, forwarded to the provider's task.

use tokio::sync::mpsc;
use wasm_bindgen::prelude::*;

use crate::core::Command;

const EVENTS: [(&str, bool); 2] = [("online", true), ("offline", false)];

/// A registered listener: the event's name and the callback the window holds.
type Listener = (&'static str, Closure<dyn FnMut()>);

/// Listens to the window's `online` and `offline` events while it exists.
pub(crate) struct NetworkListener {
    window: web_sys::Window,
    callbacks: Vec<Listener>,
}

impl NetworkListener {
    /// `None` outside a window (in a worker), where there are no such events to follow.
    pub(crate) fn register(commands: &mpsc::UnboundedSender<Command>) -> Option<Self> {
        let window = web_sys::window()?;
        let mut callbacks = Vec::with_capacity(EVENTS.len());
        for (event, online) in EVENTS {
            let commands = commands.clone();
            let callback = Closure::<dyn FnMut()>::new(move || {
                let _ = commands.send(Command::Network(online));
            });
            window
                .add_event_listener_with_callback(event, callback.as_ref().unchecked_ref())
                .ok()?;
            callbacks.push((event, callback));
        }
        Some(NetworkListener { window, callbacks })
    }
}

impl Drop for NetworkListener {
    fn drop(&mut self) {
        for (event, callback) in &self.callbacks {
            let _ = self
                .window
                .remove_event_listener_with_callback(event, callback.as_ref().unchecked_ref());
        }
    }
}
