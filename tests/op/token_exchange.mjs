// RFC 8693 token exchange for the test provider, through node-oidc-provider's documented
// extension point `provider.registerGrantType` ("Custom Grant Types" in its docs). op.mjs merges
// in what this module exports: the agent clients, the `extraTokenClaims` hook and the grant.
//
// Delegation only (RFC 8693 §1.1): the issued token keeps the subject token's `sub` and names the
// requesting client as the current actor in `act`, the subject token's own `act` nested inside
// (a second exchange nests the actors). Rules, each answered as RFC 8693 §2.2.2 / RFC 6749 §5.2:
//
// - subject_token: an access token of this provider: opaque and still in the store (revoked or
//   expired: invalid_grant), or a JWT verified with `jose` against the provider's own keys
//   (tampered or expired: invalid_grant; JWTs are stateless, node-oidc-provider neither stores
//   nor revokes them). subject_token_type must be ...:access_token (or ...:jwt for a JWT).
// - actor_token (optional, with actor_token_type): a live token of this provider whose `sub` or
//   `client_id` is the requesting client, else invalid_grant.
// - may_act (RFC 8693 §4.4): when the subject token names an authorized actor, the requesting
//   client must be it, else invalid_grant. Tokens of `agent-a` name `agent-b`.
// - scope: a subset of the subject token's (else invalid_scope); default: all of it.
// - resource / audience: one resource server of the provider (else invalid_target); default the
//   JWT one. The token's format is the resource server's: a JWT (`at+jwt`) or opaque (then
//   revocable and introspectable, RFC 7009 / RFC 7662).
// - requested_token_type: ...:access_token or absent, else invalid_request.
// - The issued token never outlives the subject token.

import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const PARAMS = [
  'subject_token', 'subject_token_type', 'actor_token', 'actor_token_type',
  'requested_token_type', 'audience', 'resource', 'scope',
];

// Who may act for whom (`may_act` in the subject's client-credentials tokens).
const MAY_ACT = { 'agent-a': 'agent-b' };

/** The agents: confidential clients allowed client credentials and the exchange. */
export const TOKEN_EXCHANGE_CLIENTS = [
  ['agent-a', 'a9H3kq0Zt7LwR2xVb5NcYe8PuJ4mSd6Gf1TiOo3nKhQ'],
  ['agent-b', 'b4Xp7Lm2Qs9Vt1Wz6Rk3Nj8Hc5Gd0Fy2Ue7Ia4Ob9Ql'],
  ['agent-c', 'c8Tn1Bq6Wm3Zr9Ks4Hx7Vd2Jp5Lf0Gy8Ea3Uc6Io1Ow'],
].map(([clientId, secret]) => ({
  client_id: clientId,
  client_secret: secret,
  token_endpoint_auth_method: 'client_secret_basic',
  grant_types: ['client_credentials', TOKEN_EXCHANGE],
  response_types: [],
  redirect_uris: [],
  scope: 'projects:read users:read',
}));

// The `act` of each exchanged token, by token object: read by the `extraTokenClaims` hook
// (which would overwrite a `token.extra` set by the handler).
const ACTS = new WeakMap();

/** The `extraTokenClaims` hook: `act` on exchanged tokens, `may_act` on the agents' own. */
export async function tokenExchangeClaims(ctx, token) {
  if (ACTS.has(token)) return { act: ACTS.get(token) };
  const mayAct = MAY_ACT[token.clientId];
  if (token.kind === 'ClientCredentials' && mayAct) {
    return { may_act: { sub: mayAct, iss: ctx?.oidc?.provider?.issuer } };
  }
  return undefined;
}

function publicJwks(keys) {
  return {
    keys: keys.map(({ kty, n, e, kid, alg, use }) => ({ kty, n, e, kid, alg, use })),
  };
}

/** A live token of this provider: `{sub, clientId, scope, exp, act, mayAct, isJwt}`, or an error. */
async function liveToken(provider, value, keySet, errors, what) {
  const invalid = (why) => invalidGrant(errors, `${what} ${why}`);
  let isJwt = false;
  try {
    isJwt = !!decodeProtectedHeader(value);
  } catch {}
  if (isJwt) {
    let payload;
    try {
      ({ payload } = await jwtVerify(value, keySet, { issuer: provider.issuer, typ: 'at+jwt' }));
    } catch (err) {
      throw invalid(`does not verify (${err.code ?? err.message})`);
    }
    return {
      sub: payload.sub,
      clientId: payload.client_id,
      scope: payload.scope,
      exp: payload.exp,
      act: payload.act,
      mayAct: payload.may_act,
      isJwt,
    };
  }
  const token = await provider.AccessToken.find(value) ?? await provider.ClientCredentials.find(value);
  if (!token?.isValid) throw invalid('is revoked, expired or unknown');
  return {
    sub: token.accountId ?? token.clientId,
    clientId: token.clientId,
    scope: token.scope,
    exp: token.exp,
    act: token.extra?.act,
    mayAct: token.extra?.may_act,
    isJwt,
  };
}

