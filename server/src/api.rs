//! The HTTP document API under `/api/`: list rooms, read a room's state, apply an update,
//! delete a room, list a room's connections, inspect and delete a room's quarantined updates.
//! Errors are JSON:
//! `{"error": "...", "status": N}`.
//!
//! A room is addressed by the raw path after `/api/rooms/`, exactly as a WebSocket client
//! addresses it after `/` (not percent-decoded), so names may contain `/`.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::Reply;
use ycord_persistence::{DocStore, StoreError};
use yrs::{ReadTxn, StateVector, Transact};

use crate::gate::{Gate, Need};
use crate::json;
use crate::load::{load_document, LoadError};
use crate::metrics::Metrics;
use crate::refusal::Refusal;
use crate::room;
use crate::room_command::{ApplyError, RoomCommand};
use crate::rooms::Rooms;

/// What the API handlers need.
#[derive(Clone)]
pub(crate) struct Api {
    pub(crate) rooms: Arc<Rooms>,
    pub(crate) store: Arc<dyn DocStore>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) gate: Gate,
    /// The largest update body accepted.
    pub(crate) max_body: usize,
}

/// The query of `/api/quarantine/{room}`: `?seq=N` names one quarantined update.
#[derive(Deserialize)]
pub(crate) struct QuarantineQuery {
    pub(crate) seq: Option<u64>,
}

#[derive(Serialize)]
struct QuarantineEntry {
    seq: u64,
    bytes: usize,
    reason: String,
    quarantined_at_ms: u64,
}

#[derive(Serialize)]
struct QuarantineList {
    room: String,
    quarantined: Vec<QuarantineEntry>,
}

#[derive(Serialize)]
struct RoomInfo {
    name: String,
    updates: u64,
    bytes: u64,
    loaded: bool,
}

#[derive(Serialize)]
struct RoomList {
    rooms: Vec<RoomInfo>,
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = serde_json::json!({ "error": message.into(), "status": status.as_u16() });
    warp::reply::with_status(warp::reply::json(&body), status).into_response()
}

fn store_error(err: &StoreError) -> Response {
    error(StatusCode::SERVICE_UNAVAILABLE, err.to_string())
}

impl Api {
    /// `GET /api/rooms`: stored rooms with their sizes, plus rooms loaded but not yet stored.
    pub(crate) async fn list(&self) -> Response {
        let stored = match self.store.list().await {
            Ok(stored) => stored,
            Err(err) => return store_error(&err),
        };
        let loaded = self.rooms.loaded_names();
        let mut rooms: BTreeMap<String, RoomInfo> = stored
            .into_iter()
            .map(|doc| {
                let info = RoomInfo {
                    loaded: loaded.contains(&doc.name),
                    name: doc.name.clone(),
                    updates: doc.updates,
                    bytes: doc.bytes,
                };
                (doc.name, info)
            })
            .collect();
        for name in loaded {
            rooms.entry(name.clone()).or_insert(RoomInfo {
                name,
                updates: 0,
                bytes: 0,
                loaded: true,
            });
        }
        warp::reply::json(&RoomList {
            rooms: rooms.into_values().collect(),
        })
        .into_response()
    }

    /// `GET /api/rooms/{room}`: the state as one v1 update, or `?format=json` the root types.
    pub(crate) async fn get(&self, room: &str, as_json: bool) -> Response {
        if let Some(handle) = self.rooms.get_existing(room) {
            let answer = if as_json {
                let (reply, answer) = oneshot::channel();
                if handle
                    .commands
                    .send(RoomCommand::ToJson { reply })
                    .await
                    .is_ok()
                {
                    answer
                        .await
                        .ok()
                        .map(|json| warp::reply::json(&json).into_response())
                } else {
                    None
                }
            } else {
                let (reply, answer) = oneshot::channel();
                if handle
                    .commands
                    .send(RoomCommand::Encode { reply })
                    .await
                    .is_ok()
                {
                    answer.await.ok().map(octet_stream)
                } else {
                    None
                }
            };
            if let Some(response) = answer {
                return response;
            }
            // The room unloaded meanwhile: its state is in the store.
        }
        let doc = match load_document(&*self.store, &self.metrics, room).await {
            Ok(loaded) if loaded.updates == 0 => {
                return error(StatusCode::NOT_FOUND, format!("no room named {room:?}"))
            }
            Ok(loaded) => loaded.doc,
            Err(LoadError::Store(err)) => return store_error(&err),
            Err(err @ LoadError::Unreadable(_)) => {
                return error(StatusCode::INTERNAL_SERVER_ERROR, err.to_string())
            }
        };
        if as_json {
            warp::reply::json(&json::doc_to_json(&doc)).into_response()
        } else {
            let state = doc
                .transact()
                .encode_state_as_update_v1(&StateVector::default());
            octet_stream(state)
        }
    }

