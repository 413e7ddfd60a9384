//! The encoder: `notepack.io`'s bytes.

use serde_json::Number;
use sockeye_server::Value;

/// Encodes `value` as `notepack.io` does.
pub fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    write(&mut out, value);
    out
}

/// Encodes `value` onto `out`.
pub fn write(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.push(0xc0),
        Value::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_str(out, s),
        Value::Binary(b) => {
            write_len(out, b.len(), None, [0xc4, 0xc5, 0xc6]);
            out.extend_from_slice(b);
        }
        Value::Array(items) => {
            write_len(out, items.len(), Some(0x90), [0xdc, 0xdc, 0xdd]);
            for item in items {
                write(out, item);
            }
        }
        Value::Object(entries) => {
            write_len(out, entries.len(), Some(0x80), [0xde, 0xde, 0xdf]);
            for (k, v) in entries.iter() {
                write_str(out, k);
                write(out, v);
            }
        }
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    let len = s.len();
    if len < 0x20 {
        out.push(0xa0 | len as u8);
    } else {
        write_len(out, len, None, [0xd9, 0xda, 0xdb]);
    }
    out.extend_from_slice(s.as_bytes());
}

/// A length header: the fix form under 16 when `fix` is given (arrays, maps), else the 8-, 16-
/// or 32-bit form (`markers`; arrays and maps have no 8-bit form and repeat the 16-bit marker).
fn write_len(out: &mut Vec<u8>, len: usize, fix: Option<u8>, markers: [u8; 3]) {
    let [m8, m16, m32] = markers;
    match fix {
        Some(fix) if len < 0x10 => out.push(fix | len as u8),
        Some(_) if len < 0x1_0000 => {
            out.push(m16);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        None if len < 0x100 => {
            out.push(m8);
            out.push(len as u8);
        }
        None if len < 0x1_0000 => {
            out.push(m16);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(m32);
            out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
        }
    }
}

fn write_number(out: &mut Vec<u8>, n: &Number) {
    if let Some(u) = n.as_u64() {
        write_uint(out, u);
    } else if let Some(i) = n.as_i64() {
        write_int(out, i);
    } else {
        let f = n.as_f64().unwrap_or(0.0);
        // JavaScript has one number type: an integral float is an integer to notepack.io.
        if f.fract() == 0.0 && f.is_finite() && f.abs() < 9.007_199_254_740_992e15 {
            #[allow(
                clippy::cast_possible_truncation,
                reason = "integral and within ±2^53, exact in an i64"
            )]
            let i = f as i64;
            if i >= 0 {
                write_uint(out, i.unsigned_abs());
            } else {
                write_int(out, i);
            }
        } else {
            out.push(0xcb);
            out.extend_from_slice(&f.to_be_bytes());
        }
    }
}

fn write_uint(out: &mut Vec<u8>, u: u64) {
    if u < 0x80 {
        out.push(u as u8);
    } else if u < 0x100 {
        out.extend_from_slice(&[0xcc, u as u8]);
    } else if u < 0x1_0000 {
        out.push(0xcd);
        out.extend_from_slice(&(u as u16).to_be_bytes());
    } else if u < 0x1_0000_0000 {
        out.push(0xce);
        out.extend_from_slice(&(u as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&u.to_be_bytes());
    }
}

fn write_int(out: &mut Vec<u8>, i: i64) {
    if i >= 0 {
        write_uint(out, i.unsigned_abs());
    } else if i >= -0x20 {
        out.push(i as u8);
    } else if i >= -0x80 {
        out.extend_from_slice(&[0xd0, i as u8]);
    } else if i >= -0x8000 {
        out.push(0xd1);
        out.extend_from_slice(&(i as i16).to_be_bytes());
    } else if i >= -0x8000_0000 {
        out.push(0xd2);
        out.extend_from_slice(&(i as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&i.to_be_bytes());
    }
}
