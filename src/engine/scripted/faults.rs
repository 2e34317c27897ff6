//! Sending a flight with the scenario's message-level faults applied: byte edits and
//! order first, then how the messages are cut into records and what goes between them.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};

use super::records::RecordIo;
use crate::observe::Direction;
use crate::scenario::{Fault, FaultAction, Step};
use crate::wire::{Alert, AlertDescription, AlertLevel, Codec, ContentType, ProtocolVersion};

/// One server message on its way out.
#[derive(Clone)]
pub(super) struct Outgoing {
    pub step: Step,
    pub content_type: ContentType,
    pub bytes: Vec<u8>,
}

/// How a fault ended the connection instead of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Abort {
    /// A plain close (FIN).
    Close,
    /// A TCP reset.
    Reset,
}

fn actions(faults: &[Fault], step: Step) -> impl Iterator<Item = &FaultAction> {
    faults
        .iter()
        .filter(move |f| f.at == step)
        .map(|f| &f.action)
}

/// Apply the byte edits: corrupt and truncate (which keeps the handshake header's length
/// honest, so the peer parses a short message rather than waiting for the rest).
fn edit(msg: &mut Outgoing, faults: &[Fault]) {
    for action in actions(faults, msg.step) {
        match *action {
            FaultAction::Corrupt { offset, xor } => {
                if let Some(b) = msg.bytes.get_mut(offset) {
                    *b ^= xor;
                }
            }
            FaultAction::Truncate { len } => {
                msg.bytes.truncate(len);
                if msg.content_type == ContentType::HANDSHAKE && msg.bytes.len() >= 4 {
                    let body = (msg.bytes.len() - 4) as u32;
                    msg.bytes[1..4].copy_from_slice(&body.to_be_bytes()[1..]);
                }
            }
            _ => {}
        }
    }
}

/// Drop, duplicate and reorder.
fn arrange(msgs: Vec<Outgoing>, faults: &[Fault]) -> Vec<Outgoing> {
    let has = |step: Step, want: fn(&FaultAction) -> bool| actions(faults, step).any(want);
    let mut out = Vec::with_capacity(msgs.len() + 1);
    for mut msg in msgs {
        if has(msg.step, |a| *a == FaultAction::Drop) {
            continue;
        }
        edit(&mut msg, faults);
        if has(msg.step, |a| *a == FaultAction::Duplicate) {
            out.push(msg.clone());
        }
        out.push(msg);
    }
    let mut i = 0;
    while i + 1 < out.len() {
        if has(out[i].step, |a| *a == FaultAction::Reorder) {
            out.swap(i, i + 1);
            i += 1;
        }
        i += 1;
    }
    out
}

/// Whether the message needs records of its own (anything but plain coalescing).
fn stands_alone(step: Step, faults: &[Fault]) -> bool {
    actions(faults, step).any(|a| {
        matches!(
            a,
            FaultAction::Fragment { .. }
                | FaultAction::Delay { .. }
                | FaultAction::AlertBefore { .. }
                | FaultAction::AlertAfter { .. }
                | FaultAction::Close
                | FaultAction::Reset
                | FaultAction::RecordVersion { .. }
        )
    })
}

fn raw_alert(level: u8, description: u8) -> Vec<u8> {
    Alert {
        level: AlertLevel(level),
        description: AlertDescription(description),
    }
    .to_bytes()
}

/// Send one flight. Consecutive handshake messages share records, as most servers do;
/// a message with a transport fault is written on its own. `Err` when a fault closed
/// or reset the connection (the caller aborts the transport).
pub(super) async fn send<S: AsyncRead + AsyncWrite + Unpin>(
    rec: &mut RecordIo<S>,
    msgs: Vec<Outgoing>,
    faults: &[Fault],
) -> Result<(), SendError> {
    let mut pending: Vec<u8> = Vec::new();
    for msg in arrange(msgs, faults) {
        let alone = stands_alone(msg.step, faults);
        if alone || msg.content_type != ContentType::HANDSHAKE {
            flush(rec, &mut pending).await?;
        }
        if !alone {
            rec.note(Direction::Sent, msg.content_type, &msg.bytes);
            if msg.content_type == ContentType::HANDSHAKE {
                pending.extend_from_slice(&msg.bytes);
            } else {
                rec.write(msg.content_type, &msg.bytes).await?;
            }
            continue;
        }
        let mut fragment = None;
        let normal = rec.version;
        for action in actions(faults, msg.step) {
            match *action {
                FaultAction::Delay { ms } => tokio::time::sleep(Duration::from_millis(ms)).await,
                FaultAction::AlertBefore { level, description } => {
                    send_alert(rec, level, description).await?;
                }
                FaultAction::Close => return Err(SendError::Aborted(Abort::Close, msg.step)),
                FaultAction::Reset => return Err(SendError::Aborted(Abort::Reset, msg.step)),
                FaultAction::RecordVersion { version } => rec.version = ProtocolVersion(version),
                FaultAction::Fragment { size } => fragment = Some(size),
                _ => {}
            }
        }
        rec.note(Direction::Sent, msg.content_type, &msg.bytes);
        let chunk = fragment.unwrap_or(msg.bytes.len().max(1));
        for piece in msg.bytes.chunks(chunk) {
            rec.write(msg.content_type, piece).await?;
        }
        rec.version = normal;
        for action in actions(faults, msg.step) {
            if let FaultAction::AlertAfter { level, description } = *action {
                send_alert(rec, level, description).await?;
            }
        }
    }
    flush(rec, &mut pending).await
}

