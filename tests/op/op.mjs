#!/usr/bin/env node
// Test OpenID Provider for idpkit's integration tests and demo.
//
// A real, certified OpenID Provider (node-oidc-provider, pinned in package.json) configured for
// browserless tests: interactions finish by themselves (login as `login_hint`, consent to
// everything), a few JSON endpoints under /__test/ count requests and rotate the signing key.
//
// Usage: node op.mjs [--port 0] [--host 127.0.0.1] [--keys <file>|none]
//                    [--access-token-ttl <s>] [--id-token-ttl <s>] [--refresh-token-ttl <s>]
//                    [--strict-offline-access] [--require-par]
//                    [--watch-stdin|--no-watch-stdin] [--verbose]
//
// Prints exactly one line to stdout once listening: `READY {json}` (see README.md). Everything
// else goes to stderr. Exits on SIGTERM/SIGINT and, when stdin is a pipe, when stdin closes.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

import { clientKeyPairs } from './client-keys.mjs';
import { TOKEN_EXCHANGE_CLIENTS, registerTokenExchange, tokenExchangeClaims } from './token_exchange.mjs';
import { rpCertClients, rpCertFeatures } from './rp_cert_clients.mjs';
import { dpopConfig } from './dpop.mjs';

const startedAt = performance.now();

// ---------------------------------------------------------------------------------------------
// Command line (each option also has an IDPKIT_OP_* environment variable).

function fail(message) {
  process.stderr.write(`op.mjs: ${message}\n`);
  process.exit(2);
}

const OPTIONS = {
  port: { type: 'string', default: process.env.IDPKIT_OP_PORT ?? '0' },
  host: { type: 'string', default: process.env.IDPKIT_OP_HOST ?? '127.0.0.1' },
  keys: { type: 'string', default: process.env.IDPKIT_OP_KEYS },
  'access-token-ttl': { type: 'string', default: process.env.IDPKIT_OP_ACCESS_TOKEN_TTL },
  'id-token-ttl': { type: 'string', default: process.env.IDPKIT_OP_ID_TOKEN_TTL },
  'refresh-token-ttl': { type: 'string', default: process.env.IDPKIT_OP_REFRESH_TOKEN_TTL },
  'strict-offline-access': { type: 'boolean', default: process.env.IDPKIT_OP_STRICT_OFFLINE_ACCESS === '1' },
  // Every client must push its authorization requests (RFC 9126), announced in the metadata.
  'require-par': { type: 'boolean', default: process.env.IDPKIT_OP_REQUIRE_PAR === '1' },
  'watch-stdin': { type: 'boolean' },
  'no-watch-stdin': { type: 'boolean' },
  verbose: { type: 'boolean', default: process.env.IDPKIT_OP_VERBOSE === '1' },
};

let args;
try {
  args = parseArgs({ options: OPTIONS, strict: true }).values;
} catch (err) {
  fail(err.message);
}

