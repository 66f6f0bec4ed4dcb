#!/bin/bash
# A stand-in for Postfix's "sendmail -bs" in unit tests: speaks just enough SMTP on
# stdin/stdout and appends every line it receives to "got" beside itself, so a test can check
# the dialogue byte for byte without a Postfix queue (the end-to-end suite uses the real one).
[ "$1" = "-bs" ] || { echo "expected -bs, got $*" >&2; exit 64; }
log="$(dirname "$0")/got"
printf '220 stub ESMTP\r\n'
data=0
while IFS= read -r line; do
  line=${line%$'\r'}
  printf '%s\n' "$line" >> "$log"
  if [ $data = 1 ]; then
    [ "$line" = . ] && { data=0; printf '250 2.0.0 Ok: queued as STUB1\r\n'; }
    continue
  fi
  case "$line" in
    EHLO*) printf '250-stub\r\n250 8BITMIME\r\n' ;;
    DATA) data=1; printf '354 go\r\n' ;;
    QUIT) printf '221 bye\r\n'; exit 0 ;;
    *) printf '250 ok\r\n' ;;
  esac
done
