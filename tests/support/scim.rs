//! Starts a real SCIM 2.0 server (scim2-server 0.8.3 from `target/py-venv`, through
//! `tests/scim/serve.py`) on a free loopback port, with the RFC 7643 default schemas plus the
//! test service's extension (`tests/scim/billing-extension.json`), and stops it when dropped.
//!
//! `serve.py`'s stdin is a pipe: should this process die without dropping the guard, the script
//! sees end-of-file and stops the server by itself.

#![allow(dead_code)]

use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// The bearer token the test server accepts.
pub const TOKEN: &str = "scim-test-token-1";

/// The URN of the test service's extension schema on the server.
pub const BILLING_URN: &str = "urn:idpkit:params:scim:schemas:extension:billing:2.0:User";

#[allow(clippy::duplicate_mod)]
#[path = "server.rs"]
mod server;

use server::repo_root;

/// A running scim2-server. Dropping it stops the server.
pub struct TestScim {
    child: Child,
    stdin: Option<ChildStdin>,
    /// The SCIM base URL, `http://127.0.0.1:<port>/v2`.
    pub base_url: String,
}

impl TestScim {
    /// Starts the server on a free port and waits for its `Serving SCIM on` line (120 s at
    /// most: on a loaded machine the Python imports alone can take a minute).
    pub fn start() -> Result<TestScim, String> {
        let python = repo_root().join("target/py-venv/bin/python");
        if !python.exists() {
            return Err(format!(
                "{} is missing: run scripts/setup-python.sh",
                python.display()
            ));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let mut child = Command::new(&python)
            .arg(repo_root().join("tests/scim/serve.py"))
            .args(["--port", &port.to_string(), "--bearer-token", TOKEN])
            .arg("--extension")
            .arg(repo_root().join("tests/scim/billing-extension.json"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start scim2-server: {e}"))?;
        let stdin = child.stdin.take().expect("piped stdin");
        let line = server::first_line(&mut child, "scim2-server", Duration::from_secs(120))?;
        let Some(base_url) = line.strip_prefix("Serving SCIM on ") else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("unexpected first line from scim2-server: {line}"));
        };
        Ok(TestScim {
            child,
            stdin: Some(stdin),
            base_url: base_url.trim().to_owned(),
        })
    }
}

impl Drop for TestScim {
    fn drop(&mut self) {
        // End-of-file on its stdin: serve.py stops scim2-server and exits.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
