// Keys of the test provider's clients that authenticate with private_key_jwt (RFC 7523): an RSA,
// an EC P-256 and an Ed25519 key. The private halves go to the tests in the READY line (PKCS#8
// PEM), the public halves are registered as the clients' `jwks`. RSA generation is slow, so the
// keys are cached in a file (validated on load, written atomically by the caller's `save`).

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';

const CLIENT_KEY_ALGS = ['RS256', 'ES256', 'EdDSA'];

async function clientKeyPair(type, options, alg) {
  const { privateKey, publicKey } = await new Promise((resolve, reject) => {
    crypto.generateKeyPair(type, options, (err, pub, priv) => (
      err ? reject(err) : resolve({ publicKey: pub, privateKey: priv })
    ));
  });
  const kid = `${alg.toLowerCase()}-${crypto.randomBytes(6).toString('hex')}`;
  return {
    alg,
    kid,
    pem: privateKey.export({ format: 'pem', type: 'pkcs8' }),
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' },
  };
}

function loadCachedClientKeys(file) {
  try {
    const keys = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (keys.map((k) => k.alg).join() !== CLIENT_KEY_ALGS.join()) return undefined;
    for (const key of keys) {
      const publicJwk = crypto.createPublicKey(crypto.createPrivateKey(key.pem)).export({ format: 'jwk' });
      if (publicJwk.x !== key.jwk.x || publicJwk.n !== key.jwk.n) return undefined;
    }
    return keys;
  } catch {
    return undefined; // missing or unreadable: regenerate
  }
}

/** `[{alg, kid, pem, jwk}]` for RS256, ES256 and EdDSA, from `cacheFile` when it holds them. */
export async function clientKeyPairs(cacheFile, save) {
  const cached = cacheFile && loadCachedClientKeys(cacheFile);
  if (cached) return cached;
  const keys = await Promise.all([
    clientKeyPair('rsa', { modulusLength: 2048 }, 'RS256'),
    clientKeyPair('ec', { namedCurve: 'P-256' }, 'ES256'),
    clientKeyPair('ed25519', {}, 'EdDSA'),
  ]);
  if (cacheFile) save(cacheFile, keys);
  return keys;
}
