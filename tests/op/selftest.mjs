#!/usr/bin/env node
// Self-test of the test OpenID Provider: starts op.mjs as a child, reads its READY line and drives
// every feature the Rust tests rely on with plain fetch, a tiny cookie jar and manual redirects.
//
//   node tests/op/selftest.mjs [--verbose]
//
// Prints one line per check and exits non-zero on any failure.

import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OP = path.join(HERE, 'op.mjs');
const VERBOSE = process.argv.includes('--verbose');

// ---------------------------------------------------------------------------------------------
// Child process handling.

/** Starts op.mjs with stdin piped (as the Rust harness does) and resolves with {child, ready}. */
function startOp(extraArgs = []) {
  const child = spawn(process.execPath, [OP, '--port', '0', ...extraArgs], {
    stdio: ['pipe', 'pipe', VERBOSE ? 'inherit' : 'ignore'],
  });
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no READY line within 10 s')), 10_000);
    child.once('exit', (code) => reject(new Error(`op.mjs exited early with ${code}`)));
    const lines = createInterface({ input: child.stdout });
    let seen = 0;
    lines.on('line', (line) => {
      seen += 1;
      if (seen > 1) {
        failures.push(`extra stdout line from op.mjs: ${line}`);
        return;
      }
      clearTimeout(timer);
      if (!line.startsWith('READY ')) {
        reject(new Error(`first stdout line is not READY: ${line}`));
        return;
      }
      resolve({ child, ready: JSON.parse(line.slice('READY '.length)), ms: performance.now() - t0 });
    });
  });
}

function waitExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Check runner.

let passed = 0;
let failed = 0;
const failures = [];

