// Generates idpkit's own AuthZEN decision tables (todo.json, gateway.json, document.json) from
// the scenario rules, written out here a second time in plain JavaScript: an oracle that is
// independent of the Cerbos policies in ../policies. check.mjs replays the tables against Cerbos.
//
//   node tests/pdp/tables/generate.mjs          # rewrite the JSON files
//   node tests/pdp/tables/generate.mjs --check  # exit 1 if the files on disk are stale
//
// Format of every table:
//   { "evaluation":  [ { "name": str, "request": <AccessEvaluationRequest>,  "expected": bool } ],
//     "evaluations": [ { "name": str, "request": <AccessEvaluationsRequest>, "expected": [bool, ...] } ] }
// For deny_on_first_deny / permit_on_first_permit the expected array is what AuthZEN 1.0 (and
// Cerbos 0.55) return: truncated right after the first deny / first permit.
//
// Batches deliberately never repeat one resource (type, id) with different properties, nor one
// subject id with different type/properties: Cerbos 0.55 groups batch items by subject id and by
// resource (type, id) and evaluates each group with the FIRST item's properties (see README).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------- the scenario user table
const USERS = [
  { name: 'rick', pid: 'CiRmZDA2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs', email: 'rick@the-citadel.com', roles: ['admin', 'evil_genius'] },
  { name: 'morty', pid: 'CiRmZDE2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs', email: 'morty@the-citadel.com', roles: ['editor'] },
  { name: 'summer', pid: 'CiRmZDI2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs', email: 'summer@the-smiths.com', roles: ['editor'] },
  { name: 'beth', pid: 'CiRmZDM2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs', email: 'beth@the-smiths.com', roles: ['viewer'] },
  { name: 'jerry', pid: 'CiRmZDQ2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs', email: 'jerry@the-smiths.com', roles: ['viewer'] },
];
// Not in the directory: no scenario role, no e-mail.
const UNKNOWN = { name: 'unknown', pid: 'CiRmZDk5OTk5OS1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs', email: 'squanchy@example.com', roles: [] };
const ALL = [...USERS, UNKNOWN];
const byName = Object.fromEntries(ALL.map((u) => [u.name, u]));
const has = (u, r) => u.roles.includes(r);

// ---------------------------------------------------------------- Todo rules
// can_read_user, can_read_todos: always; can_create_todo: admin|editor;
// can_update_todo: evil_genius | (editor & ownerID == email); can_delete_todo: admin | (editor & ownerID == email)
function todoRule(subjectType, u, action, resource) {
  const scenarioRoles = subjectType === 'user' || subjectType === 'identity';
  const r = (role) => scenarioRoles && has(u, role);
  const owns = resource.properties?.ownerID !== undefined && resource.properties.ownerID === u.email && USERS.includes(u);
  if (resource.type === 'user') return action === 'can_read_user';
  if (resource.type !== 'todo') return false;
  switch (action) {
    case 'can_read_todos':
      return true;
    case 'can_create_todo':
      return r('admin') || r('editor');
    case 'can_update_todo':
      return r('evil_genius') || (r('editor') && owns);
    case 'can_delete_todo':
      return r('admin') || (r('editor') && owns);
    default:
      return false;
  }
}

// ---------------------------------------------------------------- API gateway rules
// GET routes: always; POST /todos: admin|editor; PUT /todos/{todoId}: evil_genius|editor;
// DELETE /todos/{todoId}: admin|editor. Anything else: deny.
const ROUTES = ['/users/{userId}', '/todos', '/todos/{todoId}'];
function gatewayRule(subjectType, u, method, resource) {
  if (resource.type !== 'route') return false;
  const scenarioRoles = subjectType === 'user' || subjectType === 'identity';
  const r = (role) => scenarioRoles && has(u, role);
  const id = resource.id;
  if (method === 'GET') return ROUTES.includes(id);
  if (method === 'POST' && id === '/todos') return r('admin') || r('editor');
  if (method === 'PUT' && id === '/todos/{todoId}') return r('evil_genius') || r('editor');
  if (method === 'DELETE' && id === '/todos/{todoId}') return r('admin') || r('editor');
  return false;
}

