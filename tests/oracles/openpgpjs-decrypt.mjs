// openpgpjs-decrypt.mjs - decrypt a message with OpenPGP.js and write the plaintext to stdout.
// Usage: node openpgpjs-decrypt.mjs SECRET-KEY.asc MESSAGE   (MESSAGE armored or binary)
// Exits 1 with one line on stderr when decryption or integrity checking fails.
import { readFileSync } from 'node:fs';
import * as openpgp from './node_modules/openpgp/dist/node/openpgp.mjs';

const [keyFile, messageFile] = process.argv.slice(2);
if (!keyFile || !messageFile) {
  process.stderr.write('usage: node openpgpjs-decrypt.mjs SECRET-KEY.asc MESSAGE\n');
  process.exit(2);
}
try {
  const decryptionKeys = await openpgp.readPrivateKey({ armoredKey: readFileSync(keyFile, 'utf8') });
  const raw = readFileSync(messageFile);
  const message = raw.subarray(0, 10).toString('latin1').startsWith('-----BEGIN')
    ? await openpgp.readMessage({ armoredMessage: raw.toString('latin1') })
    : await openpgp.readMessage({ binaryMessage: raw });
  const { data } = await openpgp.decrypt({ message, decryptionKeys, format: 'binary' });
  process.stdout.write(Buffer.from(data));
} catch (e) {
  process.stderr.write(`openpgpjs-decrypt: ${e.message}\n`);
  process.exit(1);
}
