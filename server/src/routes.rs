//! The HTTP routes of one server: the WebSocket relay, `/health`, `/metrics`, the document
//! API, the development token endpoint and static files. Every route that touches a room
//! passes the [`Gate`] first.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::watch;
use warp::filters::path::Tail;
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::api::{Api, QuarantineQuery};
use crate::auth::{self, source, Access, Claims, Secret};
use crate::config::MetricsAccess;
use crate::connection::{self, Client, ConnectionLimits};
use crate::gate::{Gate, Need};
use crate::health;
use crate::hocuspocus;
use crate::http_serve::client_addr;
use crate::limits::{AllowedOrigins, ConnectionCounter, TrustedProxies};
use crate::metrics::Metrics;
use crate::refusal::Refusal;
use crate::rooms::Rooms;
use crate::upgrade::{self, UpgradeRequest};

/// What the routes share.
pub(crate) struct RouteContext {
    pub(crate) rooms: Arc<Rooms>,
    pub(crate) api: Api,
    pub(crate) gate: Gate,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) limits: ConnectionLimits,
    pub(crate) shutdown: watch::Receiver<bool>,
    pub(crate) metrics_access: MetricsAccess,
    /// The secret the development token endpoint mints with; `None` leaves it out.
    pub(crate) dev_token_secret: Option<Secret>,
    pub(crate) static_dir: Option<PathBuf>,
    /// Open WebSocket connections, admitted at upgrade.
    pub(crate) connections: ConnectionCounter,
    /// Browser origins allowed to open a WebSocket.
    pub(crate) origins: AllowedOrigins,
    /// Whose `X-Forwarded-For` names the client.
    pub(crate) proxies: TrustedProxies,
    /// What `/health` reports on.
    pub(crate) health: health::HealthSource,
}

/// Every route, in the order they are tried.
pub(crate) fn all(
    context: RouteContext,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone + Send + Sync + 'static {
    let RouteContext {
        rooms,
        api,
        gate,
        metrics,
        limits,
        shutdown,
        metrics_access,
        dev_token_secret,
        static_dir,
        connections,
        origins,
        proxies,
        health: health_source,
    } = context;
    let ws_proxies = proxies.clone();
    let stateless = Arc::new(hocuspocus::StatelessHub::default());

    let ws_rooms = Arc::clone(&rooms);
    let ws_gate = gate.clone();
    let websocket = upgrade::websocket().and(client_addr()).map(
        move |request: UpgradeRequest, addr: Option<SocketAddr>| {
            // The room is the raw path after the leading '/', as the Node server does; the query
            // (which may carry the token) is not part of it.
            let path = request.path.as_str();
            let room = path.strip_prefix('/').unwrap_or(path).to_owned();
            let origin = request.headers.get(warp::http::header::ORIGIN);
            if !origins.allows(origin.and_then(|value| value.to_str().ok())) {
                let refusal = Refusal::new(
                    StatusCode::FORBIDDEN,
                    "origin_not_allowed",
                    "this origin may not open a WebSocket here (--allowed-origin)",
                );
                return ws_gate.refuse("websocket", &room, refusal).into_response();
            }
            // Counted before the token is checked: a full server turns clients away without
            // the cost of verifying them. Dropping the guard (a refused token) frees the place.
            let peer = addr.map_or(std::net::Ipv4Addr::UNSPECIFIED.into(), |addr| addr.ip());
            let ip = ws_proxies.client_address(peer, &request.headers);
            let is_hocuspocus = path == hocuspocus::PATH;
            // A Hocuspocus socket carries many rooms: it counts against the server's and the
            // address's limits, under a name of its own so that the sockets do not share one
            // room's limit.
            let counted = if is_hocuspocus {
                hocuspocus::socket_key()
            } else {
                room.clone()
            };
            let guard = match connections.try_admit(&counted, ip) {
                Ok(guard) => guard,
                Err(full) => {
                    let refusal = Refusal::new(full.status(), full.label(), full.to_string());
                    return ws_gate.refuse("websocket", &room, refusal).into_response();
                }
            };
            if is_hocuspocus {
                // Each document sends its own token; one on the upgrade stands in for an empty one.
                let upgrade_token = (!ws_gate.is_open())
                    .then(|| source::upgrade_token(&request.headers, &request.query).ok())
                    .flatten();
                let subprotocol =
                    source::offers_ycord(&request.headers).then_some(auth::SUBPROTOCOL);
                let ctx = hocuspocus::SocketContext {
                    rooms: Arc::clone(&ws_rooms),
                    gate: ws_gate.clone(),
                    hub: Arc::clone(&stateless),
                    limits: limits.clone(),
                    connections: connections.clone(),
                    shutdown: shutdown.clone(),
                };
                return request.accept(
                    limits.max_message_size,
                    subprotocol,
                    move |socket| async move {
                        hocuspocus::serve(socket, upgrade_token, ctx).await;
                        drop(guard);
                    },
                );
            }
            let admitted = match ws_gate.admit_upgrade(&room, &request.headers, &request.query) {
                Ok(admitted) => admitted,
                Err(refusal) => return refusal.into_response(),
            };
            let client = Client {
                admitted,
                relay_read_only_awareness: ws_gate.relay_read_only_awareness,
            };
            let subprotocol = source::offers_ycord(&request.headers).then_some(auth::SUBPROTOCOL);
            let rooms = Arc::clone(&ws_rooms);
            let limits = limits.clone();
            let shutdown = shutdown.clone();
            request.accept(
                limits.max_message_size,
                subprotocol,
                move |socket| async move {
                    connection::serve(socket, room, client, rooms, limits, shutdown).await;
                    drop(guard);
                },
            )
        },
    );

    let health = warp::path!("health")
        .and(warp::get())
        .map(move || health::report(&health_source).into_response());

    let metrics_gate = gate.clone();
    let metrics_route = warp::path!("metrics")
        .and(warp::get())
        .and(client_addr())
        .and(warp::header::headers_cloned())
        .map(move |remote: Option<SocketAddr>, headers: HeaderMap| {
            // Behind a proxy on the same host every request is from loopback: what counts is
            // the client the proxy names.
            let client = remote.map(|addr| proxies.client_address(addr.ip(), &headers));
            if let Err(refusal) = metrics_allowed(metrics_access, &metrics_gate, client, &headers) {
                return refusal.into_response();
            }
            warp::reply::with_header(
                metrics.render(rooms.stats()),
                "content-type",
                Metrics::CONTENT_TYPE,
            )
            .into_response()
        });

    let api_routes = api_routes(api);

    let dev_token = warp::path!("dev" / "token")
        .and(warp::get())
        .and(warp::query::<HashMap<String, String>>())
        .and_then(move |query: HashMap<String, String>| {
            let secret = dev_token_secret.clone();
            async move {
                match secret {
                    Some(secret) => Ok(dev_token(&secret, &query)),
                    None => Err(warp::reject::not_found()),
                }
            }
        });

    // Last, so that the relay and the API take precedence over a file of the same name.
    let files = match static_dir {
        Some(dir) => warp::get()
            .and(warp::fs::dir(dir))
            .map(|file: warp::fs::File| file.into_response())
            .boxed(),
        None => warp::any()
            .and_then(|| async { Err::<Response, _>(warp::reject::not_found()) })
            .boxed(),
    };
    // Without this, a GET nothing answers gets warp's 400 about the missing upgrade header
    // of the WebSocket route, which misleads whoever opened the URL in a browser.
    let nothing_here = warp::get().map(|| {
        warp::reply::with_status(
            "not found: rooms are WebSocket URLs (ws://host:port/<room>)\n",
            StatusCode::NOT_FOUND,
        )
        .into_response()
    });

    websocket
        .or(health)
        .unify()
        .or(metrics_route)
        .unify()
        .or(api_routes)
        .unify()
        .or(dev_token)
        .unify()
        .or(files)
        .unify()
        .or(nothing_here)
        .unify()
}

