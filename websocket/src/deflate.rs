//! permessage-deflate (RFC 7692) as a negotiated WebSocket compresses and decompresses messages:
//! raw DEFLATE (RFC 1951), each message flushed to a byte boundary with an empty stored block
//! whose last four bytes (`00 00 ff ff`) are left out on the wire (section 7.2.1) and put back
//! before inflating (section 7.2.2).
//!
//! The contexts (the LZ77 window of the messages before) are kept from message to message in each
//! direction unless the negotiation said `*_no_context_takeover`. Kept contexts are the
//! connection's own and made on first use (a compressor holds 319 KB with miniz_oxide, an
//! inflater 43 KB; zlib's, under the reference's `ws`, about 256 KB and 40 KB); a context reset
//! after every message is instead the thread's, lent for the one message. Compression always uses a
//! 32,768-byte window (miniz_oxide makes no other), which is why the negotiation declines a
//! smaller `server_max_window_bits`; inflating with that window takes any smaller one.

use std::cell::RefCell;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::Role;

/// What the handshake agreed on, in the RFC's words: which end resets its compressor after every
/// message, and this end's threshold and level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeflateParams {
    /// The server resets its compressor after every message (`server_no_context_takeover`), so
    /// its messages never refer to earlier ones and the client's inflater need not be kept.
    pub server_no_context_takeover: bool,
    /// The client resets its compressor after every message (`client_no_context_takeover`), so
    /// its messages never refer to earlier ones and the server's inflater need not be kept.
    pub client_no_context_takeover: bool,
    /// Messages shorter than this go uncompressed from this end (engine.io's `threshold`).
    pub threshold: usize,
    /// The DEFLATE level, 0 (stored) to 9 (zlib's scale).
    pub level: u32,
}

/// The four bytes a sync flush ends with, left out of every compressed message.
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Messages (to compress) and compressed messages (to inflate) from this size up are worked on with
/// the worker thread handed over to tokio (`block_in_place`, on a multi-thread runtime): 745 KB of
/// JSON takes about 30 ms to compress at level 6 and 9 ms to inflate here, which would otherwise
/// hold up every other task of that worker meanwhile. The reference's zlib does the same work on
/// libuv's thread pool. Smaller ones take under a millisecond (a compressed message under this
/// size inflates to at most the message bound, 1 MB by default, in about 2 ms).
const OFF_THE_WORKER: usize = 32 * 1024;

/// How many bytes an inflate step may write at least: the output grows by this much or by its
/// size, whichever is more, up to the bound.
const INFLATE_STEP: usize = 4096;

thread_local! {
    /// The compressors of connections that reset theirs after every message, by level (an end
    /// uses one; miniz_oxide cannot change a compressor's level).
    static SHARED_COMPRESS: RefCell<[Option<Compress>; 10]> = const { RefCell::new([const { None }; 10]) };
    /// The inflater of connections whose peer resets its context after every message.
    static SHARED_DECOMPRESS: RefCell<Option<Decompress>> = const { RefCell::new(None) };
}

/// Why a compressed message cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InflateError {
    /// It inflates to more than the bound: refused as an oversized message (1009).
    TooBig,
    /// It is not DEFLATE data, or refers to a window it has not got (1007, as `ws` closes).
    Invalid,
}

/// A WebSocket's permessage-deflate state; see the [module docs](self).
pub struct Deflate {
    params: DeflateParams,
    /// This end resets its compressor after every message.
    reset_compress: bool,
    /// The peer resets its compressor after every message: this end's inflater need not be kept.
    reset_decompress: bool,
    compress: Option<Compress>,
    decompress: Option<Decompress>,
}

impl std::fmt::Debug for Deflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deflate")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl Deflate {
    /// The state of a connection in `role` that negotiated `params`; contexts are made on first
    /// use.
    pub fn new(params: DeflateParams, role: Role) -> Self {
        let (reset_compress, reset_decompress) = match role {
            Role::Server => (
                params.server_no_context_takeover,
                params.client_no_context_takeover,
            ),
            Role::Client => (
                params.client_no_context_takeover,
                params.server_no_context_takeover,
            ),
        };
        Deflate {
            params,
            reset_compress,
            reset_decompress,
            compress: None,
            decompress: None,
        }
    }

    /// Whether a message of `len` bytes goes compressed.
    pub fn compresses(&self, len: usize) -> bool {
        len >= self.params.threshold
    }

    /// One message's payload compressed, without the flush's last four bytes.
    pub fn compress(&mut self, payload: &[u8]) -> Vec<u8> {
        off_the_worker(payload.len(), || self.compress_here(payload))
    }

    fn compress_here(&mut self, payload: &[u8]) -> Vec<u8> {
        if self.reset_compress {
            let level = self.params.level;
            return SHARED_COMPRESS.with_borrow_mut(|shared| {
                let slot = usize::try_from(level).ok().and_then(|l| shared.get_mut(l));
                let mut own = None;
                let c = slot
                    .unwrap_or(&mut own)
                    .get_or_insert_with(|| new_compress(level));
                let out = compress_message(c, payload);
                c.reset();
                out
            });
        }
        let level = self.params.level;
        let c = self.compress.get_or_insert_with(|| new_compress(level));
        compress_message(c, payload)
    }

    /// One message's payload inflated, refused past `max` bytes.
    pub fn decompress(&mut self, payload: &[u8], max: usize) -> Result<Vec<u8>, InflateError> {
        off_the_worker(payload.len(), || self.decompress_here(payload, max))
    }

    fn decompress_here(&mut self, payload: &[u8], max: usize) -> Result<Vec<u8>, InflateError> {
        if self.reset_decompress {
            return SHARED_DECOMPRESS.with_borrow_mut(|shared| {
                let d = shared.get_or_insert_with(|| Decompress::new(false));
                let out = decompress_message(d, payload, max);
                d.reset(false);
                out
            });
        }
        let d = self
            .decompress
            .get_or_insert_with(|| Decompress::new(false));
        let out = decompress_message(d, payload, max);
        if out.is_err() {
            // Its window is what it was partway through a refused message; the connection
            // closes, but a fresh state costs nothing and keeps it sane.
            d.reset(false);
        }
        out
    }
}

