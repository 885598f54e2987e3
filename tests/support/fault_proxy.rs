//! A loopback TCP proxy in front of a real server (the test provider, Cerbos) that spoils its
//! responses on demand (the fault in force when a response arrives applies to it): reset, close mid-headers, close mid-body,
//! truncate the body, trickle it, hold the first byte, or corrupt it. Real servers answer; the
//! network between them and the client misbehaves. Thread per connection, std only (plus
//! `socket2` for a real RST), so a stalled client or server never blocks another test.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the proxy does to a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forwards both ways, untouched.
    Pass,
    /// Resets the connection (RST) instead of answering, once the server has answered (so the
    /// server did act on the request).
    Reset,
    /// Sends the status line and part of the headers, then closes.
    CloseMidHeaders,
    /// Sends the headers and half the body, then resets the connection.
    CloseMidBody,
    /// Sends the headers and half the body, then closes cleanly (FIN): a short body.
    TruncateBody,
    /// Sends the response one byte per `TRICKLE_EVERY`.
    Trickle,
    /// Holds the response for `HOLD` before the first byte.
    DelayFirstByte,
    /// Replaces the body's first byte, so it is no longer JSON.
    Corrupt,
}

impl Fault {
    /// Every fault, for the matrix tests.
    pub const ALL: [Fault; 7] = [
        Fault::Reset,
        Fault::CloseMidHeaders,
        Fault::CloseMidBody,
        Fault::TruncateBody,
        Fault::Trickle,
        Fault::DelayFirstByte,
        Fault::Corrupt,
    ];
}

/// The pace of [`Fault::Trickle`]: one byte per second, as a slow-loris server would.
pub const TRICKLE_EVERY: Duration = Duration::from_secs(1);
/// How long [`Fault::DelayFirstByte`] holds the answer: longer than any test's deadline.
pub const HOLD: Duration = Duration::from_secs(30);

/// A running proxy. Its threads end with the test process.
pub struct FaultProxy {
    addr: SocketAddr,
    fault: Arc<Mutex<Fault>>,
    connections: Arc<AtomicUsize>,
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream` (`host:port`).
    pub fn start(upstream: &str) -> FaultProxy {
        let upstream: SocketAddr = upstream.parse().expect("upstream host:port");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fault proxy");
        let addr = listener.local_addr().expect("proxy address");
        let fault = Arc::new(Mutex::new(Fault::Pass));
        let connections = Arc::new(AtomicUsize::new(0));
        let (f, n) = (Arc::clone(&fault), Arc::clone(&connections));
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                n.fetch_add(1, Ordering::SeqCst);
                let fault = Arc::clone(&f);
                std::thread::spawn(move || {
                    let _ = serve(client, upstream, fault);
                });
            }
        });
        FaultProxy {
            addr,
            fault,
            connections,
        }
    }

    /// The proxy's `host:port`.
    pub fn authority(&self) -> String {
        self.addr.to_string()
    }

    /// What the proxy does to responses from now on.
    pub fn set(&self, fault: Fault) {
        *self.fault.lock().unwrap() = fault;
    }

    /// How many connections the proxy has accepted.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn serve(client: TcpStream, upstream: SocketAddr, fault: Arc<Mutex<Fault>>) -> std::io::Result<()> {
    let server = TcpStream::connect(upstream)?;
    // Requests flow untouched.
    let (mut from_client, mut to_server) = (client.try_clone()?, server.try_clone()?);
    let requests = std::thread::spawn(move || {
        let _ = std::io::copy(&mut from_client, &mut to_server);
        let _ = to_server.shutdown(Shutdown::Write);
    });
    let (mut server, mut client) = (server, client);
    // Responses one by one (keep-alive connections carry several); the fault in force when a
    // response arrives decides its fate.
    loop {
        let (head, body) = read_response(&mut server)?;
        if head.is_empty() {
            return client.shutdown(Shutdown::Write);
        }
        let fault = *fault.lock().unwrap();
        match fault {
            Fault::Pass => {
                client.write_all(&head)?;
                client.write_all(&body)?;
                continue;
            }
            Fault::Reset => return reset(client, requests),
            Fault::CloseMidHeaders => {
                client.write_all(&head[..head.len() / 2])?;
                return client.shutdown(Shutdown::Both);
            }
            Fault::CloseMidBody => {
                client.write_all(&head)?;
                client.write_all(&body[..body.len() / 2])?;
                client.flush()?;
                return reset(client, requests);
            }
            Fault::TruncateBody => {
                client.write_all(&head)?;
                client.write_all(&body[..body.len() / 2])?;
                return client.shutdown(Shutdown::Both);
            }
            Fault::Trickle => {
                for byte in head.iter().chain(body.iter()) {
                    client.write_all(std::slice::from_ref(byte))?;
                    std::thread::sleep(TRICKLE_EVERY);
                }
                return Ok(());
            }
            Fault::DelayFirstByte => {
                std::thread::sleep(HOLD);
                return Ok(());
            }
            Fault::Corrupt => {
                let mut body = body;
                // The payload's first byte (after the chunk size line when chunked).
                let at = match String::from_utf8_lossy(&head).to_ascii_lowercase() {
                    h if h.contains("transfer-encoding: chunked") => body
                        .windows(2)
                        .position(|w| w == b"\r\n")
                        .map_or(0, |i| i + 2),
                    _ => 0,
                };
                if let Some(byte) = body.get_mut(at) {
                    *byte = b'\xff';
                }
                // Spoiled in transit; the connection itself stays sound.
                client.write_all(&head)?;
                client.write_all(&body)?;
            }
        }
    }
}

/// Closes with RST instead of FIN (linger zero). The request copier holds a second handle on
/// the socket: it is stopped first (shutting the read side ends its copy), so that dropping this
/// handle closes the socket.
fn reset(stream: TcpStream, requests: std::thread::JoinHandle<()>) -> std::io::Result<()> {
    let socket = socket2::Socket::from(stream);
    socket.set_linger(Some(Duration::ZERO))?;
    socket.shutdown(Shutdown::Read)?;
    let _ = requests.join();
    drop(socket);
    Ok(())
}

/// Reads one response: its head (through the blank line) and its body (by `Content-Length`, or
/// chunked as sent, or until the server closes).
fn read_response(server: &mut TcpStream) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = server.read(&mut chunk)?;
        if n == 0 {
            return Ok((buf, Vec::new()));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    let chunked = head.contains("transfer-encoding: chunked");
    loop {
        let body = &buf[head_end..];
        let complete = match length {
            Some(len) => body.len() >= len,
            None if chunked => body.ends_with(b"0\r\n\r\n"),
            None => false,
        };
        if complete {
            break;
        }
        let n = server.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf.split_off(head_end);
    Ok((buf, body))
}
