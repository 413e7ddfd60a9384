//! HTTP compression of polling responses (engine.io's `httpCompression`): a GET's payload at or
//! above the threshold (1,024 bytes) goes out gzip- or deflate-encoded when the request's
//! `Accept-Encoding` takes one, chosen as the reference's `accepts` package chooses.
//!
//! As in the reference, only polling GETs are compressed (not a POST's `ok`, not error bodies),
//! with zlib's default level (6), and no `Vary` is added: a polling response is never cacheable
//! (it has no validator nor freshness, and is only ever asked for once). Unlike the reference, the
//! body is compressed whole before it is sent, so it carries a `Content-Length`, and a body that
//! would not shrink (base64 of random bytes) goes out as it is. As in the reference, a payload
//! whose packets were all sent with `compress: false` (`socket.compress(false)`, or a close or
//! noop alone) goes out as it is whatever its size ([`PollPayload::compress`]).

use std::cell::RefCell;

use bytes::Bytes;
use flate2::{Compress, CompressError, Compression, Crc, FlushCompress, Status};
use http::HeaderMap;
use http::header::ACCEPT_ENCODING;
use proto::engine::server::PollPayload;

/// The reference's `httpCompression.threshold`.
pub(crate) const DEFAULT_THRESHOLD: usize = 1024;

/// Node's zlib default (`Z_DEFAULT_COMPRESSION`), which the reference compresses with.
const LEVEL: u32 = 6;

/// Bodies up to this size are compressed on the request's own task (a 4 KB body takes about 50
/// µs, within tokio's 10 to 100 µs between awaits); larger ones on tokio's blocking pool (10 KB of
/// JSON takes about 0.2 ms, 1 MB about 15 ms), so that they do not hold up the other tasks of a
/// worker thread. The reference's zlib streams run on libuv's thread pool likewise.
const INLINE_MAX: usize = 4 * 1024;

/// `http_compression` and `http_compression_threshold`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HttpCompression {
    pub(crate) enabled: bool,
    pub(crate) threshold: usize,
}

impl Default for HttpCompression {
    /// The reference's: on, from 1,024 bytes.
    fn default() -> Self {
        HttpCompression {
            enabled: true,
            threshold: DEFAULT_THRESHOLD,
        }
    }
}

impl HttpCompression {
    /// The coding a polling payload goes out in, for a request with `headers`; `None`: as it
    /// is. Headers are only read for a payload that may be compressed, at or over the threshold.
    pub(crate) fn coding_for(
        &self,
        payload: &PollPayload,
        headers: &HeaderMap,
    ) -> Option<ContentCoding> {
        if !self.enabled || !payload.compress || payload.body.len() < self.threshold {
            return None;
        }
        negotiate(headers)
    }
}

/// The content codings the reference offers, in its order of preference on a tie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ContentCoding {
    /// RFC 1952 (`createGzip`).
    Gzip,
    /// RFC 1950, zlib-wrapped deflate (`createDeflate`), which is what HTTP's `deflate` names.
    Deflate,
}

impl ContentCoding {
    const OFFERED: [ContentCoding; 2] = [ContentCoding::Gzip, ContentCoding::Deflate];

    /// Its `Content-Encoding` token.
    pub(crate) fn token(self) -> &'static str {
        match self {
            ContentCoding::Gzip => "gzip",
            ContentCoding::Deflate => "deflate",
        }
    }
}

/// One `Accept-Encoding` entry: its coding, its `q` (NaN when unreadable, as `parseFloat` gives)
/// and its position in the header.
struct Entry<'a> {
    coding: &'a [u8],
    q: f64,
    position: usize,
}

/// How well one offered coding matches the header (negotiator's priority): specificity (exact
/// name 1, `*` 0), `q`, the matching entry's position.
#[derive(Clone, Copy)]
struct Priority {
    s: f64,
    q: f64,
    o: f64,
}

/// JavaScript's `a || b || c` on numbers: the first that is neither 0 nor NaN, else `c`.
fn js_or(a: f64, b: f64, c: f64) -> f64 {
    [a, b]
        .into_iter()
        .find(|x| *x != 0.0 && !x.is_nan())
        .unwrap_or(c)
}

