//! The codec's tests: the specification's vectors, the reference's leniencies, errors, properties.

use alloc::format;
use alloc::string::ToString;
use alloc::vec;

use proptest::prelude::*;

use super::*;

const PH0: &str = r#"{"_placeholder":true,"num":0}"#;
const PH1: &str = r#"{"_placeholder":true,"num":1}"#;

fn nsp(name: &str) -> Nsp {
    Nsp::new(name).unwrap()
}

fn root() -> Nsp {
    Nsp::root()
}

fn s(text: &str) -> String {
    String::from(text)
}

/// Arguments without attachments.
fn args_of(text: &str) -> Args {
    Args::from_json(text, vec![]).unwrap()
}

/// Arguments with attachments.
fn binary_args(text: impl Into<String>, attachments: Vec<Vec<u8>>) -> Args {
    Args::from_json(text, attachments).unwrap()
}

fn enc(packet: &Packet) -> String {
    let mut out = String::new();
    encode(packet, &mut out);
    assert_eq!(out.len(), encoded_len(packet), "encoded_len of {packet:?}");
    out
}

/// Feeds `text` then `attachments` and returns the completed packet.
fn dec(text: &str, attachments: &[&[u8]]) -> Result<Packet, DecodeError> {
    let mut d = Decoder::default();
    let mut status = d.decode_text(text)?;
    for (i, a) in attachments.iter().enumerate() {
        assert_eq!(
            status,
            Status::Partial {
                remaining: attachments.len() - i
            },
            "{text}"
        );
        status = d.decode_binary(a.to_vec())?;
    }
    match status {
        Status::Complete(p) => Ok(p),
        Status::Partial { remaining } => panic!("{text}: still {remaining} attachments"),
    }
}

fn err(text: &str) -> DecodeError {
    Decoder::default().decode_text(text).unwrap_err()
}

/// The wire text and the packet, both directions.
fn vector(wire: &str, attachments: &[&[u8]], packet: Packet) {
    assert_eq!(enc(&packet), wire, "encode {packet:?}");
    assert_eq!(dec(wire, attachments).unwrap(), packet, "decode {wire}");
}

mod errors;
mod lenient;
mod parser;
mod properties;
mod spec;
