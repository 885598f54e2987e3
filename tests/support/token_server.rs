//! A counting client-credentials token endpoint on loopback, for the token-cache tests: every
//! `POST /token` is counted and answered, after a delay (so concurrent callers pile up), with
//! `{"access_token":"at-N","token_type":"Bearer","expires_in":E}` where N is the request's
//! number, or with the configured error status. One thread accepts, one thread per connection
//! answers; it stops accepting when dropped.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

pub struct TokenServer {
    addr: SocketAddr,
    state: Arc<State>,
    accept: Option<JoinHandle<()>>,
}

struct State {
    requests: AtomicUsize,
    status: AtomicU16,
    expires_in: AtomicU64,
    delay_ms: AtomicU64,
    first_delay_ms: AtomicU64,
    stop: AtomicBool,
}

impl TokenServer {
    /// A server answering 200 with `expires_in` 3600 after 50 ms.
    pub fn start() -> TokenServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(State {
            requests: AtomicUsize::new(0),
            status: AtomicU16::new(200),
            expires_in: AtomicU64::new(3600),
            delay_ms: AtomicU64::new(50),
            first_delay_ms: AtomicU64::new(u64::MAX),
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
        TokenServer {
            addr,
            state,
            accept: Some(accept),
        }
    }

    pub fn issuer(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn token_endpoint(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    /// How many token requests arrived.
    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// Answer with this status (200: a token; anything else: a plain-text error).
    pub fn set_status(&self, status: u16) {
        self.state.status.store(status, Ordering::SeqCst);
    }

    pub fn set_expires_in(&self, seconds: u64) {
        self.state.expires_in.store(seconds, Ordering::SeqCst);
    }

    pub fn set_delay(&self, delay: Duration) {
        self.state
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// Delay the first token request by `delay` instead (a fetch that is still running when
    /// the test kills its caller).
    pub fn set_first_delay(&self, delay: Duration) {
        self.state
            .first_delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// Provider metadata naming this server's token endpoint.
    pub fn metadata(&self) -> idpkit::oidc::ProviderMetadata {
        let issuer = self.issuer();
        serde_json::from_value(serde_json::json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/auth"),
            "token_endpoint": self.token_endpoint(),
            "jwks_uri": format!("{issuer}/jwks"),
            "id_token_signing_alg_values_supported": ["RS256"],
        }))
        .expect("metadata")
    }

    /// Waits (polling, at most 10 s) until `n` token requests have arrived.
    pub fn wait_for_requests(&self, n: usize) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while self.requests() < n {
            assert!(
                std::time::Instant::now() < deadline,
                "{n} token requests expected"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
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
    let mut content_length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            content_length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; content_length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let (status, content_type, body) = if request_line.starts_with("POST /token ") {
        let n = state.requests.fetch_add(1, Ordering::SeqCst) + 1;
        let delay = match state.first_delay_ms.load(Ordering::SeqCst) {
            first if n == 1 && first != u64::MAX => first,
            _ => state.delay_ms.load(Ordering::SeqCst),
        };
        std::thread::sleep(Duration::from_millis(delay));
        match state.status.load(Ordering::SeqCst) {
            200 => (
                200,
                "application/json",
                format!(
                    r#"{{"access_token":"at-{n}","token_type":"Bearer","expires_in":{}}}"#,
                    state.expires_in.load(Ordering::SeqCst)
                ),
            ),
            status => (status, "text/plain", "the token endpoint failed".to_owned()),
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
