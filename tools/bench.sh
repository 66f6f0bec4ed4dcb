#!/usr/bin/env bash
# bench.sh - build Mailseal.Benchmarks in Release and run every benchmark, or the ones named.
# Usage: tools/bench.sh                          run all (Mailseal.Benchmarks list)
#        tools/bench.sh NAME [--option V]...     run the named ones; options follow their name
#        e.g. tools/bench.sh encrypt --sizes 25M --rss-sizes 25M
# Benchmarks are not tests: tools/test.sh never runs them. Output is plain aligned text; the
# exit status is the first failing benchmark's (sysexits), 0 when all ran.
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if ! dotnet build tests/Mailseal.Benchmarks -c Release -nologo -v quiet; then
  echo "bench.sh: build failed" >&2
  exit 70
fi
bench=tests/Mailseal.Benchmarks/bin/Release/net10.0/Mailseal.Benchmarks

mapfile -t names < <("$bench" list)
[ ${#names[@]} -gt 0 ] || { echo "bench.sh: Mailseal.Benchmarks lists no benchmark" >&2; exit 70; }

# Group the arguments: a benchmark's name starts a run, everything after it is its options.
runs=()
current=
for arg in "$@"; do
  if printf '%s\n' "${names[@]}" | grep -qxF -- "$arg"; then
    [ -z "$current" ] || runs+=("$current")
    current=$(printf '%q' "$arg")
  elif [ -n "$current" ]; then
    current+=" $(printf '%q' "$arg")"
  else
    echo "bench.sh: unknown benchmark '$arg' (benchmarks: ${names[*]})" >&2
    exit 64
  fi
done
[ -z "$current" ] || runs+=("$current")
[ ${#runs[@]} -gt 0 ] || runs=("${names[@]}")

status=0
for run in "${runs[@]}"; do
  eval "set -- $run"
  echo "=== $*"
  "$bench" "$@"
  rc=$?
  [ $rc = 0 ] || { echo "bench.sh: $1 exited $rc" >&2; [ $status != 0 ] || status=$rc; }
  echo
done
exit $status
