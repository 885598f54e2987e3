// Start and stop the Cerbos PDP used by idpkit's tests (shared by check.mjs, probe.mjs, start.mjs).
//
// startCerbos({ port }) spawns
//   CERBOS_NO_TELEMETRY=1 <binary> server --config=config.yaml --log-level=<level>
//     --set=server.httpListenAddr=127.0.0.1:<port>
//     --set=server.grpcListenAddr=unix:<fresh temp dir>/grpc.sock
//     --set=storage.disk.directory=<this folder>/policies
// and resolves once GET /_cerbos/health answers 200.
//
// port: 0 (default)  -> Cerbos binds an ephemeral port; it does not log the real port (its log
//                       says "Starting HTTP server at 127.0.0.1:0"), so the port is read from
//                       /proc/<pid>/net/tcp{,6}: the LISTEN socket whose inode is one of the
//                       process's fds. gRPC is on a unix socket, so it is the only TCP listener.
//                       Linux only, race-free.
// port: 'pick'       -> bind 127.0.0.1:0 in Node, read the port, close it, hand it to Cerbos
//                       (tiny race with other processes; retried on "address already in use").
// port: <number>     -> use that port.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PDP_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(PDP_DIR, '..', '..');
export const CONFIG = path.join(PDP_DIR, 'config.yaml');
export const POLICIES = path.join(PDP_DIR, 'policies');

export function cerbosBinary() {
  // The package's "main" is the binary itself.
  const require = createRequire(import.meta.url);
  try {
    return require.resolve('@cerbos/cerbos-linux-x64');
  } catch {
    const p = path.join(PDP_DIR, 'node_modules', '@cerbos', 'cerbos-linux-x64', 'cerbos-linux-x64');
    if (fs.existsSync(p)) return p;
    throw new Error(`Cerbos binary not found: run "npm ci" in ${PDP_DIR}`);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function pickFreePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** TCP ports on which process `pid` is listening (Linux /proc). */
export function listeningTcpPorts(pid) {
  const inodes = new Set();
  let fds = [];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      /* fd closed meanwhile */
    }
  }
  const ports = [];
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [, local, , state] = f;
      const inode = f[9];
      if (state === '0A' && inodes.has(inode)) ports.push(parseInt(local.split(':')[1], 16));
    }
  }
  return ports;
}

async function healthy(baseUrl) {
  try {
    const res = await fetch(`${baseUrl}/_cerbos/health`);
    await res.text();
    return res.status === 200;
  } catch {
    return false;
  }
}

/**
 * Start Cerbos. Returns { baseUrl, port, pid, child, startupMs, logs(), stop() }.
 */
export async function startCerbos({ port = 0, logLevel = 'warn', timeoutMs = 15000, extraArgs = [] } = {}) {
  const bin = cerbosBinary();
  for (let attempt = 1; ; attempt++) {
    const wanted = port === 'pick' ? await pickFreePort() : Number(port);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'idpkit-pdp-'));
    const args = [
      'server',
      `--config=${CONFIG}`,
      `--log-level=${logLevel}`,
      `--set=server.httpListenAddr=127.0.0.1:${wanted}`,
      `--set=server.grpcListenAddr=unix:${path.join(tmp, 'grpc.sock')}`,
      `--set=storage.disk.directory=${POLICIES}`,
      ...extraArgs,
    ];
    const t0 = performance.now();
    const child = spawn(bin, args, {
      cwd: tmp,
      env: { ...process.env, CERBOS_NO_TELEMETRY: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    let exited = null;
    child.on('exit', (code, signal) => (exited = { code, signal }));

    const stop = async () => {
      if (exited === null) {
        child.kill('SIGTERM');
        for (let i = 0; i < 100 && exited === null; i++) await sleep(20);
        if (exited === null) child.kill('SIGKILL');
      }
      fs.rmSync(tmp, { recursive: true, force: true });
    };

    let actualPort = wanted || null;
    const deadline = Date.now() + timeoutMs;
    let ok = false;
    while (Date.now() < deadline && exited === null) {
      if (!actualPort) {
        const ports = listeningTcpPorts(child.pid);
        if (ports.length === 1) actualPort = ports[0];
        else if (ports.length > 1) throw new Error(`several TCP listeners: ${ports}`);
      }
      if (actualPort && (await healthy(`http://127.0.0.1:${actualPort}`))) {
        ok = true;
        break;
      }
      await sleep(10);
    }
    const startupMs = performance.now() - t0;
    if (ok) {
      return {
        baseUrl: `http://127.0.0.1:${actualPort}`,
        port: actualPort,
        pid: child.pid,
        child,
        startupMs,
        args: [bin, ...args],
        logs: () => log,
        stop,
      };
    }
    await stop();
    if (port === 'pick' && attempt < 5 && /address already in use/i.test(log)) continue;
    throw new Error(`Cerbos did not become healthy (exit: ${JSON.stringify(exited)}):\n${log}`);
  }
}

/** POST a JSON body (string or object); returns { status, headers, text, json }. */
export async function postJson(url, body, headers = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: Object.fromEntries(res.headers), text, json };
}
