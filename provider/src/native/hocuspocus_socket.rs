//! One Hocuspocus WebSocket shared by the providers of several documents, as
//! `HocuspocusProviderWebsocket` does in JavaScript.
//!
//! Each provider's task keeps working as if it had a socket of its own: it gets a
//! [`Socket`] whose sink and stream are this document's share of the real one. The real
//! socket's reader routes every frame by its document name (see `session::route`); pings are
//! answered here, for the whole socket. A provider that closes its share sends Hocuspocus's
//! Close for its document; the real socket is closed when the last share is.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error, Message};
use ycord_protocol::hocuspocus;

use super::socket::{connect, ConnectError, Socket};
use crate::error::ProviderError;
use crate::options::redacted_params;
use crate::room_url::server_url as hocuspocus_url;
use crate::session::{route, FrameRoute};

type Inbox = mpsc::UnboundedSender<Result<Message, Error>>;

/// A Hocuspocus socket that several providers share: pass it as
/// [`ProviderOptions::hocuspocus_socket`](crate::ProviderOptions::hocuspocus_socket) to each
/// provider that should use it (each for a different document). The socket is opened when the
/// first of them connects and closed when the last one disconnects; when it drops, every
/// provider on it reconnects as it would on its own socket, and the first to do so opens a new
/// one. Cloning shares the same socket.
///
/// Native builds only, for now.
#[derive(Clone)]
pub struct HocuspocusSocket {
    hub: Arc<Hub>,
}

impl std::fmt::Debug for HocuspocusSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HocuspocusSocket")
            .field("url", &self.hub.url)
            .finish_non_exhaustive()
    }
}

impl PartialEq for HocuspocusSocket {
    /// The same socket (clones of one another).
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.hub, &other.hub)
    }
}

impl Eq for HocuspocusSocket {}

impl HocuspocusSocket {
    /// A socket to the Hocuspocus server at `server_url` (`ws://host:port`, `http://` is
    /// accepted as `ws://`), with `params` as its query (keys and values percent-encoded like
    /// `encodeURIComponent`). Nothing is opened until a provider connects.
    ///
    /// # Errors
    /// [`ProviderError::InvalidUrl`] when the URL does not parse or is not `ws://` / `http://`.
    pub fn new(server_url: &str, params: &[(String, String)]) -> Result<Self, ProviderError> {
        Ok(HocuspocusSocket {
            hub: Arc::new(Hub {
                socket_url: hocuspocus_url(server_url, params)?,
                url: hocuspocus_url(server_url, &redacted_params(params))?,
                link: tokio::sync::Mutex::new(None),
            }),
        })
    }

    /// The socket URL, as logged: a `token` parameter's value reads `redacted`.
    pub fn url(&self) -> &str {
        &self.hub.url
    }

    pub(crate) fn socket_url(&self) -> &str {
        &self.hub.socket_url
    }

    /// Attaches `document`: opens the real socket if none is open, and returns this
    /// document's share of it.
    pub(crate) async fn attach(&self, document: &str) -> Result<Socket, ConnectError> {
        self.hub.attach(document).await
    }
}

struct Hub {
    /// The URL the socket connects to.
    socket_url: String,
    /// The URL as logged: a `token` parameter's value reads `redacted`.
    url: String,
    /// The open socket, if any. Held while opening, so that only one is opened at a time.
    link: tokio::sync::Mutex<Option<Arc<Link>>>,
}

/// One open WebSocket: the writer task's queue and where the reader delivers each document's
/// frames.
struct Link {
    outgoing: mpsc::UnboundedSender<Message>,
    inboxes: Mutex<HashMap<String, Inbox>>,
    closed: AtomicBool,
}

impl Link {
    fn inboxes(&self) -> std::sync::MutexGuard<'_, HashMap<String, Inbox>> {
        self.inboxes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `message` to every document's stream.
    fn broadcast(&self, message: &Message) {
        for inbox in self.inboxes().values() {
            let _ = inbox.send(Ok(message.clone()));
        }
    }

