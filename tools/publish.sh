#!/usr/bin/env bash
# publish.sh - build every Mailseal tool as one native (NativeAOT) executable for linux-x64,
# with a link per tool name, into one folder. No .NET runtime is needed where they run.
# Usage: tools/publish.sh [OUTPUT-DIR]        (default: artifacts/bin)
# Result: OUTPUT-DIR/mailseal and OUTPUT-DIR/mailseal-encrypt, mailseal-pipe, ... -> mailseal.
# Needs the .NET 10 SDK, clang, zlib1g-dev and libsqlite3-dev (tools/install-deps.sh demo installs the last three).
# Copy the folder as it is (cp -a keeps the links), or install the binary and make the links:
#   install -m 755 artifacts/bin/mailseal /usr/bin/ && for t in $(mailseal --list); do ln -sf mailseal /usr/bin/$t; done
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-artifacts/bin}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
staging=artifacts/publish
rm -rf "$staging"
if ! dotnet publish src/Mailseal/Mailseal.csproj -c Release -nologo -v quiet -o "$staging"; then
  echo "publish.sh: dotnet publish failed" >&2
  exit 1
fi
mkdir -p "$out"
# Only the binary and its links: the .dbg symbols and the pdbs stay in the staging folder.
install -m 755 "$staging/mailseal" "$out/mailseal"
for tool in $("$out/mailseal" --list); do
  ln -sfn mailseal "$out/$tool"
done
echo "publish.sh: $(cd "$out" && pwd)/mailseal ($(du -h "$out/mailseal" | cut -f1)) with $("$out/mailseal" --list | tr '\n' ' ')"
