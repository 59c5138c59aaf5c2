//! Open WebSocket connections counted in total, per room and per client address, so that an
//! upgrade past a limit is refused before it costs the server a socket task.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, MutexGuard};

use warp::http::StatusCode;

use super::Limits;

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Full {
    /// The server has its maximum of open connections.
    #[error("the server is full ({limit} connections); try again later")]
    Server {
        /// [`Limits::max_connections`].
        limit: usize,
    },
    /// The room has its maximum of open connections.
    #[error("the room is full ({limit} connections); try again later")]
    Room {
        /// [`Limits::max_connections_per_room`].
        limit: usize,
    },
    /// The client's address has its maximum of open connections.
    #[error("too many connections from your address (at most {limit})")]
    Ip {
        /// [`Limits::max_connections_per_ip`].
        limit: usize,
    },
}

impl Full {
    /// The HTTP status of the refused upgrade: 503 when the server or room is full (nothing
    /// the client did), 429 when this client holds too many connections.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Full::Server { .. } | Full::Room { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Full::Ip { .. } => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    /// A short, stable label for logs, metrics and the JSON `reason`.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Full::Server { .. } => "server_full",
            Full::Room { .. } => "room_full",
            Full::Ip { .. } => "too_many_connections_from_address",
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    rooms: HashMap<Arc<str>, usize>,
    addresses: HashMap<IpAddr, usize>,
}

/// The open connections of a server. Cheap to clone; every clone counts the same
/// connections.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionCounter {
    counts: Arc<Mutex<Counts>>,
    max_total: usize,
    max_per_room: usize,
    max_per_address: usize,
    exempt_loopback: bool,
}

/// One admitted connection; dropping it (when the connection ends) gives its place back.
#[derive(Debug)]
pub(crate) struct ConnectionGuard {
    counts: Arc<Mutex<Counts>>,
    room: Arc<str>,
    /// `None` when the address is exempt and was not counted.
    address: Option<IpAddr>,
}

impl ConnectionCounter {
    /// A counter enforcing `limits`' connection limits.
    pub(crate) fn new(limits: &Limits) -> Self {
        ConnectionCounter {
            counts: Arc::default(),
            max_total: limits.max_connections,
            max_per_room: limits.max_connections_per_room,
            max_per_address: limits.max_connections_per_ip,
            exempt_loopback: limits.exempt_loopback_from_ip_limit,
        }
    }

    /// Admits one more connection to `room` from `ip`, or says which limit is reached.
    ///
    /// # Errors
    /// [`Full`] when the server, the room or the client's address has its maximum; nothing
    /// is counted then.
    pub(crate) fn try_admit(&self, room: &str, ip: IpAddr) -> Result<ConnectionGuard, Full> {
        let is_exempt = self.exempt_loopback && ip.to_canonical().is_loopback();
        let address = (!is_exempt).then(|| address_key(ip));
        let mut counts = self.lock();
        if counts.total >= self.max_total {
            return Err(Full::Server {
                limit: self.max_total,
            });
        }
        if counts.rooms.get(room).copied().unwrap_or(0) >= self.max_per_room {
            return Err(Full::Room {
                limit: self.max_per_room,
            });
        }
        if let Some(address) = address {
            if counts.addresses.get(&address).copied().unwrap_or(0) >= self.max_per_address {
                return Err(Full::Ip {
                    limit: self.max_per_address,
                });
            }
            *counts.addresses.entry(address).or_default() += 1;
        }
        counts.total += 1;
        let room = take_place(&mut counts, room);
        Ok(ConnectionGuard {
            counts: Arc::clone(&self.counts),
            room,
            address,
        })
    }

    /// Admits one more participant to `room` on a socket that was admitted already (a
    /// Hocuspocus socket carries many documents, each a participant of its room): only the
    /// room's limit applies, the socket counted against the others.
    ///
    /// # Errors
    /// [`Full::Room`] when the room has its maximum; nothing is counted then.
    pub(crate) fn try_seat(&self, room: &str) -> Result<RoomSeat, Full> {
        let mut counts = self.lock();
        if counts.rooms.get(room).copied().unwrap_or(0) >= self.max_per_room {
            return Err(Full::Room {
                limit: self.max_per_room,
            });
        }
        let room = take_place(&mut counts, room);
        Ok(RoomSeat {
            counts: Arc::clone(&self.counts),
            room,
        })
    }

