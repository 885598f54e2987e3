#!/usr/bin/env node
// A crafting OpenID Provider for idpkit's RP certification tests: it plays the role the OpenID
// Foundation conformance suite plays for its relying-party test modules, a deliberately
// misbehaving provider on loopback. It answers what node-oidc-provider never would (an ID token
// without `iat`, with a broken signature, signed `none`, keys without `kid`, aggregated and
// distributed claims, WebFinger, keys rotated just before signing).
//
// Every test gets its own provider under a path of its own, like the suite's test alias:
// the issuer is `http://127.0.0.1:<port>/<alias>/<module>`, where `<module>` names the
// behaviour (the conformance module without its `oidcc-client-test-` prefix, e.g.
// `missing-iat`) and `<alias>` is anything without `/` or `.` (a test's unique name). Its state
// (keys, counters, codes) is created on first use and belongs to that issuer alone.
//
// Usage: node rp_cert.mjs [--port 0] [--host 127.0.0.1]
// Prints one line to stdout once listening: `READY {"base":"http://127.0.0.1:<port>",...}`.
// Exits on SIGTERM/SIGINT and when stdin (a pipe from the harness) closes.
//
// Endpoints below each issuer: `.well-known/openid-configuration`, `jwks` (or a random path
// for `discovery-jwks-uri-keys`), `authorize` (redirects at once with a code), `token`
// (client_secret_basic with CLIENT_SECRET, PKCE S256), `userinfo` (bearer in the header or in a
// form body), `cp/jwks` and `cp/claims` (a claims provider), and for the tests `__stats`
// (GET: counters) and `__rotate` (POST: a new signing key). WebFinger is at the root:
// `/.well-known/webfinger?resource=acct:<alias>.<module>@<host>` or `?resource=<issuer URL>`.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { parseArgs } from 'node:util';

import { SignJWT, exportJWK } from 'jose';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
  strict: true,
});

/** The secret of every client of every issuer (client_secret_basic, and the HS256 key). */
const CLIENT_SECRET = 'rp-cert-client-secret-0123456789abcdef';
const SUBJECT = 'user-subject-1234531';
const ISSUER_REL = 'http://openid.net/specs/connect/1.0/issuer';
const MODULES = new Set([
  'client-test', 'nonce-invalid', 'client-secret-basic', 'kid-absent-single-jwks',
  'kid-absent-multiple-jwks', 'missing-iat', 'missing-aud', 'invalid-aud', 'missing-sub',
  'invalid-iss', 'idtoken-sig-none', 'idtoken-sig-hs256', 'invalid-sig-rs256',
  'invalid-sig-es256', 'invalid-sig-hs256', 'userinfo-invalid-sub', 'aggregated-claims',
  'aggregated-claims-unsigned', 'distributed-claims', 'discovery-jwks-uri-keys',
  'discovery-issuer-mismatch', 'discovery-webfinger-acct', 'discovery-webfinger-url',
  'signing-key-rotation', 'signing-key-rotation-just-before-signing',
]);

// A small pool of key pairs made once (RSA generation is the slow part of start-up); an issuer
// takes its keys from it, and a rotation moves on to the next one with a new `kid`.
const generate = (type, options) => new Promise((resolve, reject) => {
  crypto.generateKeyPair(type, options, (err, publicKey, privateKey) => (
    err ? reject(err) : resolve({ publicKey, privateKey })));
});
const [RSA_POOL, EC_KEY] = await Promise.all([
  Promise.all([0, 1, 2].map(() => generate('rsa', { modulusLength: 2048 }))),
  generate('ec', { namedCurve: 'P-256' }),
]);
/** The claims provider's key: not in any issuer's JWKS. */
const CLAIMS_PROVIDER_KEY = RSA_POOL[2];

const b64u = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const random = () => crypto.randomBytes(12).toString('base64url');

const issuers = new Map(); // `/<alias>/<module>` -> state

