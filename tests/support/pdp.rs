//! Starts the project's test policy decision point (Cerbos 0.55, through `tests/pdp/start.mjs`)
//! on a free loopback port and stops it when dropped.
//!
//! Cerbos is installed on first use (`npm ci` in `tests/pdp`) when `node_modules` is missing.
//! `start.mjs`'s stdin is a pipe: should this process die without dropping the guard, it sees
//! end-of-file and stops Cerbos by itself. Dropping the guard also kills the Cerbos process
//! named in the `READY` line, in case `start.mjs` could not.

#![allow(dead_code)]

use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

#[allow(clippy::duplicate_mod)]
#[path = "server.rs"]
mod server;

#[allow(unused_imports)]
pub use server::repo_root;

/// A running Cerbos. Dropping it stops Cerbos.
pub struct TestPdp {
    child: Child,
    stdin: Option<ChildStdin>,
    /// The Cerbos process id from the `READY` line.
    pub pid: u32,
    /// The base URL, `http://127.0.0.1:<port>`: the PDP identifier Cerbos reports.
    pub base_url: String,
}

impl TestPdp {
    /// Starts Cerbos on an ephemeral port and waits until it is healthy.
    pub fn start() -> Result<TestPdp, String> {
        server::ensure_npm_package("tests/pdp", "@cerbos/cerbos-linux-x64")?;
        let script = server::repo_root().join("tests/pdp/start.mjs");
        let server::Started {
            child,
            stdin,
            ready,
        } = server::start_node(&script, &["--port=0", "--log-level=warn"], "the test PDP")?;
        let base_url = ready["base_url"]
            .as_str()
            .ok_or("READY line without base_url")?
            .to_owned();
        let pid = ready["pid"].as_u64().ok_or("READY line without pid")? as u32;
        Ok(TestPdp {
            child,
            stdin: Some(stdin),
            pid,
            base_url,
        })
    }
}

impl Drop for TestPdp {
    fn drop(&mut self) {
        // End-of-file on its stdin: start.mjs stops Cerbos (SIGTERM) and exits.
        drop(self.stdin.take());
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Cerbos itself, should start.mjs not have stopped it (only if that pid is still a
        // Cerbos process, not a reused id).
        let comm = std::fs::read_to_string(format!("/proc/{}/comm", self.pid)).unwrap_or_default();
        if comm.starts_with("cerbos") {
            let _ = Command::new("kill")
                .args(["-KILL", &self.pid.to_string()])
                .stderr(Stdio::null())
                .status();
        }
    }
}
