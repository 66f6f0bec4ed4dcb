#!/usr/bin/env bash
# install-deps.sh - install what Mailseal's tests and demo use, from Debian and npm.
# Usage: tools/install-deps.sh [demo|test]   (default: test; both include what tools/publish.sh needs)
#        tools/install-deps.sh --list [demo|test]   print the Debian packages, one per line
# Runs as root (or through sudo). Nothing is started: a policy-rc.d that exits 101 keeps
# Debian's maintainer scripts from starting Postfix, Dovecot or PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
list=0
if [ "${1:-}" = --list ]; then list=1; shift; fi
what=${1:-test}
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

# Building the native binaries (tools/publish.sh): NativeAOT links with clang and zlib;
# mailseal-greyd links the system SQLite.
build=(clang zlib1g-dev libsqlite3-dev)
if [ "$what" = demo ]; then
  packages=("${build[@]}" gnupg)
else
  # Every program a test starts or calls (see ../shared/DESIGN.md, Real components in tests).
  packages=(
    "${build[@]}"
    gnupg dirmngr rnp sq sqop
    postfix postfix-pcre postfix-pgsql
    dovecot-core dovecot-imapd dovecot-lmtpd dovecot-pgsql dovecot-sieve
    postgresql spamassassin spamd spamc unbound swaks libnet-ssleay-perl
    lintian debhelper dpkg-dev libsodium23 gpg-wks-client postgrey db-util libsqlite3-0 postfix-policyd-spf-python
    iproute2 procps ca-certificates python3
    groff-base man-db
    # A FUSE file system whose reads never return (tests/Mailseal.Testing/TestData/hangfs.py):
    # a key file on a hung network file system, for the key-read time limit. Needs /dev/fuse.
    python3-fusepy
  )
fi

if [ $list = 1 ]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
  fi
  echo "install-deps: apt-get install ${missing[*]}"
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ "$what" != demo ]; then
  # Node.js runs OpenPGP.js, the only oracle here that reads v6 (RFC 9580) keys.
  if ! command -v node >/dev/null 2>&1; then
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends nodejs npm
  fi
  if [ ! -d tests/oracles/node_modules/openpgp ]; then
    (cd tests/oracles && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

command -v dotnet >/dev/null 2>&1 || { echo "install-deps: the .NET 10 SDK (dotnet) is not on PATH; Debian 12 does not package it" >&2; exit 1; }
