//! The provider's background task: one event loop over commands, socket events, frames from
//! other tabs and timers.

use std::rc::Rc;
use std::sync::Arc;

use tokio::sync::mpsc;
use ycord_protocol::encode;

use super::clock::now_ms;
use super::cross_tab::CrossTab;
use super::socket::{BrowserSocket, SocketEvent};
use super::timer::sleep_ms;
use super::Shared;
use crate::core::{
    Command, Launch, LocalUpdates, ProviderState, Reconnect, Registration, SocketVerdict,
};
use crate::session::{Output, SessionEvent};
use crate::status::Status;
use crate::token::{TokenError, TokenFuture};

/// Close code for a socket the provider gave up on (silent, malformed frames, too slow to
/// open): a private code, so that servers can tell it from a user's disconnect.
const CLOSE_ABANDONED: u16 = 4000;

/// Where the connection stands.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Not connecting: disconnected by the user, or refused by the server.
    Idle,
    /// Waiting until `at` (ms since the epoch) to reconnect.
    Backoff { at: u64 },
    /// Asking the token source for a fresh token since `since`, to open a socket with it.
    Refreshing { since: u64 },
    /// A socket was created at `since` and has not opened yet.
    Opening { since: u64 },
    /// A socket is open.
    Open,
}

pub(crate) struct Worker {
    shared: Rc<Shared>,
    /// The same as `shared.state`, for brevity.
    state: Arc<ProviderState>,
    commands: mpsc::UnboundedReceiver<Command>,
    local_updates: Arc<LocalUpdates>,
    socket_events: Option<mpsc::UnboundedReceiver<SocketEvent>>,
    tab_frames: Option<mpsc::UnboundedReceiver<Vec<u8>>>,
    /// The token source's answer, while [`Phase::Refreshing`].
    token_fetch: Option<TokenFuture>,
    phase: Phase,
    reconnect: Reconnect,
    cross_tab: bool,
    connect_timeout_ms: u64,
    /// How long to wait between attempts while the browser says it is offline.
    max_backoff_ms: u64,
    liveness_timeout_ms: u64,
    /// When the open socket was last probed (see [`Worker::probe_due`]).
    probed_at: Option<u64>,
}

/// What woke the loop.
enum Wake {
    Command(Option<Command>),
    Socket(Option<SocketEvent>),
    Tab(Option<Vec<u8>>),
    Token(Result<String, TokenError>),
    Timer,
}

impl Worker {
    pub(crate) fn new(shared: Rc<Shared>, launch: Launch<'_>) -> Self {
        let options = launch.options;
        Worker {
            state: shared.state.clone(),
            shared,
            commands: launch.receiver,
            local_updates: launch.local_updates,
            socket_events: None,
            tab_frames: None,
            token_fetch: None,
            phase: Phase::Idle,
            reconnect: Reconnect::new(options),
            cross_tab: options.cross_tab,
            connect_timeout_ms: millis(options.connect_timeout),
            max_backoff_ms: millis(options.max_backoff),
            liveness_timeout_ms: millis(options.liveness_timeout),
            probed_at: None,
        }
    }

    pub(crate) async fn run(mut self) {
        if !self.observe_local_updates().await {
            self.state.set_status(Status::Disconnected);
            return;
        }
        if self.reconnect.should_connect() {
            self.join_tabs();
            self.open_socket();
        } else {
            self.state.set_status(Status::Disconnected);
        }
        loop {
            let wake_at = self.next_wake();
            let wake = {
                let sleep = async {
                    match wake_at {
                        Some(at) => sleep_ms(at.saturating_sub(now_ms())).await,
                        None => std::future::pending().await,
                    }
                };
                let has_socket = self.socket_events.is_some();
                let has_tabs = self.tab_frames.is_some();
                let has_fetch = self.token_fetch.is_some();
                let socket_events = self.socket_events.as_mut();
                let tab_frames = self.tab_frames.as_mut();
                let token_fetch = self.token_fetch.as_mut();
                tokio::select! {
                    biased;
                    command = self.commands.recv() => Wake::Command(command),
                    event = async { socket_events.expect("guarded").recv().await }, if has_socket => Wake::Socket(event),
                    frame = async { tab_frames.expect("guarded").recv().await }, if has_tabs => Wake::Tab(frame),
                    answer = async { token_fetch.expect("guarded").await }, if has_fetch => Wake::Token(answer),
                    () = sleep => Wake::Timer,
                }
            };
            match wake {
                Wake::Command(None | Some(Command::Shutdown)) => {
                    self.shared.announce_leave();
                    self.close_socket(1000);
                    self.leave_tabs();
                    self.state.set_status(Status::Disconnected);
                    return;
                }
                Wake::Command(Some(command)) => self.handle_command(command),
                Wake::Socket(Some(event)) => self.handle_socket_event(event),
                Wake::Socket(None) => self.socket_lost(None),
                Wake::Tab(Some(frame)) => self.handle_tab_frame(&frame),
                Wake::Tab(None) => self.tab_frames = None,
                Wake::Token(answer) => self.token_fetched(answer),
                Wake::Timer => self.handle_timer(),
            }
        }
    }

