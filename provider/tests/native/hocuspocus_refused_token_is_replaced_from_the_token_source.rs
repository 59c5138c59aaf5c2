//! With [`Dialect::Hocuspocus`], the token travels in Hocuspocus's auth message (not in the
//! handshake, and the URL has no room in its path). When the server answers it with
//! permission denied, a provider with a token source fetches a fresh token and reconnects;
//! one without a source stops as [`Status::Unauthorized`] with the server's reason.
//!
//! The server here is a stand-in that speaks just enough Hocuspocus for that (the Node interop
//! tests run the real `@hocuspocus/server`): it accepts the token `fresh`, refuses any other
//! with `expired`, and answers a step1 with its own step1 and a step2, as Hocuspocus does.

use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::Message;
use ycord_protocol::hocuspocus::{
    self, AuthScope, HocuspocusAuthMessage, HocuspocusFrame, HocuspocusMessage,
};
use ycord_protocol::SyncMessage;
use ycord_provider::{new_doc, Dialect, ProviderOptions, Status, WebsocketProvider};
use yrs::{ReadTxn, Text, Transact};

use crate::common::{counting_source, synced, text_of, until};

const DOCUMENT: &str = "notes/tokens";
const SERVER_TEXT: &str = "only for fresh tokens";

/// What the stand-in saw: every token, and every request line with its headers.
#[derive(Default)]
struct Seen {
    tokens: Vec<String>,
    paths: Vec<String>,
    authorization_headers: usize,
}

/// Starts the stand-in. Returns its URL, what it saw, and a counter of tokens received.
async fn start_stand_in() -> (String, Arc<Mutex<Seen>>, watch::Receiver<usize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Seen::default()));
    let (counter, tokens_received) = watch::channel(0usize);
    let counter = Arc::new(counter);
    let server_doc = new_doc();
    server_doc
        .get_or_insert_text("text")
        .insert(&mut server_doc.transact_mut(), 0, SERVER_TEXT);
    let accepted = seen.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let seen = accepted.clone();
            let counter = counter.clone();
            let server_doc = server_doc.clone();
            tokio::spawn(async move {
                let record = seen.clone();
                // The signature is tungstenite's, large error and all.
                #[allow(clippy::result_large_err)]
                let inspect = move |request: &Request,
                                    response: Response|
                      -> Result<Response, ErrorResponse> {
                    let mut seen = record.lock().unwrap();
                    seen.paths.push(request.uri().to_string());
                    if request.headers().contains_key("authorization") {
                        seen.authorization_headers += 1;
                    }
                    Ok(response)
                };
                let Ok(socket) = tokio_tungstenite::accept_hdr_async(tcp, inspect).await else {
                    return;
                };
                let (mut sink, mut stream) = socket.split();
                let mut authenticated = false;
                while let Some(Ok(message)) = stream.next().await {
                    let Message::Binary(frame) = message else {
                        continue;
                    };
                    let Ok(HocuspocusFrame::Document { document, message }) =
                        hocuspocus::decode(&frame)
                    else {
                        continue;
                    };
                    let mut replies = Vec::new();
                    match message {
                        HocuspocusMessage::Auth(HocuspocusAuthMessage::Token { token, .. }) => {
                            seen.lock().unwrap().tokens.push(token.to_owned());
                            authenticated = token == "fresh";
                            replies.push(if authenticated {
                                hocuspocus::encode::authenticated(document, AuthScope::ReadWrite)
                            } else {
                                hocuspocus::encode::permission_denied(document, "expired")
                            });
                            counter.send_modify(|n| *n += 1);
                        }
                        HocuspocusMessage::Sync(SyncMessage::Step1(state_vector))
                            if authenticated =>
                        {
                            let txn = server_doc.transact();
                            replies.push(hocuspocus::encode::sync_step1(
                                document,
                                &txn.state_vector(),
                            ));
                            replies.push(hocuspocus::encode::sync_step2(
                                document,
                                &txn.encode_state_as_update_v1(&state_vector),
                            ));
                        }
                        // Like Hocuspocus, nothing for a document that is not authenticated.
                        _ => {}
                    }
                    for reply in replies {
                        if sink.send(Message::Binary(reply.into())).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, seen, tokens_received)
}

fn hocuspocus_provider(url: &str, options: ProviderOptions) -> WebsocketProvider {
    let doc = new_doc();
    doc.get_or_insert_text("text");
    WebsocketProvider::new(
        url,
        DOCUMENT,
        doc,
        ProviderOptions {
            dialect: Dialect::Hocuspocus,
            ..options
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_replaced_from_the_source_and_the_document_syncs() {
    let (url, seen, _tokens) = start_stand_in().await;
    let (source, calls) = counting_source(|| "fresh".to_owned());
    let provider = hocuspocus_provider(
        &format!("{url}/"),
        ProviderOptions {
            token: Some("stale".into()),
            token_source: Some(source),
            params: vec![("app".into(), "notes".into())],
            ..ProviderOptions::default()
        },
    );
    synced(&provider).await;
    assert_eq!(text_of(provider.doc()), SERVER_TEXT);
    assert_eq!(
        *calls.borrow(),
        1,
        "asked the source once, after the refusal"
    );
    assert_eq!(provider.permission_denied().as_deref(), Some("expired"));
    assert_eq!(provider.status(), Status::Connected);
    assert!(!provider.is_read_only());

    let seen = seen.lock().unwrap();
    assert_eq!(seen.tokens, ["stale", "fresh"]);
    assert_eq!(
        seen.authorization_headers, 0,
        "the token is not in the handshake"
    );
    assert!(
        seen.paths.iter().all(|path| path == "/?app=notes"),
        "no room in the path: {:?}",
        seen.paths
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_source_a_refused_token_stops_as_unauthorized_until_connect() {
    let (url, seen, mut tokens) = start_stand_in().await;
    let provider = hocuspocus_provider(
        &url,
        ProviderOptions {
            token: Some("stale".into()),
            ..ProviderOptions::default()
        },
    );
    let mut status = [provider.status_changes()];
    until("the provider becomes unauthorized", &mut status, || {
        provider.status() == Status::Unauthorized
    })
    .await;
    assert_eq!(provider.permission_denied().as_deref(), Some("expired"));
    assert!(!provider.is_synced());
    assert_eq!(seen.lock().unwrap().tokens, ["stale"]);

    // connect() tries again (with the same token, refused again).
    provider.connect();
    let mut received = [tokens.clone()];
    until(
        "the token is sent again after connect()",
        &mut received,
        || *tokens.borrow_and_update() >= 2,
    )
    .await;
    until("the provider is unauthorized again", &mut status, || {
        provider.status() == Status::Unauthorized
    })
    .await;
}
