//! A Redis server on loopback for the shared-store tests: `redis-server --port <free> --bind
//! 127.0.0.1 --save '' --appendonly no`, started under a small shell that stops it when its
//! stdin closes (when the test process exits, however it exits) or when the handle stops it.
//! `shared()` is one server for every test of a binary; a test that stops and restarts its
//! server starts its own with `RedisServer::start()`.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub struct RedisServer {
    port: u16,
    running: Option<(Child, ChildStdin)>,
}

/// The server shared by every test of this binary (stopped when the process exits).
pub fn shared() -> &'static RedisServer {
    static SERVER: OnceLock<RedisServer> = OnceLock::new();
    SERVER.get_or_init(|| RedisServer::start().expect("start redis-server"))
}

/// A free loopback port (bound and released; the server binds it right after).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// `redis-server` from the PATH or the Debian package's place.
fn redis_server() -> Result<String, String> {
    for candidate in [
        "redis-server",
        "/usr/bin/redis-server",
        "/usr/local/bin/redis-server",
    ] {
        let found = Command::new(candidate)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if found {
            return Ok(candidate.to_owned());
        }
    }
    Err(
        "redis-server not found: scripts/test.sh installs it (apt-get install -y redis-server)"
            .into(),
    )
}

impl RedisServer {
    /// A new server on a free port, answering PING.
    pub fn start() -> Result<RedisServer, String> {
        let mut server = RedisServer {
            port: free_port(),
            running: None,
        };
        server.restart()?;
        Ok(server)
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts the server (again) on its port and waits (10 s at most) until it answers PING.
    pub fn restart(&mut self) -> Result<(), String> {
        let binary = redis_server()?;
        // The shell starts redis-server, waits for its own stdin to close, then stops it.
        let script = r#"$0 --port "$1" --bind 127.0.0.1 --save '' --appendonly no --loglevel warning & pid=$!; cat >/dev/null; kill $pid; wait $pid"#;
        let mut child = Command::new("sh")
            .args(["-c", script, &binary, &self.port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start redis-server: {e}"))?;
        let stdin = child.stdin.take().expect("piped stdin");
        self.running = Some((child, stdin));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.answers() {
            if Instant::now() > deadline {
                self.stop();
                return Err(format!(
                    "redis-server on port {} did not answer PING",
                    self.port
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// Stops the server and waits until it has exited (its port refuses connections).
    pub fn stop(&mut self) {
        if let Some((mut child, stdin)) = self.running.take() {
            drop(stdin);
            let _ = child.wait();
        }
    }

    /// Whether the server answers `PING` with `+PONG`.
    pub fn answers(&self) -> bool {
        let Ok(mut conn) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = conn.set_read_timeout(Some(Duration::from_millis(500)));
        if conn.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut buf = [0u8; 7];
        conn.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
    }

    /// Sends one command (inline form, arguments without spaces) and returns the raw reply.
    pub fn command(&self, args: &[&[u8]]) -> Vec<u8> {
        let mut conn = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to redis");
        conn.set_read_timeout(Some(Duration::from_secs(2)))
            .expect("timeout");
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for arg in args {
            out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(arg);
            out.extend_from_slice(b"\r\n");
        }
        conn.write_all(&out).expect("write to redis");
        let mut reply = vec![0u8; 65536];
        let n = conn.read(&mut reply).expect("read from redis");
        reply.truncate(n);
        reply
    }

    /// The names of the keys matching `pattern`.
    pub fn keys(&self, pattern: &str) -> Vec<String> {
        let reply =
            String::from_utf8_lossy(&self.command(&[b"KEYS", pattern.as_bytes()])).into_owned();
        reply
            .split("\r\n")
            .filter(|l| !l.is_empty() && !l.starts_with('*') && !l.starts_with('$'))
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
