#!/usr/bin/env bash
# Fetches libgpiod 2.x as Debian trixie (and current Raspberry Pi OS) ship it, the headers (libgpiod-dev) and the
# shared library (libgpiod3), unpacks both into one directory and prints that directory:
#   DIR/usr/include/gpiod.h   DIR/usr/lib/<multiarch>/libgpiod.so -> libgpiod.so.3 -> libgpiod.so.3.x.y
# Used by Scripts/check-gpiod-v2.sh (compiles the shim against the headers) and Scripts/vm-test.sh (runs the shim's
# C checks, Scripts/vm/gpiod-shim-test.c, against the library in the VM). The machine itself keeps bookworm's 1.6.
#
# The .debs are fetched with `apt-get download` under a private APT configuration (APT_CONFIG pointing at files in a
# temporary directory), so the system's sources, lists and caches are left untouched, and unpacked with
# `dpkg-deb -x`, never installed. Cached under ~/.cache/neuronhil/gpiod-v2: the two .debs (one version, downloaded
# together so headers and library always match) and the unpacked tree, trixie-<version>, shared by every checkout
# on the machine (unpacked into a temporary directory and renamed into place, so concurrent runs do not collide).
# The archive is the one this machine's APT sources name (Scripts/lib/apt-mirror.sh; $NEURONHIL_DEBIAN_MIRROR
# overrides it). Without network access to Debian's archive and nothing cached, it fails with APT's log.
#
# The library is checked before use: it may need only libc.so.6, and only symbol versions this machine's glibc
# (bookworm: 2.36) exports, since the VM runs it on this machine's glibc. Otherwise it stops with an error that says
# which symbols are missing.
set -euo pipefail
source "$(dirname "$0")/lib/apt-mirror.sh"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/neuronhil/gpiod-v2"
mkdir -p "$cache"
arch=$(dpkg --print-architecture)

# A cached pair: libgpiod-dev_V_ARCH.deb and libgpiod3_V_ARCH.deb for the same V.
cached_version() {
    local dev v
    for dev in "$cache"/libgpiod-dev_2*_"$arch".deb; do
        [ -f "$dev" ] || continue
        v=${dev##*/libgpiod-dev_}
        v=${v%_"$arch".deb}
        if [ -f "$cache/libgpiod3_${v}_$arch.deb" ]; then echo "$v"; return; fi
    done
}

version=$(cached_version)
if [ -z "$version" ]; then
    apt_dir=$(mktemp -d)
    trap 'rm -rf "$apt_dir"' EXIT
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/etc/preferences.d" \
        "$apt_dir/etc/apt.conf.d" "$apt_dir/etc/sources.list.d" "$apt_dir/download"
    mirror=$(apt_mirror)
    echo "deb $mirror trixie main" >"$apt_dir/etc/sources.list"
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
APT::Architecture "$arch";
APT::Architectures { "$arch"; };
CONF
    : >"$apt_dir/status"
    echo "fetch-gpiod-v2: downloading libgpiod-dev and libgpiod3 from $mirror trixie" >&2
    (
        export APT_CONFIG="$apt_dir/apt.conf"
        # --error-on=any: a mirror that cannot be reached fails here, not later as "Unable to locate package".
        apt-get -q update --error-on=any >"$apt_dir/update.log" 2>&1 || { cat "$apt_dir/update.log" >&2; exit 1; }
        # Into a directory of its own first, so the cache only ever holds complete pairs.
        cd "$apt_dir/download" && apt-get -q download libgpiod-dev libgpiod3 >"$apt_dir/download.log" 2>&1 \
            || { cat "$apt_dir/download.log" >&2; exit 1; }
    ) || { echo "error: could not download trixie's libgpiod-dev and libgpiod3 (APT's log above)" >&2; exit 1; }
    dev=$(ls "$apt_dir/download"/libgpiod-dev_2*_"$arch".deb 2>/dev/null | head -1 || true)
    [ -n "$dev" ] || { echo "error: trixie's libgpiod-dev is not 2.x: $(ls "$apt_dir/download")" >&2; exit 1; }
    version=${dev##*/libgpiod-dev_}
    version=${version%_"$arch".deb}
    [ -f "$apt_dir/download/libgpiod3_${version}_$arch.deb" ] || {
        echo "error: libgpiod-dev $version and libgpiod3 differ in version: $(ls "$apt_dir/download")" >&2
        exit 1
    }
    mv "$apt_dir/download"/libgpiod3_"${version}"_"$arch".deb "$cache/"
    mv "$dev" "$cache/"
fi

dir="$cache/trixie-$version"
multiarch=$(gcc -print-multiarch 2>/dev/null || dpkg-architecture -qDEB_HOST_MULTIARCH)
lib="$dir/usr/lib/$multiarch/libgpiod.so.3"
if [ ! -f "$dir/usr/include/gpiod.h" ] || [ ! -e "$lib" ]; then
    tmp=$(mktemp -d "$cache/.unpack.XXXXXX")
    dpkg-deb -x "$cache/libgpiod-dev_${version}_$arch.deb" "$tmp"
    dpkg-deb -x "$cache/libgpiod3_${version}_$arch.deb" "$tmp"
    rm -rf "$dir"
    mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"  # another run may have unpacked it first: same contents
fi
[ -f "$dir/usr/include/gpiod.h" ] || { echo "error: libgpiod-dev $version has no usr/include/gpiod.h" >&2; exit 1; }
[ -e "$lib" ] || { echo "error: libgpiod3 $version has no usr/lib/$multiarch/libgpiod.so.3" >&2; exit 1; }

# Can it run on this machine's C library? Every versioned symbol it imports must be one that libc.so.6 exports.
so=$(basename "$(readlink -f "$lib")")
needed=$(objdump -p "$lib" | awk '$1 == "NEEDED" { print $2 }')
if [ "$needed" != libc.so.6 ]; then
    echo "error: $so needs $(echo $needed) (only libc.so.6 is provided): it cannot run here" >&2
    exit 1
fi
libc=$(gcc -print-file-name=libc.so.6)
glibc=$(ldd --version | awk 'NR == 1 { print $NF }')
# objdump -T: "... *UND* ... (GLIBC_2.33) stat" for an import; "... .text ... GLIBC_2.33 stat" (parenthesised when
# not the default version) for an export. Both become "GLIBC_2.33 stat".
symbols() {
    objdump -T "$1" | awk -v want="$2" 'NF >= 2 && (/\*UND\*/ ? "import" : "export") == want && $(NF-1) ~ /GLIBC_/ {
        v = $(NF-1); gsub(/[()]/, "", v); print v, $NF }' | sort -u
}
imports=$(symbols "$lib" import)
missing=$(comm -23 <(echo "$imports") <(symbols "$libc" export))
if [ -n "$missing" ]; then
    {
        echo "error: trixie's $so ($version) imports glibc symbols that this machine's glibc $glibc does not export:"
        echo "$missing" | sed 's/^/    /'
        echo "The VM runs it on this machine's glibc, so the libgpiod 2.x shim can be compiled here but not run."
        echo "Fix: run on a machine whose glibc is at least as new as trixie's, or build libgpiod 2.x from source here."
    } >&2
    exit 1
fi
newest=$(echo "$imports" | awk '{ print $1 }' | sort -uV | tail -1)
echo "fetch-gpiod-v2: $so ($version) imports $(echo "$imports" | wc -l) glibc symbols up to $newest;" \
    "glibc $glibc exports them all" >&2
echo "$dir"
