#!/usr/bin/env bash
# Compiles the libgpiod shim (Sources/CGPIOD) against libgpiod 2.x headers, as shipped by Debian trixie and
# current Raspberry Pi OS, while the machine itself has bookworm's libgpiod 1.6. The shim picks its API from
# whether <gpiod.h> defines GPIOD_LINE_BULK_MAX_LINES (v1 only), so this is the check that the v2 branch builds,
# warning-free, and calls the v2 API; the v1 build is checked the same way. Running both branches against a real
# kernel is Scripts/vm-test.sh's part (Scripts/vm/gpiod-shim-test.c).
#
# trixie's libgpiod-dev and libgpiod3 come from Scripts/fetch-gpiod-v2.sh: downloaded under a private APT
# configuration, unpacked (never installed), cached under ~/.cache/neuronhil/gpiod-v2, and failing loudly without
# network access to Debian.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
v2=$("$root/Scripts/fetch-gpiod-v2.sh")
header="$v2/usr/include/gpiod.h"
if grep -q GPIOD_LINE_BULK_MAX_LINES "$header"; then
    echo "error: $header defines GPIOD_LINE_BULK_MAX_LINES: not a 2.x header" >&2
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc=${CC:-cc}
for api in v2 v1; do
    if [ "$api" = v2 ]; then flags=(-I"$v2/usr/include"); else flags=(); fi
    "$cc" -std=c11 -Wall -Wextra -Werror "${flags[@]}" -I"$root/Sources/CGPIOD/include" \
        -c "$root/Sources/CGPIOD/cgpiod.c" -o "$work/cgpiod-$api.o"
    # The object must call the API it was compiled for.
    if [ "$api" = v2 ]; then want=gpiod_chip_request_lines; else want=gpiod_line_request; fi
    nm "$work/cgpiod-$api.o" | grep -qw "U $want" || { echo "error: the $api build does not call $want" >&2; exit 1; }
done
echo "check-gpiod-v2: Sources/CGPIOD/cgpiod.c compiles against libgpiod-dev ${v2##*/trixie-} (v2)" \
    "and the system's libgpiod (v1)"