function stateFor(alias, module) {
  const key = `/${alias}/${module}`;
  if (!issuers.has(key)) {
    const multiple = module === 'kid-absent-multiple-jwks';
    issuers.set(key, {
      alias,
      module,
      issuer: `${BASE}${key}`,
      generation: 0,
      keys: (multiple ? [RSA_POOL[0], RSA_POOL[1]] : [RSA_POOL[0]])
        .map((pair, i) => ({ ...pair, kid: `${alias}-k${i}` })),
      jwksPath: module === 'discovery-jwks-uri-keys' ? `jwks-${random()}` : 'jwks',
      codes: new Map(),
      tokens: new Set(),
      distributedToken: random(),
      // The order endpoints were called in, and how the client authenticated / sent its token.
      calls: [],
      tokenAuth: [],
      userinfoBearer: [],
      webfingerResources: [],
    });
  }
  return issuers.get(key);
}

function rotate(state) {
  state.generation += 1;
  const pair = RSA_POOL[state.generation % 2];
  state.keys = [{ ...pair, kid: `${state.alias}-k${state.generation}-rotated` }];
}

function signingAlg(module) {
  if (module === 'idtoken-sig-none') return 'none';
  if (module === 'invalid-sig-es256') return 'ES256';
  if (module === 'idtoken-sig-hs256' || module === 'invalid-sig-hs256') return 'HS256';
  return 'RS256';
}

function metadata(state) {
  const { issuer, module } = state;
  return {
    issuer: module === 'discovery-issuer-mismatch' ? `${issuer}-mismatch` : issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    userinfo_endpoint: `${issuer}/userinfo`,
    jwks_uri: `${issuer}/${state.jwksPath}`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [signingAlg(module)],
    token_endpoint_auth_methods_supported: ['client_secret_basic'],
    code_challenge_methods_supported: ['S256'],
    claims_parameter_supported: false,
    scopes_supported: ['openid', 'email', 'profile', 'address', 'phone'],
    authorization_response_iss_parameter_supported: true,
  };
}

async function jwks(state) {
  const withoutKid = state.module.startsWith('kid-absent');
  const keys = await Promise.all(state.keys.map(async ({ publicKey, kid }) => {
    const jwk = await exportJWK(publicKey);
    return withoutKid ? { ...jwk, use: 'sig' } : { ...jwk, kid, use: 'sig', alg: 'RS256' };
  }));
  if (state.module === 'invalid-sig-es256') {
    keys.push({ ...(await exportJWK(EC_KEY.publicKey)), kid: `${state.alias}-ec`, use: 'sig', alg: 'ES256' });
  }
  return { keys };
}

/** Signs `claims` the way the module wants, breaking the signature where it should be broken. */
async function signIdToken(state, claims) {
  const { module } = state;
  const alg = signingAlg(module);
  if (alg === 'none') return `${b64u({ alg: 'none', typ: 'JWT' })}.${b64u(claims)}.`;
  let key;
  const header = { alg, typ: 'JWT' };
  if (alg === 'HS256') {
    key = new TextEncoder().encode(CLIENT_SECRET);
  } else if (alg === 'ES256') {
    key = EC_KEY.privateKey;
    header.kid = `${state.alias}-ec`;
  } else {
    key = state.keys[0].privateKey;
    if (!module.startsWith('kid-absent')) header.kid = state.keys[0].kid;
  }
  const token = await new SignJWT(claims).setProtectedHeader(header).sign(key);
  if (!module.startsWith('invalid-sig')) return token;
  // Flip bits in the middle of the signature: still base64url, still the right length.
  const [h, p, s] = token.split('.');
  const sig = Buffer.from(s, 'base64url');
  sig[Math.floor(sig.length / 2)] ^= 0x5a;
  return `${h}.${p}.${sig.toString('base64url')}`;
}