    /// Registers the local-edit observer before any socket or tab hears from this provider:
    /// see [`LocalUpdates`]. `false` when the provider is gone.
    async fn observe_local_updates(&mut self) -> bool {
        loop {
            match self.local_updates.register() {
                Registration::Registered => return true,
                Registration::Closed => return false,
                Registration::Pending => sleep_ms(millis(LocalUpdates::RETRY)).await,
            }
        }
    }

    /// The earliest of: the session's next deadline, the reconnect time, the connect timeout.
    fn next_wake(&self) -> Option<u64> {
        let session = self.state.session().next_deadline();
        let phase = match self.phase {
            Phase::Backoff { at } => Some(at),
            Phase::Opening { since } | Phase::Refreshing { since } => {
                Some(since.saturating_add(self.connect_timeout_ms))
            }
            Phase::Idle | Phase::Open => None,
        };
        [session, phase, self.probe_due()]
            .into_iter()
            .flatten()
            .min()
    }

    /// When to probe a quiet socket. Browsers neither expose WebSocket pings nor let a page
    /// send one, so half-way through a silence the provider sends its state vector instead:
    /// the server answers with a (usually empty) step2, which proves the connection alive
    /// before the liveness timeout replaces it. Without this a room where nobody has an
    /// awareness state (nothing renewed every 15 s) would reconnect every 30 s.
    fn probe_due(&self) -> Option<u64> {
        if self.phase != Phase::Open {
            return None;
        }
        let last_received = self.state.session().last_received()?;
        // Strictly later: on loopback the answer can arrive within the millisecond the probe
        // was sent, and that answer must count.
        if self.probed_at.is_some_and(|probed| probed > last_received) {
            return None;
        }
        Some(last_received.saturating_add(self.liveness_timeout_ms / 2))
    }

    fn handle_command(&mut self, command: Command) {
        match command {
            Command::LocalUpdate(update) => {
                let frame = self.state.session().local_update(&update);
                if let Some(frame) = frame.filter(|_| self.phase == Phase::Open) {
                    self.shared.send_to_server(&frame);
                }
                self.shared.post_to_tabs(&encode::sync_update(&update));
            }
            Command::LocalAwareness => {
                let frame = self.state.session().local_awareness_frame();
                if let Some(frame) = frame {
                    if self.phase == Phase::Open {
                        self.shared
                            .send_to_server(&self.state.socket_frame(frame.clone()));
                    }
                    self.shared.post_to_tabs(&frame);
                }
            }
            Command::Stateless(frame) => {
                if self.phase == Phase::Open {
                    self.shared.send_to_server(&frame);
                }
            }
            Command::Connect => {
                self.reconnect.enable();
                self.join_tabs();
                if matches!(self.phase, Phase::Idle | Phase::Backoff { .. }) {
                    self.open_socket();
                }
            }
            Command::Disconnect(done) => {
                self.reconnect.disable();
                self.shared.announce_leave();
                self.close_socket(1000);
                self.leave_tabs();
                self.token_fetch = None;
                self.phase = Phase::Idle;
                self.state.set_status(Status::Disconnected);
                let _ = done.send(());
            }
            Command::Network(online) => self.network_changed(online),
            Command::Shutdown => unreachable!("handled by the loop"),
        }
    }

