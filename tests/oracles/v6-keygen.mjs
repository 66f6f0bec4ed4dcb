// v6-keygen.mjs - generate an RFC 9580 (v6) key with OpenPGP.js, the oracle for SEIPD v2.
// Usage: node v6-keygen.mjs curve25519|curve448 OUTDIR
// Writes OUTDIR/public.pgp (binary transferable public key) and OUTDIR/secret.asc (armored secret key,
// unprotected: a throw-away test key). Exits 1 with one line on stderr on failure.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as openpgp from './node_modules/openpgp/dist/node/openpgp.mjs';

const [type, outDir] = process.argv.slice(2);
if (!type || !outDir) {
  process.stderr.write('usage: node v6-keygen.mjs curve25519|curve448 OUTDIR\n');
  process.exit(2);
}
try {
  const { privateKey } = await openpgp.generateKey({
    type,
    userIDs: [{ name: 'Mailseal test', email: `v6-${type}@example.org` }],
    format: 'object',
    config: { v6Keys: true },
  });
  writeFileSync(join(outDir, 'public.pgp'), privateKey.toPublic().write());
  writeFileSync(join(outDir, 'secret.asc'), privateKey.armor());
} catch (e) {
  process.stderr.write(`v6-keygen: ${e.message}\n`);
  process.exit(1);
}
