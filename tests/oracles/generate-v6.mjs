// generate-v6.mjs - the v6 (RFC 9580) key generator for Mailseal's interoperability tests.
// Usage: node generate-v6.mjs TYPE USERID SECRET-OUT PUBLIC-OUT
//   TYPE is curve25519 or curve448. Writes the unprotected secret key and the certificate,
//   armored, to the two files and prints the primary fingerprint (hex) on stdout.
// Exit 0 on success; 2 on bad usage; 1 (one line on stderr) on any other failure.
import { writeFile } from 'node:fs/promises';
import * as openpgp from 'openpgp';

const [type, userId, secretOut, publicOut] = process.argv.slice(2);
if (!type || !userId || !secretOut || !publicOut || !['curve25519', 'curve448'].includes(type)) {
  process.stderr.write('usage: node generate-v6.mjs curve25519|curve448 USERID SECRET-OUT PUBLIC-OUT\n');
  process.exit(2);
}

try {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type,
    userIDs: [{ email: userId }],
    format: 'armored',
    config: { v6Keys: true },
  });
  await writeFile(secretOut, privateKey, { mode: 0o600 });
  await writeFile(publicOut, publicKey);
  const key = await openpgp.readKey({ armoredKey: publicKey });
  if (key.keyPacket.version !== 6) throw new Error(`expected a v6 key, got v${key.keyPacket.version}`);
  process.stdout.write(key.getFingerprint().toUpperCase() + '\n');
} catch (e) {
  process.stderr.write(`generate-v6: ${e?.message ?? e}\n`);
  process.exit(1);
}
