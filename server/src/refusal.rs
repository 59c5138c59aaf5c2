//! A request refused before it reaches a room: the status, a stable reason and a sentence,
//! answered as JSON (`{"error": "...", "reason": "...", "status": N}`) and logged once.

use warp::http::StatusCode;
use warp::reply::Response;
use warp::Reply;

/// Why a WebSocket upgrade or an HTTP API request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// The HTTP status.
    pub(crate) status: StatusCode,
    /// A short, stable label (metrics, logs, the JSON `reason`).
    pub(crate) reason: &'static str,
    /// What went wrong, for a person.
    pub(crate) message: String,
}

impl Refusal {
    pub(crate) fn new(
        status: StatusCode,
        reason: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Refusal {
            status,
            reason,
            message: message.into(),
        }
    }

    /// The JSON answer.
    pub(crate) fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": self.message,
            "reason": self.reason,
            "status": self.status.as_u16(),
        });
        let mut response =
            warp::reply::with_status(warp::reply::json(&body), self.status).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                warp::http::header::WWW_AUTHENTICATE,
                warp::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }

    /// The structured log line of this refusal; `what` is `websocket` or `api`.
    pub(crate) fn log(&self, what: &'static str, room: &str) {
        tracing::warn!(
            endpoint = what,
            room = %room,
            status = self.status.as_u16(),
            reason = self.reason,
            detail = %self.message,
            "request refused"
        );
    }
}