    /// The document's provider closed its share: tell the server the document is detached,
    /// and close the socket if it was the last one.
    fn detach(&self, document: &str) {
        let mut inboxes = self.inboxes();
        if inboxes.remove(document).is_none() {
            return;
        }
        let _ = self.outgoing.send(Message::Binary(
            hocuspocus::encode::close(document, None).into(),
        ));
        if inboxes.is_empty() {
            self.closed.store(true, Ordering::SeqCst);
            let _ = self.outgoing.send(Message::Close(Some(CloseFrame {
                code: CloseCode::Normal,
                reason: "".into(),
            })));
        }
    }
}

impl Hub {
    async fn attach(&self, document: &str) -> Result<Socket, ConnectError> {
        let mut current = self.link.lock().await;
        let link = match current.as_ref() {
            Some(link) if !link.closed.load(Ordering::SeqCst) => link.clone(),
            _ => {
                let link = self.open().await?;
                *current = Some(link.clone());
                link
            }
        };
        drop(current);
        let (inbox, received) = mpsc::unbounded_channel();
        {
            let mut inboxes = link.inboxes();
            if inboxes.contains_key(document) {
                // Hocuspocus tells two providers of one document apart only by session
                // addresses (`sessionAwareness`), which ycord does not send.
                let reason = format!(
                    "document {document:?} already has a provider on this Hocuspocus socket"
                );
                tracing::warn!(url = %self.url, %reason, "not attaching; will retry");
                return Err(ConnectError::Failed(reason));
            }
            inboxes.insert(document.to_owned(), inbox);
        }
        let sink_link = link.clone();
        let sink_document = document.to_owned();
        let sink = futures_util::sink::unfold((), move |(), message: Message| {
            let link = sink_link.clone();
            let document = sink_document.clone();
            async move {
                match message {
                    Message::Close(_) => link.detach(&document),
                    // Pongs are the socket's business (tungstenite answers pings itself).
                    Message::Pong(_) => {}
                    message => {
                        if link.closed.load(Ordering::SeqCst) {
                            return Err(Error::ConnectionClosed);
                        }
                        link.outgoing
                            .send(message)
                            .map_err(|_| Error::ConnectionClosed)?;
                    }
                }
                Ok(())
            }
        });
        let stream = futures_util::stream::unfold(received, |mut received| async move {
            received.recv().await.map(|message| (message, received))
        });
        Ok(Socket {
            sink: Box::pin(sink),
            stream: Box::pin(stream),
        })
    }

    /// Opens the WebSocket and starts its writer and reader tasks.
    async fn open(&self) -> Result<Arc<Link>, ConnectError> {
        let socket = connect(&self.socket_url, None).await?;
        let (mut sink, mut stream) = socket.split();
        let (outgoing, mut to_send) = mpsc::unbounded_channel::<Message>();
        let link = Arc::new(Link {
            outgoing,
            inboxes: Mutex::new(HashMap::new()),
            closed: AtomicBool::new(false),
        });
        tokio::spawn(async move {
            while let Some(message) = to_send.recv().await {
                let is_close = matches!(message, Message::Close(_));
                if sink.send(message).await.is_err() || is_close {
                    break;
                }
            }
        });
        let reader = link.clone();
        let url = self.url.clone();
        tokio::spawn(async move {
            while let Some(incoming) = stream.next().await {
                match incoming {
                    Ok(Message::Binary(frame)) => match route(&frame) {
                        FrameRoute::Document(document) => {
                            if let Some(inbox) = reader.inboxes().get(document) {
                                let _ = inbox.send(Ok(Message::Binary(frame.clone())));
                            }
                        }
                        FrameRoute::Ping => {
                            let _ = reader
                                .outgoing
                                .send(Message::Binary(hocuspocus::encode::pong().into()));
                        }
                        FrameRoute::Pong => {}
                        FrameRoute::Unroutable => {
                            tracing::warn!(%url, "ignoring a frame with no document name");
                        }
                    },
                    Ok(message @ (Message::Pong(_) | Message::Ping(_) | Message::Close(_))) => {
                        reader.broadcast(&message);
                    }
                    Ok(Message::Text(_) | Message::Frame(_)) => {
                        reader.broadcast(&Message::Text("".into()));
                    }
                    Err(err) => {
                        tracing::debug!(%url, %err, "shared socket error");
                        break;
                    }
                }
            }
            // Every document's stream ends with the socket; their providers reconnect.
            reader.closed.store(true, Ordering::SeqCst);
            reader.inboxes().clear();
        });
        Ok(link)
    }
}