async function check(name, fn) {
  const t0 = performance.now();
  try {
    await fn();
    passed += 1;
    console.log(`ok   ${name} (${Math.round(performance.now() - t0)} ms)`);
  } catch (err) {
    failed += 1;
    console.log(`FAIL ${name}: ${err.stack ?? err}`);
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers: a cookie jar (name -> value; paths are ignored, which is fine for one provider)
// and a redirect follower that stops when it leaves the provider (i.e. reaches the redirect_uri).

class CookieJar {
  #cookies = new Map();

  store(response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [k, v] = a.trim().split('=');
        return (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now())
          || (k.toLowerCase() === 'max-age' && Number(v) <= 0);
      });
      if (expired || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header() {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  names() {
    return [...this.#cookies.keys()];
  }
}

async function request(url, { jar, method = 'GET', headers = {}, form, json } = {}) {
  const h = { ...headers };
  if (jar) h.cookie = jar.header();
  let body;
  if (form) {
    body = new URLSearchParams(form).toString();
    h['content-type'] = 'application/x-www-form-urlencoded';
  } else if (json) {
    body = JSON.stringify(json);
    h['content-type'] = 'application/json';
  }
  const res = await fetch(url, { method, headers: h, body, redirect: 'manual' });
  jar?.store(res);
  return res;
}

/** GETs `url` and follows 302/303 on the issuer's origin; returns the first URL off the issuer. */
async function browse(url, jar, issuer, maxHops = 10) {
  const hops = [];
  let current = url;
  for (let i = 0; i < maxHops; i += 1) {
    const res = await request(current, { jar });
    hops.push(`${res.status} ${new URL(current).pathname}`);
    if (![302, 303].includes(res.status)) {
      const text = await res.text();
      throw new Error(`hop ${i + 1} ${current} answered ${res.status}: ${text.slice(0, 300)}`);
    }
    await res.arrayBuffer().catch(() => {});
    const next = new URL(res.headers.get('location'), current);
    if (next.origin !== new URL(issuer).origin) return { url: next, hops };
    current = next.href;
  }
  throw new Error(`more than ${maxHops} redirects: ${hops.join(' -> ')}`);
}

function pkcePair() {
  const verifier = crypto.randomBytes(32).toString('base64url');
  return { verifier, challenge: crypto.hash('sha256', verifier, 'base64url') };
}

function b64json(part) {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

function decodeJwt(jwt) {
  const [h, p] = jwt.split('.');
  return { header: b64json(h), payload: b64json(p) };
}

/** Verifies an RS256 JWT against a JWKS; returns the payload. */
function verifyJwt(jwt, jwks) {
  const [h, p, s] = jwt.split('.');
  const header = b64json(h);
  assert.equal(header.alg, 'RS256');
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk, `kid ${header.kid} not in JWKS [${jwks.keys.map((k) => k.kid)}]`);
  const ok = crypto.verify('sha256', Buffer.from(`${h}.${p}`), crypto.createPublicKey({ key: jwk, format: 'jwk' }), Buffer.from(s, 'base64url'));
  assert.ok(ok, 'bad signature');
  return b64json(p);
}

async function json(res, expectedStatus = 200) {
  const text = await res.text();
  assert.equal(res.status, expectedStatus, `HTTP ${res.status}: ${text}`);
  return JSON.parse(text);
}

// ---------------------------------------------------------------------------------------------
// OP-specific helpers.

let op; // READY object
let jwksCache;

function basic(clientId, secret) {
  return { authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}` };
}

/** Token endpoint request authenticated as the client's registered method. */
async function tokenRequest(clientId, form, endpoint = op.endpoints.token) {
  const client = op.clients[clientId];
  const body = { ...form };
  let headers = {};
  switch (client.token_endpoint_auth_method) {
    case 'client_secret_basic': headers = basic(clientId, client.client_secret); break;
    case 'client_secret_post': Object.assign(body, { client_id: clientId, client_secret: client.client_secret }); break;
    default: body.client_id = clientId;
  }
  return request(endpoint, { method: 'POST', headers, form: body });
}

function authorizeUrl(clientId, extra = {}) {
  const url = new URL(op.endpoints.authorization);
  for (const [k, v] of Object.entries({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: op.clients[clientId].redirect_uris[0],
    scope: 'openid profile email organizations offline_access',
    ...Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined)),
  })) url.searchParams.set(k, v);
  return url;
}

/** Full browserless code flow; returns {tokens, idToken, jar, hops, state, nonce}. */
async function codeFlow(clientId, { loginHint, scope, prompt, jar = new CookieJar(), redirectUri, extra = {} } = {}) {
  const { verifier, challenge } = pkcePair();
  const state = crypto.randomBytes(8).toString('hex');
  const nonce = crypto.randomBytes(8).toString('hex');
  redirectUri ??= op.clients[clientId].redirect_uris[0];
  const { url, hops } = await browse(authorizeUrl(clientId, {
    state, nonce, code_challenge: challenge, code_challenge_method: 'S256',
    login_hint: loginHint, scope, prompt, redirect_uri: redirectUri, ...extra,
  }), jar, op.issuer);
  assert.equal(`${url.origin}${url.pathname}`, redirectUri);
  assert.equal(url.searchParams.get('error'), null, `error ${url.searchParams.get('error')}: ${url.searchParams.get('error_description')}`);
  assert.equal(url.searchParams.get('state'), state);
  assert.equal(url.searchParams.get('iss'), op.issuer);
  const code = url.searchParams.get('code');
  assert.ok(code);
  const tokens = await json(await tokenRequest(clientId, {
    grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier,
  }));
  const idToken = verifyJwt(tokens.id_token, jwksCache);
  assert.equal(idToken.iss, op.issuer);
  assert.equal(idToken.aud, clientId);
  assert.equal(idToken.nonce, nonce);
  return { tokens, idToken, jar, hops, state, nonce };
}

async function refresh(clientId, refreshToken) {
  return tokenRequest(clientId, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

async function introspect(token, as = 'conf-basic') {
  return json(await tokenRequest(as, { token }, op.endpoints.introspection));
}

async function stats() {
  return json(await request(`${op.issuer}/__test/stats`));
}

async function fetchJwks() {
  return json(await request(op.endpoints.jwks));
}

// ---------------------------------------------------------------------------------------------
// The checks.

const started = await startOp();
op = started.ready;
const { child } = started;
console.log(`op.mjs READY in ${Math.round(started.ms)} ms (startup_ms ${op.startup_ms}, key cache hit: ${op.key_cache_hit}) at ${op.issuer}`);

try {
  await check('READY line', async () => {
    assert.match(op.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(op.issuer, `http://127.0.0.1:${op.port}`);
    for (const id of ['conf-basic', 'conf-post', 'public', 'service']) assert.ok(op.clients[id], id);
    assert.ok(op.clients['conf-basic'].client_secret.length >= 32);
    assert.equal(op.clients.public.client_secret, null);
    for (const sub of ['usr_alice', 'usr_bob', 'usr_carol']) assert.ok(op.accounts[sub], sub);
    assert.equal(op.watch_stdin, true);
  });

  // A second OP, in parallel with the checks below (it mostly waits for a token to expire): short
  // TTLs, fresh keys, then stdin EOF must stop it.
  const secondOp = check('second OP: --access-token-ttl 2 expires on time (clockTolerance 0); exits when stdin closes', async () => {
    const second = await startOp(['--access-token-ttl', '2', '--id-token-ttl', '3', '--keys', 'none']);
    try {
      const o = second.ready;
      assert.notEqual(o.port, op.port);
      assert.equal(o.key_cache, null);
      assert.deepEqual(o.ttl, { access_token: 2, client_credentials: 2, id_token: 3, refresh_token: 1209600 });
      const cred = { authorization: basic('service', o.clients.service.client_secret).authorization };
      const tok = await json(await request(`${o.issuer}/token`, { method: 'POST', headers: cred, form: { grant_type: 'client_credentials', scope: 'projects:read' } }));
      assert.equal(tok.expires_in, 2);
      const intro = (t) => request(`${o.issuer}/token/introspection`, { method: 'POST', headers: cred, form: { token: t } }).then((r) => json(r));
      const live = await intro(tok.access_token);
      assert.equal(live.active, true);
      // exp is in whole seconds: a TTL of N s lives between N-1 and N s. Wait until just past exp.
      await new Promise((r) => { setTimeout(r, Math.max(0, live.exp * 1000 - Date.now()) + 50); });
      assert.equal((await intro(tok.access_token)).active, false);
    } finally {
      second.child.stdin.end();
    }
    assert.ok(await waitExit(second.child, 3000), 'child did not exit after stdin closed');
    assert.equal(second.child.exitCode, 0);
  });

  await check('discovery', async () => {
    const d = await json(await request(op.discovery));
    assert.equal(d.issuer, op.issuer);
    for (const s of ['openid', 'profile', 'email', 'offline_access', 'organizations', 'projects:read', 'users:read']) {
      assert.ok(d.scopes_supported.includes(s), `scopes_supported lacks ${s}`);
    }
    assert.deepEqual(d.code_challenge_methods_supported, ['S256']);
    assert.equal(d.authorization_endpoint, op.endpoints.authorization);
    assert.equal(d.token_endpoint, op.endpoints.token);
    assert.equal(d.userinfo_endpoint, op.endpoints.userinfo);
    assert.equal(d.jwks_uri, op.endpoints.jwks);
    assert.equal(d.introspection_endpoint, op.endpoints.introspection);
    assert.equal(d.revocation_endpoint, op.endpoints.revocation);
    assert.equal(d.end_session_endpoint, op.endpoints.end_session);
    assert.equal(d.authorization_response_iss_parameter_supported, true);
    assert.ok(d.grant_types_supported.includes('client_credentials'));
    assert.ok(d.grant_types_supported.includes('refresh_token'));
    jwksCache = await fetchJwks();
    assert.deepEqual(jwksCache.keys.map((k) => k.kid), [op.kid]);
    assert.equal(jwksCache.keys[0].d, undefined, 'JWKS leaks the private key');
  });

  let alice;
  await check('code flow + PKCE, conf-basic (client_secret_basic), usr_alice', async () => {
    alice = await codeFlow('conf-basic', { loginHint: 'usr_alice' });
    if (VERBOSE) console.log(`     hops: ${alice.hops.join(' -> ')}; cookies: ${alice.jar.names()}`);
    assert.equal(alice.hops.length, 3, alice.hops.join(' -> '));
    const { tokens, idToken } = alice;
    assert.equal(tokens.token_type, 'Bearer');
    assert.equal(tokens.expires_in, op.ttl.access_token);
    assert.ok(tokens.refresh_token, 'offline_access without prompt: refresh token expected (rewrite)');
    assert.equal(tokens.scope, 'openid profile email organizations offline_access');
    assert.equal(idToken.sub, 'usr_alice');
    assert.equal(idToken.email, 'alice@example.com');
    assert.equal(idToken.email_verified, true);
    assert.equal(idToken.name, 'Alice Example');
    assert.deepEqual(idToken.organizations, op.accounts.usr_alice.organizations);
    assert.equal(idToken.organizations[0].scopes[2], 'projects:**');
    assert.equal(idToken.exp - idToken.iat, op.ttl.id_token);
  });

  await check('code flow + PKCE, conf-post (client_secret_post), usr_bob by email hint', async () => {
    const { tokens, idToken } = await codeFlow('conf-post', { loginHint: 'bob@example.com' });
    assert.equal(idToken.sub, 'usr_bob');
    assert.equal(idToken.email_verified, false);
    assert.equal(idToken.organizations.length, 1);
    assert.ok(tokens.refresh_token);
  });

  await check('code flow + PKCE, public (none), usr_carol, no offline_access => no refresh token', async () => {
    const { tokens, idToken } = await codeFlow('public', { loginHint: 'usr_carol', scope: 'openid email organizations' });
    assert.equal(idToken.sub, 'usr_carol');
    assert.deepEqual(idToken.organizations, []);
    assert.equal(idToken.name, undefined, 'profile not requested');
    assert.equal(tokens.refresh_token, undefined);
  });

  await check('no login_hint => usr_alice; offline_access + prompt=consent => refresh token', async () => {
    const { tokens, idToken } = await codeFlow('public', { prompt: 'consent' });
    assert.equal(idToken.sub, 'usr_alice');
    assert.ok(tokens.refresh_token);
  });

  await check('offline_access + prompt=login (no consent) => dropped, no refresh token (real rule)', async () => {
    const { tokens } = await codeFlow('public', { prompt: 'login' });
    assert.equal(tokens.refresh_token, undefined);
    assert.equal(tokens.scope.includes('offline_access'), false);
  });

  await check('same cookie jar: SSO keeps the session user, login_hint switches user', async () => {
    const jar = new CookieJar();
    // max_age makes the ID token carry auth_time (it has none by default).
    const extra = { max_age: '3600' };
    const first = await codeFlow('conf-basic', { loginHint: 'usr_bob', jar, extra });
    assert.equal(first.idToken.sub, 'usr_bob');
    assert.ok(first.idToken.auth_time);
    await new Promise((r) => { setTimeout(r, 1000); });
    const again = await codeFlow('conf-basic', { jar, extra });
    assert.equal(again.idToken.sub, 'usr_bob');
    assert.equal(again.idToken.auth_time, first.idToken.auth_time, 'no new login expected');
    const relogin = await codeFlow('conf-basic', { jar, extra, prompt: 'login' });
    assert.ok(relogin.idToken.auth_time > first.idToken.auth_time, 'prompt=login => new login');
    const other = await codeFlow('conf-basic', { loginHint: 'usr_carol', jar });
    assert.equal(other.idToken.sub, 'usr_carol');
    assert.equal(other.hops.length, 3, other.hops.join(' -> '));
    // The switch logged usr_bob's session out: his grant without offline_access is revoked.
    const bobOnline = await codeFlow('conf-basic', { loginHint: 'usr_bob', jar, scope: 'openid email' });
    assert.equal((await introspect(bobOnline.tokens.access_token)).active, true);
    await codeFlow('conf-basic', { loginHint: 'usr_alice', jar });
    assert.equal((await introspect(bobOnline.tokens.access_token)).active, false);
    assert.equal((await introspect(first.tokens.access_token)).active, true, 'offline_access grant persists');
  });

  await check('native client: any loopback port accepted for redirect_uri', async () => {
    const { idToken } = await codeFlow('public', { redirectUri: 'http://127.0.0.1:54321/callback' });
    assert.equal(idToken.sub, 'usr_alice');
    const { idToken: id2 } = await codeFlow('conf-basic', { redirectUri: 'http://127.0.0.1:1/callback' });
    assert.equal(id2.sub, 'usr_alice');
  });

  await check('redirect_uri: localhost (vs registered 127.0.0.1) and other path rejected', async () => {
    for (const uri of ['http://localhost:8976/callback', 'http://127.0.0.1:8976/other']) {
      const res = await request(authorizeUrl('public', { redirect_uri: uri, code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }));
      assert.equal(res.status, 400, uri);
      assert.match(await res.text(), /invalid_redirect_uri/);
    }
  });

  await check('PKCE required: no code_challenge => error on redirect_uri', async () => {
    const { url } = await browse(authorizeUrl('conf-basic', { state: 's1' }), new CookieJar(), op.issuer);
    assert.equal(url.searchParams.get('error'), 'invalid_request');
    assert.match(url.searchParams.get('error_description'), /PKCE/);
    assert.equal(url.searchParams.get('state'), 's1');
    assert.equal(url.searchParams.get('iss'), op.issuer);
  });

  await check('PKCE: wrong code_verifier => invalid_grant', async () => {
    const { challenge } = pkcePair();
    const { url } = await browse(authorizeUrl('public', { code_challenge: challenge, code_challenge_method: 'S256' }), new CookieJar(), op.issuer);
    const body = await json(await tokenRequest('public', {
      grant_type: 'authorization_code', code: url.searchParams.get('code'), redirect_uri: REDIRECT(), code_verifier: pkcePair().verifier,
    }), 400);
    assert.equal(body.error, 'invalid_grant');
  });

  await check('login_hint error:* => redirect_uri?error=..&error_description=..&state=..&iss=..', async () => {
    for (const error of ['login_required', 'consent_required', 'interaction_required', 'access_denied']) {
      const { url, hops } = await browse(authorizeUrl('conf-basic', {
        state: `st-${error}`, login_hint: `error:${error}`, code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
      }), new CookieJar(), op.issuer);
      assert.equal(`${url.origin}${url.pathname}`, REDIRECT());
      assert.equal(url.searchParams.get('error'), error);
      assert.ok(url.searchParams.get('error_description'));
      assert.equal(url.searchParams.get('state'), `st-${error}`);
      assert.equal(url.searchParams.get('iss'), op.issuer);
      assert.equal(url.searchParams.get('code'), null);
      assert.equal(hops.length, 3);
    }
    const { url } = await browse(authorizeUrl('public', {
      login_hint: 'usr_nobody', code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
    }), new CookieJar(), op.issuer);
    assert.equal(url.searchParams.get('error'), 'access_denied');
  });

  await check('prompt=none with a native client => interaction_required (oidc-provider rule)', async () => {
    const { url } = await browse(authorizeUrl('conf-basic', {
      prompt: 'none', scope: 'openid', code_challenge: pkcePair().challenge, code_challenge_method: 'S256',
    }), alice.jar, op.issuer);
    assert.equal(url.searchParams.get('error'), 'interaction_required');
  });

  await check('userinfo', async () => {
    const body = await json(await request(op.endpoints.userinfo, { headers: { authorization: `Bearer ${alice.tokens.access_token}` } }));
    assert.equal(body.sub, 'usr_alice');
    assert.equal(body.email, 'alice@example.com');
    assert.equal(body.email_verified, true);
    assert.equal(body.name, 'Alice Example');
    assert.deepEqual(body.organizations, op.accounts.usr_alice.organizations);
    const bad = await request(op.endpoints.userinfo, { headers: { authorization: 'Bearer nope' } });
    assert.equal(bad.status, 401);
    assert.match(bad.headers.get('www-authenticate'), /invalid_token/);
  });

  await check('refresh with rotation; reusing the rotated-out token fails and revokes the grant', async () => {
    const flow = await codeFlow('conf-post', { loginHint: 'usr_alice' });
    const rt1 = flow.tokens.refresh_token;
    const r2 = await json(await refresh('conf-post', rt1));
    assert.ok(r2.refresh_token && r2.refresh_token !== rt1, 'rotation expected');
    assert.ok(r2.access_token && r2.access_token !== flow.tokens.access_token);
    const id2 = verifyJwt(r2.id_token, jwksCache);
    assert.equal(id2.sub, 'usr_alice');
    assert.equal(id2.nonce, flow.nonce, 'refreshed ID token keeps the nonce');
    assert.deepEqual(id2.organizations, op.accounts.usr_alice.organizations);
    const r3 = await json(await refresh('conf-post', r2.refresh_token));
    assert.ok(r3.refresh_token);
    // Reuse of rt1 (already rotated out): invalid_grant, and the whole grant is revoked.
    const reuse = await json(await refresh('conf-post', rt1), 400);
    assert.equal(reuse.error, 'invalid_grant');
    const after = await json(await refresh('conf-post', r3.refresh_token), 400);
    assert.equal(after.error, 'invalid_grant');
    assert.equal((await introspect(r3.access_token)).active, false);
  });

  await check('refresh: public client (no secret) rotates too', async () => {
    const { tokens } = await codeFlow('public', { loginHint: 'usr_bob' });
    const r = await json(await refresh('public', tokens.refresh_token));
    assert.ok(r.refresh_token && r.refresh_token !== tokens.refresh_token);
    assert.equal(verifyJwt(r.id_token, jwksCache).sub, 'usr_bob');
  });

  await check('revoke access token, then introspect => active:false', async () => {
    const { tokens } = await codeFlow('conf-basic', { loginHint: 'usr_carol' });
    const live = await introspect(tokens.access_token);
    assert.equal(live.active, true);
    assert.equal(live.sub, 'usr_carol');
    assert.equal(live.client_id, 'conf-basic');
    assert.equal(live.token_type, 'Bearer');
    const rev = await tokenRequest('conf-basic', { token: tokens.access_token, token_type_hint: 'access_token' }, op.endpoints.revocation);
    assert.equal(rev.status, 200);
    assert.deepEqual(await introspect(tokens.access_token), { active: false });
    // oidc-provider revokes every token of the grant on revocation: the refresh token is dead too.
    assert.equal((await introspect(tokens.refresh_token)).active, false);
    assert.equal((await json(await refresh('conf-basic', tokens.refresh_token), 400)).error, 'invalid_grant');
    // Revoking a refresh token kills the access tokens of the grant as well.
    const other = await codeFlow('conf-basic', { loginHint: 'usr_carol' });
    assert.equal((await introspect(other.tokens.access_token)).active, true);
    const rev2 = await tokenRequest('conf-basic', { token: other.tokens.refresh_token, token_type_hint: 'refresh_token' }, op.endpoints.revocation);
    assert.equal(rev2.status, 200);
    assert.equal((await introspect(other.tokens.refresh_token)).active, false);
    assert.equal((await introspect(other.tokens.access_token)).active, false);
    // Unknown tokens: 200 (RFC 7009), introspection inactive.
    assert.equal((await tokenRequest('conf-basic', { token: 'nope' }, op.endpoints.revocation)).status, 200);
    assert.deepEqual(await introspect('nope'), { active: false });
  });

  await check('client credentials: service, scope=projects:read users:read, no resource', async () => {
    const body = await json(await tokenRequest('service', { grant_type: 'client_credentials', scope: 'projects:read users:read' }));
    assert.equal(body.scope, 'projects:read users:read');
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, op.ttl.client_credentials);
    assert.equal(body.refresh_token, undefined);
    assert.equal(body.access_token.split('.').length, 1, 'opaque token expected');
    const info = await introspect(body.access_token, 'service');
    assert.equal(info.active, true);
    assert.equal(info.client_id, 'service');
    assert.equal(info.scope, 'projects:read users:read');
    assert.equal(info.aud, 'urn:idpkit:api');
    assert.equal(info.sub, undefined);
    const one = await json(await tokenRequest('service', { grant_type: 'client_credentials', scope: 'projects:read' }));
    assert.equal(one.scope, 'projects:read');
    const none = await json(await tokenRequest('service', { grant_type: 'client_credentials' }));
    assert.equal(none.scope, undefined);
  });

  await check('client credentials: JWT access token via resource=urn:idpkit:api:jwt; bad scope/client', async () => {
    const body = await json(await tokenRequest('service', { grant_type: 'client_credentials', scope: 'projects:read users:read', resource: 'urn:idpkit:api:jwt' }));
    const at = verifyJwt(body.access_token, jwksCache);
    assert.equal(decodeJwt(body.access_token).header.typ, 'at+jwt');
    assert.equal(at.aud, 'urn:idpkit:api:jwt');
    assert.equal(at.scope, 'projects:read users:read');
    assert.equal(at.client_id, 'service');
    const badScope = await json(await tokenRequest('service', { grant_type: 'client_credentials', scope: 'openid' }), 400);
    assert.equal(badScope.error, 'invalid_scope');
    const badResource = await json(await tokenRequest('service', { grant_type: 'client_credentials', scope: 'projects:read', resource: 'urn:nope' }), 400);
    assert.equal(badResource.error, 'invalid_target');
    const notAllowed = await json(await tokenRequest('conf-basic', { grant_type: 'client_credentials', scope: 'projects:read' }), 400);
    assert.equal(notAllowed.error, 'invalid_request');
    assert.match(notAllowed.error_description, /grant type is not allowed/);
    const badSecret = await json(await request(op.endpoints.token, {
      method: 'POST', headers: basic('service', 'wrong'), form: { grant_type: 'client_credentials' },
    }), 401);
    assert.equal(badSecret.error, 'invalid_client');
  });

  await check('stats count token requests by grant_type, jwks, userinfo, introspection, revocation', async () => {
    await json(await request(`${op.issuer}/__test/reset-stats`, { method: 'POST' }));
    const zero = await stats();
    assert.equal(zero.token.refresh_token, 0);
    const { tokens } = await codeFlow('conf-basic'); // 1 authorization_code
    const r = await json(await refresh('conf-basic', tokens.refresh_token)); // 1 refresh_token
    await json(await refresh('conf-basic', tokens.refresh_token), 400); // 1 refresh_token (error)
    await json(await tokenRequest('service', { grant_type: 'client_credentials', scope: 'projects:read' })); // 1 cc
    await fetchJwks();
    await fetchJwks();
    await request(op.endpoints.userinfo, { headers: { authorization: `Bearer ${r.access_token}` } });
    await introspect(r.access_token);
    await tokenRequest('conf-basic', { token: r.access_token }, op.endpoints.revocation);
    const s = await stats();
    assert.deepEqual(s.token, { authorization_code: 1, refresh_token: 2, client_credentials: 1, other: 0 });
    assert.deepEqual(s.token_errors, { authorization_code: 0, refresh_token: 1, client_credentials: 0, other: 0 });
    assert.equal(s.jwks, 2);
    assert.equal(s.userinfo, 1);
    assert.equal(s.introspection, 1);
    assert.equal(s.revocation, 1);
    assert.equal(s.authorization, 1);
  });

  let preRotation;
  await check('key rotation: new kid signs, JWKS publishes new + old, sessions and tokens survive', async () => {
    preRotation = await codeFlow('conf-basic', { loginHint: 'usr_bob' });
    const before = await fetchJwks();
    const oldKid = before.keys[0].kid;
    const rot = await json(await request(`${op.issuer}/__test/rotate-keys`, { method: 'POST' }));
    assert.notEqual(rot.kid, oldKid);
    assert.deepEqual(rot.kids, [rot.kid, oldKid]);
    assert.ok(!before.keys.some((k) => k.kid === rot.kid), 'cached JWKS must not know the new kid');
    // A new ID token is signed with the new key: unknown to the cached JWKS, known after refetch.
    const jar = new CookieJar();
    const { verifier, challenge } = pkcePair();
    const { url } = await browse(authorizeUrl('public', { code_challenge: challenge, code_challenge_method: 'S256' }), jar, op.issuer);
    const tokens = await json(await tokenRequest('public', {
      grant_type: 'authorization_code', code: url.searchParams.get('code'), redirect_uri: REDIRECT(), code_verifier: verifier,
    }));
    assert.equal(decodeJwt(tokens.id_token).header.kid, rot.kid);
    assert.throws(() => verifyJwt(tokens.id_token, before), /not in JWKS/);
    const after = await fetchJwks();
    assert.deepEqual(after.keys.map((k) => k.kid), [rot.kid, oldKid]);
    verifyJwt(tokens.id_token, after);
    verifyJwt(preRotation.tokens.id_token, after); // old tokens still verify
    jwksCache = after;
    // Storage survived the rebuild: the pre-rotation refresh token and session still work.
    const r = await json(await refresh('conf-basic', preRotation.tokens.refresh_token));
    assert.equal(decodeJwt(r.id_token).header.kid, rot.kid);
    preRotation.tokens = r;
    const again = await codeFlow('conf-basic', { jar: preRotation.jar });
    assert.equal(again.idToken.sub, 'usr_bob', 'session cookie still valid after rotation');
    const keys = await json(await request(`${op.issuer}/__test/keys`));
    assert.deepEqual(keys, { kid: rot.kid, kids: [rot.kid, oldKid] });
  });

  await check('key rotation with {"keep_old": false}: only the new key is published', async () => {
    const rot = await json(await request(`${op.issuer}/__test/rotate-keys`, { method: 'POST', json: { keep_old: false } }));
    assert.deepEqual(rot.kids, [rot.kid]);
    jwksCache = await fetchJwks();
    assert.deepEqual(jwksCache.keys.map((k) => k.kid), [rot.kid]);
    const { tokens } = await codeFlow('conf-post');
    assert.equal(decodeJwt(tokens.id_token).header.kid, rot.kid);
    // An ID token signed with a retired key is no longer a valid id_token_hint.
    assert.notEqual(decodeJwt(preRotation.tokens.id_token).header.kid, rot.kid);
    const hint = await request(`${op.endpoints.end_session}?id_token_hint=${preRotation.tokens.id_token}`);
    assert.equal(hint.status, 400);
    assert.match(await hint.text(), /could not validate id_token_hint/);
  });

  await check('RP-initiated logout: GET /session/end, POST confirm with xsrf => post_logout_redirect_uri?state', async () => {
    const flow = await codeFlow('conf-basic', { loginHint: 'usr_alice' });
    const endUrl = new URL(op.endpoints.end_session);
    endUrl.searchParams.set('id_token_hint', flow.tokens.id_token);
    endUrl.searchParams.set('post_logout_redirect_uri', 'http://127.0.0.1:8976/logged-out');
    endUrl.searchParams.set('state', 'bye');
    endUrl.searchParams.set('client_id', 'conf-basic');
    const page = await request(endUrl, { jar: flow.jar });
    assert.equal(page.status, 200);
    const html = await page.text();
    const xsrf = html.match(/name="xsrf" value="([^"]+)"/)?.[1];
    assert.ok(xsrf, `no xsrf in ${html.slice(0, 300)}`);
    assert.match(html, /action="[^"]*\/session\/end\/confirm"/);
    const done = await request(`${op.issuer}/session/end/confirm`, { jar: flow.jar, method: 'POST', form: { xsrf, logout: 'yes' } });
    assert.equal(done.status, 303);
    assert.equal(done.headers.get('location'), 'http://127.0.0.1:8976/logged-out?state=bye');
    // offline_access grants persist logout: the refresh token still works ...
    assert.ok((await json(await refresh('conf-basic', flow.tokens.refresh_token))).access_token);
    // ... while grants without offline_access are revoked by the logout.
    const jar = new CookieJar();
    const online = await codeFlow('conf-basic', { jar, scope: 'openid email' });
    assert.equal((await introspect(online.tokens.access_token)).active, true);
    const page2 = await request(`${op.endpoints.end_session}?client_id=conf-basic`, { jar });
    const xsrf2 = (await page2.text()).match(/name="xsrf" value="([^"]+)"/)[1];
    const done2 = await request(`${op.issuer}/session/end/confirm`, { jar, method: 'POST', form: { xsrf: xsrf2, logout: 'yes' } });
    assert.equal(done2.status, 303);
    assert.equal(new URL(done2.headers.get('location')).pathname, '/session/end/success');
    assert.equal((await introspect(online.tokens.access_token)).active, false);
    // The session cookie is cleared; the next authorization logs in again.
    assert.ok(!flow.jar.names().includes('_session'), `cookies left: ${flow.jar.names()}`);
    const next = await codeFlow('conf-basic', { jar: flow.jar, loginHint: 'usr_bob' });
    assert.equal(next.idToken.sub, 'usr_bob');
  });

  await check('RP-initiated logout: loopback port variant accepted, unregistered URI rejected, missing xsrf rejected', async () => {
    const flow = await codeFlow('public');
    const mk = (uri) => {
      const u = new URL(op.endpoints.end_session);
      u.searchParams.set('id_token_hint', flow.tokens.id_token);
      u.searchParams.set('post_logout_redirect_uri', uri);
      return u;
    };
    assert.equal((await request(mk('http://127.0.0.1:40000/logged-out'), { jar: flow.jar })).status, 200);
    const bad = await request(mk('http://127.0.0.1:8976/elsewhere'), { jar: flow.jar });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /post_logout_redirect_uri not registered/);
    const noXsrf = await request(`${op.issuer}/session/end/confirm`, { jar: flow.jar, method: 'POST', form: { logout: 'yes' } });
    assert.equal(noXsrf.status, 400);
  });

  await check('interaction without the cookies of the first hop => 400', async () => {
    const { challenge } = pkcePair();
    const res = await request(authorizeUrl('public', { code_challenge: challenge, code_challenge_method: 'S256' }));
    assert.equal(res.status, 303);
    const interaction = new URL(res.headers.get('location'), op.issuer);
    assert.match(interaction.pathname, /^\/interaction\/[\w-]+$/);
    const res2 = await request(interaction);
    assert.equal(res2.status, 400);
  });

  await secondOp; // started at the beginning, runs alongside the other checks

  await check('only one line on stdout', async () => {
    assert.deepEqual(failures, []);
  });
} finally {
  child.kill('SIGTERM');
  const exited = await waitExit(child, 3000);
  if (!exited) {
    child.kill('SIGKILL');
    failed += 1;
    console.log('FAIL op.mjs did not exit on SIGTERM within 3 s');
  } else {
    passed += 1;
    console.log('ok   op.mjs exits on SIGTERM');
  }
}

function REDIRECT() {
  return op.clients.public.redirect_uris[0];
}

console.log(`selftest: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
