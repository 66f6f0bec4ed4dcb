#!/usr/bin/env bash
# configure.sh - apply the example server's Postfix and Dovecot configuration: every setting
# comes from a fragment in postfix/ or dovecot/, applied by postfix/apply.sh. Nothing else edits
# the admin's files. tools/package-test.sh runs it on scratch directories with the installed
# package and checks the result with postfix check and doveconf -n.
#
# SYNOPSIS
#   configure.sh [--share DIR] [--route pipe|filterd] VARS POSTFIX_DIR DOVECOT_CONF_D
#     --share  where postfix/ and dovecot/ are (default /usr/share/mailseal, the package's)
#     --route  pipe (default: mailseal-pipe, one process per message) or filterd (the daemon)
# EXAMPLE
#   examples/server/configure.sh /etc/mailseal/fragments.vars /etc/postfix /etc/dovecot/conf.d
#   postfix check && doveconf -n >/dev/null && postfix reload && doveadm reload
set -euo pipefail
share=/usr/share/mailseal route=pipe
while [ $# -gt 0 ]; do
  case $1 in
    --share) share=$2; shift 2 ;;
    --route) route=$2; shift 2 ;;
    *) break ;;
  esac
done
[ $# -eq 3 ] || { echo "usage: configure.sh [--share DIR] [--route pipe|filterd] VARS POSTFIX_DIR DOVECOT_CONF_D" >&2; exit 64; }
vars=$1 postfix_dir=$2 dovecot_dir=$3
apply=$share/postfix/apply.sh
p=$share/postfix d=$share/dovecot

case $route in
  pipe) encrypt=$p/mailseal-pipe.postconf ;;
  filterd) encrypt=$p/mailseal-filterd.postconf ;;
  *) echo "configure.sh: --route is pipe or filterd" >&2; exit 64 ;;
esac

# Postfix, in order: maps and virtual delivery, TLS, submission, encryption, SPF + greylisting.
"$apply" --vars "$vars" "$postfix_dir" \
  "$p/mailseal-pgsql-mailboxes.cf" "$p/mailseal-pgsql-aliases.cf" \
  "$p/mailseal-virtual-lmtp.postconf" "$p/mailseal-tls.postconf" \
  "$p/mailseal-submission.postconf" "$encrypt" "$p/mailseal-policy.postconf"
# Dovecot: Maildir, SQL auth (and the SASL socket for Postfix), LMTP, TLS, and the userdb
# socket for mailseal-maildir running as the mail user.
"$apply" --vars "$vars" "$dovecot_dir" \
  "$d/10-mailseal-mail.conf" "$d/10-mailseal-auth.conf" "$d/20-mailseal-lmtp.conf" \
  "$d/10-mailseal-ssl.conf" "$d/mailseal-sql.conf.ext" "$d/10-mailseal-maildir.conf"
echo "configure.sh: applied the $route route to $postfix_dir and $dovecot_dir"
