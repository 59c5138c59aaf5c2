//! The appends a room handed to the group-commit task and has not heard back about, oldest
//! first: the store confirms them in order, and [`super::echo_gate::EchoGate`] is told in
//! that order.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::oneshot;
use ycord_persistence::StoreError;

use crate::commit::AppendResult;

/// Appends in flight, each with its size in bytes.
#[derive(Default)]
pub(crate) struct PendingAppends {
    acks: VecDeque<(oneshot::Receiver<AppendResult>, u64)>,
}

impl PendingAppends {
    /// Adds an append of `size` bytes whose outcome `ack` brings.
    pub(crate) fn push(&mut self, ack: oneshot::Receiver<AppendResult>, size: u64) {
        self.acks.push_back((ack, size));
    }

    /// Nothing is in flight.
    pub(crate) fn is_empty(&self) -> bool {
        self.acks.is_empty()
    }

    /// The oldest append's outcome and size; never resolves while none is in flight.
    /// Cancel-safe: the append stays pending until this has returned its outcome.
    pub(crate) async fn next(&mut self) -> (AppendResult, u64) {
        let Some((ack, size)) = self.acks.front_mut() else {
            return std::future::pending().await;
        };
        let result = ack.await.unwrap_or_else(|_| {
            Err(Arc::new(StoreError::Unavailable(
                "the commit task has stopped".into(),
            )))
        });
        let size = *size;
        self.acks.pop_front();
        (result, size)
    }
}
