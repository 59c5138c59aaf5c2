//! The sans-IO core of one Hocuspocus socket: which documents it carries, what each may do,
//! and how every frame maps onto the rooms.
//!
//! Each document address on the socket is a participant of its own in the room named by the
//! document (a virtual connection with its own [`ConnId`]). The room speaks y-websocket
//! messages (`varUint(type) · payload`); sync (0) and awareness (1) have the same numbers and
//! payloads in Hocuspocus, so a message goes to the room as the frame minus its address, and a
//! room frame goes to the socket with the address put back in front.

use std::collections::HashMap;

use bytes::Bytes;
use ycord_protocol::hocuspocus::{
    self, encode, AuthScope, DocumentAddress, HocuspocusAuthMessage, HocuspocusDecodeError,
    HocuspocusFrame, HocuspocusMessage, HocuspocusMessageType,
};
use ycord_protocol::DecodeErrorKind;
use yrs::encoding::write::Write;
use yrs::updates::encoder::{Encoder, EncoderV1};

use crate::close::CloseReason;
use crate::conn_id::ConnId;
use crate::gate::Admitted;
use crate::refusal::Refusal;
use crate::room::Dialect;

/// Messages a socket may hold for documents still waiting for their token (as Hocuspocus).
pub(crate) const MAX_QUEUED_MESSAGES: usize = 1_000;
/// Bytes a socket may hold for documents still waiting for their token (as Hocuspocus).
pub(crate) const MAX_QUEUED_BYTES: usize = 5 * 1024 * 1024;
/// Documents of one socket that may wait for their token at once (as Hocuspocus).
pub(crate) const MAX_AWAITING_DOCUMENTS: usize = 100;
/// Documents one socket may have open at once.
pub(crate) const MAX_OPEN_DOCUMENTS: usize = 1_000;

/// The Close reason Hocuspocus answers a provider's Close with.
const PROVIDER_INITIATED: &str = "provider_initiated";
/// The Close reason Hocuspocus sends when it drops a document connection after a message
/// it does not allow (a client's BroadcastStateless).
const RESET_CONNECTION: &str = "Reset Connection";

/// What the socket adapter does for the session, in order.
#[derive(Debug, PartialEq)]
pub(crate) enum Action {
    /// Write this frame to the socket.
    Send(Bytes),
    /// Document connection `conn` joins room `room`.
    Join {
        conn: ConnId,
        room: String,
        dialect: Dialect,
        admitted: Admitted,
    },
    /// A y-websocket frame from `conn` for its room.
    Forward { conn: ConnId, frame: Bytes },
    /// Document connection `conn` leaves its room.
    Leave { conn: ConnId },
    /// An address-less Stateless message (`[5, varString(payload)]`) from `conn`, for the other
    /// Hocuspocus participants of its room.
    Stateless { conn: ConnId, frame: Bytes },
}

/// One document address on the socket.
#[derive(Debug)]
enum Document {
    /// No token yet: its messages wait, in order.
    AwaitingToken { queued: Vec<Bytes> },
    /// Authenticated and joined to its room.
    Open {
        conn: ConnId,
        is_read_only: bool,
        expires_at: Option<u64>,
    },
}

/// How a document's token is checked: the room (document name) and the token, to what the
/// client may do or why not.
pub(crate) type Authorize<'a> = &'a dyn Fn(&str, &str) -> Result<Admitted, Refusal>;

/// The documents of one Hocuspocus socket.
pub(crate) struct Session {
    documents: HashMap<String, Document>,
    addresses: HashMap<ConnId, String>,
    queued_messages: usize,
    queued_bytes: usize,
    /// A token the upgrade request carried, for documents whose auth message has none.
    upgrade_token: Option<String>,
    relay_read_only_awareness: bool,
    next_conn: Box<dyn FnMut() -> ConnId + Send>,
}

impl Session {
    /// A socket's session; `next_conn` names each document connection.
    pub(crate) fn new(
        upgrade_token: Option<String>,
        relay_read_only_awareness: bool,
        next_conn: impl FnMut() -> ConnId + Send + 'static,
    ) -> Self {
        Session {
            documents: HashMap::new(),
            addresses: HashMap::new(),
            queued_messages: 0,
            queued_bytes: 0,
            upgrade_token,
            relay_read_only_awareness,
            next_conn: Box::new(next_conn),
        }
    }

