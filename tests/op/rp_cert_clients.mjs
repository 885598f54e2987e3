// The RP certification tests' additions to the test provider (op.mjs merges them in): a client
// registered for signed userinfo responses (`userinfo_signed_response_alg`, OIDC Core §5.3.2),
// and the provider feature that serves them. Everything else those tests need from a
// misbehaving provider is in rp_cert.mjs.

export const rpCertFeatures = {
  jwtUserinfo: { enabled: true },
};

export function rpCertClients(codeFlow) {
  return [{
    ...codeFlow,
    client_id: 'rp-signed-userinfo',
    client_secret: 'sU7pX2qL9vR4mK8nB3cF6hJ1wE5tY0zA-rpcert',
    token_endpoint_auth_method: 'client_secret_basic',
    userinfo_signed_response_alg: 'RS256',
  }];
}
