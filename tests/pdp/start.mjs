// Start one Cerbos PDP for a test harness and report where it listens.
//
//   node tests/pdp/start.mjs [--port=0|pick|<n>] [--log-level=warn]
//
// Prints exactly one line on stdout once GET /_cerbos/health answers 200:
//   READY {"base_url":"http://127.0.0.1:NNNN","port":NNNN,"pid":<cerbos pid>,"startup_ms":NNN}
// then keeps Cerbos running until this process gets SIGTERM/SIGINT or its stdin reaches EOF
// (so a harness that dies, closing the pipe, does not leave Cerbos behind). Cerbos' own log
// goes to stderr. If Cerbos exits on its own, this exits with status 1.

import { startCerbos } from './pdp.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? true];
  }),
);
const port = args.port === undefined ? 0 : args.port === 'pick' ? 'pick' : Number(args.port);
const logLevel = typeof args['log-level'] === 'string' ? args['log-level'] : 'warn';

let pdp;
try {
  pdp = await startCerbos({ port, logLevel });
} catch (e) {
  console.error(String(e?.message ?? e));
  process.exit(1);
}
pdp.child.stdout.pipe(process.stderr);
pdp.child.stderr.pipe(process.stderr);
process.stderr.write(pdp.logs());

let stopping = false;
const shutdown = async (code) => {
  if (stopping) return;
  stopping = true;
  await pdp.stop();
  process.exit(code);
};
pdp.child.on('exit', () => {
  if (!stopping) {
    console.error('cerbos exited unexpectedly');
    process.exit(1);
  }
});
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
process.stdin.on('end', () => shutdown(0));
process.stdin.on('error', () => shutdown(0));
process.stdin.resume();

console.log(`READY ${JSON.stringify({ base_url: pdp.baseUrl, port: pdp.port, pid: pdp.pid, startup_ms: Math.round(pdp.startupMs) })}`);