    /// `POST /api/rooms/{room}/update`: applies a v1 update; connected clients receive it.
    /// Answers once it is stored.
    pub(crate) async fn apply(&self, room: &str, update: Bytes) -> Response {
        // Reject bad bytes before a room is loaded (or created) for them.
        if let Err(reason) = room::decode_update(&update) {
            return error(StatusCode::BAD_REQUEST, reason.text());
        }
        let (reply, answer) = oneshot::channel();
        if !self.send(room, RoomCommand::Apply { update, reply }).await {
            return error(StatusCode::SERVICE_UNAVAILABLE, "the room is unavailable");
        }
        match answer.await {
            Ok(Ok(())) => warp::reply::with_status(
                warp::reply::json(&serde_json::json!({ "applied": true })),
                StatusCode::OK,
            )
            .into_response(),
            Ok(Err(ApplyError::Invalid(reason))) => error(StatusCode::BAD_REQUEST, reason),
            Ok(Err(ApplyError::TooLarge(reason))) => error(StatusCode::PAYLOAD_TOO_LARGE, reason),
            Ok(Err(ApplyError::Store(err))) => store_error(&err),
            Err(_) => error(StatusCode::SERVICE_UNAVAILABLE, "the room is unavailable"),
        }
    }

    /// `DELETE /api/rooms/{room}`: closes the room's connections (4410) and deletes its storage.
    pub(crate) async fn delete(&self, room: &str) -> Response {
        let (reply, answer) = oneshot::channel();
        if !self.send(room, RoomCommand::Delete { reply }).await {
            return error(StatusCode::SERVICE_UNAVAILABLE, "the room is unavailable");
        }
        match answer.await {
            Ok(Ok(())) => {
                warp::reply::json(&serde_json::json!({ "deleted": room })).into_response()
            }
            Ok(Err(err)) => store_error(&err),
            Err(_) => error(StatusCode::SERVICE_UNAVAILABLE, "the room is unavailable"),
        }
    }

    /// `GET /api/connections/{room}`: the room's open connections, with each token's `sub`.
    pub(crate) fn connections(&self, room: &str) -> Response {
        warp::reply::json(&serde_json::json!({
            "room": room,
            "connections": self.rooms.connections_of(room),
        }))
        .into_response()
    }

    /// `GET /api/quarantine/{room}`: the room's quarantined updates (without their bytes).
    pub(crate) async fn quarantined(&self, room: &str) -> Response {
        match self.store.quarantined(room).await {
            Ok(updates) => warp::reply::json(&QuarantineList {
                room: room.to_owned(),
                quarantined: updates
                    .into_iter()
                    .map(|u| QuarantineEntry {
                        seq: u.seq,
                        bytes: u.data.len(),
                        reason: u.reason,
                        quarantined_at_ms: u.quarantined_at_ms,
                    })
                    .collect(),
            })
            .into_response(),
            Err(err) => store_error(&err),
        }
    }

    /// `GET /api/quarantine/{room}?seq=N`: one quarantined update's bytes, as stored.
    pub(crate) async fn quarantined_update(&self, room: &str, seq: u64) -> Response {
        match self.store.quarantined(room).await {
            Ok(updates) => match updates.into_iter().find(|u| u.seq == seq) {
                Some(update) => octet_stream(update.data.to_vec()),
                None => error(
                    StatusCode::NOT_FOUND,
                    format!("room {room:?} has no quarantined update {seq}"),
                ),
            },
            Err(err) => store_error(&err),
        }
    }

    /// `DELETE /api/quarantine/{room}?seq=N`: deletes one quarantined update for good.
    pub(crate) async fn delete_quarantined(&self, room: &str, seq: Option<u64>) -> Response {
        let Some(seq) = seq else {
            return error(
                StatusCode::BAD_REQUEST,
                "say which quarantined update to delete: ?seq=N",
            );
        };
        match self.store.delete_quarantined(room, seq).await {
            Ok(true) => warp::reply::json(&serde_json::json!({ "deleted": seq, "room": room }))
                .into_response(),
            Ok(false) => error(
                StatusCode::NOT_FOUND,
                format!("room {room:?} has no quarantined update {seq}"),
            ),
            Err(err) => store_error(&err),
        }
    }
}

impl Api {
    /// Whether the request's token allows `need` on `room` (`None`: the server itself); the
    /// refusal's answer otherwise.
    pub(crate) fn allow(
        &self,
        room: Option<&str>,
        need: Need,
        headers: &warp::http::HeaderMap,
    ) -> Result<(), Refusal> {
        self.gate.admit_api(room, need, headers).map(drop)
    }

    /// Sends a command to the room, starting it if needed. A send fails only while a task is
    /// ending; the next handle is a fresh task, so a few tries suffice.
    async fn send(&self, room: &str, mut command: RoomCommand) -> bool {
        for _ in 0..3 {
            match self.rooms.handle(room).commands.send(command).await {
                Ok(()) => return true,
                Err(returned) => command = returned.0,
            }
        }
        false
    }
}

fn octet_stream(bytes: Vec<u8>) -> Response {
    warp::reply::with_header(bytes, "content-type", "application/octet-stream").into_response()
}
