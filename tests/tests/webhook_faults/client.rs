//! A minimal HTTP/1.1 client over kept-alive TLS connections, written for the fault tests: it
//! tells apart every way a request can end (answered, refused at connect, connection closed
//! before any byte of an answer, truncated answer, TLS failure), which a general client folds
//! into one error.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value;
use tokio::io::{AsyncRead as _, AsyncReadExt as _, AsyncWriteExt as _, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// Bound on one exchange (connect, handshake, or request and answer).
const EXCHANGE_BOUND: Duration = Duration::from_secs(10);

/// Where the webhook listens and the TLS settings that trust it.
#[derive(Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub tls: Arc<rustls::ClientConfig>,
}

impl Target {
    /// `https://127.0.0.1:<port>` trusting the CAs in `ca_pems`, offering HTTP/1.1.
    pub fn new(addr: SocketAddr, ca_pems: &[&str]) -> Self {
        let mut roots = rustls::RootCertStore::empty();
        for pem in ca_pems {
            for cert in rustls_pemfile_certs(pem) {
                roots.add(cert).expect("CA certificate");
            }
        }
        let mut tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        // A fresh handshake per connection, so each new connection sees the current certificate.
        tls.resumption = rustls::client::Resumption::disabled();
        Self {
            addr,
            tls: Arc::new(tls),
        }
    }
}

fn rustls_pemfile_certs(pem: &str) -> Vec<CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject as _;
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .expect("PEM certificates")
}

/// How one request ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// An admission reply admitting the request, with the uid sent.
    Admitted,
    /// An admission reply denying the request, with the uid sent; the message.
    Denied(String),
    /// An HTTP answer that is not an admission reply to this request.
    Status(u16, String),
    /// The connection was refused (nothing listens).
    Refused,
    /// The connection was reset or closed while it was being opened, before a request was
    /// sent: the listener closed at that moment.
    Reset(String),
    /// The request was written, or the connection found closed, before any byte of an answer.
    Unanswered(String),
    /// Anything else: TLS failure, truncated answer, timeout.
    Failed(String),
}

/// A complete HTTP answer.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    /// The server said it closes the connection after this answer.
    pub closing: bool,
}

