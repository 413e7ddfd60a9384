//! A WebSocket (RFC 6455) whose opening handshake is done, as one task drives it: messages in,
//! frames out, the close handshake. The server's sessions and the native client's transports
//! drive the same type, each in its [`Role`].
//!
//! Written for Engine.IO's traffic rather than taken from a general crate: reads go into a
//! buffer that is never zeroed (tungstenite zeroes its 4 KiB read buffer before every read,
//! which was a sixth of the instructions of an acknowledged event), small frames are copied into
//! one write buffer so that a batch leaves in one write, large ones and frames built once for many
//! receivers ([`WebSocket::send_framed`]) are written from where they are, with vectored writes
//! where the connection supports them.
//!
//! Pings are answered with pongs here; a message over the size bound is refused as the reference's
//! `ws` refuses it (close status 1009), invalid UTF-8 in a text message with 1007, anything else
//! against the protocol with 1002. A client masks every frame with a fresh key from the thread's
//! ChaCha generator (RFC 6455 section 10.3): in place, after it is copied or compressed.
//!
//! With permessage-deflate negotiated ([`WebSocket::with_deflate`]), messages from the threshold
//! up leave compressed, RSV1 set, and compressed messages are inflated up to the size bound: past
//! it they are refused as an oversized message (1009), DEFLATE data that does not inflate with
//! 1007, as `ws` closes. Without it, this path costs one branch per message.

use std::collections::VecDeque;
use std::future::Future;
use std::io::IoSlice;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};

use crate::Role;
use crate::deflate::{Deflate, DeflateParams, InflateError};
use crate::frame::{self, FrameError, Opcode};
use crate::stall::StallTimer;

/// A message from the peer.
#[derive(Debug, PartialEq, Eq)]
pub enum Message {
    /// A text message (checked UTF-8).
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
    /// The peer's close frame, with its status code if it gave one. It has been answered.
    Close(Option<u16>),
}

/// Why the WebSocket cannot go on.
#[derive(Debug)]
pub enum Error {
    /// The peer broke the protocol: close with this status (1002, 1007 or 1009).
    Close(u16, &'static str),
    /// Reading or writing failed.
    Io(std::io::Error),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Close(code, why) => write!(f, "{why} (close status {code})"),
            Error::Io(e) => write!(f, "{e}"),
        }
    }
}

impl Error {
    /// The status the connection closes with: none when the connection itself failed.
    pub fn close_code(&self) -> Option<u16> {
        match self {
            Error::Close(code, _) => Some(*code),
            Error::Io(_) => None,
        }
    }
}

impl From<FrameError> for Error {
    fn from(e: FrameError) -> Self {
        match e {
            FrameError::Protocol(why) => Error::Close(1002, why),
            FrameError::TooBig => Error::Close(1009, "message too big"),
        }
    }
}

/// How much room a read gets at least: one read takes in several small frames.
const READ_CHUNK: usize = 4096;

/// A read buffer that grew past this (for a large message) is not lent on to other connections.
const KEEP_READ_BUFFER: usize = 64 * 1024;

thread_local! {
    /// The read buffer lent to the connection being read on this thread (see `poll_next`).
    static SPARE_READ_BUFFER: std::cell::Cell<Option<BytesMut>> = const { std::cell::Cell::new(None) };
    /// The write buffer lent to the next connection that writes on this thread (see
    /// `poll_write`).
    static SPARE_WRITE_BUFFER: std::cell::Cell<Option<BytesMut>> = const { std::cell::Cell::new(None) };
}

/// Frames up to this size are copied into the write buffer (a batch then leaves in one write);
/// larger ones are written from their own buffers.
const COPY_MAX: usize = 16 * 1024;

/// A write buffer that grew past this is let go once written, so that one large batch does not
/// keep memory for the connection's lifetime.
const KEEP_WRITE_BUFFER: usize = 64 * 1024;

/// The first byte's FIN bit: the message's last frame (every frame written here is one).
const FIN: u8 = 0x80;

