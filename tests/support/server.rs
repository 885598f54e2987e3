//! What the test servers' harnesses (`op.rs`, `pdp.rs`, `scim.rs`) share: installing a
//! server's npm package on first use, reading the line a server announces itself with, and
//! starting a node script that announces itself with one `READY {json}` line on stdout.

#![allow(dead_code)]

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::Duration;

/// The repository's root (where `Cargo.toml` is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

static INSTALLED: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

/// Runs `npm ci` in `dir` (relative to the repository) unless `dir/node_modules/<package>` is
/// already there; once per folder and process.
pub fn ensure_npm_package(dir: &str, package: &str) -> Result<(), String> {
    let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
    let dir = repo_root().join(dir);
    if installed.get_or_insert_with(HashSet::new).contains(&dir) {
        return Ok(());
    }
    if !dir.join("node_modules").join(package).is_dir() {
        eprintln!("installing {package} (npm ci in {})...", dir.display());
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .map_err(|e| format!("cannot run npm (is Node.js installed?): {e}"))?;
        if !status.success() {
            return Err(format!("npm ci in {} failed: {status}", dir.display()));
        }
    }
    installed.get_or_insert_with(HashSet::new).insert(dir);
    Ok(())
}

/// The first line `child` writes on its (piped) stdout, within `limit`; the rest of its output
/// is drained afterwards so it never blocks on a full pipe. On failure the child is killed.
pub fn first_line(child: &mut Child, what: &str, limit: Duration) -> Result<String, String> {
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let _ = tx.send(lines.next());
        for _ in lines {}
    });
    match rx.recv_timeout(limit) {
        Ok(Some(Ok(line))) => Ok(line),
        other => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!("{what} did not become ready: {other:?}"))
        }
    }
}

/// A started node script: the child, its stdin (a pipe: closing it tells the script to stop)
/// and the document of its `READY` line.
pub struct Started {
    pub child: Child,
    pub stdin: ChildStdin,
    pub ready: serde_json::Value,
}

/// Starts `node <script> <args>` and waits (60 s at most) for its `READY {json}` line; its
/// stdout is drained afterwards so it never blocks on a full pipe.
pub fn start_node(script: &Path, args: &[&str], what: &str) -> Result<Started, String> {
    let mut child = Command::new("node")
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start node {}: {e}", script.display()))?;
    let stdin = child.stdin.take().expect("piped stdin");
    let line = first_line(&mut child, what, Duration::from_secs(60))?;
    let ready = line
        .strip_prefix("READY ")
        .and_then(|json| serde_json::from_str(json).ok());
    match ready {
        Some(ready) => Ok(Started {
            child,
            stdin,
            ready,
        }),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!("unexpected first line from {what}: {line}"))
        }
    }
}
