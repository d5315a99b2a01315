#!/usr/bin/env bash
# Tests Scripts/lib/apt-mirror.sh on made-up APT configurations (one-line sources.list, deb822 .sources, both, none).
# Run by Scripts/test.sh; needs nothing but bash and awk. The URIs are placeholders on reserved names (RFC 2606).
set -euo pipefail
cd "$(dirname "$0")"
source lib/apt-mirror.sh
unset NEURONHIL_DEBIAN_MIRROR

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
failures=0
case_no=0

# expect NAME WANT: apt_mirror under $root/$case_no prints WANT (or fails when WANT is "error").
expect() {
    local name=$1 want=$2 got rc=0 err
    err=$(mktemp)
    got=$(NEURONHIL_APT_ETC="$root/$case_no" apt_mirror 2>"$err") || rc=$?
    if [ "$want" = error ]; then
        if [ $rc -eq 0 ] || ! grep -q "Fix:" "$err" || ! grep -q "$root/$case_no/sources.list" "$err"; then
            echo "FAIL $name: expected an error naming the files and the fix, got rc=$rc '$got' / $(cat "$err")" >&2
            failures=$((failures + 1))
        fi
    elif [ $rc -ne 0 ] || [ "$got" != "$want" ]; then
        echo "FAIL $name: expected '$want', got rc=$rc '$got' / $(cat "$err")" >&2
        failures=$((failures + 1))
    fi
    rm -f "$err"
}

# new_case: a fresh APT directory, $dir.
new_case() { case_no=$((case_no + 1)); dir="$root/$case_no"; mkdir -p "$dir/sources.list.d"; }

new_case
cat >"$dir/sources.list" <<'L'
# a comment
deb-src http://src.example.org/archive/debian bookworm main
deb http://security.example.org/archive/debian-security bookworm-security main
deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] http://mirror.example.org/archive/debian/ bookworm main contrib # trailing
L
expect "sources.list, options and a trailing slash" "http://mirror.example.org/archive/debian"

new_case
cat >"$dir/sources.list.d/debian.sources" <<'S'
Types: deb
# http://snapshot.example.org/archive/debian/20250520T000000Z
URIs: http://deb822.example.org/archive/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb822.example.org/archive/debian-security
Suites: bookworm-security
Components: main
S
expect "deb822 .sources (bookworm's default layout)" "http://deb822.example.org/archive/debian"

new_case
cat >"$dir/sources.list.d/debian.sources" <<'S'
Types: deb-src
URIs: http://src.example.org/archive/debian
Suites: bookworm

Enabled: no
Types: deb
URIs: http://disabled.example.org/archive/debian
Suites: bookworm

Types: deb deb-src
URIs:
 https://continued.example.org/archive/debian
Suites: trixie
S
expect "deb822: deb-src and disabled stanzas skipped, continuation lines read" "https://continued.example.org/archive/debian"

new_case
echo "deb http://list.example.org/archive/debian bookworm main" >"$dir/sources.list.d/a.list"
printf 'Types: deb\nURIs: http://deb822.example.org/archive/debian\nSuites: bookworm\n' >"$dir/sources.list.d/b.sources"
expect "one-line .list before deb822" "http://list.example.org/archive/debian"

new_case
printf 'Types: deb\nURIs: http://deb822.example.org/archive/debian-security\nSuites: bookworm-security\n' >"$dir/sources.list.d/s.sources"
echo "deb cdrom:[Debian 12]/ bookworm main" >"$dir/sources.list"
expect "only security and cdrom entries" error

new_case
expect "no sources at all" error

new_case
NEURONHIL_DEBIAN_MIRROR=http://override.example.org/archive/debian expect "NEURONHIL_DEBIAN_MIRROR wins" "http://override.example.org/archive/debian"

if [ $failures -gt 0 ]; then
    echo "error: $failures of $case_no apt-mirror cases failed" >&2
    exit 1
fi
echo "apt-mirror: $case_no cases passed"
