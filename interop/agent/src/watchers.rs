//! Unsolicited events: connection status, synced state, awareness changes and stateless
//! messages.
//!
//! The provider's awareness notification means "may have changed"; the agent prints an
//! `awareness` event only when the states really differ from the last ones it printed.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use tokio::sync::{broadcast, watch};
use ycord_provider::Status;

use crate::output::Output;

pub fn status_name(status: &Status) -> &'static str {
    match status {
        Status::Connecting => "connecting",
        Status::Connected => "connected",
        Status::Disconnected => "disconnected",
        Status::Unauthorized => "unauthorized",
    }
}

/// Prints `{"event":"status",..}` for the current status and every change.
pub fn report_status(mut changes: watch::Receiver<Status>, out: Output) {
    tokio::spawn(async move {
        loop {
            let name = status_name(&changes.borrow_and_update());
            out.event("status", json!({ "status": name }));
            if changes.changed().await.is_err() {
                return;
            }
        }
    });
}

/// Prints `{"event":"synced","synced":bool}` for every change of the synced flag.
pub fn report_synced(mut changes: watch::Receiver<bool>, out: Output) {
    tokio::spawn(async move {
        let mut last = *changes.borrow_and_update();
        if last {
            out.event("synced", json!({ "synced": true }));
        }
        while changes.changed().await.is_ok() {
            let now = *changes.borrow_and_update();
            if now != last {
                out.event("synced", json!({ "synced": now }));
                last = now;
            }
        }
    });
}

/// Prints `{"event":"permission_denied","reason":..}` whenever the server refuses something
/// (a token, an edit) with a new reason.
pub fn report_permission_denied(mut changes: watch::Receiver<Option<String>>, out: Output) {
    tokio::spawn(async move {
        while changes.changed().await.is_ok() {
            let reason = changes.borrow_and_update().clone();
            if let Some(reason) = reason {
                out.event("permission_denied", json!({ "reason": reason }));
            }
        }
    });
}

/// Prints `{"event":"read_only","read_only":bool}` for every change of the granted scope.
pub fn report_read_only(mut changes: watch::Receiver<bool>, out: Output) {
    tokio::spawn(async move {
        while changes.changed().await.is_ok() {
            let read_only = *changes.borrow_and_update();
            out.event("read_only", json!({ "read_only": read_only }));
        }
    });
}

/// Prints `{"event":"stateless","payload":..}` for every stateless message, in order.
pub fn report_stateless(mut messages: broadcast::Receiver<String>, out: Output) {
    tokio::spawn(async move {
        loop {
            match messages.recv().await {
                Ok(payload) => out.event("stateless", json!({ "payload": payload })),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    eprintln!("ycord-interop-agent: missed {missed} stateless messages");
                }
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}

/// Remembers the awareness states last printed and prints the new ones when they differ.
#[derive(Default)]
pub struct AwarenessReporter {
    last: Option<BTreeMap<u64, String>>,
}

impl AwarenessReporter {
    pub fn report_changes(&mut self, states: BTreeMap<u64, String>, out: Output) {
        if self.last.as_ref() != Some(&states) {
            out.event("awareness", json!({ "states": states_json(&states) }));
            self.last = Some(states);
        }
    }
}

/// `{"<client id>": state}`; a state that is not valid JSON is passed on as a string.
pub fn states_json(states: &BTreeMap<u64, String>) -> Value {
    let states: Map<String, Value> = states
        .iter()
        .map(|(client, state)| {
            let state = serde_json::from_str(state).unwrap_or_else(|_| state.clone().into());
            (client.to_string(), state)
        })
        .collect();
    Value::Object(states)
}