// invalid_grant with a description the client sees (InvalidGrant's is fixed).
function invalidGrant(errors, description) {
  return new errors.CustomOIDCProviderError('invalid_grant', description);
}

function one(value, name, errors) {
  if (Array.isArray(value)) {
    if (value.length !== 1) throw new errors.InvalidTarget(`only one ${name} is supported`);
    return value[0];
  }
  return value;
}

/**
 * Registers the grant on `provider`. `resourceServers` maps indicators to resource server
 * info (as `getResourceServerInfo` answers), `defaultResource` is used without one, `keys` are
 * the provider's signing keys (their public halves verify JWT subject tokens), `ttl` the
 * access-token lifetime in seconds, `errors` oidc-provider's error classes.
 */
export function registerTokenExchange(provider, {
  resourceServers, defaultResource, keys, ttl, errors,
}) {
  const keySet = createLocalJWKSet(publicJwks(keys));
  async function handler(ctx) {
    const { params, client } = ctx.oidc;
    if (!params.subject_token) throw new errors.InvalidRequest('missing required parameter subject_token');
    if (![ACCESS_TOKEN_TYPE, JWT_TYPE].includes(params.subject_token_type)) {
      throw new errors.InvalidRequest('subject_token_type must be an access token or a JWT');
    }
    if (params.actor_token && !params.actor_token_type) {
      throw new errors.InvalidRequest('actor_token_type is required with actor_token');
    }
    if (!params.actor_token && params.actor_token_type) {
      throw new errors.InvalidRequest('actor_token_type without actor_token');
    }
    if (params.requested_token_type && params.requested_token_type !== ACCESS_TOKEN_TYPE) {
      throw new errors.InvalidRequest('only access tokens are issued');
    }

    const subject = await liveToken(provider, params.subject_token, keySet, errors, 'subject_token');
    if (params.subject_token_type === JWT_TYPE && !subject.isJwt) {
      throw new errors.InvalidRequest('subject_token is not a JWT');
    }
    if (params.actor_token) {
      const actor = await liveToken(provider, params.actor_token, keySet, errors, 'actor_token');
      if (actor.sub !== client.clientId && actor.clientId !== client.clientId) {
        throw invalidGrant(errors, 'actor_token is not the requesting client\'s');
      }
    }
    if (subject.mayAct && subject.mayAct.sub !== client.clientId) {
      throw invalidGrant(errors, 'the subject token\'s may_act does not name this client');
    }

    const granted = new Set(subject.scope?.split(' ').filter(Boolean));
    const requested = params.scope ? params.scope.split(' ').filter(Boolean) : [...granted];
    const outside = requested.filter((s) => !granted.has(s));
    if (outside.length) throw new errors.InvalidScope('scope exceeds the subject token\'s', outside.join(' '));

    let indicator = one(params.resource, 'resource', errors);
    const audience = one(params.audience, 'audience', errors);
    if (!indicator && audience) {
      indicator = Object.keys(resourceServers).find((r) => resourceServers[r].audience === audience);
      if (!indicator) throw new errors.InvalidTarget('unknown audience');
    }
    indicator ??= defaultResource;
    const info = resourceServers[indicator];
    if (!info) throw new errors.InvalidTarget('unknown resource');
    const scope = requested.filter((s) => info.scope.split(' ').includes(s)).join(' ') || undefined;

    const now = Math.floor(Date.now() / 1000);
    const expiresIn = Math.max(1, Math.min(ttl, (subject.exp ?? now + ttl) - now));
    const token = new provider.AccessToken({
      accountId: subject.sub,
      client,
      scope,
      gty: 'token_exchange',
      expiresIn,
    });
    token.resourceServer = new provider.ResourceServer(indicator, info);
    const act = { sub: client.clientId, iss: provider.issuer };
    if (subject.act && typeof subject.act === 'object') act.act = subject.act;
    ACTS.set(token, act);
    ctx.oidc.entity('AccessToken', token);
    const value = await token.save();

    ctx.body = {
      access_token: value,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: token.tokenType,
      expires_in: token.expiration,
      ...(scope ? { scope } : {}),
    };
  }
  provider.registerGrantType(TOKEN_EXCHANGE, handler, PARAMS, ['audience', 'resource']);
}