/// `/api/rooms…`, `/api/connections/…` and `/api/quarantine/…`, each behind the token it needs.
fn api_routes(
    api: Api,
) -> impl Filter<Extract = (Response,), Error = Rejection> + Clone + Send + Sync + 'static {
    let max_body = api.max_body as u64;
    let with_api = warp::any().map(move || api.clone());
    let list = warp::path!("api" / "rooms")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(with_api.clone())
        .then(|headers: HeaderMap, api: Api| async move {
            match api.allow(None, Need::Admin, &headers) {
                Ok(()) => api.list().await,
                Err(refused) => refused.into_response(),
            }
        });
    let get = room_request(
        "rooms",
        warp::get(),
        whole_tail,
        Need::Read,
        with_api.clone(),
    )
    .and(warp::query::<HashMap<String, String>>())
    .then(|allowed: Allowed, query: HashMap<String, String>| {
        let as_json = query.get("format").is_some_and(|f| f == "json");
        answer(allowed, move |room, api| async move {
            api.get(&room, as_json).await
        })
    });
    let post = room_request(
        "rooms",
        warp::post(),
        update_tail,
        Need::Write,
        with_api.clone(),
    )
    .and(warp::body::content_length_limit(max_body))
    .and(warp::body::bytes())
    .then(|allowed: Allowed, body: Bytes| {
        answer(
            allowed,
            |room, api| async move { api.apply(&room, body).await },
        )
    });
    let delete = room_request(
        "rooms",
        warp::delete(),
        whole_tail,
        Need::Write,
        with_api.clone(),
    )
    .then(|allowed: Allowed| answer(allowed, |room, api| async move { api.delete(&room).await }));
    let connections = room_request(
        "connections",
        warp::get(),
        whole_tail,
        Need::Read,
        with_api.clone(),
    )
    .then(|allowed: Allowed| answer(allowed, |room, api| async move { api.connections(&room) }));
    // The quarantine has its own prefix: room names may contain '/', so a suffix after
    // the room could not be told apart from a room's name. Quarantined bytes are what some
    // client sent into the room, so reading them needs write access to it, like deleting.
    let quarantine_get = room_request(
        "quarantine",
        warp::get(),
        whole_tail,
        Need::Write,
        with_api.clone(),
    )
    .and(warp::query::<QuarantineQuery>())
    .then(|allowed: Allowed, query: QuarantineQuery| {
        answer(allowed, move |room, api| async move {
            match query.seq {
                Some(seq) => api.quarantined_update(&room, seq).await,
                None => api.quarantined(&room).await,
            }
        })
    });
    let quarantine_delete = room_request(
        "quarantine",
        warp::delete(),
        whole_tail,
        Need::Write,
        with_api,
    )
    .and(warp::query::<QuarantineQuery>())
    .then(|allowed: Allowed, query: QuarantineQuery| {
        answer(allowed, move |room, api| async move {
            api.delete_quarantined(&room, query.seq).await
        })
    });
    list.or(get)
        .unify()
        .or(connections)
        .unify()
        .or(post)
        .unify()
        .or(delete)
        .unify()
        .or(quarantine_get)
        .unify()
        .or(quarantine_delete)
        .unify()
}