/// At most this many buffers go into one vectored write.
const MAX_IOVECS: usize = 16;

/// A fragmented message being put together.
struct Partial {
    opcode: Opcode,
    /// Its first frame had RSV1: `data` is DEFLATE data.
    compressed: bool,
    data: Vec<u8>,
}

/// A WebSocket over `IO` whose opening handshake is done, in the server's role ([`new`](Self::new))
/// or the client's ([`client`](Self::client)): [`poll_next`](Self::poll_next) reads messages
/// (answering pings, inflating compressed ones up to the message bound), the `send_*` methods
/// queue them and [`poll_write`](Self::poll_write) writes what is queued, in as few writes as the
/// connection takes; [`close`](Self::close) runs the close handshake. A message over the bound
/// closes it with 1009, invalid UTF-8 with 1007, anything else against the protocol with 1002.
pub struct WebSocket<IO> {
    io: IO,
    role: Role,
    /// Bytes read and not yet taken as frames.
    read: BytesMut,
    partial: Option<Partial>,
    max_message: usize,
    /// Frames to write, in order, before `staging`: large payloads and shared frames.
    out: VecDeque<Bytes>,
    /// Small frames to write after `out`, copied in.
    staging: BytesMut,
    /// The bytes of `out` and `staging`.
    queued: usize,
    /// The read side ended (end of stream or a close frame).
    read_closed: bool,
    /// Fails a write that makes no progress for its timeout: the peer stopped reading.
    stall: Option<StallTimer>,
    /// permessage-deflate, when negotiated.
    deflate: Option<Box<Deflate>>,
}

impl<IO: AsyncRead + AsyncWrite + Unpin> WebSocket<IO> {
    /// A server's WebSocket whose handshake is done, refusing messages over `max_message` bytes.
    pub fn new(io: IO, max_message: usize) -> Self {
        Self::with_role(io, Role::Server, max_message, BytesMut::new())
    }

    /// A client's WebSocket whose handshake is done, refusing messages over `max_message` bytes;
    /// `read` holds what the server sent after its handshake answer, read with it.
    pub fn client(io: IO, max_message: usize, read: BytesMut) -> Self {
        Self::with_role(io, Role::Client, max_message, read)
    }

    fn with_role(io: IO, role: Role, max_message: usize, read: BytesMut) -> Self {
        WebSocket {
            io,
            role,
            read,
            partial: None,
            max_message,
            out: VecDeque::new(),
            staging: BytesMut::new(),
            queued: 0,
            read_closed: false,
            stall: None,
            deflate: None,
        }
    }

    /// Compresses and decompresses messages as the handshake negotiated (`None`: it did not).
    #[must_use]
    pub fn with_deflate(mut self, params: Option<DeflateParams>) -> Self {
        let role = self.role;
        self.deflate = params.map(|params| Box::new(Deflate::new(params, role)));
        self
    }

    /// Fails writes (`TimedOut`) once the peer has taken nothing for `timeout`.
    #[must_use]
    pub fn with_write_timeout(mut self, timeout: Duration) -> Self {
        self.stall = Some(StallTimer::new(timeout));
        self
    }

