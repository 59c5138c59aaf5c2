//! One simulated y-websocket client: connect, sync, then send edits and time arrivals.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{sleep_until, timeout, Instant};
use tokio_tungstenite::tungstenite::{Error as WsError, Message as WsMessage};
use tokio_tungstenite::{connect_async_with_config, MaybeTlsStream, WebSocketStream};
use ycord_protocol::{decode_frame, encode, Message, SyncMessage};
use yrs::{ReadTxn, Transact};

use crate::author::Author;
use crate::ledger::{frame_key, micros, Receipt, RoomLedger};

/// A client's WebSocket to the server.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Who a client is and where it connects.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Position of the client in the run, `0..clients`.
    pub index: usize,
    /// Room the client joins.
    pub room: usize,
    /// Node (position in `--url`) the client connects to.
    pub node: usize,
    /// Yjs client id of the client's document; unique in the run.
    pub client_id: u32,
    /// Base URL; the client connects to `{base_url}/room-{room}`.
    pub base_url: String,
    /// Access token sent as `?token=` on the URL, if any.
    pub token: Option<String>,
    /// Seed of the client's edit positions and strings.
    pub seed: u64,
}

impl ClientConfig {
    /// The room's URL, `{base_url}/room-{room}`: what messages name (never the token).
    pub fn room_url(&self) -> String {
        format!("{}/{}", self.base_url, room_name(self.room))
    }

    /// The URL the client opens: [`ClientConfig::room_url`], plus `?token=` when it has one.
    pub fn url(&self) -> String {
        let path = self.room_url();
        match &self.token {
            None => path,
            Some(token) => {
                let token: String =
                    url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
                format!("{path}?token={token}")
            }
        }
    }
}

/// The name of room number `room`, as it appears in the URL path and in a token's `room`.
pub fn room_name(room: usize) -> String {
    format!("room-{room}")
}

/// What the scheduler asks a client to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Make one edit and send its update.
    Edit {
        /// Whether the update counts in the results (false during warmup).
        is_measured: bool,
    },
}

/// What one client saw during the run.
#[derive(Debug, Clone, Default)]
pub struct ClientStats {
    /// Position of the client in the run.
    pub index: usize,
    /// Room the client joined.
    pub room: usize,
    /// Updates sent in the measured phase.
    pub sent_measured: u64,
    /// Updates sent in warmup and measured phase.
    pub sent_total: u64,
    /// Other clients' measured updates received.
    pub delivered: u64,
    /// Latency of each of those deliveries from a sender on this client's node, in
    /// microseconds.
    pub same_node_latencies_us: Vec<u32>,
    /// Latency of each of those deliveries from a sender on another node, in microseconds.
    pub cross_node_latencies_us: Vec<u32>,
    /// The client's own updates echoed back by the server (warmup included).
    pub echoes: u64,
    /// Update frames that matched nothing in flight.
    pub unknown: u64,
    /// Why the client stopped early, if it did.
    pub error: Option<String>,
}

/// A connected client whose first step2 has arrived.
pub struct Client {
    index: usize,
    room: usize,
    author: Author,
    sink: SplitSink<Socket, WsMessage>,
    stream: SplitStream<Socket>,
}

impl Client {
    /// Connects and runs the y-websocket handshake until the server's step2 arrives.
    ///
    /// The server speaks first with its step1; the client answers with a step2 holding what
    /// the server lacks, then sends its own step1, and is synced when the step2 answer to
    /// that arrives.
    ///
    /// # Errors
    /// When the connection fails, closes, or carries a frame that does not decode. The
    /// handshake itself has no time limit: wrap the call in a timeout.
    pub async fn connect(config: &ClientConfig) -> anyhow::Result<Client> {
        Ok(Self::connect_with_state(config).await?.0)
    }