    /// A socket on a network the browser knows is gone is often not closed for a long time
    /// (the liveness timeout would find it, after up to 30 s): drop it at once, and try again
    /// as soon as the browser is back online. The browser can be wrong about being offline, so
    /// the provider still tries every `max_backoff` meanwhile.
    fn network_changed(&mut self, online: bool) {
        if !self.reconnect.should_connect() {
            return;
        }
        match (online, self.phase) {
            (false, Phase::Open | Phase::Opening { .. }) => {
                tracing::debug!(url = %self.state.url, "the browser went offline; dropping the socket");
                self.close_socket(CLOSE_ABANDONED);
                self.state.set_status(Status::Disconnected);
                self.phase = Phase::Backoff {
                    at: now_ms().saturating_add(self.max_backoff_ms),
                };
            }
            (false, Phase::Backoff { .. }) => {
                self.phase = Phase::Backoff {
                    at: now_ms().saturating_add(self.max_backoff_ms),
                };
            }
            (true, Phase::Backoff { .. }) => {
                self.reconnect.network_restored();
                self.open_socket();
            }
            _ => {}
        }
    }

    fn handle_socket_event(&mut self, event: SocketEvent) {
        match event {
            SocketEvent::Opened => {
                self.phase = Phase::Open;
                let opened = self.state.session().socket_opened();
                self.state.set_status(Status::Connected);
                self.deliver(opened);
            }
            SocketEvent::Frame(frame) => {
                let received = self.state.session().frame_received(&frame);
                match received {
                    Ok(out) => self.deliver(out),
                    Err(err) => {
                        tracing::warn!(url = %self.state.url, %err, "dropping the connection");
                        self.socket_lost(Some(CLOSE_ABANDONED));
                    }
                }
            }
            SocketEvent::TextFrame => {
                tracing::warn!(url = %self.state.url, "server sent a text frame; dropping the connection");
                self.socket_lost(Some(CLOSE_ABANDONED));
            }
            SocketEvent::Closed { code, reason } => {
                if self
                    .reconnect
                    .closed_by_server(&self.state.url, code, &reason)
                {
                    self.end_socket();
                    self.phase = Phase::Idle;
                    self.state.set_status(self.reconnect.idle_status());
                } else {
                    tracing::debug!(url = %self.state.url, code, %reason, "socket closed");
                    if matches!(self.phase, Phase::Opening { .. }) {
                        self.reconnect.failed_before_open();
                    }
                    self.socket_lost(None);
                }
            }
        }
    }

    fn handle_tab_frame(&mut self, frame: &[u8]) {
        let received = self.state.session().peer_frame_received(frame);
        match received {
            Ok(out) => {
                // Sibling tabs speak y-websocket: nothing they say concerns the socket.
                let _ = self.state.report(out.events, &mut self.reconnect);
                for reply in out.frames {
                    self.shared.post_to_tabs(&reply);
                }
            }
            Err(err) => tracing::debug!(%err, "ignoring a malformed cross-tab frame"),
        }
    }

    fn handle_timer(&mut self) {
        let now = now_ms();
        match self.phase {
            Phase::Backoff { at } if now >= at => self.open_socket(),
            Phase::Opening { since } if now >= since.saturating_add(self.connect_timeout_ms) => {
                tracing::debug!(url = %self.state.url, "connection attempt timed out");
                self.socket_lost(Some(CLOSE_ABANDONED));
            }
            Phase::Refreshing { since } if now >= since.saturating_add(self.connect_timeout_ms) => {
                tracing::warn!(url = %self.state.url, "the token source timed out");
                self.token_fetch = None;
                self.schedule_reconnect();
            }
            _ => {}
        }
        if self.probe_due().is_some_and(|due| now >= due) {
            self.probed_at = Some(now);
            let state_vector =
                yrs::ReadTxn::state_vector(&yrs::Transact::transact(&self.state.doc));
            let probe = self.state.socket_frame(encode::sync_step1(&state_vector));
            self.shared.send_to_server(&probe);
        }
        let own = self.state.doc.client_id();
        let clock_before = self.state.session().awareness().meta(own).map(|(c, _)| c);
        let out = self.state.session().tick();
        let clock_after = self.state.session().awareness().meta(own).map(|(c, _)| c);
        if out.events.contains(&SessionEvent::ConnectionStale) {
            tracing::info!(url = %self.state.url, "no message for the liveness timeout; replacing the socket");
            self.socket_lost(Some(CLOSE_ABANDONED));
            return;
        }
        // The renewal reaches the server through `out`; other tabs need it too, also while
        // the socket is down.
        if clock_before != clock_after {
            let frame = self.state.session().local_awareness_frame();
            if let Some(frame) = frame {
                self.shared.post_to_tabs(&frame);
            }
        }
        self.deliver(out);
    }

