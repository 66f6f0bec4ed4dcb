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

# run_project NAME: runs one test project, its output in $logdir/NAME.log (and on stdout unless
# QUIET=1), its results in NAME.trx, and its exit code in NAME.rc.
run_project() {
  local name=$1 log=$logdir/$1.log
  local run=(dotnet test "tests/$name/$name.csproj" -c Release --no-build "${filter[@]}"
    --logger "console;verbosity=normal" --logger "trx;LogFileName=$logdir/$name.trx")
  if [ "${QUIET:-0}" = 1 ]; then
    "${run[@]}" >"$log" 2>&1
    echo $? >"$logdir/$name.rc"
  else
    "${run[@]}" 2>&1 | tee "$log"
    echo "${PIPESTATUS[0]}" >"$logdir/$name.rc"
  fi
}

# count_project NAME: adds a finished project's TRX counters to the totals and names its failures.
count_project() {
  local name=$1 trx=$logdir/$1.trx rc counters p f s t
  rc=$(cat "$logdir/$name.rc" 2>/dev/null || echo "?")
  # the TRX counters: <Counters total="12" executed="12" passed="12" failed="0" ... notExecuted="0" ...>
  counters=$(grep -o '<Counters [^>]*>' "$trx" 2>/dev/null | head -1)
  if [ -z "$counters" ]; then
    broken+=("$name (exit $rc, no test results)")
    failed=$((failed + 1))
    return
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
}

names=()
for proj in "${projects[@]}"; do names+=("$(basename "$proj" .csproj)"); done
# The end-to-end project takes most of the run (about eight minutes) and spends it mostly waiting
# on Postfix's queues, restarts and timers, one test at a time on one shared stack: it runs in the
# background while the other projects run one after another, and its log is shown when it ends.
# Its tests and theirs share nothing but the published binaries (every server on its own port
# and folder). MAILSEAL_TEST_SERIAL=1 runs everything one project at a time.
e2e=Mailseal.EndToEnd.Tests e2e_pid=
if [ ${#names[@]} -gt 1 ] && [ "${MAILSEAL_TEST_SERIAL:-0}" != 1 ] && [[ " ${names[*]} " == *" $e2e "* ]]; then
  echo "=== $e2e (in the background; its log follows when it ends)"
  QUIET=1 run_project "$e2e" &
  e2e_pid=$!
fi
for name in "${names[@]}"; do
  [ -z "$e2e_pid" ] || [ "$name" != "$e2e" ] || continue
  echo "=== $name"
  run_project "$name"
  count_project "$name"
done
if [ -n "$e2e_pid" ]; then
  wait "$e2e_pid"
  echo "=== $e2e (ran in the background)"
  cat "$logdir/$e2e.log"
  count_project "$e2e"
fi

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
