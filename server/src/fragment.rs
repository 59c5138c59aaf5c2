//! Large outgoing messages as a sequence of WebSocket frames.
//!
//! tungstenite copies each frame whole into its write buffer, and the buffer keeps its
//! capacity afterwards. Sent as one frame, a 2 MB document state made every joining
//! connection hold a 2 MB copy of bytes the room already shares. Fragments of
//! [`FRAGMENT_SIZE`] are slices of the shared buffer, so a connection buffers at most its write
//! buffer (tungstenite writes out once it passes 128 KiB) plus one fragment. Clients reassemble
//! fragments before handing the message over (RFC 6455, section 5.4), so nothing changes for
//! them.

use bytes::Bytes;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;

/// The largest payload of one outgoing frame.
pub const FRAGMENT_SIZE: usize = 64 * 1024;

/// The frames that send `message` as one binary message: itself when it fits in one
/// fragment, else a first binary frame and continuation frames, the last one final.
pub fn binary_frames(message: Bytes) -> impl Iterator<Item = Message> {
    let count = message.len().div_ceil(FRAGMENT_SIZE).max(1);
    let mut whole = (count == 1).then(|| Message::Binary(message.clone()));
    (0..count).map(move |i| {
        if let Some(message) = whole.take() {
            return message;
        }
        let start = i * FRAGMENT_SIZE;
        let end = (start + FRAGMENT_SIZE).min(message.len());
        let opcode = OpCode::Data(if i == 0 { Data::Binary } else { Data::Continue });
        Message::Frame(Frame::message(
            message.slice(start..end),
            opcode,
            i + 1 == count,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn describe(message: &Message) -> (OpCode, bool, usize) {
        match message {
            Message::Frame(frame) => (
                frame.header().opcode,
                frame.header().is_final,
                frame.payload().len(),
            ),
            Message::Binary(bytes) => (OpCode::Data(Data::Binary), true, bytes.len()),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_message_that_fits_goes_as_one_binary_message() {
        let frames: Vec<_> = binary_frames(Bytes::from(vec![7; FRAGMENT_SIZE])).collect();
        assert_eq!(frames.len(), 1);
        assert!(matches!(&frames[0], Message::Binary(b) if b.len() == FRAGMENT_SIZE));
        let empty: Vec<_> = binary_frames(Bytes::new()).collect();
        assert!(matches!(&empty[..], [Message::Binary(b)] if b.is_empty()));
    }

    #[test]
    fn a_large_message_is_a_binary_frame_then_continuations_and_only_the_last_is_final() {
        let message: Bytes = (0..FRAGMENT_SIZE * 2 + 10).map(|i| i as u8).collect();
        let frames: Vec<_> = binary_frames(message.clone()).collect();
        let described: Vec<_> = frames.iter().map(describe).collect();
        assert_eq!(
            described,
            vec![
                (OpCode::Data(Data::Binary), false, FRAGMENT_SIZE),
                (OpCode::Data(Data::Continue), false, FRAGMENT_SIZE),
                (OpCode::Data(Data::Continue), true, 10),
            ]
        );
        let joined: Vec<u8> = frames
            .iter()
            .flat_map(|m| match m {
                Message::Frame(f) => f.payload().to_vec(),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(joined, message);
    }

    #[test]
    fn fragments_share_the_message_buffer() {
        let message = Bytes::from(vec![1u8; FRAGMENT_SIZE * 3]);
        let base = message.as_ptr() as usize;
        for (i, frame) in binary_frames(message.clone()).enumerate() {
            let Message::Frame(frame) = frame else {
                panic!("expected a frame")
            };
            assert_eq!(
                frame.payload().as_ptr() as usize,
                base + i * FRAGMENT_SIZE,
                "fragment {i} is a slice, not a copy"
            );
        }
    }
}
