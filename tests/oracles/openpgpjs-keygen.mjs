// openpgpjs-keygen.mjs - generate a throw-away key with OpenPGP.js, the oracle for SEIPD v2 and v6 keys.
// Usage: node openpgpjs-keygen.mjs KIND v4|v6 OUTDIR
//   KIND: curve25519 | curve448 | rsa | nistP256 | nistP384 | nistP521 | brainpoolP256r1
// Writes OUTDIR/public.pgp (binary transferable public key) and OUTDIR/secret.asc (armored,
// unprotected secret key). Exits 1 with one line on stderr on failure.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as openpgp from './node_modules/openpgp/dist/node/openpgp.mjs';

const [kind, version, outDir] = process.argv.slice(2);
if (!kind || !['v4', 'v6'].includes(version) || !outDir) {
  process.stderr.write('usage: node openpgpjs-keygen.mjs KIND v4|v6 OUTDIR\n');
  process.exit(2);
}
const options = kind === 'curve25519' || kind === 'curve448' ? { type: kind }
  : kind === 'rsa' ? { type: 'rsa', rsaBits: 2048 }
  : { type: 'ecc', curve: kind };
try {
  const { privateKey } = await openpgp.generateKey({
    ...options,
    userIDs: [{ name: 'Mailseal test', email: `${kind}-${version}@example.org` }],
    format: 'object',
    config: { v6Keys: version === 'v6' },
  });
  writeFileSync(join(outDir, 'public.pgp'), privateKey.toPublic().write());
  writeFileSync(join(outDir, 'secret.asc'), privateKey.armor());
} catch (e) {
  process.stderr.write(`openpgpjs-keygen: ${e.message}\n`);
  process.exit(1);
}