function intArg(name, { min = 0 } = {}) {
  const raw = args[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    fail(`--${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

const PORT = intArg('port');
const HOST = args.host;
const TTL = {
  accessToken: intArg('access-token-ttl', { min: 1 }) ?? 3600,
  // Client-credentials tokens follow --access-token-ttl when given (provider default: 10 min).
  clientCredentials: intArg('access-token-ttl', { min: 1 }) ?? 600,
  idToken: intArg('id-token-ttl', { min: 1 }) ?? 3600,
  refreshToken: intArg('refresh-token-ttl', { min: 1 }) ?? 14 * 24 * 3600,
};
const VERBOSE = args.verbose;

// stdout carries exactly one line (READY). oidc-provider prints its "default function called,
// you SHOULD change it" notices with console.info, i.e. to stdout: route them to stderr (or drop
// them unless --verbose). This must happen before oidc-provider is imported.
console.info = VERBOSE ? (...a) => console.error(...a) : () => {};
console.log = (...a) => console.error(...a);

// ---------------------------------------------------------------------------------------------
// Signing keys. RSA-2048 generation is most of the cold start, so the first key is cached in a
// file (default: <tmpdir>/idpkit-test-op/rsa-signing-key.json; `--keys <file>` to choose,
// `--keys none` to always generate). The cache is validated on load and written atomically, so
// concurrent starts sharing it are safe. Keys made by /__test/rotate-keys are never cached.

const DEFAULT_KEY_CACHE = path.join(os.tmpdir(), 'idpkit-test-op', 'rsa-signing-key.json');
const KEY_CACHE = args.keys === 'none' ? undefined : (args.keys ?? DEFAULT_KEY_CACHE);

/** RFC 7638 JWK thumbprint, used as the `kid`. */
function thumbprint({ e, n }) {
  return crypto.hash('sha256', JSON.stringify({ e, kty: 'RSA', n }), 'base64url');
}

async function generateSigningKey() {
  const { privateKey } = await new Promise((resolve, reject) => {
    crypto.generateKeyPair('rsa', { modulusLength: 2048 }, (err, publicKey, privKey) => (
      err ? reject(err) : resolve({ publicKey, privateKey: privKey })
    ));
  });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: thumbprint(jwk), alg: 'RS256', use: 'sig' };
}

function loadCachedKey(file) {
  try {
    const jwk = JSON.parse(fs.readFileSync(file, 'utf8'));
    // Must be a usable RSA private key whose kid matches its public part.
    const key = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
    if (key.asymmetricKeyType !== 'rsa' || key.asymmetricKeyDetails.modulusLength < 2048) return undefined;
    if (jwk.kid !== thumbprint(jwk) || jwk.alg !== 'RS256' || jwk.use !== 'sig') return undefined;
    return jwk;
  } catch {
    return undefined; // missing or unreadable: regenerate
  }
}

function saveCachedKey(file, jwk) {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(jwk), { mode: 0o600 });
    fs.renameSync(tmp, file); // atomic: readers see the old file or the new one, never half
  } catch (err) {
    process.stderr.write(`op.mjs: could not write key cache ${file}: ${err.message}\n`);
  }
}

async function initialSigningKey() {
  if (KEY_CACHE) {
    const cached = loadCachedKey(KEY_CACHE);
    if (cached) return { jwk: cached, cacheHit: true };
  }
  const jwk = await generateSigningKey();
  if (KEY_CACHE) saveCachedKey(KEY_CACHE, jwk);
  return { jwk, cacheHit: false };
}

// Start loading/generating the key now: RSA generation runs on libuv's thread pool and overlaps
// with importing oidc-provider (the other half of the cold start).
const initialKey = initialSigningKey();

// Keys of the private_key_jwt clients (RFC 7523), made or loaded from a cache beside the signing
// key's (see client-keys.mjs), in parallel with the import of oidc-provider.
const clientKeys = clientKeyPairs(KEY_CACHE && path.join(path.dirname(KEY_CACHE), 'client-keys.json'), saveCachedKey);

let oidc;
try {
  oidc = await import('oidc-provider');
} catch (err) {
  fail(`cannot load oidc-provider (${err.code ?? err.message}): run \`npm ci\` in ${path.dirname(new URL(import.meta.url).pathname)}`);
}
const { default: Provider, errors, interactionPolicy } = oidc;

// ---------------------------------------------------------------------------------------------
// Fixtures: clients, accounts, scopes, resource servers.

// Loopback redirect URIs. The code-flow clients are `application_type: 'native'`, for which
// oidc-provider accepts ANY port on the registered loopback host (RFC 8252 §7.3): the path and the
// host must still match exactly (127.0.0.1 registered => localhost is rejected).
const REDIRECT_URI = 'http://127.0.0.1:8976/callback';
const POST_LOGOUT_REDIRECT_URIS = ['http://127.0.0.1:8976/logged-out', 'http://127.0.0.1:8976/'];

const CODE_FLOW = {
  application_type: 'native',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: [REDIRECT_URI],
  post_logout_redirect_uris: POST_LOGOUT_REDIRECT_URIS,
};

const CLIENTS = [
  {
    ...CODE_FLOW,
    client_id: 'conf-basic',
    client_secret: 'J-ZSm65o9mCUhFXfZ1hC_lpIWzBvm2wyxpAMXRMXcls',
    token_endpoint_auth_method: 'client_secret_basic',
  },
  {
    ...CODE_FLOW,
    client_id: 'conf-post',
    client_secret: 'Yo4GhYZbFAuZICD0sbdV5VjFmVmOA9W8vgeActVYMrg',
    token_endpoint_auth_method: 'client_secret_post',
  },
  {
    ...CODE_FLOW,
    client_id: 'public',
    token_endpoint_auth_method: 'none',
  },
  {
    client_id: 'service',
    client_secret: 'bWibOlux--G98zYwPdm4HfrMsmKyl4-Zb0v-fXonpJE',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    // Allow-list: asking for any other known scope (e.g. openid) is invalid_scope.
    scope: 'projects:read users:read',
  },
];

// Device authorization grant (RFC 8628): public clients, as a CLI on a headless box would be.
// `device-short` gets device codes that expire after DEVICE_SHORT_TTL seconds (expiry tests).
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const DEVICE_SHORT_TTL = 2;
// The polling interval the device authorization response announces (RFC 8628 §3.2; the
// provider itself omits it, which means 5 s): 1 s keeps the tests short.
const DEVICE_INTERVAL = 1;
for (const clientId of ['device', 'device-short']) {
  CLIENTS.push({
    client_id: clientId,
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: [DEVICE_GRANT, 'refresh_token'],
    response_types: [],
    redirect_uris: [],
  });
}

// Pushed authorization requests (RFC 9126): this client must push (registered per client, so the
// relying party cannot learn it from the metadata and opts in).
CLIENTS.push({
  ...CODE_FLOW,
  client_id: 'par-required',
  client_secret: 'm5Qy0-pQ2g2Nf6Zr1d0yYdVQkG0KcV1mYb6c4m8Vb7w',
  token_endpoint_auth_method: 'client_secret_basic',
  require_pushed_authorization_requests: true,
});

// JWT client authentication (RFC 7523): client_secret_jwt (HS256 with the client secret) and
// private_key_jwt with an RSA, an EC P-256 and an Ed25519 key.
CLIENTS.push({
  ...CODE_FLOW,
  grant_types: [...CODE_FLOW.grant_types, 'client_credentials'],
  client_id: 'jwt-secret',
  client_secret: 'vQ4rZ8kT1nW6yB3xC9mD2fG5hJ7kL0pS4tV8wY1zA3c',
  token_endpoint_auth_method: 'client_secret_jwt',
  token_endpoint_auth_signing_alg: 'HS256',
});
const CLIENT_KEYS = await clientKeys;
for (const key of CLIENT_KEYS) {
  CLIENTS.push({
    ...CODE_FLOW,
    grant_types: [...CODE_FLOW.grant_types, 'client_credentials'],
    client_id: `jwt-${key.alg.toLowerCase()}`,
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: key.alg,
    jwks: { keys: [key.jwk] },
  });
}

// Agents that delegate to each other by RFC 8693 token exchange (token_exchange.mjs).
CLIENTS.push(...TOKEN_EXCHANGE_CLIENTS);
CLIENTS.push(...rpCertClients(CODE_FLOW));
// DPoP (RFC 9449): see dpop.mjs.
const DPOP = dpopConfig({ codeFlow: CODE_FLOW, deviceGrant: DEVICE_GRANT });
CLIENTS.push(...DPOP.clients);

const ACCOUNTS = {
  usr_alice: {
    name: 'Alice Example',
    email: 'alice@example.com',
    email_verified: true,
    organizations: [
      { id: 'org_acme', title: 'Acme', scopes: ['owner', 'admin', 'projects:**', 'users:read'], joined_at: '2024-01-15T10:00:00Z' },
      { id: 'org_beta', title: 'Beta', scopes: ['projects:read'], joined_at: '2025-03-01T00:00:00Z' },
    ],
  },
  usr_bob: {
    name: 'Bob Example',
    email: 'bob@example.com',
    email_verified: false,
    organizations: [
      { id: 'org_acme', title: 'Acme', scopes: ['projects:read'], joined_at: '2024-06-01T09:30:00Z' },
    ],
  },
  usr_carol: {
    name: 'Carol Example',
    email: 'carol@example.com',
    email_verified: true,
    organizations: [],
  },
};
const DEFAULT_ACCOUNT = 'usr_alice';

/** `login_hint` → account id: accepts a subject id (`usr_bob`) or an email (`bob@example.com`). */
function resolveAccount(hint) {
  if (!hint) return undefined;
  if (Object.hasOwn(ACCOUNTS, hint)) return hint;
  return Object.keys(ACCOUNTS).find((sub) => ACCOUNTS[sub].email === hint.toLowerCase());
}

// `login_hint=error:<code>` finishes the interaction with that OAuth error.
const ERROR_HINTS = new Set(['login_required', 'consent_required', 'interaction_required', 'access_denied']);

const CLAIMS = {
  // Keep oidc-provider's defaults for the special claims (acr, sid, auth_time, iss).
  acr: null,
  sid: null,
  auth_time: null,
  iss: null,
  openid: ['sub'],
  email: ['email', 'email_verified'],
  profile: ['name'],
  organizations: ['organizations'],
};
const SCOPES = ['openid', 'offline_access', 'profile', 'email', 'organizations', 'projects:read', 'users:read'];

// Resource servers (RFC 8707). `client_credentials` without a `resource` parameter defaults to
// API_RESOURCE, so `scope=projects:read users:read` is kept (without a resource, oidc-provider
// would keep only the "OIDC" part of the scope).
const API_RESOURCE = 'urn:idpkit:api';
const API_JWT_RESOURCE = 'urn:idpkit:api:jwt';
const RESOURCE_SERVERS = {
  [API_RESOURCE]: { scope: 'projects:read users:read', audience: API_RESOURCE, accessTokenFormat: 'opaque' },
  [API_JWT_RESOURCE]: {
    scope: 'projects:read users:read',
    audience: API_JWT_RESOURCE,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: 'RS256' } },
  },
};

