//! What the agent prints: one JSON object per line on stdout.
//!
//! - replies: `{"reply": <cmd>, "id": <id from the command or null>, ...}`
//! - errors: `{"reply": "error", "id": .., "message": ".."}`
//! - events, unsolicited: `{"event": "ready", "client_id": N}`,
//!   `{"event": "status", "status": "connecting"|"connected"|"disconnected"|"unauthorized"}`,
//!   `{"event": "permission_denied", "reason": ".."}`, `{"event": "read_only", "read_only": bool}`,
//!   `{"event": "synced", "synced": bool}`, `{"event": "update"}` (after a remote change),
//!   `{"event": "awareness", "states": {"<client id>": state}}` (whenever the states change),
//!   `{"event": "stateless", "payload": ".."}` (Hocuspocus: a stateless message arrived).

use std::io::Write;

use serde_json::{Map, Value};

/// Writes JSON lines to stdout. Each line is written and flushed under stdout's lock, so lines
/// from different tasks never interleave.
#[derive(Debug, Clone, Copy)]
pub struct Output;

impl Output {
    pub fn reply(self, name: &str, id: Option<Value>, fields: Value) {
        let mut line = Map::new();
        line.insert("reply".into(), name.into());
        line.insert("id".into(), id.unwrap_or(Value::Null));
        self.write(line, fields);
    }

    pub fn error(self, id: Option<Value>, message: String) {
        self.reply("error", id, serde_json::json!({ "message": message }));
    }

    pub fn event(self, name: &str, fields: Value) {
        let mut line = Map::new();
        line.insert("event".into(), name.into());
        self.write(line, fields);
    }

    fn write(self, mut line: Map<String, Value>, fields: Value) {
        if let Value::Object(fields) = fields {
            line.extend(fields);
        }
        let mut stdout = std::io::stdout().lock();
        let written = serde_json::to_writer(&mut stdout, &Value::Object(line))
            .map_err(std::io::Error::from)
            .and_then(|()| stdout.write_all(b"\n"))
            .and_then(|()| stdout.flush());
        if let Err(err) = written {
            // The test runner closed our stdout; nobody is listening any more.
            eprintln!("ycord-interop-agent: cannot write to stdout: {err}");
            std::process::exit(1);
        }
    }
}
