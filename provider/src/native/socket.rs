//! The tokio-tungstenite socket: sending frames and closing with a handshake.

use std::pin::Pin;
use std::time::Duration;

use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{header, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a deliberate close may take (leave frame, close handshake) before the socket is
/// simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// The socket of one tokio-tungstenite connection.
pub(crate) type WebSocket = WebSocketStream<MaybeTlsStream<TcpStream>>;
/// Where a provider's task sends its messages.
pub(crate) type SocketSink = Pin<Box<dyn Sink<Message, Error = Error> + Send>>;
/// Where a provider's task reads the server's messages.
pub(crate) type SocketStream = Pin<Box<dyn Stream<Item = Result<Message, Error>> + Send>>;

/// What a provider's task talks through: its own WebSocket, or its document's share of a
/// [`HocuspocusSocket`](crate::HocuspocusSocket).
pub(crate) struct Socket {
    pub(crate) sink: SocketSink,
    pub(crate) stream: SocketStream,
}

impl Socket {
    /// A provider's own WebSocket.
    pub(crate) fn own(socket: WebSocket) -> Self {
        let (sink, stream) = socket.split();
        Socket {
            sink: Box::pin(sink),
            stream: Box::pin(stream),
        }
    }
}

/// How an upgrade request ended without a socket.
pub(crate) enum ConnectError {
    /// The server answered with this HTTP status instead of switching protocols.
    Refused {
        /// The status, e.g. 401.
        status: u16,
        /// The response body (ycord's JSON error), for the log.
        body: String,
    },
    /// Anything else: unreachable, not a WebSocket server, a bad token header.
    Failed(String),
}

/// Opens a socket to `url`, sending `token` as `Authorization: Bearer <token>`.
pub(crate) async fn connect(url: &str, token: Option<&str>) -> Result<WebSocket, ConnectError> {
    let mut request = url
        .into_client_request()
        .map_err(|err| ConnectError::Failed(err.to_string()))?;
    if let Some(token) = token {
        // The error would quote the value: say what is wrong without the token.
        let value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            ConnectError::Failed("the token is not a valid HTTP header value".into())
        })?;
        request.headers_mut().insert(header::AUTHORIZATION, value);
    }
    match tokio_tungstenite::connect_async_with_config(request, None, true).await {
        Ok((socket, _response)) => Ok(socket),
        Err(Error::Http(response)) => Err(ConnectError::Refused {
            status: response.status().as_u16(),
            body: response
                .body()
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default()
                .into_owned(),
        }),
        Err(err) => Err(ConnectError::Failed(err.to_string())),
    }
}

/// Sends each frame as one binary message.
pub(crate) async fn send_all(
    sink: &mut SocketSink,
    frames: impl IntoIterator<Item = Vec<u8>>,
) -> Result<(), Error> {
    for frame in frames {
        sink.send(Message::Binary(frame.into())).await?;
    }
    Ok(())
}

/// Sends `last_frame` (if any) and a close frame, then reads until the server's close reply
/// ends the stream, so that what was sent is delivered before the connection goes away.
pub(crate) async fn close(
    sink: &mut SocketSink,
    stream: &mut SocketStream,
    code: CloseCode,
    last_frame: Option<Vec<u8>>,
) {
    let handshake = async {
        send_all(sink, last_frame).await?;
        sink.send(Message::Close(Some(CloseFrame {
            code,
            reason: "".into(),
        })))
        .await?;
        while let Some(Ok(_)) = stream.next().await {}
        Ok::<(), Error>(())
    };
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, handshake).await;
}
