//! The client's handshake against a server written byte by byte over an in-memory pipe.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "tests")]

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, duplex};

use super::*;
use crate::Message;

/// RFC 6455 section 1.3's example.
#[test]
fn the_rfc_s_accept_key() {
    assert_eq!(
        accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
    assert_eq!(client_key().len(), 24);
    assert_ne!(client_key(), client_key());
}

const OFFER: DeflateOffer = DeflateOffer {
    threshold: 1024,
    level: 6,
    client_no_context_takeover: false,
};

fn request(deflate: Option<DeflateOffer>) -> ClientRequest<'static> {
    ClientRequest {
        path_and_query: "/socket.io/?EIO=4&transport=websocket",
        host: "127.0.0.1:3000",
        headers: &[],
        deflate,
        max_message: 1000,
    }
}

/// Reads the client's request head from `server`, and answers it with `answer(key)`.
async fn answer_with(mut server: DuplexStream, answer: impl FnOnce(&str) -> Vec<u8>) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0];
        server.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let key = head
        .lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
        .unwrap()
        .to_owned();
    server.write_all(&answer(&key)).await.unwrap();
    // Kept open until the client is done with it.
    tokio::spawn(async move {
        let mut sink = Vec::new();
        let _ = server.read_to_end(&mut sink).await;
    });
    head
}

fn accepted(key: &str, extra: &str) -> String {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n{extra}\r\n",
        accept_key(key.as_bytes())
    )
}

#[tokio::test]
async fn a_client_opens_and_reads_what_came_with_the_answer() {
    let (client_io, server) = duplex(1 << 16);
    let server = tokio::spawn(answer_with(server, |key| {
        let mut bytes = accepted(key, "").into_bytes();
        // The server's first frame, in the same write as its answer.
        bytes.extend([0x81, 0x02, b'4', b'x']);
        bytes
    }));
    let mut ws = client(client_io, &request(Some(OFFER))).await.unwrap();
    let head = server.await.unwrap();
    assert!(head.starts_with("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"));
    assert!(head.contains("\r\nHost: 127.0.0.1:3000\r\n"));
    assert!(head.contains("\r\nSec-WebSocket-Extensions: permessage-deflate\r\n"));
    let first = std::future::poll_fn(|cx| ws.poll_next(cx)).await;
    assert_eq!(first.unwrap().unwrap(), Message::Text("4x".into()));
}

#[tokio::test]
async fn what_fails_a_client_s_handshake() {
    async fn outcome(
        deflate: Option<DeflateOffer>,
        answer: impl FnOnce(&str) -> Vec<u8> + Send + 'static,
    ) -> Result<(), HandshakeError> {
        let (client_io, server) = duplex(1 << 16);
        tokio::spawn(answer_with(server, answer));
        client(client_io, &request(deflate)).await.map(drop)
    }
    let bad = |answer: fn(&str) -> String| move |key: &str| answer(key).into_bytes();
    assert!(matches!(
        outcome(None, bad(|_| "HTTP/1.1 400 Bad Request\r\n\r\n".into())).await,
        Err(HandshakeError::Status(400))
    ));
    assert!(matches!(
        outcome(None, bad(|_| accepted("not the key", ""))).await,
        Err(HandshakeError::Invalid(_))
    ));
    assert!(matches!(
        outcome(
            None,
            bad(|key| accepted(key, "Sec-WebSocket-Extensions: permessage-deflate\r\n"))
        )
        .await,
        Err(HandshakeError::Invalid(_))
    ));
    assert!(matches!(
        outcome(
            Some(OFFER),
            bad(|key| accepted(
                key,
                "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=9\r\n"
            ))
        )
        .await,
        Err(HandshakeError::Invalid(_))
    ));
    assert!(matches!(
        outcome(None, |_| vec![b'x'; MAX_RESPONSE_HEAD + 2048]).await,
        Err(HandshakeError::TooLong)
    ));
    let (client_end, server) = duplex(1 << 16);
    drop(server);
    assert!(matches!(
        client(client_end, &request(None)).await,
        Err(HandshakeError::Io(_) | HandshakeError::Closed)
    ));
    let headers = [("X-Evil".to_owned(), "a\r\nInjected: 1".to_owned())];
    let (client_end, _server) = duplex(1 << 16);
    let request = ClientRequest {
        headers: &headers,
        ..request(None)
    };
    assert!(matches!(
        client(client_end, &request).await,
        Err(HandshakeError::InvalidHeader)
    ));
}

/// A client and a server agree on permessage-deflate and exchange compressed messages both ways,
/// the client's masked.
#[tokio::test]
async fn compressed_messages_both_ways_between_the_two_roles() {
    use crate::deflate::DeflateParams;
    let (client_io, server_io) = duplex(1 << 20);
    let params = DeflateParams {
        server_no_context_takeover: false,
        client_no_context_takeover: false,
        threshold: 10,
        level: 6,
    };
    let mut server = crate::WebSocket::new(server_io, 1 << 20).with_deflate(Some(params));
    let mut client_ws =
        crate::WebSocket::client(client_io, 1 << 20, BytesMut::new()).with_deflate(Some(params));
    let long = "4".to_owned() + &"hello sockeye ".repeat(100);
    for _ in 0..3 {
        client_ws.send_text(long.clone(), true);
        client_ws.send_text("4short".into(), true);
        client_ws.send_binary(vec![9; 5000], false);
        std::future::poll_fn(|cx| client_ws.poll_write(cx))
            .await
            .unwrap();
        for expected in [
            Message::Text(long.clone()),
            Message::Text("4short".into()),
            Message::Binary(vec![9; 5000]),
        ] {
            let got = std::future::poll_fn(|cx| server.poll_next(cx)).await;
            assert_eq!(got.unwrap().unwrap(), expected);
        }
        server.send_text(long.clone(), true);
        std::future::poll_fn(|cx| server.poll_write(cx))
            .await
            .unwrap();
        let got = std::future::poll_fn(|cx| client_ws.poll_next(cx)).await;
        assert_eq!(got.unwrap().unwrap(), Message::Text(long.clone()));
    }
}
