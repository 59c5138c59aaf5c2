//! Per-connection rate limits: a token bucket for messages and one for bytes, on an injected
//! clock so that tests decide what time it is.

use std::time::Instant;

use super::Limits;

/// Which rate a connection passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RateKind {
    /// WebSocket messages.
    Messages,
    /// Bytes of WebSocket messages.
    Bytes,
}

impl RateKind {
    fn unit(self) -> &'static str {
        match self {
            RateKind::Messages => "messages",
            RateKind::Bytes => "bytes",
        }
    }
}

/// A connection sent more than a limit allows; the text is the close reason
/// ("over 200 messages per second").
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("over {per_second} {} per second", kind.unit())]
pub(crate) struct Exceeded {
    /// Which limit.
    pub(crate) kind: RateKind,
    /// Its configured rate.
    pub(crate) per_second: u64,
}

/// A token bucket: `burst` tokens at most, refilled at `per_second`. It starts full, so a
/// client may send its burst as soon as it connects.
#[derive(Debug, Clone)]
pub(crate) struct RateLimit {
    kind: RateKind,
    per_second: u64,
    burst: u64,
    tokens: f64,
    /// When the tokens were last counted; `None` until the first take.
    counted_at: Option<Instant>,
}

impl RateLimit {
    /// A full bucket of `burst` tokens refilled at `per_second`.
    pub(crate) fn new(kind: RateKind, per_second: u64, burst: u64) -> Self {
        RateLimit {
            kind,
            per_second,
            burst,
            tokens: burst as f64,
            counted_at: None,
        }
    }

    /// Takes `amount` tokens at time `now`.
    ///
    /// # Errors
    /// [`Exceeded`] when fewer than `amount` tokens are left; nothing is taken then.
    pub(crate) fn take(&mut self, now: Instant, amount: u64) -> Result<(), Exceeded> {
        if let Some(then) = self.counted_at {
            // A clock that went backwards (another thread's `now`) refills nothing.
            let elapsed = now.saturating_duration_since(then).as_secs_f64();
            self.tokens = (self.tokens + elapsed * self.per_second as f64).min(self.burst as f64);
        }
        self.counted_at = Some(now);
        let amount = amount as f64;
        if amount > self.tokens {
            return Err(Exceeded {
                kind: self.kind,
                per_second: self.per_second,
            });
        }
        self.tokens -= amount;
        Ok(())
    }
}

/// The two rates of one connection: messages and bytes.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionRate {
    messages: RateLimit,
    bytes: RateLimit,
}

impl ConnectionRate {
    /// The rates `limits` set. The byte burst is raised to `max_message_size` when smaller,
    /// so that one message of the largest accepted size (a big initial sync) always passes.
    pub(crate) fn new(limits: &Limits, max_message_size: usize) -> Self {
        ConnectionRate {
            messages: RateLimit::new(
                RateKind::Messages,
                u64::from(limits.messages_per_second),
                u64::from(limits.message_burst),
            ),
            bytes: RateLimit::new(
                RateKind::Bytes,
                limits.bytes_per_second as u64,
                limits.byte_burst.max(max_message_size) as u64,
            ),
        }
    }

    /// Counts one received message of `len` bytes at time `now`.
    ///
    /// # Errors
    /// [`Exceeded`] names the first limit the message passes; the connection is to be
    /// closed with 1008 and [`Exceeded`]'s text.
    pub(crate) fn admit(&mut self, now: Instant, len: usize) -> Result<(), Exceeded> {
        self.messages.take(now, 1)?;
        self.bytes.take(now, len as u64)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_full_bucket_admits_its_burst_then_refuses() {
        let start = Instant::now();
        let mut limit = RateLimit::new(RateKind::Messages, 10, 3);
        for _ in 0..3 {
            limit.take(start, 1).unwrap();
        }
        let refused = limit.take(start, 1).unwrap_err();
        assert_eq!(refused.to_string(), "over 10 messages per second");
    }

    #[test]
    fn tokens_come_back_at_the_configured_rate() {
        let start = Instant::now();
        let mut limit = RateLimit::new(RateKind::Messages, 10, 10);
        limit.take(start, 10).unwrap();
        assert!(limit.take(start + Duration::from_millis(50), 1).is_err());
        // 100 ms at 10 per second is one token (minus the 50 ms already counted: none lost).
        limit.take(start + Duration::from_millis(100), 1).unwrap();
        assert!(limit.take(start + Duration::from_millis(100), 1).is_err());
    }

    #[test]
    fn refill_stops_at_the_burst() {
        let start = Instant::now();
        let mut limit = RateLimit::new(RateKind::Bytes, 1_000, 100);
        limit.take(start, 100).unwrap();
        let much_later = start + Duration::from_secs(3_600);
        limit.take(much_later, 100).unwrap();
        let refused = limit.take(much_later, 1).unwrap_err();
        assert_eq!(refused.to_string(), "over 1000 bytes per second");
    }

    #[test]
    fn a_refused_take_takes_nothing() {
        let start = Instant::now();
        let mut limit = RateLimit::new(RateKind::Bytes, 1, 10);
        assert!(limit.take(start, 11).is_err());
        limit.take(start, 10).unwrap();
    }

    #[test]
    fn a_clock_going_backwards_refills_nothing() {
        let start = Instant::now() + Duration::from_secs(10);
        let mut limit = RateLimit::new(RateKind::Messages, 100, 1);
        limit.take(start, 1).unwrap();
        assert!(limit.take(start - Duration::from_secs(5), 1).is_err());
    }

    #[test]
    fn one_message_of_the_largest_accepted_size_always_passes() {
        let limits = Limits {
            bytes_per_second: 1_000,
            byte_burst: 1_000,
            ..Limits::default()
        };
        let mut rate = ConnectionRate::new(&limits, 16 * 1024 * 1024);
        rate.admit(Instant::now(), 16 * 1024 * 1024).unwrap();
    }

    #[test]
    fn a_connection_is_refused_by_whichever_limit_it_passes_first() {
        let limits = Limits {
            messages_per_second: 5,
            message_burst: 2,
            bytes_per_second: 100,
            byte_burst: 100,
            ..Limits::default()
        };
        let now = Instant::now();
        let mut rate = ConnectionRate::new(&limits, 10);
        rate.admit(now, 1).unwrap();
        rate.admit(now, 1).unwrap();
        let refused = rate.admit(now, 1).unwrap_err();
        assert_eq!(refused.kind, RateKind::Messages);

        let mut rate = ConnectionRate::new(&limits, 10);
        rate.admit(now, 100).unwrap();
        let refused = rate.admit(now + Duration::from_secs(1), 101).unwrap_err();
        assert_eq!(refused.to_string(), "over 100 bytes per second");
    }

    #[test]
    fn the_default_limits_let_a_fast_typist_through_for_a_minute() {
        let mut rate = ConnectionRate::new(&Limits::default(), 16 * 1024 * 1024);
        let start = Instant::now();
        // 30 keystrokes and 30 cursor moves a second, each its own message.
        for tick in 0..60 * 60 {
            let now = start + Duration::from_millis(tick * 1_000 / 60);
            rate.admit(now, 40).unwrap();
        }
    }
}
