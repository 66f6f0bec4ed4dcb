#!/usr/bin/env bash
# test.sh - the whole test suite: installs what the tests use, builds with warnings as errors,
# runs every test project (real Postfix, Dovecot, PostgreSQL, spamd, unbound, gpg, rnp, sq and
# OpenPGP.js included) and ends with one line "N passed, M failed".
# Usage: tools/test.sh [--filter EXPR] [PROJECT-NAME...] [package]   e.g. tools/test.sh Mailseal.EndToEnd.Tests
#        (no names: every project, then the Debian package test, tools/package-test.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
filter=()
projects=()
package=0
while [ $# -gt 0 ]; do
  case $1 in
    --filter) filter=(--filter "$2"); shift 2 ;;
    package) package=1; shift ;;
    *) projects+=("tests/$1/$1.csproj"); shift ;;
  esac
done
# No names: every test project and the package test. "package" alone: only the package test.
if [ ${#projects[@]} -eq 0 ] && [ $package = 0 ]; then projects=(tests/*.Tests/*.csproj); package=1; fi
unset MAILSEAL_BIN_DIR

bash tools/install-deps.sh test || { echo "test.sh: installing dependencies failed"; echo "0 passed, 1 failed"; exit 1; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
if ! dotnet build Toolkit.sln -c Release -nologo -v quiet; then
  echo "test.sh: build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
# One code style. Naming and the other .editorconfig style rules and the analyzers are errors in
# the build above (EnforceCodeStyleInBuild, TreatWarningsAsErrors: Directory.Build.props);
# whitespace is checked here file by file, which needs no second load of the solution (8 s
# instead of the 70 s a whole `dotnet format --verify-no-changes` took for the same verdict).
if ! dotnet format whitespace --folder --verify-no-changes -v q; then
  echo "test.sh: dotnet format found whitespace to fix (run: dotnet format whitespace --folder)"
  echo "0 passed, 1 failed"
  exit 1
fi
# The tests that start a tool start the published native binary, as an admin runs it.
if ! bash tools/publish.sh artifacts/bin; then
  echo "test.sh: publishing the native binaries failed"
  echo "0 passed, 1 failed"
  exit 1
fi

passed=0 failed=0 skipped=0 broken=()
logdir=$PWD/artifacts/test-results
rm -rf "$logdir"; mkdir -p "$logdir"
for proj in "${projects[@]}"; do
  name=$(basename "$proj" .csproj)
  echo "=== $name"
  log=$logdir/$name.log
  trx=$logdir/$name.trx
  dotnet test "$proj" -c Release --no-build "${filter[@]}" \
    --logger "console;verbosity=normal" --logger "trx;LogFileName=$trx" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  # the TRX counters: <Counters total="12" executed="12" passed="12" failed="0" ... notExecuted="0" ...>
  counters=$(grep -o '<Counters [^>]*>' "$trx" 2>/dev/null | head -1)
  if [ -z "$counters" ]; then
    broken+=("$name (exit $rc, no test results)")
    failed=$((failed + 1))
    continue
  fi
  count() { sed -nE "s/.* $1=\"([0-9]+)\".*/\1/p" <<<"$counters"; }
  p=$(count passed); f=$(( $(count failed) + $(count error) + $(count timeout) + $(count aborted) )); s=$(count notExecuted)
  echo "--- $name: $p passed, $f failed, $s skipped"
  # Name what failed, with the first line of its message, once more at the end, where the tail
  # of a CI log shows it.
  while IFS= read -r t; do broken+=("$name: $t"); done < <(python3 - "$trx" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for r in ET.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult", ns):
    if r.get("outcome") in ("Failed", "Error", "Timeout", "Aborted"):
        m = (r.findtext(".//t:Message", "", ns).strip().splitlines() or [""])[0]
        print(f"FAILED {r.get('testName')}: {m[:300]}")
PY
)
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  [ "$rc" = 0 ] || [ "$f" != 0 ] || { broken+=("$name (exit $rc)"); failed=$((failed + 1)); }
done

# The Debian package: build, lintian, install, check against the installed files, purge
# (tools/package-test.sh; its own last line counts its checks).
if [ $package = 1 ]; then
  echo "=== package"
  bash tools/package-test.sh --bin artifacts/bin 2>&1 | tee "$logdir/package.log"
  counts=$(grep -o 'package-test: [0-9]* passed, [0-9]* failed' "$logdir/package.log" | tail -1)
  if [ -z "$counts" ]; then
    broken+=("package (no result line)")
    failed=$((failed + 1))
  else
    read -r p f < <(sed -E 's/package-test: ([0-9]+) passed, ([0-9]+) failed/\1 \2/' <<<"$counts")
    while IFS= read -r t; do broken+=("package: $t"); done < <(grep -o 'package-test: FAIL .*' "$logdir/package.log")
    passed=$((passed + p)); failed=$((failed + f))
  fi
fi

for b in "${broken[@]}"; do echo "test.sh: $b"; done
if [ "$skipped" != 0 ]; then
  # A skipped test in CI hides a missing program: count it as a failure.
  echo "test.sh: $skipped test(s) skipped; a skip is a failure here"
  failed=$((failed + skipped))
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
