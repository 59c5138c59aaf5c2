//! Telling peers this client left when the page goes away for good.

use std::rc::Rc;

use wasm_bindgen::prelude::*;

use super::Shared;

/// The `pagehide` listener that tells peers this client left when the page goes away (the
/// task gets no chance to run then). Dropping it unregisters it.
pub(crate) struct PageHideListener {
    window: web_sys::Window,
    callback: Closure<dyn FnMut()>,
}

impl PageHideListener {
    /// `None` outside a window (in a worker).
    pub(crate) fn register(shared: &Rc<Shared>) -> Option<Self> {
        let window = web_sys::window()?;
        let shared = Rc::downgrade(shared);
        let callback = Closure::<dyn FnMut()>::new(move || {
            if let Some(shared) = shared.upgrade() {
                if shared.state.is_session_free() {
                    shared.announce_leave();
                }
            }
        });
        window
            .add_event_listener_with_callback("pagehide", callback.as_ref().unchecked_ref())
            .ok()?;
        Some(PageHideListener { window, callback })
    }
}

impl Drop for PageHideListener {
    fn drop(&mut self) {
        let _ = self.window.remove_event_listener_with_callback(
            "pagehide",
            self.callback.as_ref().unchecked_ref(),
        );
    }
}
