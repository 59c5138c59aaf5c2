//! The provider's task: connects, serves one socket at a time, and waits between tries as
//! the reconnect policy says.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

use super::socket::{close, connect, send_all, ConnectError, Socket};
use super::HocuspocusSocket;
use super::SessionClock;
use crate::core::{
    Command, Launch, LocalUpdates, ProviderState, Reconnect, Registration, SocketVerdict,
};
use crate::session::SessionEvent;
use crate::status::Status;

/// How an attempt to open a socket ended.
enum Opening {
    Opened(Box<Socket>),
    Failed(String),
    /// The server answered the upgrade with this HTTP status.
    Refused(u16),
    Disconnected(oneshot::Sender<()>),
    Shutdown,
}

/// Why an open socket ended.
enum SocketEnd {
    /// Closed by the server, the network, a protocol error or the liveness check.
    Lost,
    /// Closed by the server with a code saying that reconnecting cannot help.
    Refused,
    /// Closed by [`WebsocketProvider::disconnect`](crate::WebsocketProvider::disconnect).
    Disconnected(oneshot::Sender<()>),
    /// Closed because the provider was dropped.
    Shutdown,
}

/// The background task.
pub(crate) struct Worker {
    state: Arc<ProviderState>,
    clock: SessionClock,
    commands: mpsc::UnboundedReceiver<Command>,
    local_updates: Arc<LocalUpdates>,
    reconnect: Reconnect,
    liveness_timeout: Duration,
    connect_timeout: Duration,
    /// The shared Hocuspocus socket to attach to instead of opening one.
    shared_socket: Option<HocuspocusSocket>,
}

impl Worker {
    pub(crate) fn new(launch: Launch<'_>) -> Self {
        Worker {
            state: launch.state,
            clock: launch.clock,
            commands: launch.receiver,
            local_updates: launch.local_updates,
            reconnect: Reconnect::new(launch.options),
            liveness_timeout: launch.options.liveness_timeout,
            connect_timeout: launch.options.connect_timeout,
            shared_socket: launch.options.hocuspocus_socket.clone(),
        }
    }

    pub(crate) async fn run(mut self) {
        if !self.observe_local_updates().await {
            self.state.set_status(Status::Disconnected);
            return;
        }
        loop {
            if !self.reconnect.should_connect() {
                self.state.set_status(self.reconnect.idle_status());
                if !self.wait_for_connect().await {
                    return;
                }
                continue;
            }
            self.state.set_status(Status::Connecting);
            let socket = match self.open_socket().await {
                Opening::Opened(socket) => socket,
                Opening::Failed(reason) => {
                    tracing::debug!(url = %self.state.url, %reason, "connection failed");
                    self.state.set_status(Status::Disconnected);
                    if !self.wait_before_reconnect().await {
                        return;
                    }
                    continue;
                }
                Opening::Refused(status) => {
                    self.state.set_status(Status::Disconnected);
                    if !self.reconnect.upgrade_refused(&self.state.url, status)
                        && !self.wait_before_reconnect().await
                    {
                        return;
                    }
                    continue;
                }
                Opening::Disconnected(done) => {
                    self.reconnect.disable();
                    self.state.set_status(Status::Disconnected);
                    let _ = done.send(());
                    continue;
                }
                Opening::Shutdown => {
                    self.state.set_status(Status::Disconnected);
                    return;
                }
            };
            let end = self.serve(*socket).await;
            self.state.socket_closed(&mut self.reconnect);
            match end {
                SocketEnd::Lost => {
                    if !self.wait_before_reconnect().await {
                        return;
                    }
                }
                // `Reconnect` stopped connecting when it saw the close code.
                SocketEnd::Refused => {}
                SocketEnd::Disconnected(done) => {
                    self.reconnect.disable();
                    let _ = done.send(());
                }
                SocketEnd::Shutdown => return,
            }
        }
    }

    /// Registers the local-edit observer before anything is sent: see
    /// [`LocalUpdates`]. `false` when the provider is gone.
    async fn observe_local_updates(&mut self) -> bool {
        loop {
            match self.local_updates.register() {
                Registration::Registered => return true,
                Registration::Closed => return false,
                Registration::Pending => tokio::time::sleep(LocalUpdates::RETRY).await,
            }
        }
    }