function idTokenClaims(state, code) {
  const { module, issuer } = state;
  const claims = {
    iss: module === 'invalid-iss' ? `${issuer}/invalid` : issuer,
    sub: SUBJECT,
    aud: module === 'invalid-aud' ? `invalid-${code.client_id}` : code.client_id,
    iat: now(),
    exp: now() + 300,
  };
  if (code.nonce !== undefined) claims.nonce = module === 'nonce-invalid' ? `${code.nonce}-invalid` : code.nonce;
  if (module === 'missing-iat') delete claims.iat;
  if (module === 'missing-aud') delete claims.aud;
  if (module === 'missing-sub') delete claims.sub;
  return claims;
}

async function claimsProviderJwt(claims) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'cp-1', typ: 'JWT' })
    .sign(CLAIMS_PROVIDER_KEY.privateKey);
}

async function userinfo(state) {
  const { module, issuer } = state;
  const body = { sub: module === 'userinfo-invalid-sub' ? 'foobar' : SUBJECT, name: 'RP Cert User', email: 'rp@example.com' };
  if (module.startsWith('aggregated-claims')) {
    // OpenID Connect Core §5.6.2, example of aggregated claims.
    const claims = {
      iss: `${issuer}/cp`,
      address: { street_address: '1234 Hollywood Blvd.', locality: 'Los Angeles', region: 'CA', postal_code: '90210', country: 'US' },
      phone_number: '+1 (310) 123-4567',
    };
    const jwt = module === 'aggregated-claims-unsigned'
      ? `${b64u({ alg: 'none' })}.${b64u(claims)}.`
      : await claimsProviderJwt(claims);
    body._claim_names = { address: 'src1', phone_number: 'src1' };
    body._claim_sources = { src1: { JWT: jwt } };
  }
  if (module === 'distributed-claims') {
    body._claim_names = { credit_score: 'src1' };
    body._claim_sources = { src1: { endpoint: `${issuer}/cp/claims`, access_token: state.distributedToken } };
  }
  return body;
}

// ---------------------------------------------------------------------------------------------
// HTTP plumbing.

function send(res, status, body, type = 'application/json') {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(text);
}

const oauthError = (res, status, error, description) => send(res, status, { error, error_description: description });

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function bearer(req, form) {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return { token: auth.slice(7), how: 'header' };
  if (form?.has('access_token')) return { token: form.get('access_token'), how: 'body' };
  return {};
}

async function handleIssuer(state, rest, req, res, url) {
  state.calls.push(rest);
  const form = req.method === 'POST' && (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
    ? new URLSearchParams(await readBody(req)) : undefined;
  switch (rest) {
    case '.well-known/openid-configuration':
      return send(res, 200, metadata(state));
    case state.jwksPath:
      return send(res, 200, await jwks(state), 'application/jwk-set+json');
    case 'authorize': {
      const p = url.searchParams;
      const code = random();
      state.codes.set(code, {
        client_id: p.get('client_id'),
        redirect_uri: p.get('redirect_uri'),
        nonce: p.get('nonce') ?? undefined,
        challenge: p.get('code_challenge'),
      });
      const target = new URL(p.get('redirect_uri'));
      target.searchParams.set('code', code);
      if (p.has('state')) target.searchParams.set('state', p.get('state'));
      target.searchParams.set('iss', state.issuer);
      res.writeHead(303, { location: target.toString() });
      return res.end();
    }
    case 'token': {
      const auth = req.headers.authorization ?? '';
      state.tokenAuth.push(auth.startsWith('Basic ') ? 'client_secret_basic' : (form?.has('client_secret') ? 'client_secret_post' : 'none'));
      const [id, secret] = Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':').map(decodeURIComponent);
      const code = state.codes.get(form?.get('code'));
      if (!code || secret !== CLIENT_SECRET || id !== code.client_id) return oauthError(res, 401, 'invalid_client', 'client_secret_basic with the test secret is required');
      state.codes.delete(form.get('code'));
      const verifier = form.get('code_verifier') ?? '';
      if (crypto.createHash('sha256').update(verifier).digest('base64url') !== code.challenge) return oauthError(res, 400, 'invalid_grant', 'PKCE verification failed');
      if (state.module === 'signing-key-rotation-just-before-signing' && state.signed) rotate(state);
      state.signed = true;
      const accessToken = random();
      state.tokens.add(accessToken);
      const idToken = await signIdToken(state, idTokenClaims(state, code));
      return send(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 300, id_token: idToken, scope: 'openid' });
    }
    case 'userinfo': {
      const { token, how } = bearer(req, form);
      state.userinfoBearer.push(how ?? 'none');
      if (!state.tokens.has(token)) {
        res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' });
        return res.end();
      }
      return send(res, 200, await userinfo(state));
    }
    case 'cp/jwks':
      return send(res, 200, { keys: [{ ...(await exportJWK(CLAIMS_PROVIDER_KEY.publicKey)), kid: 'cp-1', use: 'sig', alg: 'RS256' }] });
    case 'cp/claims': {
      const { token } = bearer(req, form);
      if (token !== state.distributedToken) return oauthError(res, 401, 'invalid_token', 'not the distributed claims token');
      return send(res, 200, await claimsProviderJwt({ iss: `${state.issuer}/cp`, sub: SUBJECT, credit_score: 650 }), 'application/jwt');
    }
    case '__stats': {
      state.calls.pop();
      const { calls, tokenAuth, userinfoBearer, webfingerResources, keys } = state;
      return send(res, 200, { calls, token_auth: tokenAuth, userinfo_bearer: userinfoBearer, webfinger_resources: webfingerResources, kids: keys.map((k) => k.kid), jwks_path: state.jwksPath });
    }
    case '__rotate':
      state.calls.pop();
      rotate(state);
      return send(res, 200, { kid: state.keys[0].kid });
    default:
      return send(res, 404, { error: 'not_found' });
  }
}

