//! Futures over IndexedDB's event-based requests and transactions.
//!
//! IndexedDB reports the outcome of a request or transaction as one event among a few
//! (`success` or `error`; `complete` or `abort`). [`Outcome`] listens for all of them from the
//! moment it is created — an event fired before the first poll is not lost — and resolves to
//! the first that fires.
//!
//! Why a transaction survives an `await` here: the waker runs the task in a microtask, and
//! browsers drain microtasks before they deactivate the transaction that fired the event. A
//! task may therefore issue new requests on the same transaction right after awaiting one.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DomException, EventTarget, IdbRequest, IdbTransaction};

/// What an IndexedDB operation failed with: the `DOMException` name (`QuotaExceededError`,
/// `VersionError`, …) and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DomFailure {
    pub name: String,
    pub message: String,
}

impl DomFailure {
    pub(crate) fn from_exception(exception: Option<DomException>) -> Self {
        match exception {
            Some(exception) => DomFailure {
                name: exception.name(),
                message: exception.message(),
            },
            None => DomFailure {
                name: "UnknownError".into(),
                message: "the browser gave no reason".into(),
            },
        }
    }

    /// A synchronous throw of an IndexedDB method (a `DOMException`, or anything else).
    pub(crate) fn from_thrown(thrown: JsValue) -> Self {
        match thrown.dyn_into::<DomException>() {
            Ok(exception) => Self::from_exception(Some(exception)),
            Err(other) => DomFailure {
                name: "Error".into(),
                message: other.as_string().unwrap_or_else(|| format!("{other:?}")),
            },
        }
    }
}

struct Fired {
    event: Option<&'static str>,
    waker: Option<Waker>,
}

type Listener = Closure<dyn FnMut(web_sys::Event)>;

/// Resolves to the type of the first of `events` that `target` fires.
pub(crate) struct Outcome {
    target: EventTarget,
    fired: Rc<RefCell<Fired>>,
    listeners: Vec<(&'static str, Listener)>,
}

impl Outcome {
    pub(crate) fn new(target: &EventTarget, events: &[&'static str]) -> Self {
        let fired = Rc::new(RefCell::new(Fired {
            event: None,
            waker: None,
        }));
        let listeners = events
            .iter()
            .map(|&event| {
                let fired = fired.clone();
                let listener = Listener::new(move |_| {
                    let mut fired = fired.borrow_mut();
                    if fired.event.is_none() {
                        fired.event = Some(event);
                        if let Some(waker) = fired.waker.take() {
                            waker.wake();
                        }
                    }
                });
                // Adding a listener to a live IndexedDB object cannot fail.
                let _ = target
                    .add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
                (event, listener)
            })
            .collect();
        Outcome {
            target: target.clone(),
            fired,
            listeners,
        }
    }
}

impl Future for Outcome {
    type Output = &'static str;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<&'static str> {
        let mut fired = self.fired.borrow_mut();
        match fired.event {
            Some(event) => Poll::Ready(event),
            None => {
                fired.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl Drop for Outcome {
    fn drop(&mut self) {
        for (event, listener) in &self.listeners {
            let _ = self
                .target
                .remove_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
        }
    }
}

/// The result of `request`, once it succeeds.
pub(crate) fn request(request: IdbRequest) -> impl Future<Output = Result<JsValue, DomFailure>> {
    let outcome = Outcome::new(&request, &["success", "error"]);
    async move {
        if outcome.await == "success" {
            request.result().map_err(DomFailure::from_thrown)
        } else {
            Err(DomFailure::from_exception(request.error().ok().flatten()))
        }
    }
}

/// Resolves when `transaction` has committed, or with why it aborted.
pub(crate) fn committed(
    transaction: &IdbTransaction,
) -> impl Future<Output = Result<(), DomFailure>> {
    let outcome = Outcome::new(transaction, &["complete", "abort"]);
    let transaction = transaction.clone();
    async move {
        if outcome.await == "complete" {
            Ok(())
        } else {
            Err(match transaction.error() {
                Some(exception) => DomFailure::from_exception(Some(exception)),
                None => DomFailure {
                    name: "AbortError".into(),
                    message: "the transaction was aborted".into(),
                },
            })
        }
    }
}

/// The output of whichever of `a` and `b` finishes first (`a` if both are ready).
pub(crate) async fn first_of<T>(a: impl Future<Output = T>, b: impl Future<Output = T>) -> T {
    let (mut a, mut b) = (std::pin::pin!(a), std::pin::pin!(b));
    std::future::poll_fn(|cx| {
        if let Poll::Ready(value) = a.as_mut().poll(cx) {
            return Poll::Ready(value);
        }
        b.as_mut().poll(cx)
    })
    .await
}

/// Resolves after `ms` milliseconds (`setTimeout`, which windows and workers both have).
pub(crate) async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let global = js_sys::global();
        let set_timeout = js_sys::Reflect::get(&global, &JsValue::from_str("setTimeout"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        match set_timeout {
            Some(set_timeout) => {
                let _ = set_timeout.call2(&global, &resolve, &JsValue::from(ms));
            }
            None => {
                let _ = resolve.call0(&JsValue::undefined());
            }
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
