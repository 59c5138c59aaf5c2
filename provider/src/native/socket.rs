//! The tokio-tungstenite socket: sending frames and closing with a handshake.

use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a deliberate close may take (leave frame, close handshake) before the socket is
/// simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
pub(crate) type SocketSink = SplitSink<Socket, Message>;
pub(crate) type SocketStream = SplitStream<Socket>;

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
