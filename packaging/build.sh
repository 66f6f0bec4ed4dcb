#!/usr/bin/env bash
# build.sh - build the mailseal .deb the Debian way (debian/rules, dpkg-buildpackage -b) from the
# native binaries tools/publish.sh built, offline.
#
# SYNOPSIS
#   packaging/build.sh [--bin DIR] [OUTPUT-DIR]      (defaults: artifacts/bin, artifacts/deb)
#
# DESCRIPTION
#   packaging/debian/ is kept out of the repository's top level (the layout keeps the root for
#   the solution), so the build runs on a copy: a scratch tree mailseal-VERSION/ with debian/ from
#   packaging/debian, the binaries as bin/, and the files the package ships (README.md, docs/,
#   postfix/, dovecot/, examples/, packaging/). dpkg-buildpackage -b -uc -us builds it there; the
#   .deb lands in OUTPUT-DIR. Needs dpkg-dev and debhelper (tools/install-deps.sh installs them);
#   runs as any user (Rules-Requires-Root: no).
#   Publishes first (tools/publish.sh) unless --bin names a folder that already holds the binaries.
#   The package version is debian/changelog's, and must equal the binaries' --version.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=
while [ $# -gt 0 ]; do
  case $1 in
    --bin) bin=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
  esac
done
out=${1:-artifacts/deb}
if [ -z "$bin" ]; then
  bash tools/publish.sh artifacts/bin
  bin=artifacts/bin
fi
for b in mailseal-encrypt mailseal-spfd mailseal mailseald mailseal-tools; do
  [ -x "$bin/$b" ] || { echo "build.sh: $bin/$b is missing" >&2; exit 66; }
done

version=$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)
built=$("$bin/mailseal" --version | awk '{print $2}')
[ "$version" = "$built" ] || { echo "build.sh: debian/changelog says $version but the binaries say $built (Directory.Build.props <Version>)" >&2; exit 65; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/mailseal-deb.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
tree=$scratch/mailseal-$version
mkdir -p "$tree"
cp -a packaging/debian "$tree/debian"
mkdir -p "$tree/packaging"
cp -a packaging/generate.sh packaging/systemd "$tree/packaging/"
cp -a "$bin" "$tree/bin"
cp -a README.md docs postfix dovecot examples "$tree/"
chmod -R u+w,go-w "$tree"

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(dpkg-parsechangelog -l packaging/debian/changelog -S Timestamp)}
(cd "$tree" && dpkg-buildpackage -b -uc -us) > "$scratch/build.log" 2>&1 || {
  tail -40 "$scratch/build.log" >&2
  echo "build.sh: dpkg-buildpackage failed" >&2
  exit 1
}
mkdir -p "$out"
rm -f "$out"/mailseal_*.deb
mv "$scratch"/mailseal_"$version"_*.deb "$out/"
deb=$(ls "$out"/mailseal_"$version"_*.deb)
echo "build.sh: $deb ($(du -h "$deb" | cut -f1))"
