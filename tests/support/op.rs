//! Starts the project's test OpenID Provider (`tests/op/op.mjs`, node-oidc-provider) on a free
//! loopback port and stops it when dropped. Used by the integration tests and by the demo
//! (`examples/demo.rs` includes this file), so both drive the same provider the same way.
//!
//! The provider is installed on first use (`npm ci` in `tests/op`) when `node_modules` is
//! missing. Its stdin is a pipe: should this process die without dropping the guard, the
//! provider sees end-of-file and exits by itself.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::Duration;

/// The repository's root (where `Cargo.toml` is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

static INSTALL: Mutex<bool> = Mutex::new(false);

/// Runs `npm ci` in `tests/op` unless its `node_modules` is already there.
pub fn ensure_installed() -> Result<(), String> {
    let mut done = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if *done {
        return Ok(());
    }
    let dir = repo_root().join("tests/op");
    if !dir.join("node_modules/oidc-provider").is_dir() {
        eprintln!("installing the test OpenID Provider (npm ci in tests/op)...");
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .map_err(|e| format!("cannot run npm (is Node.js installed?): {e}"))?;
        if !status.success() {
            return Err(format!("npm ci in {} failed: {status}", dir.display()));
        }
    }
    *done = true;
    Ok(())
}

/// A running test provider. Dropping it stops the provider.
pub struct TestOp {
    child: Child,
    _stdin: ChildStdin,
    /// The whole `READY` document (clients, accounts, endpoints, ttl, ...).
    pub ready: serde_json::Value,
    /// The issuer, `http://127.0.0.1:<port>`.
    pub issuer: String,
}

impl TestOp {
    /// Starts a provider with the default settings.
    pub fn start() -> Result<TestOp, String> {
        Self::start_with(&[])
    }

    /// Starts a provider with extra `op.mjs` arguments (e.g. `["--access-token-ttl", "5"]`).
    pub fn start_with(args: &[&str]) -> Result<TestOp, String> {
        ensure_installed()?;
        let script = repo_root().join("tests/op/op.mjs");
        let mut child = Command::new("node")
            .arg(&script)
            .args(["--port", "0", "--host", "127.0.0.1"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start node {}: {e}", script.display()))?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next();
            let _ = tx.send(first);
            // Keep draining so the provider never blocks on a full pipe.
            for _ in lines {}
        });
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Some(Ok(line))) => line,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("the test provider did not become ready: {other:?}"));
            }
        };
        let json = line
            .strip_prefix("READY ")
            .ok_or_else(|| format!("unexpected first line from the test provider: {line}"))?;
        let ready: serde_json::Value =
            serde_json::from_str(json).map_err(|e| format!("bad READY line: {e}"))?;
        let issuer = ready["issuer"]
            .as_str()
            .ok_or("READY line without issuer")?
            .to_owned();
        Ok(TestOp {
            child,
            _stdin: stdin,
            ready,
            issuer,
        })
    }

    /// The READY line's description of a client (`conf-basic`, `conf-post`, `public`, `service`).
    pub fn client(&self, id: &str) -> &serde_json::Value {
        &self.ready["clients"][id]
    }

    /// A test-control endpoint (`/__test/...`) answered with JSON.
    fn control(&self, method: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
        let url = format!("{}/__test/{path}", self.issuer);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let response = if method == "GET" {
            agent.get(&url).call()
        } else {
            agent
                .post(&url)
                .header("content-type", "application/json")
                .send(body.to_string())
        };
        let mut response = response.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        assert_eq!(response.status(), 200, "{method} {url}");
        let text = response
            .body_mut()
            .read_to_string()
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {url}: {e}"))
    }

    /// Request counters: `token.refresh_token`, `jwks`, `userinfo`, ...
    pub fn stats(&self) -> serde_json::Value {
        self.control("GET", "stats", serde_json::Value::Null)
    }

    /// How many token requests of this grant type the provider has seen.
    pub fn token_requests(&self, grant_type: &str) -> u64 {
        let stats = self.stats();
        stats["token"][grant_type]
            .as_u64()
            .unwrap_or_else(|| panic!("no token.{grant_type} counter in {stats}"))
    }

    /// How many times the JWKS was fetched.
    pub fn jwks_requests(&self) -> u64 {
        self.stats()["jwks"].as_u64().expect("jwks counter")
    }

    /// Makes a new signing key (new `kid`); returns it.
    pub fn rotate_keys(&self) -> String {
        let answer = self.control("POST", "rotate-keys", serde_json::json!({}));
        answer["kid"].as_str().expect("kid").to_owned()
    }

    /// A JWT with these claims signed by the provider's current key (header fields override).
    pub fn sign(&self, claims: serde_json::Value, header: serde_json::Value) -> String {
        let answer = self.control(
            "POST",
            "sign",
            serde_json::json!({"claims": claims, "header": header}),
        );
        answer["token"].as_str().expect("token").to_owned()
    }

    /// The secret of a client, if it has one.
    pub fn client_secret(&self, id: &str) -> Option<&str> {
        self.client(id)["client_secret"].as_str()
    }
}

impl Drop for TestOp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