impl Answer {
    /// The admission verdict in this answer to the request with `uid`.
    pub fn verdict(&self, uid: &str) -> Outcome {
        let text = || {
            String::from_utf8_lossy(&self.body)
                .chars()
                .take(300)
                .collect()
        };
        if self.status != 200 {
            return Outcome::Status(self.status, text());
        }
        let Ok(review) = serde_json::from_slice::<Value>(&self.body) else {
            return Outcome::Status(self.status, text());
        };
        let response = &review["response"];
        if response["uid"] != uid {
            return Outcome::Status(self.status, format!("uid not echoed: {}", text()));
        }
        match response["allowed"].as_bool() {
            Some(true) => Outcome::Admitted,
            Some(false) => Outcome::Denied(
                response["status"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            ),
            None => Outcome::Status(self.status, text()),
        }
    }
}

/// One kept-alive TLS connection.
pub struct Connection {
    tls: TlsStream<TcpStream>,
    buffer: Vec<u8>,
    /// The certificate the server presented.
    pub certificate: Vec<u8>,
}

impl Connection {
    /// Connects and completes the TLS handshake.
    pub async fn open(target: &Target) -> Result<Self, Outcome> {
        let connect = async {
            let tcp = match TcpStream::connect(target.addr).await {
                Ok(tcp) => tcp,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    return Err(Outcome::Refused);
                }
                Err(e) => return Err(opening("connect", e)),
            };
            tcp.set_nodelay(true).map_err(|e| opening("nodelay", e))?;
            let name = ServerName::IpAddress(target.addr.ip().into());
            let tls = tokio_rustls::TlsConnector::from(target.tls.clone())
                .connect(name, tcp)
                .await
                .map_err(|e| opening("TLS handshake", e))?;
            let certificate = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|chain| chain.first())
                .map(|cert| cert.to_vec())
                .unwrap_or_default();
            Ok(Self {
                tls,
                buffer: Vec::new(),
                certificate,
            })
        };
        tokio::time::timeout(EXCHANGE_BOUND, connect)
            .await
            .unwrap_or_else(|_| Err(Outcome::Failed("no TLS connection within 10s".into())))
    }

    /// Whether the server closed this idle connection (as a client's connection pool checks
    /// before reusing one): a request written to it now could not be read.
    pub async fn closed_by_server(&mut self) -> bool {
        let mut byte = [0u8; 1];
        let mut read = ReadBuf::new(&mut byte);
        let tls = &mut self.tls;
        // Polls the read once (a timer, even of zero, would cost a millisecond tick): pending
        // means the connection is open and idle.
        let polled =
            std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *tls).poll_read(cx, &mut read)))
                .await;
        match polled {
            Poll::Pending => false,
            Poll::Ready(Ok(())) if read.filled().is_empty() => true,
            Poll::Ready(Ok(())) => {
                self.buffer.extend_from_slice(read.filled());
                false
            }
            Poll::Ready(Err(_)) => true,
        }
    }

    /// Sends `method path` with `body` and reads the whole answer.
    pub async fn exchange(
        &mut self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<Answer, Outcome> {
        tokio::time::timeout(EXCHANGE_BOUND, self.exchange_unbounded(method, path, body))
            .await
            .unwrap_or_else(|_| Err(Outcome::Failed("no answer within 10s".into())))
    }

    async fn exchange_unbounded(
        &mut self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<Answer, Outcome> {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        );
        let request = [head.as_bytes(), body].concat();
        let written = async {
            self.tls.write_all(&request).await?;
            self.tls.flush().await
        };
        written
            .await
            .map_err(|e| Outcome::Unanswered(format!("write: {e}")))?;
        let head_end = loop {
            if let Some(at) = find(&self.buffer, b"\r\n\r\n") {
                break at + 4;
            }
            self.fill().await?;
        };
        let head = String::from_utf8_lossy(&self.buffer[..head_end]).into_owned();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| Outcome::Failed(format!("not an HTTP answer: {head:?}")))?;
        let header = |name: &str| {
            head.lines().find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| value.trim().to_ascii_lowercase())
            })
        };
        let length: usize = header("content-length")
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| Outcome::Failed(format!("no content-length: {head:?}")))?;
        let closing = header("connection").is_some_and(|value| value == "close");
        while self.buffer.len() < head_end + length {
            self.fill().await?;
        }
        let body = self.buffer[head_end..head_end + length].to_vec();
        self.buffer.drain(..head_end + length);
        Ok(Answer {
            status,
            body,
            closing,
        })
    }

    /// Reads more of the answer; the connection ending is unanswered before its first byte
    /// and a failure after it.
    async fn fill(&mut self) -> Result<(), Outcome> {
        let mut chunk = [0u8; 16 * 1024];
        let ended = match self.tls.read(&mut chunk).await {
            Ok(0) => "closed".to_owned(),
            Ok(n) => {
                self.buffer.extend_from_slice(&chunk[..n]);
                return Ok(());
            }
            Err(e) => e.to_string(),
        };
        if self.buffer.is_empty() {
            Err(Outcome::Unanswered(format!("connection {ended}")))
        } else {
            Err(Outcome::Failed(format!(
                "connection {ended} after {} bytes of the answer",
                self.buffer.len()
            )))
        }
    }
}

/// A connection that ended while being opened was reset; any other failure (a certificate
/// that is not trusted, say) failed.
fn opening(step: &str, error: std::io::Error) -> Outcome {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof};
    let text = format!("{step}: {error}");
    match error.kind() {
        ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof => Outcome::Reset(text),
        _ => Outcome::Failed(text),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
