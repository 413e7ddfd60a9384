use std::io::Read;

use http::HeaderValue;

use super::*;

fn accept(values: &[&str]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for v in values {
        headers.append(ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
    }
    headers
}

fn pick(value: &str) -> Option<&'static str> {
    negotiate(&accept(&[value])).map(ContentCoding::token)
}

#[test]
fn the_coding_is_the_references_choice() {
    // What browsers and curl send.
    assert_eq!(pick("gzip, deflate, br, zstd"), Some("gzip"));
    assert_eq!(pick("gzip, deflate"), Some("gzip"));
    // On equal q, the one named first wins (negotiator's order), then gzip.
    assert_eq!(pick("deflate, gzip"), Some("deflate"));
    assert_eq!(pick("deflate"), Some("deflate"));
    assert_eq!(pick("GZIP"), Some("gzip"));
    assert_eq!(pick("*"), Some("gzip"));
    // q decides first.
    assert_eq!(pick("gzip;q=0.5, deflate"), Some("deflate"));
    assert_eq!(pick("deflate;q=0.2, gzip;q=0.8"), Some("gzip"));
    assert_eq!(pick("gzip ; q=0.1 ; x=y, deflate;q=0.05"), Some("gzip"));
    // An exact name outranks `*`, whatever their q.
    assert_eq!(pick("gzip;q=0, *"), Some("deflate"));
    assert_eq!(pick("*;q=0.9, deflate;q=0.1"), Some("gzip"));
    // The last of two entries for one coding counts when they are alike.
    assert_eq!(pick("gzip;q=0, gzip"), Some("gzip"));
}

#[test]
fn no_coding_when_the_client_takes_none_of_them() {
    assert_eq!(negotiate(&HeaderMap::new()), None);
    assert_eq!(pick(""), None);
    assert_eq!(pick("identity"), None);
    assert_eq!(pick("br, zstd"), None);
    assert_eq!(pick("gzip;q=0"), None);
    assert_eq!(pick("gzip;q=0, deflate;q=0"), None);
    assert_eq!(pick("*;q=0"), None);
    // Unreadable q values are NaN for parseFloat, which is no quality at all.
    assert_eq!(pick("gzip;q=abc"), None);
    assert_eq!(pick("gzip;q"), None);
    // Not an entry: a space inside the coding.
    assert_eq!(pick("gz ip"), None);
}

#[test]
fn repeated_header_lines_are_one_list() {
    assert_eq!(
        negotiate(&accept(&["br", "deflate"])),
        Some(ContentCoding::Deflate)
    );
    assert_eq!(
        negotiate(&accept(&["deflate;q=0.5", "gzip"])),
        Some(ContentCoding::Gzip)
    );
}

#[test]
fn q_values_read_as_parse_float_reads_them() {
    assert_eq!(parse_float_prefix(b"0.5"), 0.5);
    assert_eq!(parse_float_prefix(b" 1"), 1.0);
    assert_eq!(parse_float_prefix(b".25x"), 0.25);
    assert_eq!(parse_float_prefix(b"1e-1"), 0.1);
    assert_eq!(parse_float_prefix(b"2e"), 2.0);
    assert!(parse_float_prefix(b"").is_nan());
    assert!(parse_float_prefix(b"-").is_nan());
    assert!(parse_float_prefix(b"x1").is_nan());
}

#[test]
fn only_bodies_at_or_over_the_threshold_are_compressed() {
    let on = HttpCompression::default();
    let headers = accept(&["gzip"]);
    let sized = |len: usize| PollPayload {
        body: "x".repeat(len),
        compress: true,
    };
    assert_eq!(on.coding_for(&sized(1023), &headers), None);
    assert_eq!(
        on.coding_for(&sized(1024), &headers),
        Some(ContentCoding::Gzip)
    );
    assert_eq!(on.coding_for(&sized(1024), &HeaderMap::new()), None);
    let off = HttpCompression {
        enabled: false,
        ..on
    };
    assert_eq!(off.coding_for(&sized(1 << 20), &headers), None);
}

#[test]
fn a_payload_without_the_compress_flag_goes_as_it_is_whatever_its_size() {
    let on = HttpCompression::default();
    let plain = PollPayload {
        body: "x".repeat(1 << 20),
        compress: false,
    };
    assert_eq!(on.coding_for(&plain, &accept(&["gzip"])), None);
}

fn payload(len: usize) -> String {
    let mut s = String::new();
    let mut n = 0;
    while s.len() < len {
        s.push_str(&format!("42[\"tick\",{{\"n\":{n}}}]\u{1e}"));
        n += 1;
    }
    s
}

#[test]
fn gzip_and_deflate_decode_to_the_body() {
    // Twice each, so that the second reuses the thread's encoder.
    for len in [1024, 100_000, 1024] {
        let body = payload(len);
        let gz = encode(ContentCoding::Gzip, body.as_bytes()).unwrap();
        let mut back = String::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, body);
        assert!(gz.len() < body.len() / 4, "{} of {}", gz.len(), body.len());

        let zlib = encode(ContentCoding::Deflate, body.as_bytes()).unwrap();
        let mut back = String::new();
        flate2::read::ZlibDecoder::new(&zlib[..])
            .read_to_string(&mut back)
            .unwrap();
        assert_eq!(back, body);
    }
}

#[tokio::test]
async fn a_body_that_would_not_shrink_goes_as_it_is() {
    // A gzip member's header and trailer alone are 18 bytes.
    let short = "0123456789".to_owned();
    assert_eq!(
        compress(ContentCoding::Gzip, short.clone()).await,
        Err(Bytes::from(short))
    );
}

#[tokio::test]
async fn large_bodies_are_compressed_on_the_blocking_pool_all_the_same() {
    let body = payload(INLINE_MAX * 4);
    let gz = compress(ContentCoding::Deflate, body.clone())
        .await
        .unwrap();
    let mut back = String::new();
    flate2::read::ZlibDecoder::new(&gz[..])
        .read_to_string(&mut back)
        .unwrap();
    assert_eq!(back, body);
}