    /// Handles one binary frame from the socket.
    ///
    /// # Errors
    /// The reason to close the whole socket: a frame that does not decode, a message only a
    /// server sends, or too much waiting for authentication. No action of this frame has been
    /// returned then; the adapter closes the socket and leaves every room.
    pub(crate) fn receive(
        &mut self,
        frame: Bytes,
        authorize: Authorize<'_>,
    ) -> Result<Vec<Action>, CloseReason> {
        let decoded = hocuspocus::decode(&frame).map_err(|err| close_reason(&err))?;
        let (address, message) = match decoded {
            HocuspocusFrame::Ping => return Ok(vec![Action::Send(encode::pong().into())]),
            HocuspocusFrame::Pong => return Ok(Vec::new()),
            HocuspocusFrame::Document { document, message } => (document, message),
        };
        match self.documents.get_mut(address) {
            Some(Document::Open {
                conn, is_read_only, ..
            }) => {
                let (conn, is_read_only) = (*conn, *is_read_only);
                self.open_message(address, conn, is_read_only, &frame, message)
            }
            Some(Document::AwaitingToken { .. }) | None => {
                self.awaiting_message(address, frame.clone(), message, authorize)
            }
        }
    }

    /// A frame the room sent to document connection `conn`, addressed for the socket; `None`
    /// once the document has left.
    pub(crate) fn addressed(&self, conn: ConnId, frame: &[u8]) -> Option<Bytes> {
        let address = self.addresses.get(&conn)?;
        let mut encoder = EncoderV1::new();
        encoder.write_string(address);
        encoder.write_all(frame);
        Some(encoder.to_vec().into())
    }

    /// The room closed document connection `conn` for `reason`. A reason y-websocket clients
    /// are told not to reconnect after (4400–4499: the room was deleted, the document is at its
    /// size limit) ends only that document, with a Close carrying the reason: a provider would
    /// reconnect after any socket close and send the same again. Any other reason closes the
    /// whole socket (`Err`), as it closes a y-websocket connection.
    pub(crate) fn closed_by_room(
        &mut self,
        conn: ConnId,
        reason: CloseReason,
    ) -> Result<Vec<Action>, CloseReason> {
        if !(4400..4500).contains(&reason.code()) {
            return Err(reason);
        }
        let Some(address) = self.addresses.remove(&conn) else {
            return Ok(Vec::new());
        };
        self.documents.remove(&address);
        Ok(vec![
            Action::Leave { conn },
            Action::Send(encode::close(&address, Some(&reason.text())).into()),
        ])
    }

    /// Every document leaves its room (the socket is closing).
    pub(crate) fn leave_all(&mut self) -> Vec<Action> {
        self.documents.clear();
        let conns = std::mem::take(&mut self.addresses);
        let mut conns: Vec<ConnId> = conns.into_keys().collect();
        conns.sort_unstable();
        conns
            .into_iter()
            .map(|conn| Action::Leave { conn })
            .collect()
    }

    /// The earliest expiry (seconds since the Unix epoch) of a token an open document holds.
    pub(crate) fn next_expiry(&self) -> Option<u64> {
        self.documents
            .values()
            .filter_map(|document| match document {
                Document::Open { expires_at, .. } => *expires_at,
                Document::AwaitingToken { .. } => None,
            })
            .min()
    }

    fn awaiting_message(
        &mut self,
        address: &str,
        frame: Bytes,
        message: HocuspocusMessage<'_>,
        authorize: Authorize<'_>,
    ) -> Result<Vec<Action>, CloseReason> {
        let token = match message {
            HocuspocusMessage::Auth(HocuspocusAuthMessage::Token { token, .. }) => token,
            // A sub-type 0 with no token at all: as an empty one.
            HocuspocusMessage::Auth(HocuspocusAuthMessage::TokenRequest) => "",
            HocuspocusMessage::Auth(_) => {
                return Err(CloseReason::ProtocolError(
                    "only a server sends permission-denied and authenticated messages".into(),
                ))
            }
            _ => {
                self.enqueue(address, frame)?;
                return Ok(Vec::new());
            }
        };
        let queued = match self.documents.remove(address) {
            Some(Document::AwaitingToken { queued }) => queued,
            _ => Vec::new(),
        };
        self.queued_messages -= queued.len();
        self.queued_bytes -= queued.iter().map(Bytes::len).sum::<usize>();
        let name = DocumentAddress::parse(address).name;
        let token = match (token, &self.upgrade_token) {
            ("", Some(upgrade)) => upgrade.as_str(),
            (token, _) => token,
        };
        let admitted = match authorize(name, token) {
            Ok(admitted) => admitted,
            // The queued messages are forgotten; the socket stays for other documents.
            Err(refusal) => {
                let denied = encode::permission_denied(address, refusal.reason);
                return Ok(vec![Action::Send(denied.into())]);
            }
        };
        if self.addresses.len() >= MAX_OPEN_DOCUMENTS {
            return Err(CloseReason::RateLimited(format!(
                "over {MAX_OPEN_DOCUMENTS} documents open on one socket"
            )));
        }
        let conn = (self.next_conn)();
        let is_read_only = !admitted.access.can_write();
        let scope = if is_read_only {
            AuthScope::ReadOnly
        } else {
            AuthScope::ReadWrite
        };
        self.documents.insert(
            address.to_owned(),
            Document::Open {
                conn,
                is_read_only,
                expires_at: admitted.expires_at,
            },
        );
        self.addresses.insert(conn, address.to_owned());
        let mut actions = vec![
            Action::Send(encode::authenticated(address, scope).into()),
            Action::Join {
                conn,
                room: name.to_owned(),
                dialect: Dialect::Hocuspocus { is_read_only },
                admitted,
            },
        ];
        for frame in queued {
            let (document, message) = match hocuspocus::decode(&frame) {
                Ok(HocuspocusFrame::Document { document, message }) => (document, message),
                _ => unreachable!("queued frames decoded once already"),
            };
            actions.extend(self.open_message(document, conn, is_read_only, &frame, message)?);
            if !self.documents.contains_key(address) {
                // The document closed part-way (its Close was queued): the rest is dropped.
                break;
            }
        }
        Ok(actions)
    }

