//! What the tests send: one JSON object per line on stdin.
//!
//! Every command may carry an `"id"` (any JSON value); its reply echoes it, so a test can match
//! replies to commands even when several are in flight.

use anyhow::{anyhow, Error};
use serde::Deserialize;
use serde_json::Value;

/// Parses one line; on failure returns the line's `"id"` (if it has one) with the error, so the
/// error reply still reaches the request that caused it.
pub fn parse(line: &str) -> Result<Request, (Option<Value>, Error)> {
    let value: Value = serde_json::from_str(line)
        .map_err(|err| (None, anyhow!("command {line:?} is not JSON: {err}")))?;
    let id = value.get("id").cloned();
    serde_json::from_value(value).map_err(|err| (id, anyhow!("bad command {line:?}: {err}")))
}

/// One line of stdin.
#[derive(Debug, Deserialize)]
pub struct Request {
    /// Echoed in the reply.
    #[serde(default)]
    pub id: Option<Value>,
    /// Which of the agent's rooms (`--room`, repeatable with `--dialect hocuspocus`) the
    /// command is for; the first when absent.
    #[serde(default)]
    pub room: Option<String>,
    /// What to do.
    #[serde(flatten)]
    pub command: Command,
}

/// The commands, tagged by `"cmd"`.
#[derive(Debug, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Command {
    /// Insert `text` into Y.Text `text` at UTF-16 `index` (clamped to the current length).
    Insert { index: u32, text: String },
    /// Delete `len` UTF-16 units of Y.Text `text` from `index` (both clamped to the text).
    Delete { index: u32, len: u32 },
    /// Set `key` of Y.Map `map` to a JSON value.
    MapSet { key: String, value: Value },
    /// Append a JSON value to Y.Array `array`.
    ArrayPush { value: Value },
    /// Reply with the document: `text`, `map`, `array`, `state_vector` (`{client: clock}`).
    Dump,
    /// Set this client's awareness state to a JSON object.
    SetAwareness { state: Value },
    /// Remove this client's awareness state.
    ClearAwareness,
    /// Reply with every awareness state the provider knows, own included.
    Awareness,
    /// Reply with the connection status, whether the provider is synced, the last permission
    /// denied reason, whether the connection is read-only, and whether changes await the
    /// server's acknowledgement (Hocuspocus).
    Status,
    /// Hocuspocus: send `payload` as a stateless message for the room; an error reply when
    /// the provider refuses (y-websocket dialect, or no socket open).
    SendStateless { payload: String },
    /// Connect (after a `disconnect`).
    Connect,
    /// Close the connection cleanly and stay disconnected.
    Disconnect,
    /// Reply once the provider is synced (immediately if it already is).
    WaitSynced,
    /// Disconnect, reply, and exit with status 0.
    Exit,
}

impl Command {
    /// The name used in the reply's `"reply"` field: the same as the command's `"cmd"`.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Insert { .. } => "insert",
            Command::Delete { .. } => "delete",
            Command::MapSet { .. } => "map_set",
            Command::ArrayPush { .. } => "array_push",
            Command::Dump => "dump",
            Command::SetAwareness { .. } => "set_awareness",
            Command::ClearAwareness => "clear_awareness",
            Command::Awareness => "awareness",
            Command::Status => "status",
            Command::SendStateless { .. } => "send_stateless",
            Command::Connect => "connect",
            Command::Disconnect => "disconnect",
            Command::WaitSynced => "wait_synced",
            Command::Exit => "exit",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_command_with_an_id() {
        let request = parse(r#"{"cmd":"insert","index":3,"text":"hé","id":7}"#).unwrap();
        assert_eq!(request.id, Some(Value::from(7)));
        assert!(matches!(
            request.command,
            Command::Insert { index: 3, ref text } if text == "hé"
        ));
    }

    #[test]
    fn parses_send_stateless_with_its_payload() {
        let request = parse(r#"{"cmd":"send_stateless","payload":"{\"hi\":1}"}"#).unwrap();
        assert!(matches!(
            request.command,
            Command::SendStateless { ref payload } if payload == r#"{"hi":1}"#
        ));
        assert_eq!(request.command.name(), "send_stateless");
    }

    #[test]
    fn rejects_an_unknown_command_keeping_its_id() {
        let (id, _) = parse(r#"{"cmd":"explode","id":"x"}"#).unwrap_err();
        assert_eq!(id, Some(Value::from("x")));
        assert!(parse("not json").is_err());
    }
}
