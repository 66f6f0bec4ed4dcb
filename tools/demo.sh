#!/usr/bin/env bash
# demo.sh - Mailseal's main job on embedded defaults: encrypt the sample message in
# examples/ to the sample key folder's key for alice@example.org, print the result, and, with
# gpg and the sample secret key (a demo key, never use it for real mail), decrypt it back.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh demo
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# The native binaries an admin installs (about a minute the first time).
bash tools/publish.sh artifacts/bin >/dev/null
out=$(mktemp -d /tmp/mailseal-demo.XXXXXX)
trap 'gpgconf --homedir "$out/gnupg" --kill all 2>/dev/null || true; rm -rf "$out"' EXIT
echo "== the sample message (examples/message.eml)"
cat examples/message.eml
echo
echo "== mailseal-encrypt --key-dir \"$PWD/examples/keys\" alice@example.org < examples/message.eml"
artifacts/bin/mailseal-encrypt --key-dir "$PWD/examples/keys" alice@example.org < examples/message.eml > "$out/encrypted.eml"
cat "$out/encrypted.eml"
if command -v gpg >/dev/null 2>&1; then
  echo
  echo "== decrypted back with gpg and the sample secret key (examples/alice-secret-key.asc)"
  install -d -m 700 "$out/gnupg"
  gpg --homedir "$out/gnupg" --batch --quiet --import examples/alice-secret-key.asc 2>/dev/null
  # the encrypted part is the second body part of the multipart/encrypted message
  awk '/-----BEGIN PGP MESSAGE-----/,/-----END PGP MESSAGE-----/' "$out/encrypted.eml" \
    | gpg --homedir "$out/gnupg" --batch --quiet --decrypt
fi
