#!/usr/bin/env bash
# publish.sh - build every Mailseal tool as native (NativeAOT) executables for linux-x64: three
# multi-call binaries with a link per tool name, and mailseal-encrypt and mailseal-spfd on their
# own, into one folder. No .NET runtime is needed where they run.
# Usage: tools/publish.sh [OUTPUT-DIR]        (default: artifacts/bin)
#        MAILSEAL_ENCRYPT_PIE=1 tools/publish.sh   mailseal-encrypt position-independent (slower start)
# Result: OUTPUT-DIR/mailseal-encrypt (a binary of its own: per-message cost, docs/native-binaries.md),
# OUTPUT-DIR/mailseal-spfd (a binary of its own: spawn(8) starts it per connection),
# OUTPUT-DIR/mailseal (per-message filters: mailseal-pipe, mailseal-scrub are links to it),
# OUTPUT-DIR/mailseald (daemons: mailseal-greyd, mailseal-filterd) and
# OUTPUT-DIR/mailseal-tools (the admin's tools: mailseal-admin, mailseal-maildir).
# Needs the .NET 10 SDK, clang, zlib1g-dev and libsqlite3-dev (tools/install-deps.sh demo installs the last three).
# Copy the folder as it is (cp -a keeps the links), or install the binary and make the links:
#   install -m 755 artifacts/bin/mailseal-encrypt artifacts/bin/mailseal-spfd /usr/bin/
#   for b in mailseal mailseald mailseal-tools; do install -m 755 artifacts/bin/$b /usr/bin/
#     for t in $(/usr/bin/$b --list); do ln -sf $b /usr/bin/$t; done; done
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-artifacts/bin}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
staging=artifacts/publish
rm -rf "$staging"
mkdir -p "$out"
# binary:project; a multi-call binary gets a link per name its --list prints, a binary named
# after its one tool (mailseal-encrypt, mailseal-spfd) none.
binaries=(mailseal-encrypt:Mailseal.EncryptTool mailseal-spfd:Mailseal.SpfdTool mailseal:Mailseal mailseald:Mailseal.Daemons mailseal-tools:Mailseal.Tools)
single_tool=" mailseal-encrypt mailseal-spfd "
for entry in "${binaries[@]}"; do
  project=${entry#*:}
  extra=()
  # mailseal-encrypt is a fixed-address image unless asked otherwise (docs/native-binaries.md).
  [ "$project" != Mailseal.EncryptTool ] || [ "${MAILSEAL_ENCRYPT_PIE:-0}" != 1 ] || extra=(-p:MailsealEncryptPie=true)
  if ! dotnet publish "src/$project/$project.csproj" -c Release -nologo -v quiet -o "$staging/$project" "${extra[@]}"; then
    echo "publish.sh: dotnet publish $project failed" >&2
    exit 1
  fi
done
# Only the binaries and their links: the .dbg symbols and the pdbs stay in the staging folder.
summary=
for entry in "${binaries[@]}"; do
  binary=${entry%%:*} project=${entry#*:}
  # A folder from before mailseal-encrypt and mailseal-spfd had their own binaries holds links
  # there: replace, never write through them.
  rm -f "$out/$binary"
  install -m 755 "$staging/$project/$binary" "$out/$binary"
  if [[ $single_tool == *" $binary "* ]]; then
    summary+="$binary ($(du -h "$out/$binary" | cut -f1)), "
    continue
  fi
  tools=$("$out/$binary" --list)
  for tool in $tools; do
    ln -sfn "$binary" "$out/$tool"
  done
  summary+="$binary ($(du -h "$out/$binary" | cut -f1)) with $(echo $tools), "
done
echo "publish.sh: $(cd "$out" && pwd): ${summary%, }"
