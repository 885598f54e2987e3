// Replays idpkit's own decision tables and the published AuthZEN interop vectors against a
// freshly started Cerbos PDP. Exit code 0 only if every decision matches.
//
//   node tests/pdp/check.mjs [--port=0|pick|<n>] [--verbose]
//
// Own tables:       tests/pdp/tables/{todo,gateway,document}.json
// Published vectors (only if the shared folder beside the checkout exists):
//   <repo>/../shared/vectors/authzen-interop/interop/authzen-todo-backend/test/decisions-authorization-api-1_0-02.json
//   <repo>/../shared/vectors/authzen-interop/interop/authzen-api-gateways/test-harness/test/decisions.json
// Single evaluations compare (response.decision === true) with `expected`; batches compare the
// array of `decision` booleans (length included) with `expected` (booleans, or {decision} objects
// in the published vectors), ignoring any decision `context`.

import fs from 'node:fs';
import path from 'node:path';
import { PDP_DIR, REPO_ROOT, postJson, startCerbos } from './pdp.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? true];
  }),
);
const port = args.port === undefined ? 0 : args.port === 'pick' ? 'pick' : Number(args.port);
const verbose = Boolean(args.verbose);

const SHARED = path.resolve(REPO_ROOT, '..', 'shared');
const INTEROP = path.join(SHARED, 'vectors', 'authzen-interop', 'interop');
const sources = [
  { label: 'own: tables/todo.json', file: path.join(PDP_DIR, 'tables', 'todo.json'), required: true },
  { label: 'own: tables/gateway.json', file: path.join(PDP_DIR, 'tables', 'gateway.json'), required: true },
  { label: 'own: tables/document.json', file: path.join(PDP_DIR, 'tables', 'document.json'), required: true },
  { label: 'published: todo decisions-authorization-api-1_0-02.json', file: path.join(INTEROP, 'authzen-todo-backend', 'test', 'decisions-authorization-api-1_0-02.json'), required: false },
  { label: 'published: api-gateways decisions.json', file: path.join(INTEROP, 'authzen-api-gateways', 'test-harness', 'test', 'decisions.json'), required: false },
];

const wall0 = performance.now();
const pdp = await startCerbos({ port });
let failed = false;
try {
  console.log(`Cerbos ${pdp.baseUrl} (pid ${pdp.pid}) healthy after ${pdp.startupMs.toFixed(0)} ms`);
  console.log(`  ${pdp.args.map((a) => (a.includes(' ') ? JSON.stringify(a) : a)).join(' ')}`);

  const disc = await fetch(`${pdp.baseUrl}/.well-known/authzen-configuration`);
  const discText = await disc.text();
  console.log(`GET /.well-known/authzen-configuration -> ${disc.status} ${disc.headers.get('content-type')}`);
  console.log(`  ${discText}`);
  const meta = JSON.parse(discText);
  if (meta.policy_decision_point !== pdp.baseUrl) {
    console.log(`MISMATCH discovery: policy_decision_point ${meta.policy_decision_point} != ${pdp.baseUrl}`);
    failed = true;
  }
  const e1 = meta.access_evaluation_endpoint ?? `${pdp.baseUrl}/access/v1/evaluation`;
  const en = meta.access_evaluations_endpoint ?? `${pdp.baseUrl}/access/v1/evaluations`;

  const t0 = performance.now();
  let totalCalls = 0;
  for (const src of sources) {
    if (!fs.existsSync(src.file)) {
      if (src.required) throw new Error(`missing ${src.file}`);
      console.log(`${src.label}: SKIPPED (${src.file} not found)`);
      continue;
    }
    const table = JSON.parse(fs.readFileSync(src.file, 'utf8'));
    const single = table.evaluation ?? [];
    const batch = table.evaluations ?? [];
    let ok1 = 0;
    let okN = 0;
    let inner = 0;
    let strictOk = 0;
    let strictTotal = 0;
    const mismatches = [];
    for (const [i, c] of single.entries()) {
      const res = await postJson(e1, c.request);
      totalCalls++;
      const got = res.status === 200 ? res.json?.decision === true : `HTTP ${res.status} ${res.text}`;
      if (got === c.expected) ok1++;
      else mismatches.push(`evaluation[${i}]${c.name ? ` (${c.name})` : ''}: expected ${c.expected}, got ${got}\n      request: ${JSON.stringify(c.request)}`);
      if (verbose) console.log(`  [${i}] ${c.name ?? ''} -> ${got}`);
    }
    for (const [i, c] of batch.entries()) {
      const expected = c.expected.map((e) => (typeof e === 'boolean' ? e : e.decision === true));
      inner += expected.length;
      const res = await postJson(en, c.request);
      totalCalls++;
      let got;
      if (res.status === 200 && Array.isArray(res.json?.evaluations)) got = res.json.evaluations.map((e) => e.decision === true);
      else got = `HTTP ${res.status} ${res.text}`;
      if (c.expected.some((e) => typeof e === 'object')) {
        // what the upstream interop runner does: JSON.stringify(response.evaluations) === JSON.stringify(expected)
        strictTotal++;
        if (res.status === 200 && JSON.stringify(res.json?.evaluations) === JSON.stringify(c.expected)) strictOk++;
      }
      if (JSON.stringify(got) === JSON.stringify(expected)) okN++;
      else mismatches.push(`evaluations[${i}]${c.name ? ` (${c.name})` : ''}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}\n      request: ${JSON.stringify(c.request)}`);
      if (verbose) console.log(`  batch[${i}] ${c.name ?? ''} -> ${JSON.stringify(got)}`);
    }
    const status = mismatches.length ? 'FAIL' : 'ok';
    const strict = strictTotal ? `; upstream-strict batch equality ${strictOk}/${strictTotal} (informational)` : '';
    console.log(`${src.label}: ${status}  single ${ok1}/${single.length}, batch ${okN}/${batch.length} (${inner} inner decisions)${strict}`);
    for (const m of mismatches) console.log(`  MISMATCH ${m}`);
    if (mismatches.length) failed = true;
  }
  const ms = performance.now() - t0;
  console.log(`${totalCalls} HTTP calls in ${ms.toFixed(0)} ms (${(ms / totalCalls).toFixed(2)} ms/call, sequential)`);
} catch (e) {
  failed = true;
  console.error(e);
  console.error('--- Cerbos log ---\n' + pdp.logs());
} finally {
  const s0 = performance.now();
  await pdp.stop();
  console.log(`Cerbos stopped in ${(performance.now() - s0).toFixed(0)} ms; total ${(performance.now() - wall0).toFixed(0)} ms`);
}
if (failed) {
  console.log('RESULT: FAIL');
  process.exit(1);
}
console.log('RESULT: all decisions match');
