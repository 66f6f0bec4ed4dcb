// decrypt.mjs - OpenPGP.js as a decryption oracle for Mailseal's interoperability tests.
// Usage: node decrypt.mjs SECRET-KEY-FILE < MESSAGE > PLAINTEXT
//   MESSAGE may be armored or binary. The plaintext goes to stdout as raw bytes. One line on
//   stderr describes the encrypted data packet, e.g. "seipd=2 cipher=aes256 aead=ocb", so a
//   test can check which packet version the encryptor chose.
// Exit 0 on success; 2 on bad usage; 1 (one line on stderr) when decryption fails.
import { readFile } from 'node:fs/promises';
import * as openpgp from 'openpgp';

const [keyFile] = process.argv.slice(2);
if (!keyFile) {
  process.stderr.write('usage: node decrypt.mjs SECRET-KEY-FILE < MESSAGE > PLAINTEXT\n');
  process.exit(2);
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function describe(message) {
  const enums = openpgp.enums;
  for (const packet of message.packets) {
    if (packet.constructor.tag === enums.packet.symEncryptedIntegrityProtectedData) {
      const parts = [`seipd=${packet.version}`];
      if (packet.version === 2) {
        parts.push(`cipher=${enums.read(enums.symmetric, packet.cipherAlgorithm)}`);
        parts.push(`aead=${enums.read(enums.aead, packet.aeadAlgorithm)}`);
      }
      return parts.join(' ');
    }
    if (packet.constructor.tag === enums.packet.symmetricallyEncryptedData) return 'sed (no integrity protection)';
    if (packet.constructor.tag === enums.packet.aeadEncryptedData) return 'aead-encrypted-data (v5, not RFC 9580)';
  }
  return 'no encrypted data packet';
}

try {
  const privateKey = await openpgp.readPrivateKey({ armoredKey: await readFile(keyFile, 'utf8') });
  const input = await readStdin();
  const head = input.subarray(0, 64).toString('latin1');
  const message = head.includes('-----BEGIN PGP MESSAGE-----')
    ? await openpgp.readMessage({ armoredMessage: input.toString('latin1') })
    : await openpgp.readMessage({ binaryMessage: new Uint8Array(input) });
  const info = describe(message);
  const { data } = await openpgp.decrypt({ message, decryptionKeys: privateKey, format: 'binary' });
  process.stderr.write(info + '\n');
  await new Promise((resolve, reject) => process.stdout.write(data, (err) => (err ? reject(err) : resolve())));
} catch (e) {
  process.stderr.write(`decrypt: ${e?.message ?? e}\n`);
  process.exit(1);
}
