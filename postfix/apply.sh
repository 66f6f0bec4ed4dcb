#!/usr/bin/env bash
# apply.sh - apply Mailseal's Postfix and Dovecot configuration fragments to a config directory.
#
# SYNOPSIS
#   postfix/apply.sh [--vars FILE] TARGET_DIR FRAGMENT...
#
# DESCRIPTION
#   Postfix has no include directive, so Mailseal ships its settings as fragments and this one
#   script applies them with postconf(1); the admin and the end-to-end tests run the same
#   script on the same files. See postfix/README.md for the fragment format.
#
#   FRAGMENT ending in .postconf   [main] lines go through `postconf -c TARGET_DIR -e`,
#                                  [master] entries through `postconf -c TARGET_DIR -M`,
#                                  [params] lines through `postconf -c TARGET_DIR -P`.
#                                  TARGET_DIR must hold a main.cf.
#   any other FRAGMENT             (a pgsql map *.cf, a Dovecot conf.d file *.conf, *.conf.ext)
#                                  is copied to TARGET_DIR/NAME with mode 0640, group postfix
#                                  for *.cf and dovecot for *.conf / *.ext (when that group exists).
#
#   Placeholders @NAME@ (NAME = [A-Z][A-Z0-9_]*) are filled from --vars FILE (NAME=VALUE lines,
#   # comments) and, for names the file does not set, from the environment. Every fragment is
#   rendered and checked first: a placeholder without a value stops the script before anything
#   is written.
#
# DIAGNOSTICS
#   One line on stderr. Exit 0 done, 64 usage, 66 a fragment or vars file is missing,
#   78 a placeholder has no value or a fragment line is malformed, 75 postconf failed.
set -euo pipefail
shopt -u patsub_replacement 2>/dev/null || true   # bash 5.2: '&' in ${x//p/r} is literal again
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

die() { local rc=$1; shift; echo "apply.sh: $*" >&2; exit "$rc"; }

vars_file=
while [ $# -gt 0 ]; do
  case $1 in
    --vars) [ $# -ge 2 ] || die 64 "--vars needs a file"; vars_file=$2; shift 2 ;;
    --vars=*) vars_file=${1#--vars=}; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    -*) die 64 "unknown option $1" ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || die 64 "usage: apply.sh [--vars FILE] TARGET_DIR FRAGMENT..."
target=$1; shift
[ -d "$target" ] || die 66 "target directory $target does not exist"

declare -A vars=()
if [ -n "$vars_file" ]; then
  [ -r "$vars_file" ] || die 66 "cannot read vars file $vars_file"
  n=0
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    [[ $line =~ ^[[:space:]]*([A-Z][A-Z0-9_]*)=(.*)$ ]] || die 78 "$vars_file:$n: expected NAME=VALUE"
    vars[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
  done < "$vars_file"
fi

value_of() { # value_of NAME -> prints the value, rc 1 if unset
  if [ -n "${vars[$1]+x}" ]; then printf '%s' "${vars[$1]}"; return 0; fi
  if [ -n "${!1+x}" ]; then printf '%s' "${!1}"; return 0; fi
  return 1
}

render() { # render FILE -> prints the file with placeholders filled
  local file=$1 text name value
  text=$(cat "$file"; printf x); text=${text%x}
  for name in $(grep -o '@[A-Z][A-Z0-9_]*@' "$file" | sort -u | tr -d @); do
    value=$(value_of "$name") || die 78 "$file: placeholder @$name@ has no value (set it in the vars file or the environment)"
    text=${text//@$name@/$value}
  done
  printf '%s' "$text"
}

main_args=() master_args=() param_args=() copies=()
declare -A rendered=()

parse_postconf() { # parse_postconf FILE TEXT -> appends to main_args/master_args/param_args
  local file=$1 text=$2 section= n=0 entry= entry_line=0 line
  flush() {
    [ -n "$entry" ] || return 0
    case $section in
      main)
        [[ $entry =~ ^([A-Za-z0-9_.-]+)[[:space:]]*=[[:space:]]*(.*)$ ]] || die 78 "$file:$entry_line: expected 'name = value' in [main]"
        main_args+=("${BASH_REMATCH[1]} = ${BASH_REMATCH[2]}") ;;
      master)
        local fields
        read -r -a fields <<<"$entry"
        [ ${#fields[@]} -ge 8 ] || die 78 "$file:$entry_line: a master.cf entry needs 8 fields (service type private unpriv chroot wakeup maxproc command)"
        master_args+=("${fields[0]}/${fields[1]}=$entry") ;;
      params)
        [[ $entry =~ ^([^/[:space:]]+/[a-z-]+/[A-Za-z0-9_.-]+)[[:space:]]*=[[:space:]]*(.*)$ ]] || die 78 "$file:$entry_line: expected 'service/type/name = value' in [params]"
        param_args+=("${BASH_REMATCH[1]}=${BASH_REMATCH[2]}") ;;
      *) die 78 "$file:$entry_line: a setting before any [main], [master] or [params] section" ;;
    esac
    entry=
  }
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    [[ $line =~ ^[[:space:]]*# ]] && continue
    if [[ $line =~ ^[[:space:]]*$ ]]; then flush; continue; fi
    if [[ $line =~ ^\[([a-z]+)\][[:space:]]*$ ]]; then
      flush
      section=${BASH_REMATCH[1]}
      case $section in main|master|params) ;; *) die 78 "$file:$n: unknown section [$section]" ;; esac
      continue
    fi
    if [[ $line =~ ^[[:space:]] ]]; then
      [ -n "$entry" ] || die 78 "$file:$n: continuation line without an entry above it"
      entry="$entry ${line#"${line%%[![:space:]]*}"}"
    else
      flush
      entry=$line entry_line=$n
    fi
  done <<<"$text"
  flush
}

# 1. render and check everything
for f in "$@"; do
  [ -r "$f" ] || die 66 "cannot read fragment $f"
  text=$(render "$f" && printf x) || exit $?
  text=${text%x}
  case $f in
    *.postconf)
      [ -f "$target/main.cf" ] || die 66 "$target has no main.cf: .postconf fragments need a Postfix config directory"
      parse_postconf "$f" "$text" ;;
    *) rendered[$f]=$text; copies+=("$f") ;;
  esac
done

# 2. apply
umask 027
for f in "${copies[@]}"; do
  name=$(basename "$f")
  tmp=$(mktemp "$target/.$name.XXXXXX")
  printf '%s' "${rendered[$f]}" > "$tmp"
  chmod 640 "$tmp"
  group=
  case $name in *.cf) group=postfix ;; *.conf|*.ext) group=dovecot ;; esac
  if [ -n "$group" ] && getent group "$group" >/dev/null; then chgrp "$group" "$tmp"; fi
  mv -f "$tmp" "$target/$name"
done
pc() { postconf -c "$target" "$@" >/dev/null || die 75 "postconf -c $target $1 failed"; }
[ ${#main_args[@]} -eq 0 ] || pc -e "${main_args[@]}"
[ ${#master_args[@]} -eq 0 ] || pc -M "${master_args[@]}"
[ ${#param_args[@]} -eq 0 ] || pc -P "${param_args[@]}"
exit 0
