#!/usr/bin/env bash
# package-test.sh - CI for the Debian package (tools/test.sh runs it; it can run alone).
#
# SYNOPSIS
#   tools/package-test.sh [--bin DIR]      (default: artifacts/bin, published if missing)
#
# DESCRIPTION
#   1. builds the .deb (packaging/build.sh) and runs lintian on it: no error-level tag;
#   2. snapshots the file system, installs it with apt-get install ./mailseal_*.deb;
#   3. checks what it installed: every multi-call binary and tool answers --version from PATH,
#      a man page per command, the conffile, the mailseal user, /var/lib/mailseal, the units
#      (systemd-analyze verify, and the security score of each, printed);
#   4. with the package installed, runs the end-to-end tests that matter for it against the
#      installed files (MAILSEAL_BIN_DIR=/usr/bin, MAILSEAL_SHARE_DIR=/usr/share/mailseal): the
#      man page/--help drift test, the fragments applied by the installed apply.sh to a scratch
#      Postfix and Dovecot config (postfix check, doveconf -n), and a message sent with swaks that
#      Dovecot stores encrypted by the installed mailseal-pipe;
#   5. purges the package in a trap that always runs (this machine is reused) and checks the purge
#      left nothing but what policy allows: the mailseal system user.
#   Prints "package-test: N passed, M failed" last; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
bin=artifacts/bin
[ "${1:-}" = --bin ] && { bin=$2; shift 2; }
passed=0 failed=0
ok() { echo "package-test: ok   $*"; passed=$((passed + 1)); }
bad() { echo "package-test: FAIL $*"; failed=$((failed + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
finish() { echo "package-test: $passed passed, $failed failed"; [ "$failed" = 0 ]; exit $?; }

[ -x "$bin/mailseal" ] || bash tools/publish.sh "$bin" || { bad "tools/publish.sh"; finish; }

# A package left installed by an interrupted earlier run would hide what this run installs.
if dpkg-query -W -f='${Status}' mailseal 2>/dev/null | grep -q 'installed'; then
  echo "package-test: purging a mailseal package left from an earlier run"
  apt-get purge -y -q mailseal >/dev/null
fi

out=artifacts/deb
if ! bash packaging/build.sh --bin "$bin" "$out"; then bad "packaging/build.sh"; finish; fi
deb=$(ls "$out"/mailseal_*.deb)
ok "dpkg-buildpackage built $(basename "$deb")"

lintian_log=artifacts/deb/lintian.txt
lintian --fail-on error --display-info "$deb" > "$lintian_log" 2>&1
rc=$?
sed 's/^/  lintian: /' "$lintian_log"
check "lintian reports no error" [ "$rc" = 0 ]
check "lintian: no E: tag" bash -c "! grep -q '^E: ' '$lintian_log'"

snapshot() { # every path under the trees a package may touch, minus caches and logs
  find /etc /usr /var/lib -xdev \
    \( -path /var/lib/dpkg -o -path /var/lib/apt -o -o -path /var/lib/systemd/deb-systemd-helper-masked \
       -o -path /var/lib/systemd/deb-systemd-helper-enabled -o -path /var/lib/ucf \
       -o -path /var/lib/postgresql -o -path /usr/share/dotnet -o -path /var/lib/dhcp \) -prune -o -print 2>/dev/null | LC_ALL=C sort
}
before=$(mktemp) after=$(mktemp)
snapshot > "$before"

purged=0
purge() {
  [ $purged = 1 ] && return 0
  purged=1
  apt-get purge -y -q mailseal > artifacts/deb/purge.log 2>&1 || { cat artifacts/deb/purge.log; bad "apt-get purge mailseal"; }
}
trap 'purge; rm -f "$before" "$after"' EXIT

if apt-get install -y -q --no-install-recommends "./$deb" > artifacts/deb/install.log 2>&1; then
  ok "apt-get install ./$(basename "$deb")"
else
  cat artifacts/deb/install.log
  bad "apt-get install ./$(basename "$deb")"
  finish
fi

# 3. what it installed
for b in mailseal-encrypt mailseal-spfd; do
  check "$b --version from PATH" bash -c "env -i PATH=/usr/bin:/bin $b --version | grep -qx '$b [0-9.]*'"
  check "$b is a binary of its own" bash -c "[ -f /usr/bin/$b ] && [ ! -L /usr/bin/$b ]"
  check "man page for $b" bash -c "man -w $b >/dev/null 2>&1"
done
check "dovecot/mailseal-maildir-sent installed executable" test -x /usr/share/mailseal/dovecot/mailseal-maildir-sent
for b in mailseal mailseald mailseal-tools; do
  check "$b --version from PATH" bash -c "env -i PATH=/usr/bin:/bin $b --version | grep -qx '$b [0-9.]*'"
  for t in $(/usr/bin/$b --list); do
    check "$t --version from PATH" bash -c "env -i PATH=/usr/bin:/bin $t --version | grep -qx '$t [0-9.]*'"
    check "man page for $t" bash -c "man -w $t >/dev/null 2>&1"
  done
  check "man page for $b" bash -c "man -w $b >/dev/null 2>&1"
done
check "/etc/mailseal/mailseal.conf is a conffile" bash -c "dpkg-query -W -f='\${Conffiles}' mailseal | grep -q ' /etc/mailseal/mailseal.conf '"
check "mailseal.conf names every setting, all commented out" bash -c "grep -q '^#key_dir = /etc/mailseal/keys' /etc/mailseal/mailseal.conf && ! grep -Ev '^(#.*|\[[a-z]+\]|)$' /etc/mailseal/mailseal.conf | grep -q ."
check "system user mailseal (nologin)" bash -c "getent passwd mailseal | grep -q ':/usr/sbin/nologin$' && [ \$(getent passwd mailseal | cut -d: -f3) -lt 1000 ]"
check "/var/lib/mailseal is mailseal's, 0750" bash -c "[ \"\$(stat -c '%U:%G %a' /var/lib/mailseal)\" = 'mailseal:mailseal 750' ]"
check "/etc/mailseal/keys is root:mailseal 0750" bash -c "[ \"\$(stat -c '%U:%G %a' /etc/mailseal/keys)\" = 'root:mailseal 750' ]"
check "postfix/apply.sh and fragments in /usr/share/mailseal" test -x /usr/share/mailseal/postfix/apply.sh -a -f /usr/share/mailseal/postfix/mailseal-pipe.postconf -a -f /usr/share/mailseal/dovecot/10-mailseal-auth.conf
for unit in /lib/systemd/system/mailseal-*.service /lib/systemd/system/mailseal-*.timer; do
  [ -e "$unit" ] || continue
  name=$(basename "$unit")
  check "systemd-analyze verify $name" bash -c "systemd-analyze verify '$unit' 2>&1 | { ! grep -v -e 'Failed to .*manager' -e '^\$' ; }"
  # A timer starts its service and runs nothing itself: only services have an exposure to score.
  case $name in *.service) ;; *) continue ;; esac
  score=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p')
  echo "package-test: systemd-analyze security --offline=yes $name: ${score:-?}"
  check "$name exposure below 2.0" bash -c "awk 'BEGIN{exit !(\"${score%% *}\" != \"\" && \"${score%% *}\" + 0 < 2.0)}'"
done

# 4a. the example server (examples/server) applied by the installed apply.sh from the installed
# fragments to scratch config directories (never /etc/postfix), checked by the real programs
for route in pipe filterd; do
  scratch=$(mktemp -d)
  mkdir -p "$scratch/postfix" "$scratch/dovecot/conf.d" "$scratch/tls"
  cp /etc/postfix/main.cf /etc/postfix/master.cf "$scratch/postfix/"
  printf 'protocols = imap lmtp\n!include conf.d/*.conf\n' > "$scratch/dovecot/dovecot.conf"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mx.example.org \
    -keyout "$scratch/tls/key.pem" -out "$scratch/tls/cert.pem" >/dev/null 2>&1
  sed -e "s|^TLS_CERT=.*|TLS_CERT=$scratch/tls/cert.pem|; s|^TLS_KEY=.*|TLS_KEY=$scratch/tls/key.pem|" \
      -e "s|^DOVECOT_SQL_CONF=.*|DOVECOT_SQL_CONF=$scratch/dovecot/conf.d/mailseal-sql.conf.ext|" \
      examples/server/server.vars > "$scratch/vars"
  check "examples/server/configure.sh --route $route with the installed fragments" \
    bash examples/server/configure.sh --share /usr/share/mailseal --route $route "$scratch/vars" "$scratch/postfix" "$scratch/dovecot/conf.d"
  check "postfix -c DIR check ($route route)" bash -c "out=\$(postfix -c '$scratch/postfix' check 2>&1) && [ -z \"\$out\" ] || { echo \"\$out\"; false; }"
  check "doveconf -c FILE -n ($route route)" bash -c "doveconf -c '$scratch/dovecot/dovecot.conf' -n >/dev/null"
  rm -rf "$scratch"
done

# 4b. the installed files, through the end-to-end harness
if dotnet build tests/Mailseal.EndToEnd.Tests -c Release -nologo -v q > artifacts/deb/test-build.log 2>&1; then
  MAILSEAL_BIN_DIR=/usr/bin MAILSEAL_SHARE_DIR=/usr/share/mailseal \
    dotnet test tests/Mailseal.EndToEnd.Tests -c Release --no-build \
      --filter "FullyQualifiedName~ManPageDriftTests|FullyQualifiedName~FragmentTests.Postfix_check_passes|FullyQualifiedName~PipeStackTests.A_message_sent_with_swaks|FullyQualifiedName~PipeStackTests.The_pipe_fragment_passes_postfix_check" \
      --logger "console;verbosity=normal" > artifacts/deb/e2e.log 2>&1
  rc=$?
  grep -E '^\s+(Passed|Failed|Skipped) ' artifacts/deb/e2e.log | sed 's/^ */  e2e: /'
  tail -3 artifacts/deb/e2e.log
  check "end-to-end tests against the installed package" [ "$rc" = 0 ]
else
  tail -20 artifacts/deb/test-build.log
  bad "building tests/Mailseal.EndToEnd.Tests"
fi

# 5. purge, then compare
purge
check "dpkg forgot mailseal" bash -c "! dpkg-query -W -f='\${Status}' mailseal 2>/dev/null | grep -q 'ok'"
snapshot > "$after"
left=$(comm -13 "$before" "$after")
gone=$(comm -23 "$before" "$after")
[ -z "$left" ] || { echo "package-test: left after purge:"; echo "$left" | sed 's/^/  /'; }
[ -z "$gone" ] || { echo "package-test: removed by install+purge:"; echo "$gone" | sed 's/^/  /'; }
check "purge left no file behind" [ -z "$left" ]
check "install+purge removed nothing that was there before" [ -z "$gone" ]
check "the mailseal system user stays (Debian keeps system users)" bash -c "getent passwd mailseal >/dev/null"
finish
