// Record how Cerbos 0.55 really answers edge cases of the AuthZEN 1.0 HTTP binding.
// Run: node tests/pdp/probe.mjs            (human-readable)
//      node tests/pdp/probe.mjs --json     (one JSON document with every exchange)
// Each probe prints the request (method, path, headers sent, body) and the answer
// (status, Content-Type, X-Request-ID, body). README.md summarises the results.

import { startCerbos } from './pdp.mjs';

const RICK = 'CiRmZDA2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs';
const MORTY = 'CiRmZDE2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs';
const BETH = 'CiRmZDM2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs';

const user = (id) => ({ type: 'user', id });
const todo = (id, ownerID) => ({ type: 'todo', id, properties: { ownerID } });
const ok = { subject: user(RICK), action: { name: 'can_read_todos' }, resource: { type: 'todo', id: 'todo-1' } };

const E1 = '/access/v1/evaluation';
const EN = '/access/v1/evaluations';

const probes = [
  // discovery
  { name: 'discovery', method: 'GET', path: '/.well-known/authzen-configuration' },
  { name: 'discovery, Host: localhost', method: 'GET', path: '/.well-known/authzen-configuration', host: 'localhost' },
  { name: 'discovery, X-Forwarded-Proto: https', method: 'GET', path: '/.well-known/authzen-configuration', headers: { 'X-Forwarded-Proto': 'https' } },
  { name: 'discovery, X-Forwarded-Host: pdp.example.com', method: 'GET', path: '/.well-known/authzen-configuration', headers: { 'X-Forwarded-Host': 'pdp.example.com' } },
  { name: 'discovery with path suffix (RFC 8615 tenant insertion)', method: 'GET', path: '/.well-known/authzen-configuration/tenant1' },
  { name: 'discovery via POST', method: 'POST', path: '/.well-known/authzen-configuration', body: {} },
  { name: 'health', method: 'GET', path: '/_cerbos/health' },

  // single evaluation: happy path and headers
  { name: 'evaluation permit + X-Request-ID', path: E1, body: ok, headers: { 'X-Request-ID': 'req-123' } },
  { name: 'evaluation deny (viewer creates todo)', path: E1, body: { subject: user(BETH), action: { name: 'can_create_todo' }, resource: { type: 'todo', id: 'todo-1' } } },
  { name: 'unknown resource type', path: E1, body: { subject: user(RICK), action: { name: 'can_read' }, resource: { type: 'spaceship', id: 's1' } } },
  { name: 'unknown user, always-true action', path: E1, body: { subject: user('nobody'), action: { name: 'can_read_todos' }, resource: { type: 'todo', id: 'todo-1' } } },
  { name: 'unknown user, create', path: E1, body: { subject: user('nobody'), action: { name: 'can_create_todo' }, resource: { type: 'todo', id: 'todo-1' } } },
  { name: 'context with arbitrary keys (accepted, ignored)', path: E1, body: { ...ok, context: { time: '1985-10-26T01:22-07:00', ip: '10.0.0.1' } } },
  { name: 'context cerbos.includeMeta=true', path: E1, body: { ...ok, context: { 'cerbos.includeMeta': true } } },
  { name: 'includeMeta on document with rule output', path: E1, body: { subject: { type: 'user', id: 'alice' }, action: { name: 'edit' }, resource: { type: 'document', id: 'd1', properties: { owner: 'alice' } }, context: { 'cerbos.includeMeta': true, 'cerbos.requestId': 'my-req-1' } } },
  { name: 'includeMeta on denied locked document (DENY rule output)', path: E1, body: { subject: { type: 'user', id: 'alice' }, action: { name: 'delete' }, resource: { type: 'document', id: 'd1', properties: { owner: 'alice', locked: true } }, context: { 'cerbos.includeMeta': true } } },
  { name: 'action.properties (accepted, not visible to policies)', path: E1, body: { ...ok, action: { name: 'can_read_todos', properties: { method: 'GET' } } } },
  { name: 'subject.properties cerbos.roles overrides [type]', path: E1, body: { subject: { type: 'user', id: 'x', properties: { 'cerbos.roles': ['admin'] } }, action: { name: 'delete' }, resource: { type: 'document', id: 'd9' } } },
  { name: 'Authorization header (ignored, no auth configured)', path: E1, body: ok, headers: { Authorization: 'Bearer whatever' } },

  // strictness
  { name: 'unknown top-level field', path: E1, body: { ...ok, foo: 1 } },
  { name: 'unknown field inside subject (_note)', path: E1, body: { ...ok, subject: { ...ok.subject, _note: 'x' } } },
  { name: 'subject.properties: null', path: E1, body: { ...ok, subject: { ...ok.subject, properties: null } } },
  { name: 'context: null', path: E1, body: { ...ok, context: null } },
  { name: 'property value null', path: E1, body: { ...ok, subject: { ...ok.subject, properties: { a: null } } } },
  { name: 'context value null', path: E1, body: { ...ok, context: { a: null } } },
  { name: 'subject: null', path: E1, body: { ...ok, subject: null } },
  { name: 'missing subject', path: E1, body: { action: ok.action, resource: ok.resource } },
  { name: 'missing action', path: E1, body: { subject: ok.subject, resource: ok.resource } },
  { name: 'empty subject id', path: E1, body: { ...ok, subject: { type: 'user', id: '' } } },
  { name: 'numeric subject id', path: E1, body: { ...ok, subject: { type: 'user', id: 42 } } },
  { name: 'empty object {}', path: E1, body: {} },
  { name: 'invalid JSON', path: E1, body: '{"subject":' },
  { name: 'JSON array body', path: E1, body: '[]' },
  { name: 'Content-Type text/plain', path: E1, body: ok, headers: { 'Content-Type': 'text/plain' } },
  { name: 'no Content-Type', path: E1, body: ok, headers: { 'Content-Type': null } },
  { name: 'duplicate member names', path: E1, body: `{"subject":{"type":"user","id":"${BETH}"},"subject":{"type":"user","id":"${RICK}"},"action":{"name":"can_create_todo"},"resource":{"type":"todo","id":"t"}}` },
  { name: 'GET on evaluation endpoint', method: 'GET', path: E1 },
  { name: 'trailing slash', path: E1 + '/', body: ok },

  // batch
  { name: 'batch execute_all (default), mixed', path: EN, body: { subject: user(MORTY), action: { name: 'can_update_todo' }, evaluations: [{ resource: todo('t1', 'rick@the-citadel.com') }, { resource: todo('t2', 'morty@the-citadel.com') }, { resource: todo('t3', 'rick@the-citadel.com') }] } },
  { name: 'batch deny_on_first_deny [T,F,T]', path: EN, body: { subject: user(MORTY), action: { name: 'can_update_todo' }, options: { evaluations_semantic: 'deny_on_first_deny' }, evaluations: [{ resource: todo('t2', 'morty@the-citadel.com') }, { resource: todo('t1', 'rick@the-citadel.com') }, { resource: todo('t4', 'morty@the-citadel.com') }] } },
  { name: 'batch permit_on_first_permit [F,T,F]', path: EN, body: { subject: user(MORTY), action: { name: 'can_update_todo' }, options: { evaluations_semantic: 'permit_on_first_permit' }, evaluations: [{ resource: todo('t1', 'rick@the-citadel.com') }, { resource: todo('t2', 'morty@the-citadel.com') }, { resource: todo('t3', 'rick@the-citadel.com') }] } },
  { name: 'batch deny_on_first_deny, all permit', path: EN, body: { subject: user(RICK), action: { name: 'can_read_todos' }, options: { evaluations_semantic: 'deny_on_first_deny' }, evaluations: [{ resource: { type: 'todo', id: 'a' } }, { resource: { type: 'todo', id: 'b' } }] } },
  { name: 'batch unknown evaluations_semantic', path: EN, body: { ...ok, options: { evaluations_semantic: 'first_applicable' }, evaluations: [{}] } },
  { name: 'batch options with extra key', path: EN, body: { ...ok, options: { another_option: 'value' }, evaluations: [{}] } },
  { name: 'batch empty evaluations []', path: EN, body: { ...ok, evaluations: [] } },
  { name: 'batch without evaluations key', path: EN, body: ok },
  { name: 'batch item {} (all defaults)', path: EN, body: { ...ok, evaluations: [{}] } },
  { name: 'batch missing default subject in one item', path: EN, body: { action: ok.action, resource: ok.resource, evaluations: [{ subject: user(RICK) }, {}] } },
  { name: 'batch no defaults, full items', path: EN, body: { evaluations: [ok, { ...ok, subject: user(BETH), action: { name: 'can_create_todo' } }] } },
  { name: 'batch item context overrides default', path: EN, body: { ...ok, context: { a: 1 }, evaluations: [{ context: { 'cerbos.includeMeta': true } }, {}] } },
  { name: 'batch with includeMeta (context on items)', path: EN, body: { ...ok, context: { 'cerbos.includeMeta': true }, evaluations: [{}, { action: { name: 'can_delete_todo' }, resource: todo('t9', 'x@y') }] } },
  { name: 'batch quirk: same todo id, different ownerID', path: EN, body: { subject: user(MORTY), action: { name: 'can_delete_todo' }, evaluations: [{ resource: todo('same', 'rick@the-citadel.com') }, { resource: todo('same', 'morty@the-citadel.com') }] } },
  { name: 'batch quirk: same todo id, ownerID order swapped', path: EN, body: { subject: user(MORTY), action: { name: 'can_delete_todo' }, evaluations: [{ resource: todo('same', 'morty@the-citadel.com') }, { resource: todo('same', 'rick@the-citadel.com') }] } },
  { name: 'batch quirk: same subject id, different cerbos.roles', path: EN, body: { action: { name: 'delete' }, resource: { type: 'document', id: 'd1' }, evaluations: [{ subject: { type: 'user', id: 'u', properties: { 'cerbos.roles': ['viewer'] } } }, { subject: { type: 'user', id: 'u', properties: { 'cerbos.roles': ['admin'] } } }] } },
  { name: 'batch with X-Request-ID', path: EN, body: { ...ok, evaluations: [{}] }, headers: { 'X-Request-ID': 'req-456' } },

  // search APIs
  { name: 'search subject', path: '/access/v1/search/subject', body: { subject: { type: 'user' }, action: { name: 'can_read_todos' }, resource: { type: 'todo', id: 'todo-1' } } },
  { name: 'search resource', path: '/access/v1/search/resource', body: { subject: user(RICK), action: { name: 'can_read_todos' }, resource: { type: 'todo' } } },
  { name: 'search action', path: '/access/v1/search/action', body: { subject: user(RICK), resource: { type: 'todo', id: 'todo-1' } } },
  { name: 'unknown path', method: 'GET', path: '/nope' },
];

