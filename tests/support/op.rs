//! Starts the project's test OpenID Provider (`tests/op/op.mjs`, node-oidc-provider) on a free
//! loopback port and stops it when dropped. Used by the integration tests and by the demo
//! (`examples/demo.rs` includes this file), so both drive the same provider the same way.
//!
//! The provider is installed on first use (`npm ci` in `tests/op`) when `node_modules` is
//! missing. Its stdin is a pipe: should this process die without dropping the guard, the
//! provider sees end-of-file and exits by itself.

#![allow(dead_code)]

use std::process::{Child, ChildStdin};

#[allow(clippy::duplicate_mod)]
#[path = "server.rs"]
mod server;

#[allow(unused_imports)]
pub use server::repo_root;

/// Installs the test provider (`npm ci` in `tests/op`) unless it is already there.
pub fn ensure_installed() -> Result<(), String> {
    server::ensure_npm_package("tests/op", "oidc-provider")
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
        let script = server::repo_root().join("tests/op/op.mjs");
        let mut all = vec!["--port", "0", "--host", "127.0.0.1"];
        all.extend_from_slice(args);
        let server::Started {
            child,
            stdin,
            ready,
        } = server::start_node(&script, &all, "the test provider")?;
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

    /// The provider's public keys, the JWKS document as it serves it.
    pub fn jwks(&self) -> String {
        let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
        let mut response = agent
            .get(format!("{}/jwks", self.issuer))
            .call()
            .expect("GET /jwks");
        response.body_mut().read_to_string().expect("JWKS body")
    }

    /// Approves a device authorization's user code as `account` (a subject id or an email),
    /// as the user would on the verification page.
    pub fn approve_device(&self, user_code: &str, account: &str) {
        let body = serde_json::json!({"user_code": user_code, "account": account});
        self.control("POST", "device", body);
    }

    /// Denies a device authorization's user code, as the user would on the verification page.
    pub fn deny_device(&self, user_code: &str) {
        let body = serde_json::json!({"user_code": user_code, "deny": true});
        self.control("POST", "device", body);
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
