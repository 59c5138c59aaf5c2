//! A terminal client for a ycord (or any y-websocket) room.
//!
//! It joins the room, prints the shared text every time it changes (whoever changed it), and
//! appends every line typed on stdin to that text. Run two of them, or one next to the editor
//! example, on the same room:
//!
//! ```text
//! cargo run -p native-client -- --url ws://127.0.0.1:1234 --room demo
//! ```
//!
//! A server that requires tokens needs `--token` (or `YCORD_TOKEN`), e.g. one printed by
//! `ycord token --room demo --secret-file FILE`.

use anyhow::Context;
use clap::Parser;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;
use ycord_provider::{new_doc, ProviderOptions, Status, WebsocketProvider};
use yrs::{GetString, Observable, Text, Transact};

/// Join a room and edit its text from the terminal.
#[derive(Debug, Parser)]
struct Args {
    /// The server, as given to y-websocket (`ws://host:port`).
    #[arg(long, default_value = "ws://127.0.0.1:1234")]
    url: String,
    /// The room (document) name.
    #[arg(long, default_value = "demo")]
    room: String,
    /// The name others see in their presence lists.
    #[arg(long, default_value = "terminal")]
    name: String,
    /// The shared text to print and append to (the editor example uses "content").
    #[arg(long, default_value = "content")]
    text: String,
    /// An access token for servers that require one (sent as `Authorization: Bearer`).
    #[arg(long, env = "YCORD_TOKEN", hide_env_values = true)]
    token: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let doc = new_doc();
    let text = doc.get_or_insert_text(args.text.as_str());

    // Observers run while the document is locked: send the new text out, print it outside.
    let (changed, mut changes) = mpsc::unbounded_channel();
    let observed = text.clone();
    text.observe("native-client/print", move |txn, _event| {
        let _ = changed.send(observed.get_string(txn));
    });

    let provider = WebsocketProvider::try_new(
        &args.url,
        &args.room,
        doc.clone(),
        ProviderOptions {
            token: args.token.clone(),
            ..ProviderOptions::default()
        },
    )
    .context("while creating the provider")?;
    let presence = serde_json::json!({ "user": { "name": args.name, "color": "#888888" } });
    provider.set_local_state(&presence.to_string());
    eprintln!("joining {} …", provider.url());
    let mut status = provider.status_changes();
    tokio::select! {
        () = provider.wait_synced() => {}
        _ = status.wait_for(|status| *status == Status::Unauthorized) => anyhow::bail!(
            "the server refused the token (or wants one): pass --token, e.g. from \
             `ycord token --room {} --secret-file FILE`",
            args.room
        ),
    }
    eprintln!("synced; type a line and press enter to append it (Ctrl-D to quit)");
    println!("{}", text.get_string(&doc.transact()));

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        tokio::select! {
            line = lines.next_line() => match line.context("while reading stdin")? {
                Some(line) => {
                    // One line, one transaction: one update on the wire.
                    let mut txn = doc.transact_mut();
                    let end = text.len(&txn);
                    text.insert(&mut txn, end, &format!("{line}\n"));
                }
                None => break,
            },
            Some(content) = changes.recv() => {
                println!("---\n{content}");
            }
        }
    }
    provider.disconnect().await;
    Ok(())
}
