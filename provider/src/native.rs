//! The native transport: a [`SyncSession`] driven over tokio-tungstenite by a background task.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use yrs::sync::{Clock, Timestamp};
use yrs::{Doc, Origin, Transact};

use crate::backoff::Backoff;
use crate::error::ProviderError;
use crate::options::ProviderOptions;
use crate::room_url::room_url;
use crate::session::{SessionConfig, SessionEvent, SyncSession};
use crate::status::Status;

/// How long a deliberate close may take (leave frame, close handshake) before the socket is
/// simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Milliseconds since the provider was created, on tokio's clock (so tests with paused time
/// see awareness timing move with it).
#[derive(Debug, Clone, Copy)]
struct RuntimeClock {
    origin: Instant,
}

impl RuntimeClock {
    fn instant_at(&self, timestamp: Timestamp) -> Instant {
        self.origin + Duration::from_millis(timestamp)
    }
}

impl Clock for RuntimeClock {
    fn now(&self) -> Timestamp {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// What the provider's handle and its background task share.
struct Shared {
    doc: Doc,
    url: String,
    clock: RuntimeClock,
    session: Mutex<SyncSession>,
    status: watch::Sender<Status>,
    synced: watch::Sender<bool>,
    awareness: watch::Sender<()>,
}

impl Shared {
    /// Locks the session. Callers keep the guard within one statement: it must never live
    /// across an `.await`.
    fn session(&self) -> MutexGuard<'_, SyncSession> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set_status(&self, status: Status) {
        self.status.send_if_modified(|current| {
            let changed = *current != status;
            *current = status;
            changed
        });
    }

    fn set_synced(&self, synced: bool) {
        self.synced.send_if_modified(|current| {
            let changed = *current != synced;
            *current = synced;
            changed
        });
    }

    fn notify_awareness(&self) {
        self.awareness.send_modify(|_| {});
    }
}

/// Requests from the handle (and the document observer) to the background task.
enum Command {
    /// A local transaction's v1 update.
    LocalUpdate(Vec<u8>),
    /// A ready frame (awareness) to send if a socket is open.
    Frame(Vec<u8>),
    Connect,
    Disconnect(oneshot::Sender<()>),
    Shutdown,
}

/// Keeps a room's document in sync with a y-websocket server, natively (tokio).
///
/// A background task owns the socket: it connects (and reconnects with jittered exponential
/// backoff), runs the [`SyncSession`], sends local edits as they are committed, renews the
/// awareness state every 15 s and replaces a socket that went silent. Edits made while
/// disconnected are exchanged on the next connection.
///
/// # Deadlocks
/// The provider locks the document to apply server updates. Do not call its methods while
/// holding a transaction of the same document, or from inside one of the document's
/// observers.
pub struct WebsocketProvider {
    shared: Arc<Shared>,
    commands: mpsc::UnboundedSender<Command>,
    observer_key: Origin,
}

impl std::fmt::Debug for WebsocketProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebsocketProvider")
            .field("url", &self.shared.url)
            .field("client_id", &self.client_id())
            .field("status", &self.status())
            .field("synced", &self.is_synced())
            .finish_non_exhaustive()
    }
}

impl WebsocketProvider {
    /// Syncs `doc` with room `room` of the server at `server_url` (`ws://host:port`, a
    /// trailing `/` is trimmed; `http://` is accepted as `ws://`). The socket URL is
    /// `server_url/room?params`. Connects at once unless `options.connect` is false.
    ///
    /// # Panics
    /// Outside a tokio runtime, or when the URL is not usable (see [`try_new`](Self::try_new)).
    pub fn new(server_url: &str, room: &str, doc: Doc, options: ProviderOptions) -> Self {
        match Self::try_new(server_url, room, doc, options) {
            Ok(provider) => provider,
            Err(err) => panic!("{err}"),
        }
    }