// ---------------------------------------------------------------------------------------------
// Storage: an unbounded Map-based adapter. oidc-provider's bundled memory adapter is an LRU of
// 1,000 entries (long test runs evict live sessions and tokens). The Map lives at module level so
// that every Provider instance built by a key rotation shares sessions, grants and tokens.

const STORE = new Map(); // `${model}:${id}` -> { payload, expiresAt }
const GRANT_MEMBERS = new Map(); // grantId -> Set of `${model}:${id}`
const SESSION_UIDS = new Map(); // session uid -> session id
const USER_CODES = new Map(); // device-flow user code -> id (unused here, part of the contract)

function storeGet(key) {
  const entry = STORE.get(key);
  if (!entry) return undefined;
  if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
    STORE.delete(key);
    return undefined;
  }
  return entry.payload;
}

class MapAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    // Device codes outlive their expiry here for a minute, so a late poll is answered
    // `expired_token` (RFC 8628 §3.5) rather than `invalid_grant` for a code never seen.
    const grace = this.model === 'DeviceCode' ? 60 : 0;
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + (expiresIn + grace) * 1000 : undefined;
    STORE.set(key, { payload, expiresAt });
    if (payload.grantId) {
      if (!GRANT_MEMBERS.has(payload.grantId)) GRANT_MEMBERS.set(payload.grantId, new Set());
      GRANT_MEMBERS.get(payload.grantId).add(key);
    }
    if (this.model === 'Session' && payload.uid) SESSION_UIDS.set(payload.uid, id);
    if (payload.userCode) USER_CODES.set(payload.userCode, id);
  }

  async find(id) {
    return storeGet(this.key(id));
  }

  async findByUid(uid) {
    const id = SESSION_UIDS.get(uid);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const id = USER_CODES.get(userCode);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const payload = storeGet(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    STORE.delete(this.key(id));
  }

  // Called once per model (AccessToken, RefreshToken, AuthorizationCode, ...): drops only this
  // model's entries of the grant.
  async revokeByGrantId(grantId) {
    const members = GRANT_MEMBERS.get(grantId);
    if (!members) return;
    const prefix = `${this.model}:`;
    for (const key of members) {
      if (key.startsWith(prefix)) {
        STORE.delete(key);
        members.delete(key);
      }
    }
    if (members.size === 0) GRANT_MEMBERS.delete(grantId);
  }
}

