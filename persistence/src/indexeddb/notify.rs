//! Waiting for a condition on an instance's state without timers.

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::task::{Poll, Waker};

/// Tasks waiting for the state to change; every change wakes them all to re-check.
#[derive(Default)]
pub(crate) struct Notify {
    wakers: RefCell<Vec<Waker>>,
}

impl Notify {
    /// Wakes every waiting task.
    pub(crate) fn notify_all(&self) {
        let wakers = std::mem::take(&mut *self.wakers.borrow_mut());
        for waker in wakers {
            waker.wake();
        }
    }

    /// Resolves to the first `Some` that `check` returns; `check` runs now and after every
    /// [`notify_all`](Self::notify_all).
    pub(crate) fn until<'a, T>(
        &'a self,
        mut check: impl FnMut() -> Option<T> + 'a,
    ) -> impl Future<Output = T> + 'a {
        poll_fn(move |cx| match check() {
            Some(value) => Poll::Ready(value),
            None => {
                self.wakers.borrow_mut().push(cx.waker().clone());
                Poll::Pending
            }
        })
    }
}