    fn enqueue(&mut self, address: &str, frame: Bytes) -> Result<(), CloseReason> {
        let awaiting = self
            .documents
            .values()
            .filter(|document| matches!(document, Document::AwaitingToken { .. }))
            .count();
        let is_new = !self.documents.contains_key(address);
        if is_new && awaiting >= MAX_AWAITING_DOCUMENTS {
            return Err(CloseReason::RateLimited(format!(
                "over {MAX_AWAITING_DOCUMENTS} documents waiting for authentication"
            )));
        }
        if self.queued_messages >= MAX_QUEUED_MESSAGES
            || self.queued_bytes + frame.len() > MAX_QUEUED_BYTES
        {
            return Err(CloseReason::RateLimited(format!(
                "over {MAX_QUEUED_MESSAGES} messages or {MAX_QUEUED_BYTES} bytes waiting for authentication"
            )));
        }
        self.queued_messages += 1;
        self.queued_bytes += frame.len();
        let document = self
            .documents
            .entry(address.to_owned())
            .or_insert_with(|| Document::AwaitingToken { queued: Vec::new() });
        if let Document::AwaitingToken { queued } = document {
            queued.push(frame);
        }
        Ok(())
    }

    /// A message for an open document; `address` is the slice of `frame` that names it.
    fn open_message(
        &mut self,
        address: &str,
        conn: ConnId,
        is_read_only: bool,
        frame: &Bytes,
        message: HocuspocusMessage<'_>,
    ) -> Result<Vec<Action>, CloseReason> {
        let body = || frame.slice(address_end(frame, address)..);
        Ok(match message {
            HocuspocusMessage::Awareness(_) if is_read_only && !self.relay_read_only_awareness => {
                Vec::new()
            }
            HocuspocusMessage::Sync(_)
            | HocuspocusMessage::Awareness(_)
            | HocuspocusMessage::QueryAwareness => vec![Action::Forward {
                conn,
                frame: body(),
            }],
            // Between servers; handled as Sync (the room answers a step1 with its own step1 too).
            HocuspocusMessage::SyncReply(_) => {
                let mut sync = body().to_vec();
                sync[0] = HocuspocusMessageType::Sync as u8;
                vec![Action::Forward {
                    conn,
                    frame: sync.into(),
                }]
            }
            HocuspocusMessage::Stateless(_) => vec![Action::Stateless {
                conn,
                frame: body(),
            }],
            HocuspocusMessage::BroadcastStateless(_) => {
                self.close_document(address, conn, RESET_CONNECTION)
            }
            HocuspocusMessage::Close { .. } => {
                self.close_document(address, conn, PROVIDER_INITIATED)
            }
            HocuspocusMessage::Auth(
                HocuspocusAuthMessage::PermissionDenied { .. }
                | HocuspocusAuthMessage::Authenticated { .. },
            ) => {
                return Err(CloseReason::ProtocolError(
                    "only a server sends permission-denied and authenticated messages".into(),
                ))
            }
            // A token again, or a SyncStatus (server → provider): nothing to do, as Hocuspocus.
            HocuspocusMessage::Auth(_) | HocuspocusMessage::SyncStatus { .. } => Vec::new(),
        })
    }

    fn close_document(&mut self, address: &str, conn: ConnId, reason: &str) -> Vec<Action> {
        self.documents.remove(address);
        self.addresses.remove(&conn);
        vec![
            Action::Leave { conn },
            Action::Send(encode::close(address, Some(reason)).into()),
        ]
    }
}

/// Where the message after `address` starts in `frame` (`address` is a slice of `frame`).
fn address_end(frame: &[u8], address: &str) -> usize {
    address.as_ptr() as usize - frame.as_ptr() as usize + address.len()
}

/// The close reason of a frame that does not decode, chosen as for y-websocket frames.
pub(crate) fn close_reason(err: &HocuspocusDecodeError) -> CloseReason {
    match err.kind() {
        DecodeErrorKind::UnknownType => CloseReason::UnsupportedData(err.to_string()),
        DecodeErrorKind::Truncated | DecodeErrorKind::Malformed => {
            CloseReason::ProtocolError(err.to_string())
        }
    }
}

#[cfg(test)]
mod tests;
