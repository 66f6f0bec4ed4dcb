#!/usr/bin/env bash
# publish.sh - build every Mailseal tool as native (NativeAOT) executables for linux-x64, three
# multi-call binaries with a link per tool name, into one folder. No .NET runtime is needed
# where they run.
# Usage: tools/publish.sh [OUTPUT-DIR]        (default: artifacts/bin)
# Result: OUTPUT-DIR/mailseal (per-message tools: mailseal-encrypt, mailseal-pipe, mailseal-scrub
# are links to it), OUTPUT-DIR/mailseald (daemons: mailseal-spfd, mailseal-greyd, mailseal-filterd)
# and OUTPUT-DIR/mailseal-tools (the admin's tools: mailseal-admin, mailseal-maildir).
# Needs the .NET 10 SDK, clang, zlib1g-dev and libsqlite3-dev (tools/install-deps.sh demo installs the last three).
# Copy the folder as it is (cp -a keeps the links), or install the binary and make the links:
#   for b in mailseal mailseald mailseal-tools; do install -m 755 artifacts/bin/$b /usr/bin/
#     for t in $(/usr/bin/$b --list); do ln -sf $b /usr/bin/$t; done; done
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-artifacts/bin}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
staging=artifacts/publish
rm -rf "$staging"
mkdir -p "$out"
for project in Mailseal Mailseal.Daemons Mailseal.Tools; do
  if ! dotnet publish "src/$project/$project.csproj" -c Release -nologo -v quiet -o "$staging/$project"; then
    echo "publish.sh: dotnet publish $project failed" >&2
    exit 1
  fi
done
# Only the binaries and their links: the .dbg symbols and the pdbs stay in the staging folder.
for binary in mailseal mailseald mailseal-tools; do
  case $binary in
    mailseal) project=Mailseal ;;
    mailseald) project=Mailseal.Daemons ;;
    mailseal-tools) project=Mailseal.Tools ;;
  esac
  install -m 755 "$staging/$project/$binary" "$out/$binary"
  for tool in $("$out/$binary" --list); do
    ln -sfn $binary "$out/$tool"
  done
done
echo "publish.sh: $(cd "$out" && pwd): mailseal ($(du -h "$out/mailseal" | cut -f1)) with $("$out/mailseal" --list | tr '\n' ' ')mailseald ($(du -h "$out/mailseald" | cut -f1)) with $("$out/mailseald" --list | tr '\n' ' ')and mailseal-tools ($(du -h "$out/mailseal-tools" | cut -f1)) with $("$out/mailseal-tools" --list | tr '\n' ' ')"