    /// Open connections in total, in `room`, and from `ip` (tests read them).
    #[cfg(test)]
    fn open(&self, room: &str, ip: IpAddr) -> (usize, usize, usize) {
        let counts = self.lock();
        (
            counts.total,
            counts.rooms.get(room).copied().unwrap_or(0),
            counts.addresses.get(&address_key(ip)).copied().unwrap_or(0),
        )
    }

    fn lock(&self) -> MutexGuard<'_, Counts> {
        lock(&self.counts)
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let mut counts = lock(&self.counts);
        counts.total -= 1;
        release(&mut counts.rooms, &self.room);
        if let Some(address) = &self.address {
            release(&mut counts.addresses, address);
        }
    }
}

/// One participant of a room on an already admitted socket; dropping it gives the place back.
#[derive(Debug)]
pub(crate) struct RoomSeat {
    counts: Arc<Mutex<Counts>>,
    room: Arc<str>,
}

impl Drop for RoomSeat {
    fn drop(&mut self) {
        release(&mut lock(&self.counts).rooms, &self.room);
    }
}

/// Counts one more in `room`. The room's name is shared with its map entry, so a guard costs
/// no second copy.
fn take_place(counts: &mut Counts, room: &str) -> Arc<str> {
    let room = match counts.rooms.get_key_value(room) {
        Some((name, _)) => Arc::clone(name),
        None => Arc::from(room),
    };
    *counts.rooms.entry(Arc::clone(&room)).or_default() += 1;
    room
}

/// The counts stay consistent even if a thread panicked holding the lock: every update
/// under it is a single step.
fn lock(counts: &Mutex<Counts>) -> MutexGuard<'_, Counts> {
    counts
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Decrements a count and forgets it at zero, so that memory does not grow with every room
/// and address ever seen.
fn release<K, Q>(map: &mut HashMap<K, usize>, key: &Q)
where
    K: Eq + Hash + std::borrow::Borrow<Q>,
    Q: Eq + Hash + ?Sized,
{
    if let Some(count) = map.get_mut(key) {
        *count -= 1;
        if *count == 0 {
            map.remove(key);
        }
    }
}