/// A room request the token allows (the room and the API), or the refusal.
type Allowed = Result<(String, Api), Refusal>;

/// The room of `/api/<section>/<tail>` is the whole tail.
fn whole_tail(tail: &str) -> Option<&str> {
    Some(tail)
}

/// The room of `POST /api/rooms/<room>/update`.
fn update_tail(tail: &str) -> Option<&str> {
    tail.strip_suffix("/update")
}

/// `/api/<section>/<tail>` with `method`, whose room `room_of` finds in the tail (requests
/// where it finds none are left to other routes), checked for `need`.
fn room_request<M>(
    section: &'static str,
    method: M,
    room_of: fn(&str) -> Option<&str>,
    need: Need,
    with_api: impl Filter<Extract = (Api,), Error = std::convert::Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
) -> impl Filter<Extract = (Allowed,), Error = Rejection> + Clone + Send + Sync + 'static
where
    M: Filter<Extract = (), Error = Rejection> + Clone + Send + Sync + 'static,
{
    warp::path("api")
        .and(warp::path(section))
        .and(warp::path::tail())
        .and(method)
        .and(warp::header::headers_cloned())
        .and(with_api)
        .and_then(move |tail: Tail, headers: HeaderMap, api: Api| async move {
            let Some(room) = room_of(tail.as_str()) else {
                return Err(warp::reject::not_found());
            };
            Ok(api
                .allow(Some(room), need, &headers)
                .map(|()| (room.to_owned(), api)))
        })
}

/// `respond` to an allowed request; the refusal's answer otherwise.
async fn answer<F, Fut>(allowed: Allowed, respond: F) -> Response
where
    F: FnOnce(String, Api) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    match allowed {
        Ok((room, api)) => respond(room, api).await,
        Err(refused) => refused.into_response(),
    }
}

fn metrics_allowed(
    access: MetricsAccess,
    gate: &Gate,
    client: Option<std::net::IpAddr>,
    headers: &HeaderMap,
) -> Result<(), Refusal> {
    match access {
        MetricsAccess::Open => Ok(()),
        MetricsAccess::Loopback if client.is_some_and(|ip| ip.to_canonical().is_loopback()) => {
            Ok(())
        }
        MetricsAccess::Loopback => Err(gate.refuse(
            "api",
            "",
            Refusal::new(
                StatusCode::FORBIDDEN,
                "metrics_loopback_only",
                "/metrics is served to loopback clients only (--metrics-access)",
            ),
        )),
        MetricsAccess::AdminToken if gate.is_open() => Err(gate.refuse(
            "api",
            "",
            Refusal::new(
                StatusCode::FORBIDDEN,
                "admin_required",
                "/metrics needs an admin token, and this server checks no tokens",
            ),
        )),
        MetricsAccess::AdminToken => gate.admit_api(None, Need::Admin, headers).map(drop),
    }
}

/// `GET /dev/token?room=R&access=rw|ro`: a token valid for an hour.
fn dev_token(secret: &Secret, query: &HashMap<String, String>) -> Response {
    let Some(room) = query.get("room").filter(|room| !room.is_empty()) else {
        return Refusal::new(
            StatusCode::BAD_REQUEST,
            "missing_room",
            "say which room: ?room=R",
        )
        .into_response();
    };
    let access = match query.get("access").map(String::as_str) {
        None | Some("rw") => Access::ReadWrite,
        Some("ro") => Access::ReadOnly,
        Some(_) => {
            return Refusal::new(StatusCode::BAD_REQUEST, "bad_access", "access is rw or ro")
                .into_response()
        }
    };
    let mut claims = Claims::new(room.clone(), access, Duration::from_secs(3600));
    claims.sub = query.get("sub").cloned();
    warp::reply::with_header(
        auth::mint_hs256(secret.as_bytes(), &claims),
        "cache-control",
        "no-store",
    )
    .into_response()
}