// ---------------------------------------------------------------------------------------------
// Request counters for /__test/stats, fed by a middleware on every Provider instance.

function zeroStats() {
  return {
    token: { authorization_code: 0, refresh_token: 0, client_credentials: 0, other: 0 },
    // Token requests answered with an error (status >= 400), by grant_type.
    token_errors: { authorization_code: 0, refresh_token: 0, client_credentials: 0, other: 0 },
    jwks: 0,
    userinfo: 0,
    introspection: 0,
    revocation: 0,
    discovery: 0,
    authorization: 0,
    end_session: 0,
  };
}
let stats = zeroStats();

async function countRequests(ctx, next) {
  try {
    await next();
  } finally {
    // ctx.oidc only exists on requests routed to one of the provider's endpoints.
    const route = Object.hasOwn(ctx, 'oidc') ? ctx.oidc.route : undefined;
    if (route === 'token') {
      let grantType = ctx.oidc.body?.grant_type;
      if (!Object.hasOwn(stats.token, grantType)) grantType = 'other';
      stats.token[grantType] += 1;
      if (ctx.status >= 400) stats.token_errors[grantType] += 1;
    } else if (route && Object.hasOwn(stats, route) && typeof stats[route] === 'number') {
      stats[route] += 1;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Provider configuration. Rebuilt (with the same storage, cookie keys and issuer) on rotation.

const COOKIE_KEYS = [crypto.randomBytes(32).toString('base64url')];

// Login prompt: also ask for a login when `login_hint` names another account than the session's
// (so one cookie jar can switch users) or asks for an error.
const policy = interactionPolicy.base();
policy.get('login').checks.add(new interactionPolicy.Check(
  'login_hint_account',
  'login_hint names another account than the current session',
  'login_required',
  (ctx) => {
    const hint = ctx.oidc.params.login_hint;
    if (!hint) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
    if (hint.startsWith('error:')) return interactionPolicy.Check.REQUEST_PROMPT;
    const accountId = resolveAccount(hint);
    return accountId !== undefined && accountId !== ctx.oidc.session.accountId;
  },
));

function configuration(keys) {
  return {
    adapter: MapAdapter,
    clients: CLIENTS,
    jwks: { keys },
    cookies: { keys: COOKIE_KEYS },
    claims: CLAIMS,
    scopes: SCOPES,
    // Default 15 s would let expired tokens pass for 15 s.
    clockTolerance: 0,
    // ID tokens carry the scope claims (email, organizations, ...) even when an access token is
    // issued too.
    conformIdTokenClaims: false,
    extraTokenClaims: tokenExchangeClaims, // `act` / `may_act` (token_exchange.mjs)
    pkce: { required: () => true }, // S256 is the only method oidc-provider 9 supports
    rotateRefreshToken: true,
    // The default rule, spelled out: refresh tokens for clients allowed the refresh_token grant
    // when the code carries offline_access (see the prompt=consent rewrite in the dispatcher).
    issueRefreshToken: async (ctx, client, code) => (
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access')
    ),
    async findAccount(ctx, sub) {
      const account = ACCOUNTS[sub];
      if (!account) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { sub, ...structuredClone(account) };
        },
      };
    },
    interactions: {
      policy,
      url: (ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    features: {
      devInteractions: { enabled: false },
      introspection: { enabled: true },
      revocation: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      userinfo: { enabled: true },
      ...rpCertFeatures,
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      dPoP: DPOP.feature,
      pushedAuthorizationRequests: {
        enabled: true,
        requirePushedAuthorizationRequests: args['require-par'],
      },
      resourceIndicators: {
        enabled: true,
        async defaultResource(ctx, client, oneOf) {
          if (oneOf) return oneOf;
          if (ctx.oidc.route === 'token' && ctx.oidc.params.grant_type === 'client_credentials') {
            return API_RESOURCE;
          }
          return undefined; // code flow: access tokens for userinfo
        },
        async getResourceServerInfo(ctx, resourceIndicator) {
          const info = RESOURCE_SERVERS[resourceIndicator];
          if (!info) throw new errors.InvalidTarget();
          return info;
        },
        useGrantedResource: async () => false,
      },
    },
    ttl: {
      AccessToken: () => TTL.accessToken,
      ClientCredentials: () => TTL.clientCredentials,
      IdToken: () => TTL.idToken,
      RefreshToken: () => TTL.refreshToken,
      AuthorizationCode: () => 60,
      DeviceCode: (ctx, code, client) => (client?.clientId === 'device-short' ? DEVICE_SHORT_TTL : 600),
      Interaction: () => 3600,
      Session: () => 14 * 24 * 3600,
      Grant: () => 14 * 24 * 3600,
    },
  };
}

function buildProvider(issuer, keys) {
  const provider = new Provider(issuer, configuration(keys));
  provider.use(countRequests);
  registerTokenExchange(provider, {
    resourceServers: RESOURCE_SERVERS, defaultResource: API_JWT_RESOURCE, keys, ttl: TTL.accessToken, errors,
  });
  // The device authorization response is serialised after this event: announce the interval.
  provider.on('device_authorization.success', (ctx, body) => {
    body.interval = DEVICE_INTERVAL;
  });
  provider.on('server_error', (ctx, err) => {
    process.stderr.write(`op.mjs: server_error on ${ctx.method} ${ctx.path}: ${err.stack ?? err}\n`);
  });
  return { provider, callback: provider.callback() };
}

// ---------------------------------------------------------------------------------------------
// Browserless interactions: GET /interaction/:uid finishes the interaction at once.

// When the interaction logs in another account than the session's, oidc-provider's resume step
// answers with an auto-submitting HTML form (POST /session/end/confirm, logout=yes) that a
// GET-only client cannot follow. Do that logout here instead, with the same effect: the old
// session is destroyed and its grants revoked except those that persist logout (offline_access).
async function endSessionForAccountSwitch(provider, interaction) {
  const old = await provider.Session.find(interaction.session.cookie);
  if (old) {
    for (const { grantId, persistsLogout } of Object.values(old.authorizations ?? {})) {
      if (grantId && !persistsLogout) {
        await Promise.all(['AccessToken', 'RefreshToken', 'AuthorizationCode'].map(
          (model) => provider[model].adapter.revokeByGrantId(grantId),
        ));
        await provider.Grant.adapter.destroy(grantId);
      }
    }
    await old.destroy();
  }
  // The interaction must no longer point at the destroyed session (resume compares its uid).
  delete interaction.session;
  await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
}

async function handleInteraction(req, res, provider) {
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    // No or stale `_interaction` cookie: the client did not keep the cookies of the first hop.
    return sendJson(res, 400, { error: 'invalid_request', error_description: `interaction not found: ${err.message}` });
  }
  const { prompt, params, session } = details;
  const hint = params.login_hint;

  if (hint?.startsWith('error:')) {
    const error = hint.slice('error:'.length);
    if (!ERROR_HINTS.has(error)) {
      return sendJson(res, 400, { error: 'invalid_request', error_description: `unknown error hint ${hint}` });
    }
    return provider.interactionFinished(req, res, {
      error,
      error_description: `${error} forced by login_hint=${hint}`,
    }, { mergeWithLastSubmission: false });
  }

  const accountId = hint ? resolveAccount(hint) : (session?.accountId ?? DEFAULT_ACCOUNT);
  if (!accountId) {
    return provider.interactionFinished(req, res, {
      error: 'access_denied',
      error_description: `unknown test account ${hint}`,
    }, { mergeWithLastSubmission: false });
  }

  if (session?.accountId && session.accountId !== accountId) {
    await endSessionForAccountSwitch(provider, details);
  }

  // Consent to everything that was asked for. Reuse the existing grant when it is this account's.
  let grant;
  if (details.grantId && session?.accountId === accountId) {
    grant = await provider.Grant.find(details.grantId);
  }
  grant ??= new provider.Grant({ accountId, clientId: params.client_id });
  if (params.scope) grant.addOIDCScope(params.scope);
  const { missingOIDCClaims, missingResourceScopes } = prompt.details ?? {};
  if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();

  const result = { consent: { grantId } };
  if (prompt.name === 'login' || session?.accountId !== accountId) {
    result.login = { accountId, amr: ['pwd'], remember: true };
  }
  return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

// ---------------------------------------------------------------------------------------------
// Outer HTTP server: /__test/ controls, interactions, then the current Provider instance.

function sendJson(res, status, body) {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(data),
    'cache-control': 'no-store',
  });
  res.end(data);
}

async function readJsonBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  return JSON.parse(text);
}

