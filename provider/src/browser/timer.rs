//! A cancellable `setTimeout` as a future.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    // Globals of both windows and workers.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, timeout_ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

/// Resolves after a delay; dropping it cancels the underlying timeout.
pub(crate) struct Sleep {
    handle: JsValue,
    fired: oneshot::Receiver<()>,
    // Kept alive until the timeout fires or is cleared.
    _callback: Closure<dyn FnMut()>,
}

/// Sleeps for `ms` milliseconds (clamped to what `setTimeout` accepts).
pub(crate) fn sleep_ms(ms: u64) -> Sleep {
    let (fire, fired) = oneshot::channel();
    let mut fire = Some(fire);
    let callback = Closure::<dyn FnMut()>::new(move || {
        if let Some(fire) = fire.take() {
            let _ = fire.send(());
        }
    });
    let delay = i32::try_from(ms).unwrap_or(i32::MAX);
    let handle = set_timeout(callback.as_ref().unchecked_ref(), delay);
    Sleep {
        handle,
        fired,
        _callback: callback,
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.fired).poll(cx).map(|_| ())
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        clear_timeout(&self.handle);
    }
}
