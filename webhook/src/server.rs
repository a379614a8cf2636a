//! The HTTPS accept loop: TCP_NODELAY, a bounded number of connections, a bounded TLS
//! handshake, HTTP/1.1 or HTTP/2 (as ALPN chose) on each connection with bounded headers, streams
//! and idleness, and a graceful drain on shutdown (stop accepting, let in-flight requests finish,
//! give up after a bound).
//!
//! Anyone who can reach the port can open connections, so every way of holding one open costs the
//! client as much as the server: a TLS handshake must finish within the handshake timeout, HTTP/1
//! request headers (the first and every later one on a kept-alive connection) within the header
//! timeout, and a connection on which nothing is read or written for the idle timeout (HTTP/2's
//! idle connections included, which hyper never closes on its own) is closed. Connections beyond
//! the limit are closed as soon as they are accepted, so the open ones (and their buffers) stay
//! bounded.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::server::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

/// How much a client may hold of the server: connections, time and HTTP/2 resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections open at once (TLS handshakes included); more are closed on arrival.
    pub max_connections: usize,
    /// Bound on a client finishing its TLS handshake.
    pub handshake_timeout: Duration,
    /// Bound on receiving an HTTP/1 request's headers, counted from when the server starts
    /// waiting for them (so also the longest a kept-alive HTTP/1 connection stays idle).
    pub header_read_timeout: Duration,
    /// A connection on which nothing is read or written for this long is closed.
    pub idle_timeout: Duration,
    /// HTTP/2 streams (requests) open at once on one connection.
    pub max_concurrent_streams: u32,
    /// Largest HTTP/2 header list, and largest HTTP/1 read buffer (so also its headers).
    pub max_header_bytes: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(90),
            max_concurrent_streams: 32,
            max_header_bytes: 64 * 1024,
        }
    }
}

/// Wait after a failed accept (usually out of file descriptors) instead of spinning.
const ACCEPT_RETRY: Duration = Duration::from_millis(50);
/// HTTP/2 frames no larger than the protocol's minimum, so one frame is never much to hold.
const MAX_FRAME_SIZE: u32 = 16 * 1024;
/// HTTP/2 flow-control windows (per stream and per connection): what a client may send before
/// the server has read it. The protocol's default; request bodies are read as they come.
const WINDOW_SIZE: u32 = 64 * 1024;

/// Serves `router` over TLS on `listener` with the default [`Limits`] until `shutdown`
/// completes, then drains open connections for at most `drain_timeout`.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<ServerConfig>,
    router: Router,
    shutdown: impl Future<Output = ()>,
    drain_timeout: Duration,
) {
    serve_with(
        listener,
        tls,
        router,
        shutdown,
        drain_timeout,
        Limits::default(),
    )
    .await;
}

/// Like [`serve`], with `limits`.
pub async fn serve_with(
    listener: TcpListener,
    tls: Arc<ServerConfig>,
    router: Router,
    shutdown: impl Future<Output = ()>,
    drain_timeout: Duration,
    limits: Limits,
) {
    let acceptor = TlsAcceptor::from(tls);
    let graceful = GracefulShutdown::new();
    let service = TowerToHyperService::new(router);
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_RETRY).await;
                    continue;
                }
            },
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            // Dropping the stream closes it: the client learns at once instead of waiting in
            // the backlog, and the open connections keep their share.
            // Debug only: a flood of them must not flood the log too.
            tracing::debug!(%peer, limit = limits.max_connections, "connection limit reached; closing a new connection");
            continue;
        };
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, %peer, "could not set TCP_NODELAY");
        }
        let acceptor = acceptor.clone();
        let service = service.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _permit = permit;
            serve_connection(stream, peer, acceptor, service, watcher, limits).await;
        });
    }
    // Closing the listener refuses new connections while the open ones drain.
    drop(listener);
    let open = graceful.count();
    tracing::info!(open, "shutting down: draining open connections");
    if tokio::time::timeout(drain_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            ?drain_timeout,
            "connections still open after the drain timeout; closing them"
        );
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    service: TowerToHyperService<Router>,
    watcher: Watcher,
    limits: Limits,
) {
    let tls = match tokio::time::timeout(limits.handshake_timeout, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(error)) => return handshake_failed(peer, &error.to_string()),
        Err(_) => return handshake_failed(peer, "timed out"),
    };
    // ALPN decides the protocol: no unbounded wait for a client to show its first bytes.
    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
    let activity = Activity::new();
    let io = TokioIo::new(Tracked {
        inner: tls,
        activity: activity.clone(),
    });
    let served = if h2 {
        let mut builder = http2::Builder::new(TokioExecutor::new());
        builder
            .timer(TokioTimer::new())
            .max_concurrent_streams(limits.max_concurrent_streams)
            .max_header_list_size(limits.max_header_bytes)
            .max_frame_size(MAX_FRAME_SIZE)
            .initial_stream_window_size(WINDOW_SIZE)
            .initial_connection_window_size(WINDOW_SIZE)
            .max_send_buf_size(WINDOW_SIZE as usize);
        let connection = builder.serve_connection(io, service);
        until_idle(watcher.watch(connection), &activity, limits.idle_timeout).await
    } else {
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .max_buf_size(limits.max_header_bytes.max(8192) as usize)
            .keep_alive(true);
        let connection = builder.serve_connection(io, service);
        until_idle(watcher.watch(connection), &activity, limits.idle_timeout).await
    };
    match served {
        Some(Err(error)) => tracing::debug!(%error, %peer, "connection ended with an error"),
        Some(Ok(())) => {}
        None => tracing::debug!(%peer, "closed an idle connection"),
    }
}

/// Runs `connection` until it ends, or (`None`) until nothing was read or written on it for
/// `idle`, when it is dropped, which closes it.
async fn until_idle<F: Future>(
    connection: F,
    activity: &Activity,
    idle: Duration,
) -> Option<F::Output> {
    tokio::pin!(connection);
    loop {
        let quiet_until = activity.last() + idle;
        tokio::select! {
            output = &mut connection => return Some(output),
            () = tokio::time::sleep_until(quiet_until.into()) => {
                if activity.last() + idle <= Instant::now() {
                    return None;
                }
            }
        }
    }
}

/// When a connection last read or wrote a byte, shared between its I/O and its watchdog.
#[derive(Debug, Clone)]
struct Activity {
    since: Instant,
    /// Milliseconds after `since`.
    last: Arc<AtomicU64>,
}

impl Activity {
    fn new() -> Self {
        Self {
            since: Instant::now(),
            last: Arc::new(AtomicU64::new(0)),
        }
    }

    fn touch(&self) {
        let millis = u64::try_from(self.since.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(millis, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.since + Duration::from_millis(self.last.load(Ordering::Relaxed))
    }
}

/// An I/O stream that records its [`Activity`].
struct Tracked<T> {
    inner: T,
    activity: Activity,
}

impl<T: AsyncRead + Unpin> AsyncRead for Tracked<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tracked<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

fn handshake_failed(peer: SocketAddr, error: &str) {
    // Probes and port scans do this all the time: not worth more than debug.
    tracing::debug!(%peer, %error, "TLS handshake failed");
}
