//! The agent's document: the three root types the JS clients share, edits and dumps.

use anyhow::{bail, Context, Result};
use serde_json::{json, Map as JsonMap, Value};
use yrs::{
    types::ToJson, Any, Array, ArrayRef, Doc, GetString, Map, MapRef, Origin, ReadTxn, Text,
    TextRef, Transact,
};

use crate::command::Command;
use crate::output::Output;

/// Origin of the agent's own transactions, so the update observer can tell them from remote ones.
const LOCAL_ORIGIN: &str = "ycord-interop-agent";

/// A yrs document with the roots `text` (Y.Text), `map` (Y.Map) and `array` (Y.Array).
pub struct SharedDoc {
    doc: Doc,
    text: TextRef,
    map: MapRef,
    array: ArrayRef,
}

impl SharedDoc {
    /// Wraps `doc` and defines its roots before any transaction can be in flight.
    pub fn new(doc: Doc) -> Self {
        let text = doc.get_or_insert_text("text");
        let map = doc.get_or_insert_map("map");
        let array = doc.get_or_insert_array("array");
        SharedDoc {
            doc,
            text,
            map,
            array,
        }
    }

    pub fn doc(&self) -> &Doc {
        &self.doc
    }

    /// Prints `{"event":"update"}` after every transaction that did not come from this agent,
    /// so the tests can await convergence instead of sleeping.
    pub fn report_remote_updates(&self, out: Output) -> Result<()> {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
        let local = Origin::from(LOCAL_ORIGIN);
        // The observer runs with the document locked: only signal, print elsewhere.
        self.doc
            .observe_update_v1("ycord-interop-agent/updates", move |txn, _| {
                if txn.origin() != Some(&local) {
                    let _ = tx.send(());
                }
            })
            .context("while subscribing to document updates")?;
        tokio::spawn(async move {
            while rx.recv().await.is_some() {
                out.event("update", json!({}));
            }
        });
        Ok(())
    }

    /// Applies one edit command, in one transaction.
    pub fn apply(&self, command: &Command) -> Result<()> {
        let mut txn = self.doc.transact_mut_with(LOCAL_ORIGIN);
        match command {
            Command::Insert { index, text } => {
                let index = (*index).min(self.text.len(&txn));
                self.text.insert(&mut txn, index, text);
            }
            Command::Delete { index, len } => {
                let total = self.text.len(&txn);
                let index = (*index).min(total);
                let len = (*len).min(total - index);
                if len > 0 {
                    self.text.remove_range(&mut txn, index, len);
                }
            }
            Command::MapSet { key, value } => {
                self.map.insert(&mut txn, key.as_str(), to_any(value)?);
            }
            Command::ArrayPush { value } => {
                self.array.push_back(&mut txn, to_any(value)?);
            }
            other => bail!("{} is not an edit", other.name()),
        }
        Ok(())
    }

    /// `{"text": .., "map": {..}, "array": [..], "state_vector": {"client": clock}}`.
    pub fn dump(&self) -> Value {
        let txn = self.doc.transact();
        let state_vector: JsonMap<String, Value> = txn
            .state_vector()
            .iter()
            .map(|(client, clock)| (client.get().to_string(), Value::from(*clock)))
            .collect();
        json!({
            "text": self.text.get_string(&txn),
            "map": to_json(&self.map.to_json(&txn)),
            "array": to_json(&self.array.to_json(&txn)),
            "state_vector": state_vector,
        })
    }
}

fn to_any(value: &Value) -> Result<Any> {
    serde_json::from_value(value.clone())
        .with_context(|| format!("{value} cannot be stored in a yrs document"))
}

fn to_json(any: &Any) -> Value {
    // Every Any that came from JSON serializes back; Undefined/Buffer are shown, not dropped.
    serde_json::to_value(any).unwrap_or_else(|err| Value::String(format!("<{err}>")))
}
