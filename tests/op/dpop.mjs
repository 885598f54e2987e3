// DPoP (RFC 9449) for the test provider, merged by op.mjs: the provider's DPoP feature with
// server nonces required of every request that carries a proof (so each client test goes through
// the `use_dpop_nonce` dance), and two clients whose access tokens must be DPoP-bound.
//
// - `dpop`: confidential (client_secret_basic), code flow, refresh and client credentials;
//   client credentials with `resource=urn:idpkit:api:jwt` give a JWT access token carrying
//   `cnf.jkt` (the guard tests).
// - `dpop-public`: public, code flow, refresh and device code; its refresh tokens are bound to
//   the key too (oidc-provider binds a public client's refresh tokens to the access token's jkt).

import * as crypto from 'node:crypto';

export function dpopConfig({ codeFlow, deviceGrant }) {
  return {
    feature: {
      enabled: true,
      // Nonces are HMACs of a time window under this secret; a fresh one per start.
      nonceSecret: crypto.randomBytes(32),
      // Only requests with a DPoP proof are affected: every other test is unchanged.
      requireNonce: () => true,
    },
    clients: [
      {
        ...codeFlow,
        grant_types: [...codeFlow.grant_types, 'client_credentials'],
        client_id: 'dpop',
        client_secret: 'pD9xQ2vL7nR4tY8wK1zB6cF3hJ5mS0aE2gU7iO9pLk4',
        token_endpoint_auth_method: 'client_secret_basic',
        dpop_bound_access_tokens: true,
      },
      {
        ...codeFlow,
        grant_types: [...codeFlow.grant_types, deviceGrant],
        client_id: 'dpop-public',
        token_endpoint_auth_method: 'none',
        dpop_bound_access_tokens: true,
      },
    ],
  };
}
