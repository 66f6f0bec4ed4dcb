#!/bin/sh
# generate.sh - what the package derives from the built tools, so it cannot drift from them:
# a man page per tool (each tool's --generate-man-page, the definition --help uses), a man page
# per multi-call binary (from its --help and --list), and the commented mailseal.conf (each
# tool's --generate-config: every setting with its description and default).
#
# SYNOPSIS
#   packaging/generate.sh BINDIR OUTDIR
#     BINDIR  tools/publish.sh's output: mailseal-encrypt and mailseal-spfd, and mailseal, mailseald,
#             mailseal-tools with a link per tool
#     OUTDIR  gets man/NAME.SECTION and mailseal.conf
#
# The tool list is each binary's own --list (src/*/Program.cs): a tool added there (e.g.
# mailseal-maildir in mailseal-tools) gets its link, man page and conf section with no change here.
set -eu
[ $# -eq 2 ] || { echo "usage: generate.sh BINDIR OUTDIR" >&2; exit 64; }
bindir=$1 out=$2
binaries="mailseal mailseald mailseal-tools"
solo="mailseal-encrypt mailseal-spfd"
rm -rf "$out"
mkdir -p "$out/man"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d)

# One tool's man page (its own section) and its mailseal.conf excerpt.
tool() {
  t=$1
  [ -e "$bindir/$t" ] || { echo "generate.sh: $bindir/$t is missing (tools/publish.sh makes a link per tool)" >&2; exit 66; }
  "$bindir/$t" --generate-man-page > "$work/$t.man"
  section=$(sed -n '1s/^\.TH "[^"]*" "\([0-9][a-z]*\)".*/\1/p' "$work/$t.man")
  [ -n "$section" ] || { echo "generate.sh: $t --generate-man-page has no .TH section" >&2; exit 70; }
  mv "$work/$t.man" "$out/man/$t.$section"
  "$bindir/$t" --generate-config > "$work/$t.conf"
  echo "$t" >> "$work/tools"
}

# mailseal-encrypt and mailseal-spfd are binaries of their own (no --list, no links): the page is the tool's.
for b in $solo; do
  [ -x "$bindir/$b" ] || { echo "generate.sh: $bindir/$b is missing (run tools/publish.sh)" >&2; exit 66; }
  tool "$b"
done
for b in $binaries; do
  [ -x "$bindir/$b" ] || { echo "generate.sh: $bindir/$b is missing (run tools/publish.sh)" >&2; exit 66; }
  version=$("$bindir/$b" --version | awk '{print $2}')
  tools=$("$bindir/$b" --list)
  [ -n "$tools" ] || { echo "generate.sh: $b --list printed nothing" >&2; exit 70; }

  # The binary's own page: its --help (usage and one line per tool) as roff.
  {
    printf '.TH "%s" "8" "%s" "Mailseal %s" "Mailseal"\n' "$(echo "$b" | tr a-z A-Z)" "$date" "$version"
    printf '.SH NAME\n%s \\- Mailseal multi\\-call binary (%s)\n' "$b" "$(echo $tools | sed 's/ /, /g; s/-/\\-/g')"
    printf '.SH SYNOPSIS\n.B %s\n.I TOOL\n.RI [ ARGS ...]\n.br\n.B %s\n.B \\-\\-list\n|\n.B \\-\\-version\n|\n.B \\-\\-help\n' "$b" "$b"
    printf '.SH DESCRIPTION\nThe name it is started under picks the tool: each tool is installed as a link to this binary, keeps its own options, man page and exit codes, and is best started through that link. Started as\n.B %s\nit takes the tool as first argument.\n.SH TOOLS\n' "$b"
    "$bindir/$b" --help | awk '/^Tools:/{on=1; next} on && /^  [a-z]/{name=$1; $1=""; sub(/^ +/, ""); gsub(/-/, "\\-", name); gsub(/\\/, "\\e"); gsub(/-/, "\\-"); printf ".TP\n.BR %s (8)\n%s\n", name, $0} on && /^$/{if (n++) on=0}'
    printf '.SH "EXIT STATUS"\nAn unknown tool name prints one 4.3.5 line and exits 75 (EX_TEMPFAIL), so a mistyped Postfix argv= defers mail instead of bouncing it.\n.SH "SEE ALSO"\n'
    echo "$tools" | sed 's/-/\\-/g; s/$/ (8)/; s/^/.BR /'
  } > "$out/man/$b.8"

  for t in $tools; do
    tool "$t"
  done
done

# mailseal.conf: the shared names once (the first tool that defines one describes it), then
# each tool's section.
{
  cat <<'HEAD'
# /etc/mailseal/mailseal.conf - Mailseal's one configuration file, read by every tool.
#
# Lines are "name = value"; a line starting with # is a comment. The shared names come first;
# each [section] holds one tool's names and may repeat a shared name to override it for that
# tool. Every name is also a long flag (key_dir is --key-dir), and a flag wins over this file.
# Every line below is commented out and shows the built-in default: uncomment a line to change
# it. The tools' man pages (mailseal-encrypt(8), ...) and /usr/share/doc/mailseal/docs/ say more.
#
# Generated from the tools' own option definitions (mailseal-TOOL --generate-config).

HEAD
  for t in $(cat "$work/tools"); do
    awk '/^\[/{exit} {print}' "$work/$t.conf"
  done | awk 'BEGIN{RS=""; ORS="\n\n"} {n=split($0, l, "\n"); key=l[n]; sub(/ =.*/, "", key); if (!(key in seen)) {seen[key]=1; print}}'
  for t in $(cat "$work/tools"); do
    awk 'f{print} /^\[/{f=1; print}' "$work/$t.conf"
  done
} > "$out/mailseal.conf"
# No trailing blank lines.
sed -i -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$out/mailseal.conf"
echo "generate.sh: $(ls "$out/man" | wc -l) man pages and mailseal.conf ($(grep -c '^#[a-z_]* =' "$out/mailseal.conf") settings) in $out"