const { jwk: firstKey, cacheHit } = await initialKey;
let signingKeys = [firstKey]; // newest first: oidc-provider signs with the first matching key
let current; // { provider, callback }
let issuer;
let rotation = Promise.resolve(); // serialises rotations

function publicKids() {
  return signingKeys.map((k) => k.kid);
}

async function rotateKeys(options) {
  const keepOld = options?.keep_old !== false; // default: keep publishing the previous keys
  const key = await generateSigningKey();
  signingKeys = keepOld ? [key, ...signingKeys] : [key];
  current = buildProvider(issuer, signingKeys);
  return { kid: key.kid, kids: publicKids() };
}

async function handleTestControl(req, res, pathname) {
  if (req.method === 'GET' && pathname === '/__test/stats') return sendJson(res, 200, stats);
  if (req.method === 'POST' && pathname === '/__test/reset-stats') {
    stats = zeroStats();
    return sendJson(res, 200, stats);
  }
  if (req.method === 'GET' && pathname === '/__test/keys') {
    return sendJson(res, 200, { kid: signingKeys[0].kid, kids: publicKids() });
  }
  if (req.method === 'POST' && pathname === '/__test/rotate-keys') {
    let options;
    try {
      options = await readJsonBody(req);
    } catch {
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'body must be JSON' });
    }
    const result = rotation.then(() => rotateKeys(options));
    rotation = result.catch(() => {});
    return sendJson(res, 200, await result);
  }
  if (req.method === 'POST' && pathname === '/__test/sign') {
    // Test-only: signs {header?, claims} with the current signing key (RS256) and returns the
    // compact JWT, so tests can forge tokens the provider's real key vouches for (wrong iss,
    // wrong aud, expired, ...) and prove each check of the relying party on its own.
    let body;
    try {
      body = await readJsonBody(req);
    } catch {
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'body must be JSON' });
    }
    const key = signingKeys[0];
    const header = { alg: 'RS256', typ: 'JWT', kid: key.kid, ...(body.header ?? {}) };
    const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const input = `${b64(header)}.${b64(body.claims ?? {})}`;
    const privateKey = crypto.createPrivateKey({ key, format: 'jwk' });
    const signature = crypto.sign('sha256', Buffer.from(input), privateKey).toString('base64url');
    return sendJson(res, 200, { token: `${input}.${signature}` });
  }
  if (req.method === 'POST' && pathname === '/__test/device') return completeDeviceCode(req, res);
  return sendJson(res, 404, { error: 'not_found' });
}