async fn send_alert<S: AsyncRead + AsyncWrite + Unpin>(
    rec: &mut RecordIo<S>,
    level: u8,
    description: u8,
) -> Result<(), SendError> {
    let alert = raw_alert(level, description);
    rec.note(Direction::Sent, ContentType::ALERT, &alert);
    Ok(rec.write(ContentType::ALERT, &alert).await?)
}

async fn flush<S: AsyncRead + AsyncWrite + Unpin>(
    rec: &mut RecordIo<S>,
    pending: &mut Vec<u8>,
) -> Result<(), SendError> {
    if !pending.is_empty() {
        rec.write(ContentType::HANDSHAKE, pending).await?;
        pending.clear();
    }
    Ok(())
}

/// Why a flight was not (entirely) sent.
#[derive(Debug, thiserror::Error)]
pub(super) enum SendError {
    /// A fault ended the connection at this step.
    #[error("fault: {0:?} instead of {1}")]
    Aborted(Abort, Step),
    /// The transport failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(step: Step, bytes: &[u8]) -> Outgoing {
        Outgoing {
            step,
            content_type: ContentType::HANDSHAKE,
            bytes: bytes.to_vec(),
        }
    }

    fn fault(at: Step, action: &str) -> Fault {
        Fault {
            at,
            action: action.parse().unwrap(),
        }
    }

    fn steps(out: &[Outgoing]) -> Vec<Step> {
        out.iter().map(|m| m.step).collect()
    }

    #[test]
    fn drop_duplicate_and_reorder_change_the_sequence() {
        use Step::*;
        let flight = || {
            vec![
                msg(ServerHello, &[2, 0, 0, 0]),
                msg(Certificate, &[11, 0, 0, 0]),
                msg(ServerHelloDone, &[14, 0, 0, 0]),
            ]
        };
        assert_eq!(
            steps(&arrange(flight(), &[fault(Certificate, "drop")])),
            [ServerHello, ServerHelloDone]
        );
        assert_eq!(
            steps(&arrange(flight(), &[fault(ServerHello, "duplicate")])),
            [ServerHello, ServerHello, Certificate, ServerHelloDone]
        );
        assert_eq!(
            steps(&arrange(flight(), &[fault(ServerHello, "reorder")])),
            [Certificate, ServerHello, ServerHelloDone]
        );
    }

    #[test]
    fn truncate_rewrites_the_handshake_length_and_corrupt_flips_bits() {
        let mut m = msg(Step::ServerHello, &[2, 0, 0, 6, 1, 2, 3, 4, 5, 6]);
        edit(&mut m, &[fault(Step::ServerHello, "truncate 7")]);
        assert_eq!(m.bytes, [2, 0, 0, 3, 1, 2, 3]);
        edit(&mut m, &[fault(Step::ServerHello, "corrupt 4 0xff")]);
        assert_eq!(m.bytes, [2, 0, 0, 3, 0xfe, 2, 3]);
        // An offset past the end changes nothing.
        edit(&mut m, &[fault(Step::ServerHello, "corrupt 99 1")]);
        assert_eq!(m.bytes, [2, 0, 0, 3, 0xfe, 2, 3]);
    }

    #[tokio::test]
    async fn records_on_the_wire_follow_the_faults() {
        use tokio::io::AsyncReadExt;
        let (server, mut client) = tokio::io::duplex(1 << 16);
        let mut rec = RecordIo::new(server);
        rec.version = ProtocolVersion::TLS12;
        let flight = vec![
            msg(Step::ServerHello, &[2, 0, 0, 2, 9, 9]),
            msg(Step::Certificate, &[11, 0, 0, 1, 7]),
            msg(Step::ServerHelloDone, &[14, 0, 0, 0]),
        ];
        let faults = [
            fault(Step::Certificate, "fragment 2"),
            fault(Step::Certificate, "alert_before fatal 201"),
            fault(Step::Certificate, "record_version 0x0300"),
        ];
        send(&mut rec, flight, &faults).await.unwrap();
        drop(rec);
        let mut wire = Vec::new();
        client.read_to_end(&mut wire).await.unwrap();
        #[rustfmt::skip]
        let expected = [
            22, 3, 3, 0, 6, 2, 0, 0, 2, 9, 9,   // ServerHello alone (flushed before the fault)
            21, 3, 3, 0, 2, 2, 201,             // the alert, under the normal version
            22, 3, 0, 0, 2, 11, 0,              // Certificate in 2-byte records, version 3.0
            22, 3, 0, 0, 2, 0, 1,
            22, 3, 0, 0, 1, 7,
            22, 3, 3, 0, 4, 14, 0, 0, 0,        // ServerHelloDone, normal again
        ];
        assert_eq!(wire, expected);
    }

    #[tokio::test]
    async fn close_stops_the_flight_before_its_message() {
        let (server, _client) = tokio::io::duplex(1 << 16);
        let mut rec = RecordIo::new(server);
        let flight = vec![msg(Step::ServerHello, &[2, 0, 0, 0])];
        let err = send(&mut rec, flight, &[fault(Step::ServerHello, "reset")])
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            SendError::Aborted(Abort::Reset, Step::ServerHello)
        ));
    }
}
