//! The send queue: emits and acks run at once, unless one holds a `Blob` (read asynchronously)
//! or waits behind one that does; then they wait, in send order, until every `Blob` before them
//! is read.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use proto::socket::args::{Args, ArgsError};
use proto::socket::client::{self as socket_client, EmitError, SocketId};
use proto::socket::packet::AckId;
use wasm_bindgen::prelude::*;

use super::{AckCallback, JsSink, WriteText, error, report_error, text_of};
use crate::callback::Callback;
use crate::convert::Encoded;
use crate::driver::{Driver, Source};

/// What waits in the send queue behind a `Blob`.
pub(super) enum Op {
    Emit {
        ack: Option<AckCallback>,
        timeout: Option<Duration>,
        volatile: bool,
    },
    Ack(AckId),
}

/// An emit or an ack waiting in the send queue.
pub(super) struct Waiting {
    seq: u32,
    socket: SocketId,
    encoded: Encoded,
    missing: usize,
    op: Op,
}

/// A `Blob` being read for attachment `index` of waiting entry `seq`.
pub(super) struct BlobRead {
    pub(super) tag: u32,
    pub(super) seq: u32,
    pub(super) index: usize,
    _callback: Callback,
}

/// A `JsError` with the text of `e`.
fn js_error(e: &dyn WriteText) -> JsError {
    JsError::new(&text_of(e))
}

/// Why an emit or an ack is not sent.
pub(super) enum Refused {
    /// The encoded arguments are not arguments the core can carry: JSON it refuses (a lone
    /// surrogate, which `JSON.stringify` escapes as `\ud800`; nesting past `Args::MAX_DEPTH`), not
    /// an array (a `toJSON` on the array), a placeholder-like object naming a missing attachment.
    Args(ArgsError),
    /// The core refused the emit or the ack.
    Emit(EmitError),
}

pub(super) fn refused_error(e: &Refused) -> JsError {
    match e {
        // Worded as the core's emit refusals, as when the core checked the JSON itself.
        Refused::Args(ArgsError::InvalidJson(e)) => js_error(&EmitError::InvalidJson(*e)),
        Refused::Args(e) => js_error(e),
        Refused::Emit(e) => js_error(e),
    }
}

/// As the reference words it: `"connect" is a reserved event name`.
pub(super) fn reserved(name: &JsValue) -> JsError {
    let mut text = String::from("\"");
    text.push_str(&name.as_string().unwrap_or_default());
    text.push_str("\" is a reserved event name");
    JsError::new(&text)
}

/// Runs an emit or an ack now.
fn perform(
    driver: &Driver<JsSink>,
    socket: SocketId,
    encoded: Encoded,
    op: Op,
) -> Result<(), Refused> {
    let Encoded {
        json, attachments, ..
    } = encoded;
    let args = Args::from_json(json, attachments).map_err(Refused::Args)?;
    match op {
        Op::Emit {
            ack,
            timeout,
            volatile,
        } => {
            let mut emit = socket_client::Emit::new(args);
            emit.ack = ack.is_some();
            emit.timeout = timeout;
            emit.volatile = volatile;
            if ack.as_ref().is_some_and(|a| a.with_error) {
                driver.fresh_clock();
            }
            let handle = driver.command(|c, now| c.emit(now, socket, emit));
            if let (Ok(Some(handle)), Some(ack)) = (&handle, ack) {
                driver.sink().acks.borrow_mut().push((handle.get(), ack));
            }
            driver.pump();
            handle.map(drop).map_err(Refused::Emit)
        }
        Op::Ack(id) => driver
            .with(|c, now| c.ack(now, socket, id, args))
            .map_err(Refused::Emit),
    }
}

/// Runs an emit or an ack now, or queues it behind (or for) a `Blob` being read. A queued one
/// that the core refuses when its turn comes is reported with `reportError`, as it can no longer
/// throw.
pub(super) fn submit(
    driver: &Driver<JsSink>,
    socket: SocketId,
    mut encoded: Encoded,
    op: Op,
) -> Result<(), Refused> {
    let sink = driver.sink();
    if encoded.blobs.is_empty() && sink.waiting.borrow().is_empty() {
        return perform(driver, socket, encoded, op);
    }
    let seq = sink.tag();
    let blobs = core::mem::take(&mut encoded.blobs);
    sink.waiting.borrow_mut().push(Waiting {
        seq,
        socket,
        encoded,
        missing: blobs.len(),
        op,
    });
    for (index, blob) in blobs {
        let tag = sink.tag();
        let callback = driver.callback(Source::Sink(tag));
        crate::js::settle_into(&blob.array_buffer(), &callback);
        sink.reads.borrow_mut().push(BlobRead {
            tag,
            seq,
            index,
            _callback: callback,
        });
    }
    Ok(())
}

/// A `Blob` of queued entry `seq` was read (`None`: it could not be; the entry is dropped).
pub(super) fn blob_read(driver: &Driver<JsSink>, seq: u32, index: usize, bytes: Option<Vec<u8>>) {
    let sink = driver.sink();
    let unreadable = {
        let mut waiting = sink.waiting.borrow_mut();
        let Some(i) = waiting.iter().position(|w| w.seq == seq) else {
            return;
        };
        match (bytes, waiting.get_mut(i)) {
            (Some(bytes), Some(entry)) => {
                if let Some(slot) = entry.encoded.attachments.get_mut(index) {
                    *slot = bytes;
                }
                entry.missing -= 1;
                false
            }
            _ => {
                drop(take(&mut waiting, i));
                true
            }
        }
    };
    // Reported with no borrow held: `reportError` runs the page's `error` listeners at once.
    if unreadable {
        report_error(&error(
            "a Blob argument could not be read; the emit is dropped",
        ));
    }
    loop {
        let next = {
            let mut waiting = sink.waiting.borrow_mut();
            match waiting.first() {
                Some(w) if w.missing == 0 => take(&mut waiting, 0),
                _ => None,
            }
        };
        let Some(w) = next else { break };
        if let Err(e) = perform(driver, w.socket, w.encoded, w.op) {
            report_error(&refused_error(&e).into());
        }
    }
}

/// `waiting.remove(i)`, or `None` past the end: no panic path (its message and location) in the
/// module.
fn take(waiting: &mut Vec<Waiting>, i: usize) -> Option<Waiting> {
    (i < waiting.len()).then(|| waiting.remove(i))
}
