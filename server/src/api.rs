//! The HTTP document API under `/api/`: list rooms, read a room's state, apply an update,
//! delete a room. Errors are JSON: `{"error": "...", "status": N}`.
//!
//! A room is addressed by the raw path after `/api/rooms/`, exactly as a WebSocket client
//! addresses it after `/` (not percent-decoded), so names may contain `/`.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use tokio::sync::oneshot;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::Reply;
use ycord_persistence::{DocStore, StoreError};
use yrs::updates::decoder::Decode;
use yrs::{ReadTxn, StateVector, Transact, Update};

use crate::json;
use crate::room;
use crate::room_task::{ApplyError, RoomCommand};
use crate::rooms::Rooms;

/// What the API handlers need.
#[derive(Clone)]
pub(crate) struct Api {
    pub(crate) rooms: Arc<Rooms>,
    pub(crate) store: Arc<dyn DocStore>,
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
        let updates = match self.store.load(room).await {
            Ok(updates) if updates.is_empty() => {
                return error(StatusCode::NOT_FOUND, format!("no room named {room:?}"))
            }
            Ok(updates) => updates,
            Err(err) => return store_error(&err),
        };
        let slices: Vec<&[u8]> = updates.iter().map(|u| &u.data[..]).collect();
        let doc = match room::doc_from_updates(&slices) {
            Ok(doc) => doc,
            Err(err) => {
                let message = format!("stored document is unreadable: {err}");
                return error(StatusCode::INTERNAL_SERVER_ERROR, message);
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
        if let Err(err) = Update::decode_v1(&update) {
            return error(StatusCode::BAD_REQUEST, format!("invalid update: {err}"));
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
}

impl Api {
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
