use super::*;

#[test]
fn the_http_bounds_default_to_engine_io_6_6_13_s_and_documented_caps() {
    let limits = HttpLimits::default();
    assert_eq!(limits.http_request_body_timeout, Duration::from_secs(30));
    assert_eq!(limits.max_buffered_chunks, 10_000);
    assert_eq!(limits.max_clients, 100_000);
    assert_eq!(limits.max_handshake_header_bytes, 16 * 1024);
    assert_eq!(limits.write_timeout, Duration::from_secs(30));
    assert!(limits.websocket_origins.is_none());
}

#[test]
fn paths_get_one_leading_and_one_trailing_slash() {
    assert_eq!(normalize_path("/socket.io"), "/socket.io/");
    assert_eq!(normalize_path("/socket.io/"), "/socket.io/");
    assert_eq!(normalize_path("engine.io"), "/engine.io/");
    assert_eq!(normalize_path("/"), "/");
}

#[test]
fn ipv6_addresses_share_a_bucket_per_64_and_mapped_ipv4_is_ipv4() {
    let a: std::net::IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
    let b: std::net::IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
    let c: std::net::IpAddr = "2001:db8:1:3::1".parse().unwrap();
    assert_eq!(rate_key(a), rate_key(b));
    assert_ne!(rate_key(a), rate_key(c));
    let mapped: std::net::IpAddr = "::ffff:10.0.0.1".parse().unwrap();
    assert_eq!(
        rate_key(mapped),
        "10.0.0.1".parse::<std::net::IpAddr>().unwrap()
    );
}

#[tokio::test(start_paused = true)]
async fn a_bucket_refills_at_the_rate_up_to_the_burst() {
    let limiter = HandshakeLimiter::new(2, 3);
    let ip: std::net::IpAddr = "10.0.0.1".parse().unwrap();
    let other: std::net::IpAddr = "10.0.0.2".parse().unwrap();
    for _ in 0..3 {
        assert_eq!(limiter.check(ip), Ok(()));
    }
    assert_eq!(limiter.check(ip), Err(Duration::from_millis(500)));
    assert_eq!(limiter.check(other), Ok(()), "each address has its own");
    tokio::time::advance(Duration::from_millis(500)).await;
    assert_eq!(limiter.check(ip), Ok(()));
    assert!(limiter.check(ip).is_err());
    tokio::time::advance(Duration::from_secs(60)).await;
    for _ in 0..3 {
        assert_eq!(limiter.check(ip), Ok(()));
    }
    assert!(limiter.check(ip).is_err(), "never more than the burst");
}

#[test]
fn the_default_cookie_is_the_references() {
    assert_eq!(
        Cookie::default().header("abc"),
        "io=abc; Path=/; HttpOnly; SameSite=Lax"
    );
}
