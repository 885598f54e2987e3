// Verifies JWTs with the npm package `jose` (panva/jose 6, the test provider's own JOSE
// library, installed by `npm ci` in tests/op): an implementation independent of idpkit's.
//
// stdin: {"jwks": {"keys": [...]}, "cases": [{"token": "...", "algorithms": ["ES256"]}]}
// stdout: {"version": "6.x", "answers": [{"ok": {header, payload}} | {"error": "<jose code>"}]}
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const joseDir = join(here, '..', 'op', 'node_modules', 'jose');
const { version } = JSON.parse(readFileSync(join(joseDir, 'package.json'), 'utf8'));
const jose = await import(pathToFileURL(join(joseDir, 'dist', 'webapi', 'index.js')).href);

const input = JSON.parse(readFileSync(0, 'utf8'));
const keySet = jose.createLocalJWKSet(input.jwks);
const answers = [];
for (const c of input.cases) {
  try {
    const { payload, protectedHeader } = await jose.jwtVerify(c.token, keySet, {
      algorithms: c.algorithms,
    });
    answers.push({ ok: { header: protectedHeader, payload } });
  } catch (e) {
    answers.push({ error: e.code ?? e.name });
  }
}
process.stdout.write(JSON.stringify({ version, answers }));