/// What counts as one client: an IPv4 address, or an IPv6 /64 (one host or one home network
/// is given a whole /64, so counting single IPv6 addresses would limit nobody).
fn address_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total: usize, per_room: usize, per_ip: usize) -> Limits {
        Limits {
            max_connections: total,
            max_connections_per_room: per_room,
            max_connections_per_ip: per_ip,
            exempt_loopback_from_ip_limit: false,
            ..Limits::default()
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_server_total_is_refused_with_503() {
        let counter = ConnectionCounter::new(&limits(2, 10, 10));
        let _a = counter.try_admit("a", ip("10.0.0.1")).unwrap();
        let _b = counter.try_admit("b", ip("10.0.0.2")).unwrap();
        let full = counter.try_admit("c", ip("10.0.0.3")).unwrap_err();
        assert_eq!(full, Full::Server { limit: 2 });
        assert_eq!(full.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn a_full_room_is_refused_with_503_and_other_rooms_still_admit() {
        let counter = ConnectionCounter::new(&limits(10, 1, 10));
        let _a = counter.try_admit("a", ip("10.0.0.1")).unwrap();
        let full = counter.try_admit("a", ip("10.0.0.2")).unwrap_err();
        assert_eq!(full, Full::Room { limit: 1 });
        assert_eq!(full.status(), StatusCode::SERVICE_UNAVAILABLE);
        counter.try_admit("b", ip("10.0.0.2")).unwrap();
    }

    #[test]
    fn one_address_over_its_limit_is_refused_with_429_and_others_still_admit() {
        let counter = ConnectionCounter::new(&limits(10, 10, 2));
        let _a = counter.try_admit("a", ip("10.0.0.1")).unwrap();
        let _b = counter.try_admit("b", ip("10.0.0.1")).unwrap();
        let full = counter.try_admit("c", ip("10.0.0.1")).unwrap_err();
        assert_eq!(full.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            full.to_string(),
            "too many connections from your address (at most 2)"
        );
        counter.try_admit("c", ip("10.0.0.2")).unwrap();
    }

    #[test]
    fn documents_on_a_shared_socket_share_their_rooms_limit_with_every_socket() {
        let counter = ConnectionCounter::new(&limits(10, 2, 10));
        let _socket = counter.try_admit("a", ip("10.0.0.1")).unwrap();
        let seat = counter.try_seat("a").unwrap();
        assert_eq!(counter.try_seat("a").unwrap_err(), Full::Room { limit: 2 });
        counter.try_admit("a", ip("10.0.0.2")).unwrap_err();
        counter.try_seat("b").unwrap();
        drop(seat);
        assert_eq!(counter.open("a", ip("10.0.0.1")), (1, 1, 1));
        counter.try_seat("a").unwrap();
    }

    #[test]
    fn a_refusal_counts_nothing() {
        let counter = ConnectionCounter::new(&limits(10, 1, 10));
        let _a = counter.try_admit("a", ip("10.0.0.1")).unwrap();
        counter.try_admit("a", ip("10.0.0.2")).unwrap_err();
        assert_eq!(counter.open("a", ip("10.0.0.2")), (1, 1, 0));
    }

    #[test]
    fn dropping_the_guard_frees_the_place_and_forgets_empty_entries() {
        let counter = ConnectionCounter::new(&limits(1, 1, 1));
        let guard = counter.try_admit("a", ip("10.0.0.1")).unwrap();
        assert_eq!(counter.open("a", ip("10.0.0.1")), (1, 1, 1));
        drop(guard);
        assert_eq!(counter.open("a", ip("10.0.0.1")), (0, 0, 0));
        let counts = counter.lock();
        assert!(counts.rooms.is_empty() && counts.addresses.is_empty());
        drop(counts);
        counter.try_admit("a", ip("10.0.0.1")).unwrap();
    }

    #[test]
    fn loopback_is_exempt_from_the_address_limit_when_configured() {
        let exempt = Limits {
            exempt_loopback_from_ip_limit: true,
            ..limits(10, 10, 1)
        };
        let counter = ConnectionCounter::new(&exempt);
        let guards: Vec<_> = (0..3)
            .map(|_| counter.try_admit("a", ip("127.0.0.1")).unwrap())
            .chain((0..3).map(|_| counter.try_admit("a", ip("::1")).unwrap()))
            .collect();
        assert_eq!(guards.len(), 6);
        // The total and the room still count loopback clients.
        let tight = ConnectionCounter::new(&Limits {
            exempt_loopback_from_ip_limit: true,
            ..limits(1, 10, 1)
        });
        let _one = tight.try_admit("a", ip("127.0.0.1")).unwrap();
        assert_eq!(
            tight.try_admit("a", ip("127.0.0.1")).unwrap_err(),
            Full::Server { limit: 1 }
        );
    }

    #[test]
    fn ipv6_addresses_of_one_64_prefix_count_as_one_client() {
        let counter = ConnectionCounter::new(&limits(10, 10, 1));
        let _a = counter.try_admit("a", ip("2001:db8:1:2::1")).unwrap();
        assert!(counter.try_admit("a", ip("2001:db8:1:2::ffff")).is_err());
        counter.try_admit("a", ip("2001:db8:1:3::1")).unwrap();
    }

    #[test]
    fn an_ipv4_mapped_ipv6_address_counts_as_its_ipv4_address() {
        let counter = ConnectionCounter::new(&limits(10, 10, 1));
        let _a = counter.try_admit("a", ip("10.0.0.1")).unwrap();
        assert!(counter.try_admit("a", ip("::ffff:10.0.0.1")).is_err());
    }

    #[test]
    fn admissions_from_many_threads_never_pass_the_limit() {
        let counter = ConnectionCounter::new(&limits(50, 1_000, 1_000));
        let admitted: Vec<_> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..8)
                .map(|t| {
                    let counter = counter.clone();
                    scope.spawn(move || {
                        (0..20)
                            .filter_map(|i| {
                                counter.try_admit("a", ip(&format!("10.0.{t}.{i}"))).ok()
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect()
        });
        assert_eq!(admitted.len(), 50);
        drop(admitted);
        assert_eq!(counter.open("a", ip("10.0.0.1")), (0, 0, 0));
    }
}