const p = await startCerbos({ port: 0 });
const results = [];
try {
  for (const pr of probes) {
    const method = pr.method ?? 'POST';
    const headers = {};
    if (method === 'POST') headers['Content-Type'] = 'application/json';
    for (const [k, v] of Object.entries(pr.headers ?? {})) {
      if (v === null) delete headers[k];
      else headers[k] = v;
    }
    let body;
    if (pr.body !== undefined) body = typeof pr.body === 'string' ? pr.body : JSON.stringify(pr.body);
    let res;
    if (pr.host) {
      // fetch() refuses to override Host; use a raw request
      const http = await import('node:http');
      res = await new Promise((resolve, reject) => {
        const req = http.request(`${p.baseUrl}${pr.path}`, { method, headers: { ...headers, Host: `${pr.host}:${p.port}` } }, (r) => {
          let t = '';
          r.on('data', (d) => (t += d));
          r.on('end', () => resolve({ status: r.statusCode, headers: r.headers, text: t }));
        });
        req.on('error', reject);
        if (body) req.write(body);
        req.end();
      });
    } else {
      const r = await fetch(`${p.baseUrl}${pr.path}`, { method, headers, body });
      res = { status: r.status, headers: Object.fromEntries(r.headers), text: await r.text() };
    }
    if (body === undefined && !headers['Content-Type']) delete headers['Content-Type'];
    results.push({
      name: pr.name,
      request: { method, path: pr.path, headers, body },
      response: {
        status: res.status,
        contentType: res.headers['content-type'] ?? null,
        xRequestId: res.headers['x-request-id'] ?? null,
        body: res.text,
      },
    });
  }
} finally {
  await p.stop();
}

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ baseUrl: p.baseUrl, results }, null, 2));
} else {
  console.log(`Cerbos at ${p.baseUrl} (base URL differs per run)\n`);
  for (const r of results) {
    const q = r.request;
    const hdr = Object.entries(q.headers).filter(([k]) => k !== 'Content-Type' || q.headers[k] !== 'application/json');
    console.log(`### ${r.name}`);
    console.log(`> ${q.method} ${q.path}${hdr.length ? '  ' + hdr.map(([k, v]) => `${k}: ${v}`).join(', ') : ''}${q.method === 'POST' && !q.headers['Content-Type'] ? '  (no Content-Type)' : ''}`);
    if (q.body !== undefined) console.log(`> ${q.body}`);
    console.log(`< ${r.response.status}  Content-Type: ${r.response.contentType}${r.response.xRequestId ? `  X-Request-ID: ${r.response.xRequestId}` : ''}`);
    console.log(`< ${r.response.body.trim()}\n`);
  }
}