/// Runs `work` on `len` bytes, handing the worker thread's other tasks over to tokio first when
/// `len` is at least [`OFF_THE_WORKER`] and this is a multi-thread runtime's worker (on a
/// current-thread runtime, or outside tokio, it runs as it is).
fn off_the_worker<T>(len: usize, work: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    let multi_thread =
        || Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread);
    if len >= OFF_THE_WORKER && multi_thread() {
        tokio::task::block_in_place(work)
    } else {
        work()
    }
}

fn new_compress(level: u32) -> Compress {
    Compress::new(Compression::new(level), false)
}

/// DEFLATE with a sync flush (RFC 7692 section 7.2.1), the flush's `00 00 ff ff` removed.
/// Linear in the payload: each step takes input or fills output that grows geometrically.
fn compress_message(c: &mut Compress, payload: &[u8]) -> Vec<u8> {
    // Incompressible data grows by 5 bytes per stored block of up to 64 KiB, plus the flush.
    let mut out = Vec::with_capacity(payload.len() + payload.len() / 8192 + 64);
    let start = c.total_in();
    loop {
        let taken = usize::try_from(c.total_in() - start).unwrap_or(usize::MAX);
        let rest = payload.get(taken..).unwrap_or_default();
        if out.capacity() - out.len() < 64 {
            out.reserve(out.capacity().max(64));
        }
        let (in_before, out_before) = (c.total_in(), c.total_out());
        // miniz_oxide fails only on misuse (a buffer of no room), which the reserve above rules
        // out; an error ends the message as it is, and the peer's inflater then reports it.
        if c.compress_vec(rest, &mut out, FlushCompress::Sync).is_err()
            || (c.total_in(), c.total_out()) == (in_before, out_before)
        {
            break;
        }
        let all_in = usize::try_from(c.total_in() - start).is_ok_and(|n| n >= payload.len());
        // A sync flush is complete once a step that had all the input left room in the output.
        if all_in && out.len() < out.capacity() {
            break;
        }
    }
    if out.ends_with(&TAIL) {
        out.truncate(out.len() - TAIL.len());
    }
    out
}

/// Inflates `payload` followed by `00 00 ff ff` (RFC 7692 section 7.2.2), at most `max` bytes of
/// it: the output stops growing past the bound, so a small message cannot make the server hold
/// more than an oversized one would have. Linear in the input and the output.
fn decompress_message(
    d: &mut Decompress,
    payload: &[u8],
    max: usize,
) -> Result<Vec<u8>, InflateError> {
    let mut out = Vec::with_capacity(
        payload
            .len()
            .saturating_mul(2)
            .clamp(64, max.saturating_add(1)),
    );
    for input in [payload, &TAIL[..]] {
        let start = d.total_in();
        loop {
            let taken = usize::try_from(d.total_in() - start).unwrap_or(usize::MAX);
            let rest = input.get(taken..).unwrap_or_default();
            if out.len() == out.capacity() {
                if out.len() > max {
                    return Err(InflateError::TooBig);
                }
                // Room for one byte past the bound, to tell "exactly max" from "more".
                let room = out
                    .capacity()
                    .max(INFLATE_STEP)
                    .min(max.saturating_add(1) - out.len());
                out.reserve_exact(room);
            }
            let (in_before, out_before) = (d.total_in(), d.total_out());
            let status = d
                .decompress_vec(rest, &mut out, FlushDecompress::None)
                .map_err(|_| InflateError::Invalid)?;
            if out.len() > max {
                return Err(InflateError::TooBig);
            }
            if status == Status::StreamEnd {
                // A final block (section 7.2.3.4): the stream is over, what follows is not
                // part of it, and the next message starts a new one.
                d.reset(false);
                return Ok(out);
            }
            let progressed = d.total_in() != in_before || d.total_out() != out_before;
            let all_in = d.total_in() - start >= input.len() as u64;
            if all_in && out.len() < out.capacity() {
                break;
            }
            if !progressed && out.len() < out.capacity() {
                return Err(InflateError::Invalid);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "deflate_tests.rs"]
mod tests;