// Test-only: what the user does on the verification page, without the pages. Body:
// {user_code, account?: 'usr_alice' | email, deny?: true}. Approves the device code for the
// account (consenting to the scopes it asked for) or denies it (access_denied at the next poll).
async function completeDeviceCode(req, res) {
  let body;
  try {
    body = await readJsonBody(req);
  } catch {
    return sendJson(res, 400, { error: 'invalid_request', error_description: 'body must be JSON' });
  }
  const { provider } = current;
  const userCode = String(body.user_code ?? '').toUpperCase().replace(/\W/g, '');
  const code = await provider.DeviceCode.findByUserCode(userCode);
  if (!code) return sendJson(res, 404, { error: 'not_found', error_description: 'no such user code' });
  if (code.accountId || code.error) {
    return sendJson(res, 409, { error: 'already_used', error_description: 'the user code was already answered' });
  }
  if (body.deny) {
    Object.assign(code, { error: 'access_denied', errorDescription: 'the user denied the device' });
    await code.save();
    return sendJson(res, 200, { denied: true });
  }
  const accountId = resolveAccount(body.account ?? DEFAULT_ACCOUNT);
  if (!accountId) return sendJson(res, 400, { error: 'invalid_request', error_description: 'unknown account' });
  const scope = code.params.scope ?? 'openid';
  const grant = new provider.Grant({ accountId, clientId: code.clientId });
  grant.addOIDCScope(scope);
  const grantId = await grant.save();
  Object.assign(code, {
    accountId,
    grantId,
    scope,
    authTime: Math.floor(Date.now() / 1000),
    amr: ['pwd'],
  });
  await code.save();
  return sendJson(res, 200, { account: accountId });
}

