//! The appends a room handed to the group-commit task and has not heard back about, oldest
//! first: the store confirms them in order, and [`super::echo_gate::EchoGate`] is told in
//! that order.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::oneshot;
use ycord_persistence::StoreError;

use crate::commit::AppendResult;

/// Appends in flight, each with its update (published to the other nodes of a cluster once
/// it is stored).
#[derive(Default)]
pub(crate) struct PendingAppends {
    acks: VecDeque<(oneshot::Receiver<AppendResult>, Bytes)>,
}

impl PendingAppends {
    /// Adds an append of `update` whose outcome `ack` brings.
    pub(crate) fn push(&mut self, ack: oneshot::Receiver<AppendResult>, update: Bytes) {
        self.acks.push_back((ack, update));
    }

    /// Nothing is in flight.
    pub(crate) fn is_empty(&self) -> bool {
        self.acks.is_empty()
    }

    /// The oldest append's outcome and update; never resolves while none is in flight.
    /// Cancel-safe: the append stays pending until this has returned its outcome.
    pub(crate) async fn next(&mut self) -> (AppendResult, Bytes) {
        let Some((ack, _)) = self.acks.front_mut() else {
            return std::future::pending().await;
        };
        let result = ack.await.unwrap_or_else(|_| {
            Err(Arc::new(StoreError::Unavailable(
                "the commit task has stopped".into(),
            )))
        });
        let (_, update) = self.acks.pop_front().expect("the front was awaited");
        (result, update)
    }
}
