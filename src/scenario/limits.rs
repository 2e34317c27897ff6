//! Deadlines and limits of a scenario's connections: the process's values (flags, else
//! the defaults) with the scenario's `deadlines:` and `limits:` keys on top.

use std::time::Duration;

use serde::Serialize;

use crate::observe::Deadline;

/// Every deadline of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deadlines {
    /// From accept to the complete ClientHello (default 10 s).
    pub first_flight: Duration,
    /// From the ClientHello to the end of the handshake, however many records it takes
    /// (default 10 s).
    pub handshake: Duration,
    /// From the handshake's end to the end of the HTTP request head (default 10 s).
    pub request_head: Duration,
    /// Between two application reads, restarting at each byte read (default 10 s).
    pub idle: Duration,
    /// For one write to be taken by the socket (default 10 s).
    pub write: Duration,
    /// From accept to the end of the connection (default 120 s).
    pub connection: Duration,
}

impl Default for Deadlines {
    fn default() -> Self {
        let ten = Duration::from_secs(10);
        Self {
            first_flight: ten,
            handshake: ten,
            request_head: ten,
            idle: ten,
            write: ten,
            connection: Duration::from_secs(120),
        }
    }
}

impl Deadlines {
    /// The duration of `deadline`.
    pub fn get(&self, deadline: Deadline) -> Duration {
        match deadline {
            Deadline::FirstFlight => self.first_flight,
            Deadline::Handshake => self.handshake,
            Deadline::RequestHead => self.request_head,
            Deadline::Idle => self.idle,
            Deadline::Write => self.write,
            Deadline::Connection => self.connection,
        }
    }

    fn slot(&mut self, deadline: Deadline) -> &mut Duration {
        match deadline {
            Deadline::FirstFlight => &mut self.first_flight,
            Deadline::Handshake => &mut self.handshake,
            Deadline::RequestHead => &mut self.request_head,
            Deadline::Idle => &mut self.idle,
            Deadline::Write => &mut self.write,
            Deadline::Connection => &mut self.connection,
        }
    }

    /// These deadlines with `overrides` (a scenario's `deadlines:`) replacing theirs.
    pub fn with(mut self, overrides: &[(Deadline, Duration)]) -> Self {
        for &(deadline, value) in overrides {
            *self.slot(deadline) = value;
        }
        self
    }
}

/// A scenario's limits; `None` keeps the process's value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ScenarioLimits {
    /// Concurrent connections of this scenario; more are accepted and closed at once.
    pub connections: Option<u64>,
    /// Bytes read and written on one connection before it is cut.
    pub bytes: Option<u64>,
}

/// Why a duration (`500ms`, `10s`, `2m`) did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration `{0}` (hint: a whole number and a unit: ms, s or m, e.g. 500ms or 10s)")]
pub struct DurationError(pub String);

/// Parse a duration as scenario keys and flags write it: a whole number of `ms`, `s` or
/// `m`; zero is refused (a deadline that passes at once would serve nothing).
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let err = || DurationError(text.to_string());
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let n: u64 = number.parse().map_err(|_| err())?;
    let duration = match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.checked_mul(60).ok_or_else(err)?),
        _ => return Err(err()),
    };
    if duration.is_zero() {
        return Err(err());
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units_and_refuse_the_rest() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        for bad in [
            "",
            "10",
            "s",
            "1.5s",
            "-1s",
            "0s",
            "10 s",
            "10h",
            "99999999999999999999m",
        ] {
            assert_eq!(parse_duration(bad), Err(DurationError(bad.into())), "{bad}");
        }
    }

    #[test]
    fn overrides_replace_only_their_deadline() {
        let base = Deadlines::default();
        let d = base.with(&[(Deadline::Handshake, Duration::from_secs(1))]);
        assert_eq!(d.get(Deadline::Handshake), Duration::from_secs(1));
        assert_eq!(d.get(Deadline::Connection), Duration::from_secs(120));
        assert_eq!(d.first_flight, base.first_flight);
    }
}