    /// Sends a session output's frames to the server and acts on its events.
    fn deliver(&mut self, out: Output) {
        for frame in &out.frames {
            self.shared.send_to_server(frame);
        }
        match self.state.report(out.events, &mut self.reconnect) {
            SocketVerdict::Keep => {}
            SocketVerdict::Replace => self.socket_lost(Some(1000)),
            SocketVerdict::Refused => {
                self.close_socket(1000);
                self.phase = Phase::Idle;
                self.state.set_status(self.reconnect.idle_status());
            }
        }
    }

    /// Opens a socket, after asking the token source for a fresh token when the credentials
    /// say so.
    fn open_socket(&mut self) {
        self.state.set_status(Status::Connecting);
        if let Some(source) = self.reconnect.credentials.refresh_due() {
            self.token_fetch = Some(source.fetch());
            self.phase = Phase::Refreshing { since: now_ms() };
            return;
        }
        let token = self
            .state
            .handshake_token(self.reconnect.credentials.token());
        match BrowserSocket::open(&self.state.socket_url, token.as_deref()) {
            Ok((socket, events)) => {
                *self.shared.socket.borrow_mut() = Some(socket);
                self.socket_events = Some(events);
                self.phase = Phase::Opening { since: now_ms() };
            }
            Err(err) => {
                tracing::warn!(url = %self.state.url, %err, "cannot create a WebSocket");
                self.schedule_reconnect();
            }
        }
    }

    /// The socket closed (`None`) or is abandoned (`Some(code)`: close it with that code);
    /// either way, reconnect after a backoff delay.
    fn socket_lost(&mut self, close_code: Option<u16>) {
        match close_code {
            Some(code) => self.close_socket(code),
            None => self.end_socket(),
        }
        self.schedule_reconnect();
    }

    fn token_fetched(&mut self, answer: Result<String, TokenError>) {
        self.token_fetch = None;
        match self.reconnect.credentials.refreshed(answer) {
            Ok(()) => self.open_socket(),
            Err(err) => {
                tracing::warn!(url = %self.state.url, %err, "no fresh token");
                self.schedule_reconnect();
            }
        }
    }

    fn schedule_reconnect(&mut self) {
        self.state.set_status(self.reconnect.idle_status());
        if self.reconnect.should_connect() {
            let delay = self.reconnect.next_delay();
            self.phase = Phase::Backoff {
                at: now_ms().saturating_add(millis(delay)),
            };
        } else {
            self.phase = Phase::Idle;
        }
    }

    /// Closes the socket (if any) with `code` and tells the session.
    fn close_socket(&mut self, code: u16) {
        if let Some(socket) = self.shared.socket.borrow().as_ref() {
            socket.close(code);
        }
        self.end_socket();
    }

    /// Forgets the socket and tells the session it closed.
    fn end_socket(&mut self) {
        let socket = self.shared.socket.borrow_mut().take();
        drop(socket);
        self.socket_events = None;
        self.state.socket_closed(&mut self.reconnect);
    }

    /// Opens the cross-tab channel (when enabled and not open yet) and greets the other tabs.
    fn join_tabs(&mut self) {
        if !self.cross_tab || self.tab_frames.is_some() {
            return;
        }
        match CrossTab::open(&self.shared.channel_name) {
            Ok((channel, frames)) => {
                *self.shared.cross_tab.borrow_mut() = Some(channel);
                self.tab_frames = Some(frames);
                let greeting = self.state.session().peer_greeting();
                for frame in greeting {
                    self.shared.post_to_tabs(&frame);
                }
            }
            Err(err) => tracing::warn!(%err, "cross-tab sync unavailable"),
        }
    }

    fn leave_tabs(&mut self) {
        let channel = self.shared.cross_tab.borrow_mut().take();
        drop(channel);
        self.tab_frames = None;
    }
}

fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