// ---------------------------------------------------------------- document rules (../policies/document.yaml)
function documentRule(subject, action, resource) {
  if (resource.type !== 'document') return false;
  const s = subject.properties ?? {};
  const a = resource.properties ?? {};
  const roles = Array.isArray(s['cerbos.roles']) && s['cerbos.roles'].length ? s['cerbos.roles'] : [subject.type];
  const owner = a.owner !== undefined && a.owner === subject.id;
  const sameDept = s.department !== undefined && a.department !== undefined && s.department === a.department;
  if (a.locked === true && (action === 'edit' || action === 'delete')) return false; // DENY wins
  if (roles.includes('admin')) return true;
  if (owner && ['read', 'edit', 'share', 'delete'].includes(action)) return true;
  if (action === 'read') {
    if (Array.isArray(a.viewers) && a.viewers.includes(subject.id)) return true;
    if (a.public === true) return true;
    if (sameDept && s.clearance !== undefined && a.classification !== undefined && s.clearance >= a.classification) return true;
  }
  if (action === 'edit' && roles.includes('editor') && sameDept) return true;
  return false;
}

// ---------------------------------------------------------------- batch helpers
const merge = (req, item) => ({
  subject: item.subject ?? req.subject,
  action: item.action ?? req.action,
  resource: item.resource ?? req.resource,
});
function batchExpected(req, decide) {
  const sem = req.options?.evaluations_semantic ?? 'execute_all';
  const out = [];
  for (const item of req.evaluations) {
    const d = decide(merge(req, item));
    out.push(d);
    if (sem === 'deny_on_first_deny' && !d) break;
    if (sem === 'permit_on_first_permit' && d) break;
  }
  return out;
}
function checkBatchSafe(name, req) {
  // guard against the Cerbos grouping quirk (see header comment)
  const subjects = new Map();
  const resources = new Map();
  for (const item of req.evaluations) {
    const m = merge(req, item);
    const sk = m.subject.id;
    const sv = JSON.stringify(m.subject);
    if (subjects.has(sk) && subjects.get(sk) !== sv) throw new Error(`${name}: subject ${sk} differs between items`);
    subjects.set(sk, sv);
    const rk = `${m.subject.id}|${m.resource.type}|${m.resource.id}`;
    const rv = JSON.stringify(m.resource);
    if (resources.has(rk) && resources.get(rk) !== rv) throw new Error(`${name}: resource ${rk} differs between items`);
    resources.set(rk, rv);
  }
}

