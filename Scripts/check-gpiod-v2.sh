#!/usr/bin/env bash
# Compiles the libgpiod shim (Sources/CGPIOD) against libgpiod 2.x headers, as shipped by Debian trixie and
# current Raspberry Pi OS, while the machine itself has bookworm's libgpiod 1.6. The shim picks its API from
# whether <gpiod.h> defines GPIOD_LINE_BULK_MAX_LINES (v1 only), so this is the check that the v2 branch builds.
#
# trixie's libgpiod-dev .deb is fetched with `apt-get download` under a private APT configuration (APT_CONFIG
# pointing at files in a temporary directory), so the system's sources, lists and caches are left untouched.
# The .deb is unpacked, not installed. Cached under ~/.cache/neuronhil/gpiod-v2 by its file name.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/neuronhil/gpiod-v2"
mkdir -p "$cache"
deb=$(ls "$cache"/libgpiod-dev_2*.deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ]; then
    apt_dir=$(mktemp -d)
    trap 'rm -rf "$apt_dir"' EXIT
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/etc/preferences.d" "$apt_dir/etc/apt.conf.d"
    mirror="${NEURONHIL_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
    echo "deb $mirror trixie main" >"$apt_dir/etc/sources.list"
    mkdir -p "$apt_dir/etc/sources.list.d"
    cat >"$apt_dir/apt.conf" <<CONF
Dir::State "$apt_dir";
Dir::State::Lists "$apt_dir/lists";
Dir::State::status "$apt_dir/status";
Dir::Cache "$apt_dir";
Dir::Cache::archives "$apt_dir/archives";
Dir::Etc::SourceList "$apt_dir/etc/sources.list";
Dir::Etc::SourceParts "$apt_dir/etc/sources.list.d";
Dir::Etc::Preferences "$apt_dir/etc/preferences";
Dir::Etc::PreferencesParts "$apt_dir/etc/preferences.d";
Dir::Etc::Parts "$apt_dir/etc/apt.conf.d";
APT::Architecture "$(dpkg --print-architecture)";
APT::Architectures { "$(dpkg --print-architecture)"; };
CONF
    : >"$apt_dir/status"
    export APT_CONFIG="$apt_dir/apt.conf"
    apt-get -q update >"$apt_dir/update.log" 2>&1 || { cat "$apt_dir/update.log" >&2; exit 1; }
    (cd "$cache" && apt-get -q download libgpiod-dev >"$apt_dir/download.log" 2>&1) || { cat "$apt_dir/download.log" >&2; exit 1; }
    deb=$(ls "$cache"/libgpiod-dev_2*.deb | head -1)
    unset APT_CONFIG
fi
inc="$cache/root"
rm -rf "$inc"
dpkg-deb -x "$deb" "$inc"
header="$inc/usr/include/gpiod.h"
[ -f "$header" ] || { echo "error: $deb has no usr/include/gpiod.h" >&2; exit 1; }
if grep -q GPIOD_LINE_BULK_MAX_LINES "$header"; then
    echo "error: $header defines GPIOD_LINE_BULK_MAX_LINES: not a 2.x header" >&2
    exit 1
fi
cc=${CC:-cc}
for api in v2 v1; do
    if [ "$api" = v2 ]; then flags=(-I"$inc/usr/include"); else flags=(); fi
    "$cc" -std=c11 -Wall -Wextra -Werror "${flags[@]}" -I"$root/Sources/CGPIOD/include" \
        -c "$root/Sources/CGPIOD/cgpiod.c" -o "$cache/cgpiod-$api.o"
    # The object must call the API it was compiled for.
    if [ "$api" = v2 ]; then want=gpiod_chip_request_lines; else want=gpiod_line_request; fi
    nm "$cache/cgpiod-$api.o" | grep -qw "U $want" || { echo "error: the $api build does not call $want" >&2; exit 1; }
done
echo "check-gpiod-v2: Sources/CGPIOD/cgpiod.c compiles against $(basename "$deb") (v2) and the system's libgpiod (v1)"