/// The reference's `accepts(req).encodings(["gzip", "deflate"])` (negotiator 0.6): the offered
/// coding with the highest `q` (above 0); on a tie the exact name over `*`, then the one named
/// first in the header, then gzip. No header, or one naming neither (nor `*`), is `None`.
pub(crate) fn negotiate(headers: &HeaderMap) -> Option<ContentCoding> {
    // Node joins repeated `Accept-Encoding` lines with ", ".
    let mut entries: Vec<Entry<'_>> = Vec::new();
    let mut position = 0;
    for value in headers.get_all(ACCEPT_ENCODING) {
        for part in value.as_bytes().split(|&b| b == b',') {
            if let Some(entry) = parse_entry(part, position) {
                entries.push(entry);
            }
            position += 1;
        }
    }
    let mut best: Option<(ContentCoding, Priority, usize)> = None;
    for (i, coding) in ContentCoding::OFFERED.into_iter().enumerate() {
        let mut p = Priority {
            s: 0.0,
            q: 0.0,
            o: -1.0,
        };
        for entry in &entries {
            let s = if entry.coding.eq_ignore_ascii_case(coding.token().as_bytes()) {
                1.0
            } else if entry.coding == b"*" {
                0.0
            } else {
                continue;
            };
            let o = entry.position as f64;
            if js_or(p.s - s, p.q - entry.q, p.o - o) < 0.0 {
                p = Priority { s, q: entry.q, o };
            }
        }
        if p.q.is_nan() || p.q <= 0.0 {
            continue;
        }
        // negotiator's compareSpecs: q, then s, then o, then the offered order.
        let before = |b: &Priority, bi: usize| {
            js_or(
                b.q - p.q,
                b.s - p.s,
                js_or(p.o - b.o, i as f64 - bi as f64, 0.0),
            ) < 0.0
        };
        match &best {
            Some((_, b, bi)) if !before(b, *bi) => {}
            _ => best = Some((coding, p, i)),
        }
    }
    best.map(|(coding, _, _)| coding)
}

/// negotiator's `parseEncoding`: `coding[;param]*` with optional whitespace; `q` from the first
/// `q=` parameter, read as `parseFloat` reads it (1 without one).
fn parse_entry(part: &[u8], position: usize) -> Option<Entry<'_>> {
    let part = part.trim_ascii();
    let (coding, params) = match part.iter().position(|&b| b == b';') {
        Some(i) => (part.get(..i)?, part.get(i + 1..)),
        None => (part, None),
    };
    let coding = coding.trim_ascii_end();
    if coding.is_empty() || coding.iter().any(u8::is_ascii_whitespace) {
        return None;
    }
    let mut q = 1.0;
    for param in params.into_iter().flat_map(|p| p.split(|&b| b == b';')) {
        let mut kv = param.trim_ascii().split(|&b| b == b'=');
        if kv.next() == Some(b"q") {
            q = kv.next().map_or(f64::NAN, parse_float_prefix);
            break;
        }
    }
    Some(Entry {
        coding,
        q,
        position,
    })
}

/// JavaScript's `parseFloat` for what a `q` holds: leading whitespace, then the longest decimal
/// prefix (`0.5x` is 0.5); NaN when there is none.
fn parse_float_prefix(text: &[u8]) -> f64 {
    let text = text.trim_ascii_start();
    let digits = |from: usize| {
        from + text
            .get(from..)
            .map_or(0, |t| t.iter().take_while(|b| b.is_ascii_digit()).count())
    };
    let mut end = usize::from(matches!(text.first(), Some(b'+' | b'-')));
    end = digits(end);
    if text.get(end) == Some(&b'.') {
        end = digits(end + 1);
    }
    if matches!(text.get(end), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(text.get(end + 1), Some(b'+' | b'-')));
        let exp_end = digits(end + 1 + sign);
        if exp_end > end + 1 + sign {
            end = exp_end;
        }
    }
    text.get(..end)
        .and_then(|t| std::str::from_utf8(t).ok())
        .and_then(|t| t.parse().ok())
        .unwrap_or(f64::NAN)
}

