//! Starts the project's test policy decision point (Cerbos 0.55, through `tests/pdp/start.mjs`)
//! on a free loopback port and stops it when dropped.
//!
//! Cerbos is installed on first use (`npm ci` in `tests/pdp`) when `node_modules` is missing.
//! `start.mjs`'s stdin is a pipe: should this process die without dropping the guard, it sees
//! end-of-file and stops Cerbos by itself. Dropping the guard also kills the Cerbos process
//! named in the `READY` line, in case `start.mjs` could not.

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

/// Runs `npm ci` in `tests/pdp` unless its `node_modules` is already there.
pub fn ensure_installed() -> Result<(), String> {
    let mut done = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    if *done {
        return Ok(());
    }
    let dir = repo_root().join("tests/pdp");
    if !dir.join("node_modules/@cerbos/cerbos-linux-x64").is_dir() {
        eprintln!("installing the test PDP (npm ci in tests/pdp)...");
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
        ensure_installed()?;
        let script = repo_root().join("tests/pdp/start.mjs");
        let mut child = Command::new("node")
            .arg(&script)
            .args(["--port=0", "--log-level=warn"])
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
            for _ in lines {}
        });
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Some(Ok(line))) => line,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("the test PDP did not become ready: {other:?}"));
            }
        };
        let ready: serde_json::Value = line
            .strip_prefix("READY ")
            .and_then(|json| serde_json::from_str(json).ok())
            .ok_or_else(|| format!("unexpected first line from the test PDP: {line}"))?;
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
