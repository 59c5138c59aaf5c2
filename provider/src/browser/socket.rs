//! The browser's `WebSocket`, with its callbacks turned into a stream of events.

use tokio::sync::mpsc;
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

/// The subprotocol a ycord server answers when a client offers a token.
const SUBPROTOCOL: &str = "ycord";
/// The subprotocol carrying the token: this prefix, then the token.
const TOKEN_SUBPROTOCOL_PREFIX: &str = "ycord.token.";

/// Something that happened to a socket.
#[derive(Debug)]
pub(crate) enum SocketEvent {
    /// The socket is open.
    Opened,
    /// A binary frame arrived.
    Frame(Vec<u8>),
    /// A text frame arrived, which y-websocket servers never send.
    TextFrame,
    /// The socket closed (or never opened); `code` is the close code the browser reports
    /// (1006 when the connection failed or was cut).
    Closed {
        /// Close code.
        code: u16,
        /// Close reason.
        reason: String,
    },
}

/// One `WebSocket` and the callbacks feeding its events into a channel. Dropping it detaches
/// the callbacks and closes the socket.
pub(crate) struct BrowserSocket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl BrowserSocket {
    /// Starts connecting to `url`; events arrive on the returned receiver. With a `token`, the
    /// socket offers the subprotocols `ycord` and `ycord.token.<token>`: a page cannot set an
    /// `Authorization` header, and the browser fails the connection unless the server answers
    /// with one of the offered protocols (ycord answers `ycord`).
    pub(crate) fn open(
        url: &str,
        token: Option<&str>,
    ) -> Result<(Self, mpsc::UnboundedReceiver<SocketEvent>), String> {
        let ws = match token {
            None => WebSocket::new(url).map_err(describe)?,
            Some(token) => {
                let protocols = js_sys::Array::of2(
                    &JsValue::from_str(SUBPROTOCOL),
                    &JsValue::from_str(&format!("{TOKEN_SUBPROTOCOL_PREFIX}{token}")),
                );
                // The browser's message quotes the offending protocol, which holds the token.
                WebSocket::new_with_str_sequence(url, &protocols)
                    .map_err(|err| describe(err).replace(token, "<token>"))?
            }
        };
        ws.set_binary_type(BinaryType::Arraybuffer);
        let (events, receiver) = mpsc::unbounded_channel();

        let sender = events.clone();
        let on_open = Closure::<dyn FnMut()>::new(move || {
            let _ = sender.send(SocketEvent::Opened);
        });
        let sender = events.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data();
            let event = match data.dyn_into::<js_sys::ArrayBuffer>() {
                Ok(buffer) => SocketEvent::Frame(js_sys::Uint8Array::new(&buffer).to_vec()),
                Err(_) => SocketEvent::TextFrame,
            };
            let _ = sender.send(event);
        });
        // `error` is always followed by `close`, which carries what there is to know.
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            let _ = events.send(SocketEvent::Closed {
                code: event.code(),
                reason: event.reason(),
            });
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok((
            BrowserSocket {
                ws,
                _on_open: on_open,
                _on_message: on_message,
                _on_close: on_close,
            },
            receiver,
        ))
    }

    /// Sends one binary frame. The browser copies the bytes before returning.
    pub(crate) fn send(&self, frame: &[u8]) -> Result<(), String> {
        self.ws.send_with_u8_array(frame).map_err(describe)
    }

    /// Starts the close handshake with `code` (1000 or 3000–4999).
    pub(crate) fn close(&self, code: u16) {
        let _ = self.ws.close_with_code(code);
    }
}

impl Drop for BrowserSocket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        if self.ws.ready_state() <= WebSocket::OPEN {
            let _ = self.ws.close();
        }
    }
}

/// A JavaScript exception as text.
pub(crate) fn describe(error: JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|error| String::from(error.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}