    /// Like [`new`](Self::new), but reports an unusable URL instead of panicking.
    ///
    /// # Errors
    /// [`ProviderError::InvalidUrl`] when the URL does not parse or is not `ws://` / `http://`
    /// (this build has no TLS, so `wss://` is refused).
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn try_new(
        server_url: &str,
        room: &str,
        doc: Doc,
        options: ProviderOptions,
    ) -> Result<Self, ProviderError> {
        let url = room_url(server_url, room, &options.params)?;
        let clock = RuntimeClock {
            origin: Instant::now(),
        };
        let config = SessionConfig {
            resync_interval: options.resync_interval,
            liveness_timeout: options.liveness_timeout,
            ..SessionConfig::default()
        };
        let session = SyncSession::with_config(doc.clone(), clock, config);
        let remote_origin = session.remote_origin().clone();
        let initial_status = if options.connect {
            Status::Connecting
        } else {
            Status::Disconnected
        };
        let shared = Arc::new(Shared {
            doc: doc.clone(),
            url,
            clock,
            session: Mutex::new(session),
            status: watch::Sender::new(initial_status),
            synced: watch::Sender::new(false),
            awareness: watch::Sender::new(()),
        });
        let (commands, receiver) = mpsc::unbounded_channel();

        static NEXT_OBSERVER: AtomicU64 = AtomicU64::new(0);
        let observer_key = Origin::from(format!(
            "ycord-provider/updates/{}",
            NEXT_OBSERVER.fetch_add(1, Ordering::Relaxed)
        ));
        let local_updates = commands.clone();
        // The document is locked while this runs: only forward the bytes.
        doc.transact_mut()
            .observe_update_v1(observer_key.clone(), move |txn, event| {
                if txn.origin() != Some(&remote_origin) {
                    let _ = local_updates.send(Command::LocalUpdate(event.update.clone()));
                }
            });

        let worker = Worker {
            shared: shared.clone(),
            commands: receiver,
            should_connect: options.connect,
            backoff: Backoff::new(options.initial_backoff, options.max_backoff),
            liveness_timeout: options.liveness_timeout,
            connect_timeout: options.connect_timeout,
        };
        tokio::spawn(worker.run());
        Ok(WebsocketProvider {
            shared,
            commands,
            observer_key,
        })
    }

    /// The synchronised document.
    pub fn doc(&self) -> &Doc {
        &self.shared.doc
    }

    /// The document's client id, which is also this client's awareness id.
    pub fn client_id(&self) -> u64 {
        self.shared.doc.client_id().get()
    }

    /// The WebSocket URL the provider connects to.
    pub fn url(&self) -> &str {
        &self.shared.url
    }

    /// The current connection status.
    pub fn status(&self) -> Status {
        *self.shared.status.borrow()
    }

    /// A receiver that sees every status change.
    pub fn status_changes(&self) -> watch::Receiver<Status> {
        self.shared.status.subscribe()
    }

    /// Whether the current socket has received the server's state (its first SyncStep2).
    pub fn is_synced(&self) -> bool {
        *self.shared.synced.borrow()
    }

    /// A receiver that sees every change of [`is_synced`](Self::is_synced).
    pub fn synced_changes(&self) -> watch::Receiver<bool> {
        self.shared.synced.subscribe()
    }

    /// Waits until the provider is synced (returns at once if it is).
    pub async fn wait_synced(&self) {
        let mut synced = self.shared.synced.subscribe();
        // The sender lives as long as `self`, so this only ends by becoming synced.
        let _ = synced.wait_for(|synced| *synced).await;
    }

    /// A receiver notified whenever the set of awareness states may have changed (a remote
    /// update, an expiry, a disconnect, or a local change).
    pub fn awareness_changes(&self) -> watch::Receiver<()> {
        self.shared.awareness.subscribe()
    }

    /// Sets this client's awareness state to `json` (raw JSON, e.g. `{"name":"bot"}`) and
    /// sends it at once when connected. Invalid JSON is logged and ignored; use
    /// [`try_set_local_state`](Self::try_set_local_state) to get the error instead.
    pub fn set_local_state(&self, json: &str) {
        if let Err(err) = self.try_set_local_state(json) {
            tracing::warn!(url = %self.shared.url, %err, "awareness state ignored");
        }
    }

    /// Sets this client's awareness state, refusing what is not JSON.
    ///
    /// # Errors
    /// [`ProviderError::InvalidAwarenessState`] when `json` does not parse; nothing changes.
    pub fn try_set_local_state(&self, json: &str) -> Result<(), ProviderError> {
        let frame = self.shared.session().set_local_state(json).map_err(|err| {
            ProviderError::InvalidAwarenessState {
                detail: err.to_string(),
            }
        })?;
        self.send_frame(frame);
        self.shared.notify_awareness();
        Ok(())
    }

