//! `ycord-interop-agent`: a native ycord client that the Node interop tests drive.
//!
//! It joins one room with [`ycord_provider::WebsocketProvider`] and speaks JSON lines:
//! one command per line on stdin, one reply or event per line on stdout, logs on stderr.
//! The protocol is described in [`command`] (what the tests send) and [`output`] (what the
//! agent prints). Root types shared with the JS clients: Y.Text `text`, Y.Map `map`,
//! Y.Array `array`.

mod command;
mod document;
mod output;
mod watchers;

use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tracing_subscriber::EnvFilter;
use ycord_provider::{Dialect, HocuspocusSocket, ProviderOptions, WebsocketProvider};

use crate::command::{Command, Request};
use crate::document::SharedDoc;
use crate::output::Output;

const USAGE: &str = "\
usage: ycord-interop-agent --url ws://HOST:PORT --room ROOM [--room ROOM2 ...] [--token JWT]
                           [--dialect y-websocket|hocuspocus]

Joins ROOM with the native ycord provider and reads JSON commands from stdin, one per line;
replies and events are JSON lines on stdout. See interop/agent/src/command.rs.
--token (or the environment variable YCORD_TOKEN) is sent as `Authorization: Bearer`, or in
Hocuspocus's auth message with `--dialect hocuspocus` (then ROOM is the document name).
Several --room flags (Hocuspocus only) sync several documents over one shared socket; a
command's `room` field picks one (the first by default). Events are for the first room,
except `update`, printed for every room.";

struct Args {
    url: String,
    rooms: Vec<String>,
    token: Option<String>,
    dialect: Dialect,
}

fn parse_args() -> Result<Args> {
    let mut url = None;
    let mut rooms = Vec::new();
    let mut token = std::env::var("YCORD_TOKEN").ok().filter(|t| !t.is_empty());
    let mut dialect = Dialect::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--url" => url = Some(args.next().context("--url needs a value")?),
            "--room" => rooms.push(args.next().context("--room needs a value")?),
            "--token" => token = Some(args.next().context("--token needs a value")?),
            "--dialect" => {
                dialect = match args.next().context("--dialect needs a value")?.as_str() {
                    "y-websocket" => Dialect::YWebsocket,
                    "hocuspocus" => Dialect::Hocuspocus,
                    other => bail!("unknown dialect {other:?}\n{USAGE}"),
                }
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    if rooms.is_empty() {
        bail!("--room is required\n{USAGE}");
    }
    if rooms.len() > 1 && dialect != Dialect::Hocuspocus {
        bail!("several --room flags need --dialect hocuspocus\n{USAGE}");
    }
    Ok(Args {
        url: url.with_context(|| format!("--url is required\n{USAGE}"))?,
        rooms,
        token,
        dialect,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ycord-interop-agent: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<()> {
    let args = parse_args()?;
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let out = Output;
    // Several rooms share one Hocuspocus socket.
    let shared_socket = if args.rooms.len() > 1 {
        Some(HocuspocusSocket::new(&args.url, &[]).context("while creating the shared socket")?)
    } else {
        None
    };
    let mut rooms = Vec::new();
    for room in &args.rooms {
        let doc = SharedDoc::new(ycord_provider::new_doc());
        doc.report_remote_updates(out)?;
        let provider = WebsocketProvider::new(
            &args.url,
            room,
            doc.doc().clone(),
            ProviderOptions {
                token: args.token.clone(),
                dialect: args.dialect,
                hocuspocus_socket: shared_socket.clone(),
                ..ProviderOptions::default()
            },
        );
        rooms.push(Room {
            name: room.clone(),
            provider,
            doc,
        });
    }
    let provider = &rooms[0].provider;
    out.event("ready", json!({ "client_id": provider.client_id() }));
    watchers::report_status(provider.status_changes(), out);
    watchers::report_synced(provider.synced_changes(), out);
    watchers::report_permission_denied(provider.permission_denied_changes(), out);
    watchers::report_read_only(provider.read_only_changes(), out);
    watchers::report_stateless(provider.stateless_messages(), out);
    let mut awareness_changes = provider.awareness_changes();
    let mut awareness = watchers::AwarenessReporter::default();
    awareness.report_changes(provider.awareness_states(), out);

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        let line = tokio::select! {
            line = lines.next_line() => line.context("while reading stdin")?,
            Ok(()) = awareness_changes.changed() => {
                awareness.report_changes(provider.awareness_states(), out);
                continue;
            }
        };
        // stdin closed: the test runner is gone, leave like `exit` would.
        let Some(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        let request = match command::parse(&line) {
            Ok(request) => request,
            Err((id, err)) => {
                out.error(id, format!("{err:#}"));
                continue;
            }
        };
        let room = match &request.room {
            None => &rooms[0],
            Some(name) => match rooms.iter().find(|room| &room.name == name) {
                Some(room) => room,
                None => {
                    out.error(request.id, format!("no room {name:?}"));
                    continue;
                }
            },
        };
        if let Flow::Exit = execute(request, &room.provider, &room.doc, out).await {
            for other in &rooms {
                other.provider.disconnect().await;
            }
            return Ok(());
        }
    }
    for room in &rooms {
        room.provider.disconnect().await;
    }
    Ok(())
}

/// One of the agent's documents and its provider.
struct Room {
    name: String,
    provider: WebsocketProvider,
    doc: SharedDoc,
}

enum Flow {
    Continue,
    Exit,
}

/// Carries out one command and prints its reply (`wait_synced` replies later, from a task).
async fn execute(
    request: Request,
    provider: &WebsocketProvider,
    doc: &SharedDoc,
    out: Output,
) -> Flow {
    let id = request.id;
    match request.command {
        Command::Exit => {
            provider.disconnect().await;
            out.reply("exit", id, json!({}));
            return Flow::Exit;
        }
        Command::SendStateless { payload } => match provider.send_stateless(&payload) {
            Ok(()) => out.reply("send_stateless", id, json!({})),
            Err(err) => out.error(id, err.to_string()),
        },
        Command::Connect => {
            provider.connect();
            out.reply("connect", id, json!({}));
        }
        Command::Disconnect => {
            provider.disconnect().await;
            out.reply("disconnect", id, json!({}));
        }
        Command::WaitSynced => {
            let mut synced = provider.synced_changes();
            tokio::spawn(async move {
                // An error means the provider is gone; the test sees no reply and times out.
                if synced.wait_for(|is_synced| *is_synced).await.is_ok() {
                    out.reply("wait_synced", id, json!({}));
                }
            });
        }
        Command::Status => {
            let status = watchers::status_name(&provider.status());
            let synced = provider.is_synced();
            out.reply(
                "status",
                id,
                json!({
                    "status": status,
                    "synced": synced,
                    "permission_denied": provider.permission_denied(),
                    "read_only": provider.is_read_only(),
                    "has_unsynced_changes": provider.has_unsynced_changes(),
                }),
            );
        }
        Command::SetAwareness { state } => {
            provider.set_local_state(&state.to_string());
            out.reply("set_awareness", id, json!({}));
        }
        Command::ClearAwareness => {
            provider.clear_local_state();
            out.reply("clear_awareness", id, json!({}));
        }
        Command::Awareness => {
            let states = watchers::states_json(&provider.awareness_states());
            out.reply("awareness", id, json!({ "states": states }));
        }
        Command::Dump => out.reply("dump", id, doc.dump()),
        edit => match doc.apply(&edit) {
            Ok(()) => out.reply(edit.name(), id, json!({})),
            Err(err) => out.error(id, format!("{err:#}")),
        },
    }
    Flow::Continue
}