    /// Like [`Client::connect`], and also returns the update the server's step2 carried (the
    /// room's state that the client lacked).
    ///
    /// # Errors
    /// As [`Client::connect`].
    pub async fn connect_with_state(config: &ClientConfig) -> anyhow::Result<(Client, Vec<u8>)> {
        let url = config.room_url();
        // The third argument disables Nagle: without it small frames wait for ACKs.
        let (socket, _) = connect_async_with_config(config.url().as_str(), None, true)
            .await
            .map_err(|err| match err {
                // A refused upgrade (401/403 without a valid token, 429/503 over a limit):
                // the server's body says why.
                WsError::Http(response) => anyhow!(
                    "{url} refused the upgrade with HTTP {}: {}",
                    response.status(),
                    String::from_utf8_lossy(response.body().as_deref().unwrap_or_default())
                ),
                err => anyhow::Error::new(err).context(format!("connecting to {url}")),
            })?;
        let (mut sink, mut stream) = socket.split();
        let author = Author::new(config.client_id, config.seed);
        let mut is_step1_sent = false;
        loop {
            let frame = match stream.next().await {
                Some(Ok(WsMessage::Binary(frame))) => frame,
                Some(Ok(WsMessage::Close(reason))) => {
                    bail!("{url} closed the connection during the handshake: {reason:?}")
                }
                Some(Ok(_)) => continue,
                Some(Err(err)) => return Err(err).with_context(|| format!("reading from {url}")),
                None => bail!("{url} ended the connection during the handshake"),
            };
            let messages =
                decode_frame(&frame).with_context(|| format!("decoding a frame from {url}"))?;
            for message in messages {
                match message {
                    Message::Sync(SyncMessage::Step1(state_vector)) => {
                        if state_vector.contains_client(&author.doc().client_id()) {
                            bail!(
                                "room-{} already holds updates of client id {}: \
                                 its edits would be duplicates the server does not relay",
                                config.room,
                                config.client_id
                            );
                        }
                        let update = author.doc().transact().encode_diff_v1(&state_vector);
                        sink.send(WsMessage::binary(encode::sync_step2(&update)))
                            .await?;
                        if !is_step1_sent {
                            let own = author.doc().transact().state_vector();
                            sink.send(WsMessage::binary(encode::sync_step1(&own)))
                                .await?;
                            is_step1_sent = true;
                        }
                    }
                    Message::Sync(SyncMessage::Step2(state)) => {
                        let client = Client {
                            index: config.index,
                            room: config.room,
                            author,
                            sink,
                            stream,
                        };
                        return Ok((client, state.to_vec()));
                    }
                    _ => {}
                }
            }
        }
    }

    /// The socket's two halves, for modes that drive the connection themselves.
    pub fn into_socket(self) -> (SplitSink<Socket, WsMessage>, SplitStream<Socket>) {
        (self.sink, self.stream)
    }

    /// The client's own document, to send an initial state from.
    pub fn author_mut(&mut self) -> &mut Author {
        &mut self.author
    }

    /// Sends one binary frame.
    ///
    /// # Errors
    /// When the socket is closed.
    pub async fn send(&mut self, frame: Vec<u8>) -> anyhow::Result<()> {
        self.sink.send(WsMessage::binary(frame)).await?;
        Ok(())
    }

    /// Reads frames until a sync step2 arrives and returns its update; other frames are
    /// skipped. No time limit: wrap the call in a timeout.
    ///
    /// # Errors
    /// When the connection closes or a frame does not decode.
    pub async fn await_step2(&mut self) -> anyhow::Result<Vec<u8>> {
        loop {
            let frame = match self.stream.next().await {
                Some(Ok(WsMessage::Binary(frame))) => frame,
                Some(Ok(WsMessage::Close(reason))) => bail!("server closed: {reason:?}"),
                Some(Ok(_)) => continue,
                Some(Err(err)) => return Err(err.into()),
                None => bail!("server ended the connection"),
            };
            for message in decode_frame(&frame)? {
                if let Message::Sync(SyncMessage::Step2(state)) = message {
                    return Ok(state.to_vec());
                }
            }
        }
    }