/// `body` in `coding`, or `Err(body)` when that would not be smaller (or the encoder failed,
/// which it does not on a whole input): then it goes out as it is. Large bodies are compressed on
/// the blocking pool (see [`INLINE_MAX`]).
pub(crate) async fn compress(coding: ContentCoding, body: String) -> Result<Bytes, Bytes> {
    if body.len() <= INLINE_MAX {
        return encode_or_keep(coding, body);
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::task::spawn_blocking(move || {
        let _ = tx.send(encode_or_keep(coding, body));
    });
    // The task only ends without sending if the encoder panicked, which is a bug in it: the
    // payload is then lost, as if the connection had dropped, and the client reconnects.
    rx.await.unwrap_or_else(|_| Err(Bytes::new()))
}

fn encode_or_keep(coding: ContentCoding, body: String) -> Result<Bytes, Bytes> {
    match encode(coding, body.as_bytes()) {
        Ok(out) if out.len() < body.len() => Ok(Bytes::from(out)),
        Ok(_) => Err(Bytes::from(body)),
        Err(e) => {
            tracing::warn!("http compression failed, sending the payload as it is: {e}");
            Err(Bytes::from(body))
        }
    }
}

thread_local! {
    // One encoder of each kind per thread, reset for each body: a fresh miniz_oxide state is a
    // few hundred KB to allocate and clear, which cost more than compressing a 1 KB body.
    static RAW_DEFLATE: RefCell<Option<Compress>> = const { RefCell::new(None) };
    static ZLIB: RefCell<Option<Compress>> = const { RefCell::new(None) };
}

/// The gzip header the reference's zlib writes, less its OS byte: no name, no time, "unknown" OS.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// `input` as a whole gzip member or zlib stream.
pub(crate) fn encode(coding: ContentCoding, input: &[u8]) -> Result<Vec<u8>, CompressError> {
    let mut out = Vec::with_capacity(input.len() / 4 + 64);
    match coding {
        ContentCoding::Gzip => {
            out.extend_from_slice(&GZIP_HEADER);
            RAW_DEFLATE.with_borrow_mut(|c| {
                let c = c.get_or_insert_with(|| Compress::new(Compression::new(LEVEL), false));
                deflate_all(c, input, &mut out)
            })?;
            let mut crc = Crc::new();
            crc.update(input);
            out.extend_from_slice(&crc.sum().to_le_bytes());
            // ISIZE: the input's length modulo 2^32 (RFC 1952).
            out.extend_from_slice(&(input.len() as u32).to_le_bytes());
        }
        ContentCoding::Deflate => ZLIB.with_borrow_mut(|c| {
            let c = c.get_or_insert_with(|| Compress::new(Compression::new(LEVEL), true));
            deflate_all(c, input, &mut out)
        })?,
    }
    Ok(out)
}

/// Compresses all of `input` into `out` with `c`, reset first, to the stream's end.
fn deflate_all(c: &mut Compress, input: &[u8], out: &mut Vec<u8>) -> Result<(), CompressError> {
    c.reset();
    loop {
        // Room for progress each round: the loop ends, since every round consumes input or writes
        // output, and the stream ends once all input is in and the output has room.
        if out.capacity() - out.len() < 1024 {
            out.reserve(out.capacity().max(1024));
        }
        let done = usize::try_from(c.total_in()).unwrap_or(usize::MAX);
        let rest = input.get(done..).unwrap_or_default();
        if c.compress_vec(rest, out, FlushCompress::Finish)? == Status::StreamEnd {
            return Ok(());
        }
    }
}

/// The builder methods of [`HttpCompression`], generated inside `engine_builder_methods`.
macro_rules! compression_builder_methods {
    () => {
        /// Whether long-polling responses are compressed (`httpCompression`; on, as in the
        /// reference): a GET's payload of at least
        /// [`http_compression_threshold`](Self::http_compression_threshold) bytes goes out with
        /// `Content-Encoding: gzip` or `deflate`, whichever the request's `Accept-Encoding`
        /// prefers (by `q`, then its order, then gzip), at zlib's default level. Browsers always
        /// accept both; Node.js's `socket.io-client` sends no `Accept-Encoding`, so its polling
        /// is never compressed, as under the reference. Other responses, and WebSockets (see
        /// `per_message_deflate`), are not compressed by this.
        #[must_use]
        pub fn http_compression(mut self, on: bool) -> Self {
            self.engine.http_compression.enabled = on;
            self
        }

        /// The smallest polling payload, in bytes, that
        /// [`http_compression`](Self::http_compression) compresses (`httpCompression.threshold`,
        /// 1,024): below it, the headers and the encoder's work cost more than they save.
        #[must_use]
        pub fn http_compression_threshold(mut self, bytes: usize) -> Self {
            self.engine.http_compression.threshold = bytes;
            self
        }
    };
}
pub(crate) use compression_builder_methods;

#[cfg(test)]
#[path = "compression_tests.rs"]
mod tests;
