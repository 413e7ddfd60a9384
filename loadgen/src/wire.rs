//! Bytes on the wire: every connection the generator opens (polling's HTTP connections and the
//! WebSockets) counts what it reads and writes, TCP payload only (HTTP heads and bodies as sent,
//! WebSocket frames with their headers; not the IP and TCP headers). The counters are the
//! thread's: a run drives every one of its connections on the thread that called
//! [`run`](crate::run) (a current-thread runtime), and reads them at the start and end of its
//! window, as it reads CPU times, so runs on other threads (tests in parallel) do not mix in.

use std::cell::Cell;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

thread_local! {
    static RECEIVED: Cell<u64> = const { Cell::new(0) };
    static SENT: Cell<u64> = const { Cell::new(0) };
}

fn add(counter: &'static std::thread::LocalKey<Cell<u64>>, n: usize) {
    counter.with(|c| c.set(c.get().saturating_add(n as u64)));
}

/// The bytes received and sent so far by the [`Counted`] streams of this thread.
pub fn totals() -> (u64, u64) {
    (RECEIVED.with(Cell::get), SENT.with(Cell::get))
}

/// A stream whose reads and writes are counted in [`totals`].
#[derive(Debug)]
pub(crate) struct Counted<T>(pub(crate) T);

impl<T: AsyncRead + Unpin> AsyncRead for Counted<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.0).poll_read(cx, buf);
        let n = buf.filled().len().saturating_sub(before);
        add(&RECEIVED, n);
        poll
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Counted<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.0).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = poll {
            add(&SENT, n);
        }
        poll
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.0).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = poll {
            add(&SENT, n);
        }
        poll
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    // On this thread only (a current-thread runtime), as a run counts.
    #[tokio::test(flavor = "current_thread")]
    async fn reads_and_writes_are_counted() {
        let (a, b) = tokio::io::duplex(64);
        let (mut a, mut b) = (Counted(a), Counted(b));
        let (received, sent) = totals();
        a.write_all(b"hello").await.unwrap();
        let mut buf = [0u8; 5];
        b.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"hello");
        assert_eq!(totals(), (received + 5, sent + 5));
    }
}