// Test-OP convenience (off with --strict-offline-access): oidc-provider drops `offline_access`
// unless the authorization request has prompt=consent. A GET authorization request that asks for
// offline_access and has no `prompt` at all gets prompt=consent added, which the interaction
// grants at once, so "offline_access requested => refresh token" holds.
function rewriteOfflineAccess(req, url) {
  if (args['strict-offline-access'] || req.method !== 'GET' || url.pathname !== '/auth') return;
  const scope = url.searchParams.get('scope')?.split(' ') ?? [];
  if (scope.includes('offline_access') && !url.searchParams.has('prompt')) {
    url.searchParams.set('prompt', 'consent');
    req.url = url.pathname + url.search;
  }
}

const server = http.createServer(async (req, res) => {
  const { provider, callback } = current; // one Provider instance for the whole request
  if (VERBOSE) {
    const line = `${req.method} ${req.url}`;
    res.on('finish', () => process.stderr.write(`op.mjs: ${line} -> ${res.statusCode}\n`));
  }
  try {
    const url = new URL(req.url, issuer);
    if (url.pathname.startsWith('/__test/')) return await handleTestControl(req, res, url.pathname);
    if (req.method === 'GET' && /^\/interaction\/[^/]+$/.test(url.pathname)) {
      return await handleInteraction(req, res, provider);
    }
    rewriteOfflineAccess(req, url);
    return callback(req, res);
  } catch (err) {
    process.stderr.write(`op.mjs: ${req.method} ${req.url}: ${err.stack ?? err}\n`);
    if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: String(err.message ?? err) });
    else res.destroy();
  }
});