    /// The next message; `None` once the stream has ended.
    ///
    /// The read buffer is the thread's spare one, lent while the connection reads: it goes back
    /// when a read finds nothing more and no part of a frame is left in it, so an idle connection
    /// holds none (4 KiB less each), and under load one buffer serves the connections of a thread
    /// in turn, allocated once.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, Error>>> {
        loop {
            match self.take_message() {
                Ok(Some(message)) => return Poll::Ready(Some(Ok(message))),
                Ok(None) => {}
                Err(e) => return Poll::Ready(Some(Err(e))),
            }
            if self.read_closed {
                return Poll::Ready(None);
            }
            if self.read.capacity() == 0
                && let Some(spare) = SPARE_READ_BUFFER.take()
            {
                self.read = spare;
            }
            if self.read.capacity() - self.read.len() < READ_CHUNK / 4 {
                self.read.reserve(READ_CHUNK);
            }
            let read = {
                let fut = self.io.read_buf(&mut self.read);
                tokio::pin!(fut);
                fut.poll(cx)
            };
            match read {
                Poll::Pending => {
                    self.lend_read_buffer();
                    return Poll::Pending;
                }
                Poll::Ready(Ok(0)) => {
                    self.read_closed = true;
                    return Poll::Ready(None);
                }
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Some(Err(Error::Io(e)))),
            }
        }
    }

    /// Gives the read buffer to the thread's spare when it holds nothing.
    fn lend_read_buffer(&mut self) {
        if !self.read.is_empty() {
            return;
        }
        let mut spare = std::mem::take(&mut self.read);
        // Its whole allocation again (taken frames moved its start), if it is its own.
        if spare.try_reclaim(READ_CHUNK) && spare.capacity() <= KEEP_READ_BUFFER {
            SPARE_READ_BUFFER.set(Some(spare));
        }
    }

    /// The next whole message among the bytes read, answering pings on the way.
    fn take_message(&mut self) -> Result<Option<Message>, Error> {
        // Nothing after the peer's close frame is read: it sends no frame after it (RFC 6455
        // section 5.5.1), and a ping there must not be answered after the close answer.
        if self.read_closed {
            return Ok(None);
        }
        loop {
            let limit = self.max_message - self.partial.as_ref().map_or(0, |p| p.data.len());
            let Some(frame) =
                frame::decode(&mut self.read, limit, self.deflate.is_some(), self.role)?
            else {
                return Ok(None);
            };
            // RSV1 marks a message compressed: on its first frame only (RFC 7692 section 6.1).
            if frame.rsv1 && !matches!(frame.opcode, Opcode::Text | Opcode::Binary) {
                return Err(
                    FrameError::Protocol("RSV1 set on a continuation or control frame").into(),
                );
            }
            match frame.opcode {
                Opcode::Text | Opcode::Binary if self.partial.is_some() => {
                    return Err(
                        FrameError::Protocol("a new message before the last one ended").into(),
                    );
                }
                Opcode::Text | Opcode::Binary if frame.fin => {
                    return self
                        .finish(frame.opcode, frame.rsv1, frame.payload)
                        .map(Some);
                }
                Opcode::Text | Opcode::Binary => {
                    self.partial = Some(Partial {
                        opcode: frame.opcode,
                        compressed: frame.rsv1,
                        data: frame.payload,
                    });
                }
                Opcode::Continuation => {
                    let Some(partial) = &mut self.partial else {
                        return Err(FrameError::Protocol("a continuation of no message").into());
                    };
                    partial.data.extend_from_slice(&frame.payload);
                    if frame.fin
                        && let Some(Partial {
                            opcode,
                            compressed,
                            data,
                        }) = self.partial.take()
                    {
                        return self.finish(opcode, compressed, data).map(Some);
                    }
                }
                Opcode::Ping => self.queue(Opcode::Pong, &frame.payload),
                Opcode::Pong => {}
                Opcode::Close => {
                    let code = close_code(&frame.payload)?;
                    // The answer, as RFC 6455 section 5.5.1 asks: the same status back.
                    let answer: &[u8] = match code {
                        Some(code) => &code.to_be_bytes(),
                        None => &[],
                    };
                    self.queue(Opcode::Close, answer);
                    self.read_closed = true;
                    return Ok(Some(Message::Close(code)));
                }
            }
        }
    }

    /// A whole message, inflated if it came compressed (at most `max_message` bytes of it).
    fn finish(
        &mut self,
        opcode: Opcode,
        compressed: bool,
        data: Vec<u8>,
    ) -> Result<Message, Error> {
        let data = match (compressed, &mut self.deflate) {
            (true, Some(deflate)) => {
                deflate
                    .decompress(&data, self.max_message)
                    .map_err(|e| match e {
                        InflateError::TooBig => Error::from(FrameError::TooBig),
                        InflateError::Invalid => Error::Close(1007, "invalid compressed data"),
                    })?
            }
            _ => data,
        };
        finish(opcode, data)
    }

    /// The write buffer, the thread's spare one when this connection has none.
    fn staging(&mut self) -> &mut BytesMut {
        if self.staging.capacity() == 0
            && let Some(spare) = SPARE_WRITE_BUFFER.take()
        {
            self.staging = spare;
        }
        &mut self.staging
    }

    /// The masking key of the next frame: a fresh one for a client, none for a server.
    fn mask(&self) -> Option<[u8; 4]> {
        match self.role {
            Role::Client => Some(rand::random()),
            Role::Server => None,
        }
    }

    /// Queues a frame with this opcode and payload, copied.
    fn queue(&mut self, opcode: Opcode, payload: &[u8]) {
        self.queue_frame(FIN | opcode as u8, payload);
    }

    /// Queues one whole frame whose first byte is `b0`, its payload copied (and masked in the
    /// copy when this is a client).
    fn queue_frame(&mut self, b0: u8, payload: &[u8]) {
        if payload.len() > COPY_MAX {
            self.queue_owned(b0, payload.to_vec());
            return;
        }
        let mask = self.mask();
        let (h, n) = frame::header_with(b0, payload.len(), mask);
        self.queued += n + payload.len();
        let staging = self.staging();
        staging.reserve(n + payload.len());
        staging.extend_from_slice(h.get(..n).unwrap_or_default());
        let at = staging.len();
        staging.extend_from_slice(payload);
        if let (Some(mask), Some(copy)) = (mask, staging.get_mut(at..)) {
            frame::unmask(copy, mask);
        }
    }

    /// Queues one whole frame whose first byte is `b0`, its payload taken (and masked in place
    /// when this is a client): written from where it is when large.
    fn queue_owned(&mut self, b0: u8, mut payload: Vec<u8>) {
        if payload.len() <= COPY_MAX {
            self.queue_frame(b0, &payload);
            return;
        }
        let mask = self.mask();
        let (h, n) = frame::header_with(b0, payload.len(), mask);
        self.queued += n + payload.len();
        if let Some(mask) = mask {
            frame::unmask(&mut payload, mask);
        }
        self.push(Bytes::copy_from_slice(h.get(..n).unwrap_or_default()));
        self.push(Bytes::from(payload));
    }

    /// Queues a buffer to write as it is, after everything queued before it.
    fn push(&mut self, bytes: Bytes) {
        if !self.staging.is_empty() {
            let staged = self.staging.split().freeze();
            self.out.push_back(staged);
        }
        self.out.push_back(bytes);
    }

    /// Queues a text message. With `compress` false it goes uncompressed whatever its size (the
    /// reference's `compress` flag); otherwise permessage-deflate, when negotiated, compresses it
    /// from the threshold up.
    pub fn send_text(&mut self, text: String, compress: bool) {
        self.send(Opcode::Text, text.into_bytes(), compress);
    }

    /// Queues a binary message; `compress` as for [`send_text`](Self::send_text).
    pub fn send_binary(&mut self, bytes: Vec<u8>, compress: bool) {
        self.send(Opcode::Binary, bytes, compress);
    }

    fn send(&mut self, opcode: Opcode, payload: Vec<u8>, compress: bool) {
        if compress
            && let Some(deflate) = &mut self.deflate
            && deflate.compresses(payload.len())
        {
            let compressed = deflate.compress(&payload);
            self.queue_owned(FIN | frame::RSV1 | opcode as u8, compressed);
            return;
        }
        self.queue_owned(FIN | opcode as u8, payload);
    }

    /// Queues a close frame (with `code` when given) for the next [`poll_write`](Self::poll_write),
    /// unless the peer's close frame was already answered: for an end that then drops the
    /// connection without waiting for the answer ([`close`](Self::close) waits).
    pub fn queue_close(&mut self, code: Option<u16>) {
        if self.read_closed {
            return;
        }
        let payload: &[u8] = match code {
            Some(code) => &code.to_be_bytes(),
            None => &[],
        };
        self.queue(Opcode::Close, payload);
    }

    /// Queues frames already encoded as a server writes them (for many receivers at once:
    /// shared, not copied, when large). Under permessage-deflate and with `compress`, those from
    /// the threshold up are compressed for this connection (its window is its own); the others
    /// still go as they were built. A client's WebSocket masks them, frame by frame.
    pub fn send_framed(&mut self, frames: &Bytes, compress: bool) {
        let compressing = compress
            && self.deflate.as_ref().is_some_and(|deflate| {
                frame::server_frames(frames).any(|(_, start, end)| deflate.compresses(end - start))
            });
        if compressing || self.role == Role::Client {
            self.send_framed_each(frames, compress);
            return;
        }
        self.send_framed_as_is(frames);
    }

    /// [`send_framed`](Self::send_framed) frame by frame.
    fn send_framed_each(&mut self, frames: &Bytes, compress: bool) {
        let mut at = 0;
        for (opcode, start, end) in frame::server_frames(frames) {
            let payload = frames.get(start..end).unwrap_or_default();
            match &mut self.deflate {
                Some(deflate) if compress && deflate.compresses(payload.len()) => {
                    let compressed = deflate.compress(payload);
                    self.queue_owned(FIN | frame::RSV1 | opcode as u8, compressed);
                }
                _ if self.role == Role::Client => self.queue_frame(FIN | opcode as u8, payload),
                _ => self.send_framed_as_is(&frames.slice(at..end)),
            }
            at = end;
        }
        // Bytes past the last whole frame (`message_frames` writes none) go as they are from a
        // server; a client has no frame to mask them in.
        if at < frames.len() && self.role == Role::Server {
            self.send_framed_as_is(&frames.slice(at..));
        }
    }

    fn send_framed_as_is(&mut self, frames: &Bytes) {
        self.queued += frames.len();
        if frames.len() <= COPY_MAX {
            self.staging().extend_from_slice(frames);
        } else {
            self.push(frames.clone());
        }
    }

    /// The bytes queued and not yet written.
    pub fn queued_bytes(&self) -> usize {
        self.queued
    }

    /// Whether nothing waits to be written.
    pub fn is_idle(&self) -> bool {
        self.queued == 0
    }

    /// Writes what is queued; `Pending` while the peer does not take it, `TimedOut` once it
    /// has taken nothing for the write timeout.
    pub fn poll_write(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let before = self.queued;
        let poll = self.write_queued(cx);
        let Some(stall) = &mut self.stall else {
            return poll;
        };
        if self.queued < before {
            stall.progressed();
        }
        stall.check(cx, poll)
    }

    fn write_queued(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        while !self.out.is_empty() {
            let n = if self.io.is_write_vectored() {
                let mut slices = [IoSlice::new(&[]); MAX_IOVECS];
                let mut count = 0;
                for (slot, bytes) in slices.iter_mut().zip(
                    self.out
                        .iter()
                        .map(|b| &b[..])
                        .chain(Some(&self.staging[..])),
                ) {
                    *slot = IoSlice::new(bytes);
                    count += 1;
                }
                let slices = slices.get(..count).unwrap_or_default();
                ready!(Pin::new(&mut self.io).poll_write_vectored(cx, slices))?
            } else {
                let first = self.out.front().map(|b| &b[..]).unwrap_or_default();
                ready!(Pin::new(&mut self.io).poll_write(cx, first))?
            };
            if n == 0 {
                return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
            }
            self.advance(n);
        }
        while !self.staging.is_empty() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.staging))?;
            if n == 0 {
                return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into()));
            }
            self.advance(n);
        }
        ready!(Pin::new(&mut self.io).poll_flush(cx))?;
        // Everything is written: the buffer goes to the thread's spare, for the next connection
        // that writes (an idle connection keeps none), unless a large batch grew it.
        let mut staging = std::mem::take(&mut self.staging);
        // Its whole allocation again (written bytes moved its start), if it is its own.
        if staging.try_reclaim(1) && staging.capacity() <= KEEP_WRITE_BUFFER {
            SPARE_WRITE_BUFFER.set(Some(staging));
        }
        Poll::Ready(Ok(()))
    }

    /// Drops `n` written bytes from the front of the queue.
    fn advance(&mut self, mut n: usize) {
        self.queued = self.queued.saturating_sub(n);
        while n > 0 {
            match self.out.front_mut() {
                Some(front) if front.len() <= n => {
                    n -= front.len();
                    self.out.pop_front();
                }
                Some(front) => {
                    front.advance(n);
                    return;
                }
                None => {
                    let n = n.min(self.staging.len());
                    self.staging.advance(n);
                    if self.staging.is_empty() {
                        self.staging.clear();
                    }
                    return;
                }
            }
        }
    }

    /// Closes the WebSocket: writes what is queued, a close frame (with `code` when the
    /// connection failed), then waits for the peer's close frame or the end of the stream, at
    /// most `timeout` in all (the reference's `ws` waits its `closeTimeout`). A close frame
    /// already answered is not sent again.
    pub async fn close(self, code: Option<u16>, timeout: Duration) {
        self.close_then(code, timeout, || ()).await;
    }

    /// [`close`](Self::close), calling `flushed` once what was queued and the close frame are
    /// written, or could not be (an error, the timeout, the future dropped).
    pub async fn close_then(
        mut self,
        code: Option<u16>,
        timeout: Duration,
        flushed: impl FnOnce(),
    ) {
        let mut flushed = Some(flushed);
        let _ = tokio::time::timeout(timeout, async {
            self.queue_close(code);
            let written = std::future::poll_fn(|cx| self.poll_write(cx)).await;
            if let Some(flushed) = flushed.take() {
                flushed();
            }
            if written.is_err() {
                return;
            }
            // Until the peer's close frame, the connection open: the bytes it sent after ours
            // must be read, or dropping the connection with them unread resets it and the peer
            // never sees our close. Stopped by an error, after which the bytes are not frames.
            while let Some(Ok(message)) = std::future::poll_fn(|cx| self.poll_next(cx)).await {
                if matches!(message, Message::Close(_)) {
                    break;
                }
            }
            // Then this end shuts its side: a server ends the TCP connection first, as RFC 6455
            // section 7.1.1 asks.
            let _ = std::future::poll_fn(|cx| Pin::new(&mut self.io).poll_shutdown(cx)).await;
        })
        .await;
        if let Some(flushed) = flushed.take() {
            flushed();
        }
    }
}

/// A whole message: text must be UTF-8.
fn finish(opcode: Opcode, data: Vec<u8>) -> Result<Message, Error> {
    match opcode {
        Opcode::Text => String::from_utf8(data)
            .map(Message::Text)
            .map_err(|_| Error::Close(1007, "invalid UTF-8 in a text message")),
        _ => Ok(Message::Binary(data)),
    }
}

/// The status code of a close frame's payload, checked as RFC 6455 section 7.4 lists them.
fn close_code(payload: &[u8]) -> Result<Option<u16>, Error> {
    let Some((code, reason)) = payload.split_first_chunk::<2>() else {
        return match payload.len() {
            0 => Ok(None),
            _ => Err(FrameError::Protocol("a close frame of one byte").into()),
        };
    };
    let code = u16::from_be_bytes(*code);
    let valid = matches!(code, 1000..=1003 | 1007..=1011 | 3000..=4999);
    if !valid {
        return Err(FrameError::Protocol("an invalid close status").into());
    }
    if std::str::from_utf8(reason).is_err() {
        return Err(Error::Close(1007, "invalid UTF-8 in a close reason"));
    }
    Ok(Some(code))
}

#[cfg(test)]
#[path = "socket_tests.rs"]
mod tests;
