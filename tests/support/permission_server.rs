//! A counting agent-permissions endpoint on loopback (Authora's API): every
//! `GET /agents/{id}/permissions` is counted and answered, after a delay (so concurrent callers
//! pile up), with `{"permissions": [...], "denyPermissions": [...]}` as configured, or with the
//! configured error status. One thread accepts, one thread per connection answers; it stops
//! accepting when dropped.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::Mutex;

pub struct PermissionServer {
    addr: SocketAddr,
    state: Arc<State>,
    accept: Option<JoinHandle<()>>,
}

struct State {
    requests: AtomicUsize,
    status: AtomicU16,
    delay_ms: AtomicU64,
    body: Mutex<String>,
    last_path: Mutex<String>,
    stop: AtomicBool,
}

impl PermissionServer {
    /// A server answering 200 after 50 ms with allow `files:*`, deny `files:secret`.
    pub fn start() -> PermissionServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(State {
            requests: AtomicUsize::new(0),
            status: AtomicU16::new(200),
            delay_ms: AtomicU64::new(50),
            body: Mutex::new(
                r#"{"permissions":["files:*"],"denyPermissions":["files:secret"]}"#.into(),
            ),
            last_path: Mutex::new(String::new()),
            stop: AtomicBool::new(false),
        });
        let accept = {
            let state = Arc::clone(&state);
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if state.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(conn) = conn {
                        let state = Arc::clone(&state);
                        std::thread::spawn(move || serve(conn, &state));
                    }
                }
            })
        };
        PermissionServer {
            addr,
            state,
            accept: Some(accept),
        }
    }

    /// The API base: `http://127.0.0.1:PORT/api/v1`.
    pub fn base(&self) -> String {
        format!("http://{}/api/v1", self.addr)
    }

    /// How many permission requests arrived.
    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// The path of the last request.
    pub fn last_path(&self) -> String {
        self.state.last_path.lock().clone()
    }

    /// Answer with this status (200: the configured body; else a plain-text error).
    pub fn set_status(&self, status: u16) {
        self.state.status.store(status, Ordering::SeqCst);
    }

    /// Answer 200 with this JSON body.
    pub fn set_body(&self, body: &str) {
        *self.state.body.lock() = body.to_owned();
    }
}

impl Drop for PermissionServer {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn serve(conn: TcpStream, state: &State) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if line.trim_end().is_empty() {
            break;
        }
    }
    let path = request_line.split(' ').nth(1).unwrap_or("").to_owned();
    let (status, content_type, body) =
        if request_line.starts_with("GET /api/v1/agents/") && path.ends_with("/permissions") {
            state.requests.fetch_add(1, Ordering::SeqCst);
            *state.last_path.lock() = path;
            std::thread::sleep(Duration::from_millis(state.delay_ms.load(Ordering::SeqCst)));
            match state.status.load(Ordering::SeqCst) {
                200 => (200, "application/json", state.body.lock().clone()),
                status => (
                    status,
                    "text/plain",
                    "the permissions endpoint failed".to_owned(),
                ),
            }
        } else {
            (404, "text/plain", "not found".to_owned())
        };
    let response = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut conn = conn;
    let _ = conn.write_all(response.as_bytes());
    let _ = conn.flush();
}
