//! Starts the RFC 9421 verifier server (`tests/interop/http_sig_server.py`, built on the PyPI
//! package http-message-signatures 3.0.0, run with `target/py-venv/bin/python`) on a free
//! loopback port, trusting one agent key made here. Its stdin is a pipe: when this process
//! exits, the server sees end-of-file and exits too.

#![allow(dead_code)]

use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use idpkit::agent::AgentKey;

#[allow(clippy::duplicate_mod)]
#[path = "server.rs"]
mod server;

/// A running verifier server and the agent key it trusts.
pub struct TestHttpSig {
    child: Child,
    _stdin: ChildStdin,
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// The key the server trusts (its `keyid` is the key's RFC 7638 thumbprint).
    pub key: Arc<AgentKey>,
}

impl TestHttpSig {
    /// Starts the server with a fresh trusted key; its requests must carry `tag`.
    pub fn start(tag: &str) -> Result<TestHttpSig, String> {
        let key = Arc::new(AgentKey::generate().map_err(|e| e.to_string())?);
        let root = server::repo_root();
        let trusted = format!("{}={}", key.key_id(), key.public_key().to_base64url());
        let mut child = Command::new(root.join("target/py-venv/bin/python"))
            .arg(root.join("tests/interop/http_sig_server.py"))
            .args(["--key", &trusted, "--tag", tag])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("target/py-venv missing? run scripts/setup-python.sh: {e}"))?;
        let stdin = child.stdin.take().expect("piped stdin");
        let what = "the RFC 9421 verifier server";
        let line = server::first_line(&mut child, what, Duration::from_secs(30))?;
        let port = line
            .strip_prefix("READY ")
            .and_then(|json| serde_json::from_str::<serde_json::Value>(json).ok())
            .and_then(|ready| ready["port"].as_u64());
        let Some(port) = port else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("unexpected first line from {what}: {line}"));
        };
        Ok(TestHttpSig {
            child,
            _stdin: stdin,
            base_url: format!("http://127.0.0.1:{port}"),
            key,
        })
    }
}

impl Drop for TestHttpSig {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