await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(PORT, HOST, resolve);
});
const { port } = server.address();
// Always 127.0.0.1 (never localhost): issuers are compared as exact strings.
issuer = `http://127.0.0.1:${port}`;
current = buildProvider(issuer, signingKeys);

// ---------------------------------------------------------------------------------------------
// Lifecycle: signals, stdin EOF (parent died), READY line.

function shutdown(reason) {
  if (VERBOSE) process.stderr.write(`op.mjs: exiting (${reason})\n`);
  server.closeAllConnections?.();
  server.close();
  process.exit(0);
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

// Watch stdin by default only when it is a pipe or socket (a harness's Stdio::piped()): a shell
// job started with stdin on /dev/null would otherwise exit at once.
function stdinIsPipe() {
  try {
    const st = fs.fstatSync(0);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}
const watchStdin = args['no-watch-stdin'] ? false : (args['watch-stdin'] ?? stdinIsPipe());
if (watchStdin) {
  process.stdin.on('data', () => {}); // content is ignored
  process.stdin.on('end', () => shutdown('stdin closed'));
  process.stdin.on('error', () => shutdown('stdin error'));
  process.stdin.resume();
}

const clientsForReady = Object.fromEntries(CLIENTS.map((c) => [c.client_id, {
  client_id: c.client_id,
  client_secret: c.client_secret ?? null,
  token_endpoint_auth_method: c.token_endpoint_auth_method,
  application_type: c.application_type ?? 'web',
  grant_types: c.grant_types,
  redirect_uris: c.redirect_uris,
  post_logout_redirect_uris: c.post_logout_redirect_uris ?? [],
  scope: c.scope ?? null,
  require_pushed_authorization_requests: c.require_pushed_authorization_requests ?? false,
  token_endpoint_auth_signing_alg: c.token_endpoint_auth_signing_alg ?? null,
}]));
// The private keys of the private_key_jwt clients, for the tests that sign in as them.
for (const key of CLIENT_KEYS) {
  Object.assign(clientsForReady[`jwt-${key.alg.toLowerCase()}`], { kid: key.kid, private_key_pem: key.pem });
}

const ready = {
  issuer,
  port,
  pid: process.pid,
  discovery: `${issuer}/.well-known/openid-configuration`,
  endpoints: {
    authorization: `${issuer}/auth`,
    token: `${issuer}/token`,
    userinfo: `${issuer}/me`,
    jwks: `${issuer}/jwks`,
    introspection: `${issuer}/token/introspection`,
    revocation: `${issuer}/token/revocation`,
    end_session: `${issuer}/session/end`,
    device_authorization: `${issuer}/device/auth`,
    pushed_authorization_request: `${issuer}/request`,
    test: `${issuer}/__test`,
  },
  clients: clientsForReady,
  accounts: Object.fromEntries(Object.entries(ACCOUNTS).map(([sub, a]) => [sub, { sub, ...a }])),
  default_account: DEFAULT_ACCOUNT,
  scopes: SCOPES,
  resources: Object.keys(RESOURCE_SERVERS),
  default_client_credentials_resource: API_RESOURCE,
  kid: signingKeys[0].kid,
  ttl: {
    access_token: TTL.accessToken,
    client_credentials: TTL.clientCredentials,
    id_token: TTL.idToken,
    refresh_token: TTL.refreshToken,
  },
  device_interval: DEVICE_INTERVAL,
  device_short_ttl: DEVICE_SHORT_TTL,
  require_par: args['require-par'],
  offline_access_adds_prompt_consent: !args['strict-offline-access'],
  key_cache: KEY_CACHE ?? null,
  key_cache_hit: cacheHit,
  watch_stdin: watchStdin,
  startup_ms: Math.round(performance.now() - startedAt),
};
process.stdout.write(`READY ${JSON.stringify(ready)}\n`);
