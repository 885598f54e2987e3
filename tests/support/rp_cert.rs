//! Starts the crafting provider of the RP certification tests (`tests/op/rp_cert.mjs`: node and
//! the `jose` package installed with the test provider) on a free loopback port, as `op.rs`
//! starts the test provider. It plays the conformance suite's misbehaving provider; each test
//! gets an issuer of its own, `{base}/{alias}/{module}`.

#![allow(dead_code)]

use std::process::{Child, ChildStdin};

#[allow(clippy::duplicate_mod)]
#[path = "server.rs"]
mod server;

/// A running crafting provider. Dropping it stops it.
pub struct RpCertOp {
    child: Child,
    _stdin: ChildStdin,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The secret of every client of every issuer.
    pub client_secret: String,
    /// The subject every issuer signs in.
    pub subject: String,
}

impl RpCertOp {
    pub fn start() -> Result<RpCertOp, String> {
        server::ensure_npm_package("tests/op", "jose")?;
        let script = server::repo_root().join("tests/op/rp_cert.mjs");
        let started = server::start_node(
            &script,
            &["--port", "0", "--host", "127.0.0.1"],
            "the RP certification provider",
        )?;
        let field = |name: &str| {
            started.ready[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("READY line without {name}"))
        };
        Ok(RpCertOp {
            base: field("base")?,
            client_secret: field("client_secret")?,
            subject: field("subject")?,
            child: started.child,
            _stdin: started.stdin,
        })
    }

    /// The issuer of `module` for the test `alias`.
    pub fn issuer(&self, alias: &str, module: &str) -> String {
        format!("{}/{alias}/{module}", self.base)
    }

    /// What the issuer saw: `calls` (its endpoints in order), `token_auth`, `userinfo_bearer`,
    /// `webfinger_resources`, `kids`, `jwks_path`.
    pub fn stats(&self, issuer: &str) -> serde_json::Value {
        let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
        let text = agent
            .get(format!("{issuer}/__stats"))
            .call()
            .and_then(|mut r| r.body_mut().read_to_string())
            .unwrap_or_else(|e| panic!("stats of {issuer}: {e}"));
        serde_json::from_str(&text).expect("stats JSON")
    }

    /// How many times the issuer's endpoint `name` was called.
    pub fn calls(&self, issuer: &str, name: &str) -> usize {
        let stats = self.stats(issuer);
        let calls = stats["calls"].as_array().expect("calls");
        calls.iter().filter(|c| c.as_str() == Some(name)).count()
    }

    /// Gives the issuer a new signing key (a new `kid`); returns the `kid`.
    pub fn rotate(&self, issuer: &str) -> String {
        let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
        let text = agent
            .post(format!("{issuer}/__rotate"))
            .send_empty()
            .and_then(|mut r| r.body_mut().read_to_string())
            .unwrap_or_else(|e| panic!("rotate {issuer}: {e}"));
        let answer: serde_json::Value = serde_json::from_str(&text).expect("rotate JSON");
        answer["kid"].as_str().expect("kid").to_owned()
    }
}

impl Drop for RpCertOp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