    /// Removes this client's awareness state; peers see it leave.
    pub fn clear_local_state(&self) {
        let frame = self.shared.session().clear_local_state();
        self.send_frame(frame);
        self.shared.notify_awareness();
    }

    /// Every known non-null awareness state by client id, this client's included.
    pub fn awareness_states(&self) -> BTreeMap<u64, String> {
        self.shared
            .session()
            .awareness()
            .iter()
            .filter_map(|(id, state)| Some((id.get(), state.data?.to_string())))
            .collect()
    }

    /// (Re)enables connecting: connects now if disconnected or waiting to reconnect. Also
    /// needed after the server refused the connection with a close code in 4400–4499, after
    /// which the provider, like y-websocket, stops reconnecting on its own.
    pub fn connect(&self) {
        let _ = self.commands.send(Command::Connect);
    }

    /// Announces this client's awareness state as removed, closes the socket cleanly (code
    /// 1000) and stays disconnected until [`connect`](Self::connect). Returns once the socket
    /// is closed (a close handshake that takes more than 2 s is cut short).
    pub async fn disconnect(&self) {
        let (done, closed) = oneshot::channel();
        if self.commands.send(Command::Disconnect(done)).is_ok() {
            let _ = closed.await;
        }
    }

    fn send_frame(&self, frame: Option<Vec<u8>>) {
        if let Some(frame) = frame {
            let _ = self.commands.send(Command::Frame(frame));
        }
    }
}

impl Drop for WebsocketProvider {
    /// Best effort [`disconnect`](Self::disconnect) without waiting: the background task sends
    /// the leave frame, closes the socket and ends.
    fn drop(&mut self) {
        let _ = self.commands.send(Command::Shutdown);
        // `try`: dropping inside one of the document's observers must not deadlock. Should the
        // document be busy, the observer stays, forwarding into a closed channel.
        if self
            .shared
            .doc
            .unobserve_update_v1(self.observer_key.clone())
            .is_err()
        {
            tracing::debug!(url = %self.shared.url, "document busy; update observer left in place");
        }
    }
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
type SocketSink = SplitSink<Socket, Message>;
type SocketStream = SplitStream<Socket>;

/// How an attempt to open a socket ended.
enum Opening {
    Opened(Box<Socket>),
    Failed(String),
    Disconnected(oneshot::Sender<()>),
    Shutdown,
}

/// Why an open socket ended.
enum SocketEnd {
    /// Closed by the server, the network, a protocol error or the liveness check.
    Lost,
    /// Closed by the server with a code saying that reconnecting cannot help.
    Refused,
    /// Closed by [`WebsocketProvider::disconnect`].
    Disconnected(oneshot::Sender<()>),
    /// Closed because the provider was dropped.
    Shutdown,
}

/// The background task.
struct Worker {
    shared: Arc<Shared>,
    commands: mpsc::UnboundedReceiver<Command>,
    should_connect: bool,
    backoff: Backoff,
    liveness_timeout: Duration,
    connect_timeout: Duration,
}

impl Worker {
    async fn run(mut self) {
        loop {
            if !self.should_connect {
                self.shared.set_status(Status::Disconnected);
                if !self.wait_for_connect().await {
                    return;
                }
                continue;
            }
            self.shared.set_status(Status::Connecting);
            let socket = match self.open_socket().await {
                Opening::Opened(socket) => socket,
                Opening::Failed(reason) => {
                    tracing::debug!(url = %self.shared.url, %reason, "connection failed");
                    self.shared.set_status(Status::Disconnected);
                    if !self.wait_before_reconnect().await {
                        return;
                    }
                    continue;
                }
                Opening::Disconnected(done) => {
                    self.should_connect = false;
                    self.shared.set_status(Status::Disconnected);
                    let _ = done.send(());
                    continue;
                }
                Opening::Shutdown => {
                    self.shared.set_status(Status::Disconnected);
                    return;
                }
            };
            let end = self.serve(*socket).await;
            let closed = self.shared.session().socket_closed();
            self.handle_events(closed.events);
            self.shared.set_synced(false);
            self.shared.set_status(Status::Disconnected);
            match end {
                SocketEnd::Lost => {
                    if !self.wait_before_reconnect().await {
                        return;
                    }
                }
                SocketEnd::Refused => self.should_connect = false,
                SocketEnd::Disconnected(done) => {
                    self.should_connect = false;
                    let _ = done.send(());
                }
                SocketEnd::Shutdown => return,
            }
        }
    }

