//! Error messages written without `core::fmt`.
//!
//! The browser client turns the core's errors into JavaScript `Error` messages. Formatting them
//! through `Display` would link `core::fmt` (the formatter, padding, integer printing: kilobytes of
//! wasm) for a few short texts. So the errors a client reports write their text with plain string
//! pushes ([`ErrorText::write_text`]), and their `Display` prints that same text.

use alloc::string::String;

/// An error whose message can be written without `core::fmt`; its `Display` prints the same text.
pub trait ErrorText {
    /// Appends the message to `out`.
    fn write_text(&self, out: &mut String);

    /// The message as a new string.
    fn text(&self) -> String {
        let mut out = String::new();
        self.write_text(&mut out);
        out
    }
}

/// `Display` for types implementing [`ErrorText`], from the one text.
macro_rules! display_by_text {
    ($($ty:ty),* $(,)?) => {$(
        impl core::fmt::Display for $ty {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(&$crate::text::ErrorText::text(self))
            }
        }
    )*};
}
pub(crate) use display_by_text;

/// The number of decimal digits of `v`.
pub(crate) fn decimal_len(mut v: u64) -> usize {
    let mut len = 1;
    while v >= 10 {
        v /= 10;
        len += 1;
    }
    len
}

/// Appends `v` in decimal.
pub(crate) fn push_decimal(out: &mut String, mut v: u64) {
    // Digits from the last, into the end of a buffer long enough for `u64::MAX`.
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        start -= 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if let Some(text) = digits
        .get(start..)
        .and_then(|d| core::str::from_utf8(d).ok())
    {
        out.push_str(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn decimals_match_display() {
        for v in [
            0,
            1,
            9,
            10,
            99,
            100,
            12_345,
            u64::from(u32::MAX),
            u64::MAX - 1,
            u64::MAX,
        ] {
            let mut out = String::from("x");
            push_decimal(&mut out, v);
            assert_eq!(out, ["x", &v.to_string()].concat());
            assert_eq!(decimal_len(v), v.to_string().len());
        }
    }
}