// ================================================================ todo.json
function todoTable() {
  const subj = (u, type = 'user') => ({ type, id: u.pid });
  const todoOf = (owner, n = '') => ({ type: 'todo', id: `todo-of-${owner.name}${n}`, properties: { ownerID: owner.email } });
  const decide = ({ subject, action, resource }) => todoRule(subject.type, ALL.find((u) => u.pid === subject.id) ?? { ...UNKNOWN, pid: subject.id }, action.name, resource);

  const evaluation = [];
  const add = (name, request) => evaluation.push({ name, request, expected: decide(request) });

  for (const u of ALL) {
    add(`${u.name} can_read_user self`, { subject: subj(u), action: { name: 'can_read_user' }, resource: { type: 'user', id: u.email } });
    add(`${u.name} can_read_user beth`, { subject: subj(u), action: { name: 'can_read_user' }, resource: { type: 'user', id: byName.beth.email } });
    add(`${u.name} can_read_todos`, { subject: subj(u), action: { name: 'can_read_todos' }, resource: { type: 'todo', id: 'todo-1' } });
    add(`${u.name} can_create_todo`, { subject: subj(u), action: { name: 'can_create_todo' }, resource: { type: 'todo', id: 'todo-1' } });
    for (const action of ['can_update_todo', 'can_delete_todo']) {
      for (const owner of USERS) {
        add(`${u.name} ${action} todo of ${owner.name}`, { subject: subj(u), action: { name: action }, resource: todoOf(owner) });
      }
      add(`${u.name} ${action} todo without ownerID`, { subject: subj(u), action: { name: action }, resource: { type: 'todo', id: 'todo-orphan' } });
    }
  }
  // the unknown user claims someone's e-mail as ownerID: still no editor role
  add('unknown can_delete_todo todo "owned" by its own e-mail', { subject: subj(UNKNOWN), action: { name: 'can_delete_todo' }, resource: { type: 'todo', id: 'todo-x', properties: { ownerID: UNKNOWN.email } } });
  // unknown resource types and actions: plain deny
  add('rick (admin) on unknown resource type', { subject: subj(byName.rick), action: { name: 'can_read_todos' }, resource: { type: 'spaceship', id: 'todo-1' } });
  add('rick (admin) unknown action on todo', { subject: subj(byName.rick), action: { name: 'can_archive_todo' }, resource: { type: 'todo', id: 'todo-1' } });
  add('rick (admin) todo action on user resource', { subject: subj(byName.rick), action: { name: 'can_delete_todo' }, resource: { type: 'user', id: byName.beth.email } });
  // action names are case-sensitive
  add('morty can_create_todo in upper case', { subject: subj(byName.morty), action: { name: 'CAN_CREATE_TODO' }, resource: { type: 'todo', id: 'todo-1' } });
  // extra properties and context pass through without changing the decision
  add('morty update own todo with extra properties and context', {
    subject: { type: 'user', id: byName.morty.pid, properties: { email: 'ignored@example.com' } },
    action: { name: 'can_update_todo', properties: { method: 'PUT' } },
    resource: { type: 'todo', id: 'todo-of-morty', properties: { ownerID: byName.morty.email, title: 'Buy plumbus', completed: false } },
    context: { time: '2026-01-01T00:00:00Z' },
  });
  // a subject type other than user/identity gets no scenario role (Cerbos role = subject.type)
  add('rick PID with subject type "service" cannot create', { subject: subj(byName.rick, 'service'), action: { name: 'can_create_todo' }, resource: { type: 'todo', id: 'todo-1' } });
  add('rick PID with subject type "service" can still read todos', { subject: subj(byName.rick, 'service'), action: { name: 'can_read_todos' }, resource: { type: 'todo', id: 'todo-1' } });

  // ---- batches
  const evaluations = [];
  const addB = (name, request) => {
    checkBatchSafe(name, request);
    evaluations.push({ name, request, expected: batchExpected(request, decide) });
  };
  addB('execute_all (default): morty updates one todo of each owner', {
    subject: subj(byName.morty),
    action: { name: 'can_update_todo' },
    evaluations: USERS.map((o) => ({ resource: todoOf(o) })),
  });
  addB('execute_all (explicit): summer, per-item action/resource/subject overrides', {
    subject: subj(byName.summer),
    action: { name: 'can_create_todo' },
    resource: { type: 'todo', id: 'todo-1' },
    options: { evaluations_semantic: 'execute_all' },
    evaluations: [
      {},
      { action: { name: 'can_delete_todo' }, resource: todoOf(byName.summer) },
      { action: { name: 'can_delete_todo' }, resource: todoOf(byName.morty) },
      { action: { name: 'can_read_user' }, resource: { type: 'user', id: byName.rick.email } },
      { subject: subj(byName.beth) },
      { subject: subj(byName.rick), action: { name: 'can_delete_todo' }, resource: todoOf(byName.jerry) },
    ],
  });
  addB('execute_all: no top-level defaults, every item complete', {
    evaluations: [
      { subject: subj(byName.jerry), action: { name: 'can_read_todos' }, resource: { type: 'todo', id: 'todo-1' } },
      { subject: subj(byName.jerry), action: { name: 'can_update_todo' }, resource: todoOf(byName.jerry) },
      { subject: subj(byName.rick), action: { name: 'can_update_todo' }, resource: todoOf(byName.jerry) },
    ],
  });
  addB('deny_on_first_deny: morty [permit, deny, permit] -> truncated after the deny', {
    subject: subj(byName.morty),
    action: { name: 'can_delete_todo' },
    options: { evaluations_semantic: 'deny_on_first_deny' },
    evaluations: [{ resource: todoOf(byName.morty, '-a') }, { resource: todoOf(byName.rick) }, { resource: todoOf(byName.morty, '-b') }],
  });
  addB('deny_on_first_deny: rick, all permit -> full array', {
    subject: subj(byName.rick),
    action: { name: 'can_delete_todo' },
    options: { evaluations_semantic: 'deny_on_first_deny' },
    evaluations: USERS.map((o) => ({ resource: todoOf(o) })),
  });
  addB('deny_on_first_deny: beth, first item denies -> one decision', {
    subject: subj(byName.beth),
    resource: { type: 'todo', id: 'todo-1' },
    options: { evaluations_semantic: 'deny_on_first_deny' },
    evaluations: [{ action: { name: 'can_create_todo' } }, { action: { name: 'can_read_todos' } }],
  });
  addB('permit_on_first_permit: summer [deny, deny, permit, deny] -> truncated after the permit', {
    subject: subj(byName.summer),
    action: { name: 'can_update_todo' },
    options: { evaluations_semantic: 'permit_on_first_permit' },
    evaluations: [{ resource: todoOf(byName.rick) }, { resource: todoOf(byName.morty) }, { resource: todoOf(byName.summer) }, { resource: todoOf(byName.beth) }],
  });
  addB('permit_on_first_permit: jerry, all deny -> full array', {
    subject: subj(byName.jerry),
    resource: todoOf(byName.jerry),
    options: { evaluations_semantic: 'permit_on_first_permit' },
    evaluations: [{ action: { name: 'can_create_todo' } }, { action: { name: 'can_update_todo' } }, { action: { name: 'can_delete_todo' } }],
  });
  addB('execute_all: unknown user and unknown resource type in a batch', {
    action: { name: 'can_read_todos' },
    resource: { type: 'todo', id: 'todo-1' },
    evaluations: [{ subject: subj(UNKNOWN) }, { subject: subj(UNKNOWN), action: { name: 'can_create_todo' }, resource: { type: 'todo', id: 'todo-2' } }, { subject: subj(byName.rick), resource: { type: 'spaceship', id: 'x' } }],
  });
  return { evaluation, evaluations };
}

