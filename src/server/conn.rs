//! The accept loop behind `imgedit serve`: a cap on open connections, and time limits on each one
//! (request headers, which also bounds an idle keep-alive connection; request bodies; a client that
//! stops reading the answer), so that a few hundred slow or idle clients cannot exhaust the process.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

/// How many connections, and for how long each may wait on its client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnLimits {
    /// Open connections at once; beyond it a new one is answered 503 and closed.
    pub max_connections: usize,
    /// Time for a request's headers to arrive, counted from the end of the previous answer on a
    /// kept-alive connection: an idle connection is closed after it.
    pub header_timeout: Duration,
    /// Time for a whole request body to arrive.
    pub body_timeout: Duration,
    /// Time a write of the answer may stay blocked on a client that does not read it.
    pub write_timeout: Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            max_connections: 256,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
        }
    }
}

/// The body of the answer a connection over the cap gets before it is closed.
const BUSY_BODY: &str = r#"{"message":"too many open connections; retry in a moment","error_code":"TooManyConnections"}"#;

/// How long open connections get to finish their requests after the shutdown signal.
const DRAIN_SECS: u64 = 10;

/// Accepts connections on `listener` and serves `app` on each, within `limits`, until `shutdown`
/// resolves; then lets the open requests finish (for a bounded time).
pub async fn accept_loop(
    listener: TcpListener,
    app: Router,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let refusing = Arc::new(Semaphore::new(REFUSING));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // EMFILE and friends: wait a moment instead of spinning
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            refuse(stream, peer, &refusing);
            continue;
        };
        let app = app.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let _ = stream.set_nodelay(true);
            let io = TokioIo::new(WriteDeadline::new(stream, limits.write_timeout));
            let service = TowerToHyperService::new(app);
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .keep_alive(true);
            let conn = builder.serve_connection(io, service);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                r = conn.as_mut() => { log_end(peer, r); return; }
                _ = stop.changed() => conn.as_mut().graceful_shutdown(),
            }
            log_end(peer, conn.await);
        });
    }
    let _ = stop_tx.send(true);
    drop(listener);
    // wait (bounded) until every connection has given its slot back
    let all = u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(
        Duration::from_secs(DRAIN_SECS),
        slots.acquire_many_owned(all),
    )
    .await;
}

/// Answers a connection over the cap with a 503 and closes it. The request is read and dropped for
/// a moment first (closing a socket with unread data resets it, and the client would see a reset
/// instead of the answer); at most `REFUSING` such goodbyes run at once, beyond that the connection
/// is closed at once.
fn refuse(stream: TcpStream, peer: SocketAddr, refusing: &Arc<Semaphore>) {
    tracing::warn!("{peer}: refused: the open-connection cap is reached");
    let Ok(permit) = refusing.clone().try_acquire_owned() else {
        return;
    };
    tokio::spawn(async move {
        let _permit = permit;
        let answer = format!(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{BUSY_BODY}",
            BUSY_BODY.len()
        );
        let goodbye = async {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut stream = stream;
            let mut sink = [0u8; 4096];
            // the request head first (briefly): a client gets its answer after its request,
            // as HTTP clients expect
            let mut head = Vec::new();
            let _ = tokio::time::timeout(Duration::from_millis(300), async {
                while head.len() < 16 * 1024 && !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut sink).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&sink[..n]),
                    }
                }
            })
            .await;
            stream.write_all(answer.as_bytes()).await?;
            stream.shutdown().await?;
            while stream.read(&mut sink).await? > 0 {}
            Ok::<(), std::io::Error>(())
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), goodbye).await;
    });
}

/// Connections over the cap that may be answered 503 at once (each for at most a second).
const REFUSING: usize = 64;

fn log_end(peer: SocketAddr, r: Result<(), hyper::Error>) {
    if let Err(e) = r {
        // a timed-out, reset or malformed connection: the client's business, not an error here
        tracing::debug!("{peer}: connection closed: {e}");
    }
}

/// A stream whose writes fail once they have been blocked for `limit` (a client that stops reading
/// the answer), so that it cannot hold its connection for ever.
struct WriteDeadline {
    inner: TcpStream,
    limit: Duration,
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl WriteDeadline {
    fn new(inner: TcpStream, limit: Duration) -> Self {
        WriteDeadline {
            inner,
            limit,
            stalled: None,
        }
    }

    /// Called when a write is pending: errors once the stall has lasted `limit`.
    fn check_stall(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let limit = self.limit;
        let sleep = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("the client read nothing for {} s", limit.as_secs()),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn progress<T>(
        &mut self,
        r: Poll<std::io::Result<T>>,
        cx: &mut Context<'_>,
    ) -> Poll<std::io::Result<T>> {
        match r {
            Poll::Pending => match self.check_stall(cx) {
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                _ => Poll::Pending,
            },
            ready => {
                self.stalled = None;
                ready
            }
        }
    }
}

impl AsyncRead for WriteDeadline {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for WriteDeadline {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.progress(r, cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.progress(r, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_flush(cx);
        self.progress(r, cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[test]
    fn a_write_blocked_on_a_client_that_does_not_read_times_out() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let client = TcpStream::connect(addr).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            let mut io = WriteDeadline::new(server, Duration::from_millis(300));
            let chunk = vec![7u8; 1 << 20];
            let t = std::time::Instant::now();
            // the client never reads: the socket buffers fill, then the write stalls
            let err = loop {
                match tokio::time::timeout(Duration::from_secs(10), io.write_all(&chunk)).await {
                    Ok(Ok(())) => continue,
                    Ok(Err(e)) => break e,
                    Err(_) => panic!("the write stalled for 10 s without an error"),
                }
            };
            assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
            assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
            drop(client);
        });
    }

    #[test]
    fn a_client_that_reads_slowly_but_steadily_is_not_cut_off() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            use tokio::io::AsyncReadExt;
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let mut client = TcpStream::connect(addr).await.unwrap();
            let (server, _) = listener.accept().await.unwrap();
            let mut io = WriteDeadline::new(server, Duration::from_millis(300));
            let total = 8usize << 20;
            let reader = tokio::spawn(async move {
                let mut buf = vec![0u8; 256 << 10];
                let mut got = 0;
                while got < total {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    let n = client.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    got += n;
                }
                got
            });
            io.write_all(&vec![1u8; total]).await.unwrap();
            io.flush().await.unwrap();
            assert_eq!(reader.await.unwrap(), total);
        });
    }
}