    /// Edits on each [`Command`] and times every update frame that arrives, until the command
    /// channel closes (then the socket is closed politely) or `deadline` passes.
    ///
    /// `queued_edits` counts edit commands not yet entered in the ledger: the scheduler adds
    /// one per command it queues, the client takes it off once the update is recorded (or
    /// will never be sent), so "zero queued and nothing in flight" means everything is done.
    pub async fn serve(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        ledger: Arc<RoomLedger>,
        queued_edits: Arc<AtomicUsize>,
        deadline: Instant,
    ) -> ClientStats {
        let mut stats = ClientStats {
            index: self.index,
            room: self.room,
            ..ClientStats::default()
        };
        let give_up = sleep_until(deadline);
        tokio::pin!(give_up);
        loop {
            tokio::select! {
                command = commands.recv() => match command {
                    Some(Command::Edit { is_measured }) => {
                        if let Err(err) = self.edit(&ledger, &queued_edits, is_measured).await {
                            stats.error = Some(format!("sending an update: {err}"));
                            break;
                        }
                        stats.sent_total += 1;
                        stats.sent_measured += u64::from(is_measured);
                    }
                    None => {
                        let _ = timeout(Duration::from_secs(1), self.sink.close()).await;
                        break;
                    }
                },
                incoming = self.stream.next() => {
                    let received_at = std::time::Instant::now();
                    match incoming {
                        Some(Ok(WsMessage::Binary(frame))) => {
                            self.receive(&frame, received_at, &ledger, &mut stats);
                        }
                        Some(Ok(WsMessage::Close(reason))) => {
                            stats.error = Some(format!("server closed the connection: {reason:?}"));
                            break;
                        }
                        Some(Ok(_)) => {}
                        Some(Err(err)) => {
                            stats.error = Some(format!("reading: {err}"));
                            break;
                        }
                        None => {
                            stats.error = Some("server ended the connection".into());
                            break;
                        }
                    }
                },
                () = &mut give_up => {
                    stats.error = Some("still running at the run's deadline".into());
                    break;
                }
            }
        }
        // Edits still queued will never be sent; the queue is bounded, so this ends.
        commands.close();
        while commands.try_recv().is_ok() {
            queued_edits.fetch_sub(1, Ordering::Relaxed);
        }
        stats
    }

    async fn edit(
        &mut self,
        ledger: &RoomLedger,
        queued_edits: &AtomicUsize,
        is_measured: bool,
    ) -> anyhow::Result<()> {
        let frame = encode::sync_update(&self.author.next_update());
        let sent_at = std::time::Instant::now();
        ledger.record_send(frame_key(&frame), self.index, sent_at, is_measured);
        queued_edits.fetch_sub(1, Ordering::Release);
        self.sink.send(WsMessage::binary(frame)).await?;
        Ok(())
    }

    fn receive(
        &self,
        frame: &[u8],
        received_at: std::time::Instant,
        ledger: &RoomLedger,
        stats: &mut ClientStats,
    ) {
        // Only `[0, 2, update]` frames are relayed edits; awareness and sync replies are not.
        if !frame.starts_with(&[0, 2]) {
            return;
        }
        match ledger.record_receipt(frame_key(frame), self.index, received_at) {
            Receipt::Delivered {
                latency,
                is_measured: true,
                is_cross_node,
            } => {
                stats.delivered += 1;
                let latencies = if is_cross_node {
                    &mut stats.cross_node_latencies_us
                } else {
                    &mut stats.same_node_latencies_us
                };
                latencies.push(micros(latency));
            }
            Receipt::Delivered {
                is_measured: false, ..
            } => {}
            Receipt::Echo => stats.echoes += 1,
            Receipt::Unknown => stats.unknown += 1,
        }
    }
}