// ================================================================ gateway.json
function gatewayTable() {
  const subj = (u, type = 'identity') => ({ type, id: u.pid });
  const route = (id) => ({ type: 'route', id });
  const decide = ({ subject, action, resource }) => gatewayRule(subject.type, ALL.find((u) => u.pid === subject.id) ?? { ...UNKNOWN, pid: subject.id }, action.name, resource);
  const CASES = [
    ['GET', '/users/{userId}'],
    ['GET', '/todos'],
    ['GET', '/todos/{todoId}'],
    ['POST', '/todos'],
    ['PUT', '/todos/{todoId}'],
    ['DELETE', '/todos/{todoId}'],
  ];
  const evaluation = [];
  const add = (name, request) => evaluation.push({ name, request, expected: decide(request) });
  for (const u of ALL) for (const [m, r] of CASES) add(`${u.name} ${m} ${r}`, { subject: subj(u), action: { name: m }, resource: route(r) });
  // method/route combinations outside the rules, for the most privileged user: deny
  for (const [m, r] of [
    ['POST', '/todos/{todoId}'],
    ['PUT', '/todos'],
    ['DELETE', '/todos'],
    ['DELETE', '/users/{userId}'],
    ['PATCH', '/todos/{todoId}'],
    ['get', '/todos'],
    ['GET', '/admin'],
    ['GET', '/todos/42'],
  ]) add(`rick ${m} ${r} (not in the rules)`, { subject: subj(byName.rick), action: { name: m }, resource: route(r) });
  add('rick on unknown resource type "endpoint"', { subject: subj(byName.rick), action: { name: 'GET' }, resource: { type: 'endpoint', id: '/todos' } });
  add('morty PUT with Todo-style subject type "user"', { subject: subj(byName.morty, 'user'), action: { name: 'PUT' }, resource: route('/todos/{todoId}') });

  const evaluations = [];
  const addB = (name, request) => {
    checkBatchSafe(name, request);
    evaluations.push({ name, request, expected: batchExpected(request, decide) });
  };
  addB('execute_all (default): every user PUT /todos/{todoId}', {
    action: { name: 'PUT' },
    resource: route('/todos/{todoId}'),
    evaluations: ALL.map((u) => ({ subject: subj(u) })),
  });
  addB('execute_all (explicit): summer, every method/route', {
    subject: subj(byName.summer),
    options: { evaluations_semantic: 'execute_all' },
    evaluations: CASES.map(([m, r]) => ({ action: { name: m }, resource: route(r) })),
  });
  addB('deny_on_first_deny: beth GET, GET, POST, PUT -> truncated after POST', {
    subject: subj(byName.beth),
    options: { evaluations_semantic: 'deny_on_first_deny' },
    evaluations: [
      { action: { name: 'GET' }, resource: route('/todos') },
      { action: { name: 'GET' }, resource: route('/todos/{todoId}') },
      { action: { name: 'POST' }, resource: route('/todos') },
      { action: { name: 'PUT' }, resource: route('/todos/{todoId}') },
    ],
  });
  addB('permit_on_first_permit: jerry POST, PUT, DELETE, GET -> GET is the first permit', {
    subject: subj(byName.jerry),
    options: { evaluations_semantic: 'permit_on_first_permit' },
    evaluations: [
      { action: { name: 'POST' }, resource: route('/todos') },
      { action: { name: 'PUT' }, resource: route('/todos/{todoId}') },
      { action: { name: 'DELETE' }, resource: route('/todos/{todoId}') },
      { action: { name: 'GET' }, resource: route('/todos') },
    ],
  });
  addB('permit_on_first_permit: first item permits -> one decision', {
    subject: subj(byName.rick),
    action: { name: 'DELETE' },
    options: { evaluations_semantic: 'permit_on_first_permit' },
    evaluations: [{ resource: route('/todos/{todoId}') }, { resource: route('/users/{userId}') }],
  });
  return { evaluation, evaluations };
}