/** WebFinger (RFC 7033) for OpenID Provider Issuer Discovery (OIDC Discovery §2). */
function webfinger(url, res) {
  const resource = url.searchParams.get('resource') ?? '';
  if (url.searchParams.get('rel') !== ISSUER_REL) return send(res, 400, { error: 'rel must be the issuer rel' });
  let alias;
  let module;
  const acct = /^acct:([^.@/]+)\.([^@/]+)@/.exec(resource);
  if (acct) {
    [, alias, module] = acct;
  } else if (resource.startsWith(`${BASE}/`)) {
    [alias, module] = resource.slice(BASE.length + 1).split(/[/?#]/);
  }
  if (!alias || !MODULES.has(module)) return send(res, 404, { error: 'unknown resource' });
  const state = stateFor(alias, module);
  state.calls.push('webfinger');
  state.webfingerResources.push(resource);
  return send(res, 200, { subject: resource, links: [{ rel: ISSUER_REL, href: state.issuer }] }, 'application/jrd+json');
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, BASE);
  const done = (err) => {
    process.stderr.write(`rp_cert.mjs: ${req.method} ${url.pathname}: ${err.stack ?? err}\n`);
    if (!res.headersSent) send(res, 500, { error: 'server_error' });
  };
  try {
    if (url.pathname === '/.well-known/webfinger') return webfinger(url, res);
    const [, alias, module, ...rest] = url.pathname.split('/');
    if (!alias || alias.includes('.') || !MODULES.has(module)) return send(res, 404, { error: 'unknown issuer' });
    handleIssuer(stateFor(alias, module), rest.join('/'), req, res, url).catch(done);
  } catch (err) {
    done(err);
  }
  return undefined;
});

let BASE;
server.listen(Number(args.port), args.host, () => {
  BASE = `http://127.0.0.1:${server.address().port}`;
  process.stdout.write(`READY ${JSON.stringify({ base: BASE, client_secret: CLIENT_SECRET, subject: SUBJECT, modules: [...MODULES] })}\n`);
});

const shutdown = () => process.exit(0);
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
try {
  const st = fs.fstatSync(0);
  if (st.isFIFO() || st.isSocket()) {
    process.stdin.on('data', () => {});
    process.stdin.on('end', shutdown);
    process.stdin.on('error', shutdown);
    process.stdin.resume();
  }
} catch {
  // no stdin to watch
}