    /// Idles until [`Command::Connect`]; `false` when the provider is gone.
    async fn wait_for_connect(&mut self) -> bool {
        loop {
            match self.commands.recv().await {
                Some(Command::Connect) => {
                    self.reconnect.enable();
                    return true;
                }
                Some(Command::Disconnect(done)) => {
                    let _ = done.send(());
                }
                Some(Command::Shutdown) | None => return false,
                // Edits made meanwhile travel in the next connection's step1/step2 exchange.
                Some(Command::LocalUpdate(_) | Command::LocalAwareness | Command::Stateless(_)) => {
                }
            }
        }
    }

    /// Sleeps for the next backoff delay; [`Command::Connect`] cuts it short. `false` when the
    /// provider is gone.
    async fn wait_before_reconnect(&mut self) -> bool {
        let delay = self.reconnect.next_delay();
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                () = &mut sleep => return true,
                command = self.commands.recv() => match command {
                    Some(Command::Connect) => return true,
                    Some(Command::Disconnect(done)) => {
                        self.reconnect.disable();
                        let _ = done.send(());
                        return true;
                    }
                    Some(Command::Shutdown) | None => return false,
                    Some(Command::LocalUpdate(_) | Command::LocalAwareness | Command::Stateless(_)) => {}
                },
            }
        }
    }

    /// Fetches a fresh token first when the credentials say so, then opens a socket; both
    /// within the connect timeout, and both cut short by a disconnect.
    async fn open_socket(&mut self) -> Opening {
        let deadline = Instant::now() + self.connect_timeout;
        if let Some(source) = self.reconnect.credentials.refresh_due() {
            let fetch = tokio::time::timeout_at(deadline, source.fetch());
            let answer = match until_stopped(&mut self.commands, fetch).await {
                Ok(Ok(answer)) => answer,
                Ok(Err(_elapsed)) => return Opening::Failed("the token source timed out".into()),
                Err(stopped) => return stopped,
            };
            if let Err(err) = self.reconnect.credentials.refreshed(answer) {
                tracing::warn!(url = %self.state.url, %err, "no fresh token");
                return Opening::Failed(err.to_string());
            }
        }
        let token = self
            .state
            .handshake_token(self.reconnect.credentials.token());
        let shared = self.shared_socket.clone();
        let document = self.state.session().document_name().map(str::to_owned);
        let url = self.state.socket_url.clone();
        let opening = async move {
            match (shared, document) {
                (Some(shared), Some(document)) => shared.attach(&document).await,
                _ => connect(&url, token.as_deref()).await.map(Socket::own),
            }
        };
        let attempt = tokio::time::timeout_at(deadline, opening);
        match until_stopped(&mut self.commands, attempt).await {
            Ok(Ok(Ok(socket))) => Opening::Opened(Box::new(socket)),
            Ok(Ok(Err(ConnectError::Refused { status, body }))) => {
                tracing::debug!(url = %self.state.url, status, %body, "upgrade refused");
                Opening::Refused(status)
            }
            Ok(Ok(Err(ConnectError::Failed(reason)))) => Opening::Failed(reason),
            Ok(Err(_elapsed)) => Opening::Failed("connection attempt timed out".into()),
            Err(stopped) => stopped,
        }
    }

    /// Runs one open socket until it ends.
    async fn serve(&mut self, socket: Socket) -> SocketEnd {
        let Socket {
            mut sink,
            mut stream,
        } = socket;
        let opened = self.state.session().socket_opened();
        self.state.set_status(Status::Connected);
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
                        let received = self.state.session().frame_received(&frame);
                        match received {
                            Ok(out) => {
                                let verdict = self.state.report(out.events, &mut self.reconnect);
                                if send_all(&mut sink, out.frames).await.is_err() {
                                    return SocketEnd::Lost;
                                }
                                if let Some(end) = end_for(verdict) {
                                    close(&mut sink, &mut stream, CloseCode::Normal, None).await;
                                    return end;
                                }
                            }
                            Err(err) => {
                                tracing::warn!(url = %self.state.url, %err, "dropping the connection");
                                close(&mut sink, &mut stream, CloseCode::Invalid, None).await;
                                return SocketEnd::Lost;
                            }
                        }
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {
                        ping_sent = false;
                        self.state.session().note_activity();
                    }
                    Some(Ok(Message::Text(_))) => {
                        tracing::warn!(url = %self.state.url, "server sent a text frame; dropping the connection");
                        close(&mut sink, &mut stream, CloseCode::Unsupported, None).await;
                        return SocketEnd::Lost;
                    }
                    // The close reply is queued by tungstenite and flushed by the next read,
                    // which then ends the stream.
                    Some(Ok(Message::Close(Some(frame))))
                        if self.reconnect.closed_by_server(
                            &self.state.url,
                            u16::from(frame.code),
                            &frame.reason,
                        ) =>
                    {
                        refused = true;
                    }
                    Some(Ok(Message::Close(_) | Message::Frame(_))) => {}
                    Some(Err(err)) if !refused => {
                        tracing::debug!(url = %self.state.url, %err, "socket error");
                        return SocketEnd::Lost;
                    }
                    Some(Err(_)) => return SocketEnd::Refused,
                    None if refused => return SocketEnd::Refused,
                    None => return SocketEnd::Lost,
                },
                command = self.commands.recv() => match command {
                    Some(Command::LocalUpdate(update)) => {
                        let frame = self.state.session().local_update(&update);
                        if send_all(&mut sink, frame).await.is_err() {
                            return SocketEnd::Lost;
                        }
                    }
                    Some(Command::LocalAwareness) => {
                        let frame = self.state.session().local_awareness_changed();
                        let frame = frame.map(|f| self.state.socket_frame(f));
                        if send_all(&mut sink, frame).await.is_err() {
                            return SocketEnd::Lost;
                        }
                    }
                    Some(Command::Stateless(frame)) => {
                        if send_all(&mut sink, [frame]).await.is_err() {
                            return SocketEnd::Lost;
                        }
                    }
                    Some(Command::Connect) => {}
                    Some(Command::Disconnect(done)) => {
                        let leave = self.state.session().leave_frame();
                        let leave = leave.map(|f| self.state.socket_frame(f));
                        close(&mut sink, &mut stream, CloseCode::Normal, leave).await;
                        return SocketEnd::Disconnected(done);
                    }
                    Some(Command::Shutdown) | None => {
                        let leave = self.state.session().leave_frame();
                        let leave = leave.map(|f| self.state.socket_frame(f));
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
                    let out = self.state.session().tick();
                    if out.events.contains(&SessionEvent::ConnectionStale) {
                        tracing::info!(url = %self.state.url, "no message for the liveness timeout; replacing the socket");
                        return SocketEnd::Lost;
                    }
                    let verdict = self.state.report(out.events, &mut self.reconnect);
                    if send_all(&mut sink, out.frames).await.is_err() {
                        return SocketEnd::Lost;
                    }
                    if let Some(end) = end_for(verdict) {
                        close(&mut sink, &mut stream, CloseCode::Normal, None).await;
                        return end;
                    }
                }
            }
        }
    }

    /// When to wake up next: the session's next deadline, or the ping half-way through a
    /// silence.
    fn next_wake(&self, ping_sent: bool) -> Instant {
        let deadline = self.state.session().next_deadline();
        let session_wake = deadline.map(|ts| self.clock.instant_at(ts));
        let ping_wake = (!ping_sent).then(|| self.ping_due());
        [session_wake, ping_wake]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or_else(|| Instant::now() + self.liveness_timeout)
    }

    fn ping_due(&self) -> Instant {
        let last = self.state.session().last_received().unwrap_or(0);
        self.clock.instant_at(last) + self.liveness_timeout / 2
    }
}

/// How a socket ends when the session's events say it must: `None` to keep it.
fn end_for(verdict: SocketVerdict) -> Option<SocketEnd> {
    match verdict {
        SocketVerdict::Keep => None,
        SocketVerdict::Replace => Some(SocketEnd::Lost),
        SocketVerdict::Refused => Some(SocketEnd::Refused),
    }
}

/// Runs `work` until it ends, unless a disconnect or shutdown comes first (`Err` with that
/// ending). Other commands meanwhile are dropped: edits travel in the step1/step2 exchange of
/// the connection being opened.
async fn until_stopped<T>(
    commands: &mut mpsc::UnboundedReceiver<Command>,
    work: impl std::future::Future<Output = T>,
) -> Result<T, Opening> {
    tokio::pin!(work);
    loop {
        tokio::select! {
            done = &mut work => return Ok(done),
            command = commands.recv() => match command {
                Some(Command::Disconnect(done)) => return Err(Opening::Disconnected(done)),
                Some(Command::Shutdown) | None => return Err(Opening::Shutdown),
                Some(
                    Command::Connect
                    | Command::LocalUpdate(_)
                    | Command::LocalAwareness
                    | Command::Stateless(_),
                ) => {}
            },
        }
    }
}