// ================================================================ document.json
function documentTable() {
  const decide = ({ subject, action, resource }) => documentRule(subject, action.name, resource);
  const alice = { type: 'user', id: 'alice', properties: { department: 'eng', clearance: 3 } };
  const bob = { type: 'user', id: 'bob', properties: { department: 'eng', clearance: 1 } };
  const carol = { type: 'user', id: 'carol', properties: { department: 'sales', clearance: 5 } };
  const dave = { type: 'user', id: 'dave', properties: { department: 'eng', 'cerbos.roles': ['editor'] } };
  const erin = { type: 'user', id: 'erin', properties: { 'cerbos.roles': ['admin'] } };
  const plain = { type: 'user', id: 'frank' };
  const doc = (id, properties) => ({ type: 'document', id, properties });
  const d1 = doc('d1', { owner: 'alice', department: 'eng', classification: 2, viewers: ['frank'] });
  const d2 = doc('d2', { owner: 'carol', department: 'sales', classification: 4, public: true });
  const d3 = doc('d3', { owner: 'alice', department: 'eng', classification: 1, locked: true });
  const d4 = doc('d4', {});
  const evaluation = [];
  const add = (name, request) => evaluation.push({ name, request, expected: decide(request) });
  for (const s of [alice, bob, carol, dave, erin, plain]) {
    for (const d of [d1, d2, d3, d4]) {
      for (const a of ['read', 'edit', 'share', 'delete']) add(`${s.id} ${a} ${d.id}`, { subject: s, action: { name: a }, resource: d });
    }
  }
  add('admin role given as a non-"cerbos.roles" property has no effect', { subject: { type: 'user', id: 'gina', properties: { roles: ['admin'] } }, action: { name: 'delete' }, resource: d4 });
  add('subject type "admin" acts as role admin when no cerbos.roles', { subject: { type: 'admin', id: 'hank' }, action: { name: 'delete' }, resource: d4 });
  add('context does not change the decision', { subject: plain, action: { name: 'read' }, resource: d1, context: { 'cerbos.includeMeta': true, time: '2026-01-01T00:00:00Z' } });

  const evaluations = [];
  const addB = (name, request) => {
    checkBatchSafe(name, request);
    evaluations.push({ name, request, expected: batchExpected(request, decide) });
  };
  addB('execute_all: bob on every document', { subject: bob, action: { name: 'read' }, evaluations: [d1, d2, d3, d4].map((resource) => ({ resource })) });
  addB('deny_on_first_deny: alice actions on d3 (locked)', {
    subject: alice,
    resource: d3,
    options: { evaluations_semantic: 'deny_on_first_deny' },
    evaluations: ['read', 'share', 'edit', 'delete'].map((name) => ({ action: { name } })),
  });
  addB('permit_on_first_permit: who may edit d1', {
    action: { name: 'edit' },
    resource: d1,
    options: { evaluations_semantic: 'permit_on_first_permit' },
    evaluations: [bob, carol, plain, dave, alice].map((subject) => ({ subject })),
  });
  return { evaluation, evaluations };
}

// ---------------------------------------------------------------- write / check
const tables = { 'todo.json': todoTable(), 'gateway.json': gatewayTable(), 'document.json': documentTable() };
let stale = false;
for (const [file, t] of Object.entries(tables)) {
  const text = JSON.stringify(t, null, 2) + '\n';
  const p = path.join(here, file);
  const single = t.evaluation.length;
  const trues = t.evaluation.filter((e) => e.expected).length;
  const inner = t.evaluations.reduce((n, e) => n + e.expected.length, 0);
  const summary = `${file}: ${single} single (${trues} true / ${single - trues} false), ${t.evaluations.length} batch (${inner} decisions)`;
  if (process.argv.includes('--check')) {
    const cur = fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : '';
    if (cur !== text) {
      stale = true;
      console.log(`STALE ${summary}`);
    } else console.log(`ok    ${summary}`);
  } else {
    fs.writeFileSync(p, text);
    console.log(`wrote ${summary}`);
  }
}
if (stale) process.exit(1);