    /// Idles until [`Command::Connect`]; `false` when the provider is gone.
    async fn wait_for_connect(&mut self) -> bool {
        loop {
            match self.commands.recv().await {
                Some(Command::Connect) => {
                    self.should_connect = true;
                    return true;
                }
                Some(Command::Disconnect(done)) => {
                    let _ = done.send(());
                }
                Some(Command::Shutdown) | None => return false,
                // Edits made meanwhile travel in the next connection's step1/step2 exchange.
                Some(Command::LocalUpdate(_) | Command::Frame(_)) => {}
            }
        }
    }

    /// Sleeps for the next backoff delay; [`Command::Connect`] cuts it short. `false` when the
    /// provider is gone.
    async fn wait_before_reconnect(&mut self) -> bool {
        let delay = self.backoff.next_delay(fastrand::f64());
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                () = &mut sleep => return true,
                command = self.commands.recv() => match command {
                    Some(Command::Connect) => return true,
                    Some(Command::Disconnect(done)) => {
                        self.should_connect = false;
                        let _ = done.send(());
                        return true;
                    }
                    Some(Command::Shutdown) | None => return false,
                    Some(Command::LocalUpdate(_) | Command::Frame(_)) => {}
                },
            }
        }
    }

    async fn open_socket(&mut self) -> Opening {
        let connect = tokio::time::timeout(
            self.connect_timeout,
            tokio_tungstenite::connect_async_with_config(self.shared.url.as_str(), None, true),
        );
        tokio::pin!(connect);
        loop {
            tokio::select! {
                result = &mut connect => {
                    return match result {
                        Ok(Ok((socket, _response))) => Opening::Opened(Box::new(socket)),
                        Ok(Err(err)) => Opening::Failed(err.to_string()),
                        Err(_elapsed) => Opening::Failed("connection attempt timed out".into()),
                    }
                }
                command = self.commands.recv() => match command {
                    Some(Command::Disconnect(done)) => return Opening::Disconnected(done),
                    Some(Command::Shutdown) | None => return Opening::Shutdown,
                    Some(Command::Connect | Command::LocalUpdate(_) | Command::Frame(_)) => {}
                },
            }
        }
    }

    /// Runs one open socket until it ends.
    async fn serve(&mut self, socket: Socket) -> SocketEnd {
        let (mut sink, mut stream) = socket.split();
        let opened = self.shared.session().socket_opened();
        self.shared.set_status(Status::Connected);
        if send_all(&mut sink, opened.frames).await.is_err() {
            return SocketEnd::Lost;
        }
        let mut ping_sent = false;
        let mut refused = false;
        loop {
            let wake = self.next_wake(ping_sent);
            tokio::select! {
                incoming = stream.next() => match incoming {
                    Some(Ok(Message::Binary(frame))) => {
                        ping_sent = false;
                        let received = self.shared.session().frame_received(&frame);
                        match received {
                            Ok(out) => {
                                self.handle_events(out.events);
                                if send_all(&mut sink, out.frames).await.is_err() {
                                    return SocketEnd::Lost;
                                }
                            }
                            Err(err) => {
                                tracing::warn!(url = %self.shared.url, %err, "dropping the connection");
                                close(&mut sink, &mut stream, CloseCode::Invalid, None).await;
                                return SocketEnd::Lost;
                            }
                        }
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {
                        ping_sent = false;
                        self.shared.session().note_activity();
                    }
                    Some(Ok(Message::Text(_))) => {
                        tracing::warn!(url = %self.shared.url, "server sent a text frame; dropping the connection");
                        close(&mut sink, &mut stream, CloseCode::Unsupported, None).await;
                        return SocketEnd::Lost;
                    }
                    // The close reply is queued by tungstenite and flushed by the next read,
                    // which then ends the stream.
                    Some(Ok(Message::Close(Some(frame)))) if is_refusal(frame.code) => {
                        tracing::warn!(
                            url = %self.shared.url,
                            code = u16::from(frame.code),
                            reason = %frame.reason,
                            "the server refused the connection; not reconnecting until connect()"
                        );
                        refused = true;
                    }
                    Some(Ok(Message::Close(_) | Message::Frame(_))) => {}
                    Some(Err(err)) if !refused => {
                        tracing::debug!(url = %self.shared.url, %err, "socket error");
                        return SocketEnd::Lost;
                    }
                    Some(Err(_)) => return SocketEnd::Refused,
                    None if refused => return SocketEnd::Refused,
                    None => return SocketEnd::Lost,
                },
                command = self.commands.recv() => match command {
                    Some(Command::LocalUpdate(update)) => {
                        let frame = self.shared.session().local_update(&update);
                        if send_all(&mut sink, frame).await.is_err() {
                            return SocketEnd::Lost;
                        }
                    }
                    Some(Command::Frame(frame)) => {
                        if send_all(&mut sink, Some(frame)).await.is_err() {
                            return SocketEnd::Lost;
                        }
                    }
                    Some(Command::Connect) => {}
                    Some(Command::Disconnect(done)) => {
                        let leave = self.shared.session().leave_frame();
                        close(&mut sink, &mut stream, CloseCode::Normal, leave).await;
                        return SocketEnd::Disconnected(done);
                    }
                    Some(Command::Shutdown) | None => {
                        let leave = self.shared.session().leave_frame();
                        close(&mut sink, &mut stream, CloseCode::Normal, leave).await;
                        return SocketEnd::Shutdown;
                    }
                },
                () = tokio::time::sleep_until(wake) => {
                    if !ping_sent && Instant::now() >= self.ping_due() {
                        ping_sent = true;
                        if sink.send(Message::Ping(Default::default())).await.is_err() {
                            return SocketEnd::Lost;
                        }
                    }
                    let out = self.shared.session().tick();
                    if out.events.contains(&SessionEvent::ConnectionStale) {
                        tracing::info!(url = %self.shared.url, "no message for the liveness timeout; replacing the socket");
                        return SocketEnd::Lost;
                    }
                    self.handle_events(out.events);
                    if send_all(&mut sink, out.frames).await.is_err() {
                        return SocketEnd::Lost;
                    }
                }
            }
        }
    }

    /// When to wake up next: the session's next deadline, or the ping half-way through a
    /// silence.
    fn next_wake(&self, ping_sent: bool) -> Instant {
        let deadline = self.shared.session().next_deadline();
        let session_wake = deadline.map(|ts| self.shared.clock.instant_at(ts));
        let ping_wake = (!ping_sent).then(|| self.ping_due());
        [session_wake, ping_wake]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or_else(|| Instant::now() + self.liveness_timeout)
    }

    fn ping_due(&self) -> Instant {
        let last = self.shared.session().last_received().unwrap_or(0);
        self.shared.clock.instant_at(last) + self.liveness_timeout / 2
    }

    fn handle_events(&mut self, events: Vec<SessionEvent>) {
        for event in events {
            match event {
                SessionEvent::Synced(synced) => {
                    if synced {
                        // Only a connection that synced did useful work: one that is accepted
                        // and closed at once must keep backing off.
                        self.backoff.reset();
                    }
                    self.shared.set_synced(synced);
                }
                SessionEvent::AwarenessChanged { .. } => self.shared.notify_awareness(),
                SessionEvent::PermissionDenied { reason } => {
                    tracing::warn!(url = %self.shared.url, %reason, "permission denied");
                }
                SessionEvent::ConnectionStale => {}
            }
        }
    }
}

/// Close codes 4400–4499 mirror HTTP 4xx: the server decided that reconnecting cannot help
/// (access revoked, document gone). y-websocket 3.x clients stop reconnecting on them too.
fn is_refusal(code: CloseCode) -> bool {
    (4400..4500).contains(&u16::from(code))
}

async fn send_all(
    sink: &mut SocketSink,
    frames: impl IntoIterator<Item = Vec<u8>>,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    for frame in frames {
        sink.send(Message::Binary(frame.into())).await?;
    }
    Ok(())
}

/// Sends `last_frame` (if any) and a close frame, then reads until the server's close reply
/// ends the stream, so that what was sent is delivered before the connection goes away.
async fn close(
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
        Ok::<(), tokio_tungstenite::tungstenite::Error>(())
    };
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, handshake).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<WebsocketProvider>();
    }
}
