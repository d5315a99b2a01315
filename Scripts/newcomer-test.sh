#!/usr/bin/env bash
# The newcomer test: the README's two quick-start commands, read out of README.md and run as written, as root, on a
# fresh Debian 12 (bookworm) root that has only what swift.org lists as the Swift toolchain's prerequisites, the
# toolchain itself, this machine's copies of the Swift packages (read-only) and a clone of this repository. It fails
# when the README's commands rely on something that only a developer's machine has installed.
#
#   Scripts/newcomer-test.sh
#
# 1. The root: `debootstrap --variant=minbase bookworm` from the Debian mirror this machine's APT uses (read from
#    /etc/apt/sources.list, sources.list.d/*.list or the deb822 sources.list.d/*.sources), then `apt-get install
#    --no-install-recommends` of the toolchain's prerequisites as swift.org lists them for Debian 12 ("Installing
#    Swift" > Linux > Debian 12), and the package lists removed, as in a fresh image. Cached under
#    ~/.cache/neuronhil/newcomer/ by a hash of the suite, the architecture and the package list, like the VM kernel;
#    built once, then reused. Only the root is cached: the newcomer's build inside it is cold every time.
# 2. Each run mounts an overlay on the cached root (the cached root itself never changes), clones this repository's
#    HEAD (committed work only) into /root/NeuronHIL, bind-mounts read-only the toolchain (the folder `swift`
#    resolves into) and every local folder this machine's git configuration maps package URLs to
#    (url.<folder>.insteadOf), and writes those insteadOf lines into the root's /etc/gitconfig.
# 3. The two lines between the README's quick-start-commands markers run there with bash from the clone, with a
#    clean environment (HOME, PATH with the toolchain, LANG). The first must end with a run summary; the second runs
#    with NEURONHIL_SKIP_VM=1, NEURONHIL_SKIP_FORMATS=1 and NEURONHIL_SKIP_HOSTS=1 (no VM test, libgpiod 2.x header
#    check, Python readers or network namespaces inside the root, which has no Python and shares this machine's
#    kernel: CI runs those outside).
#
# Needs root (debootstrap, mount, chroot) and the Debian archive: for building the root, and for the first
# command's apt-get inside it. Cold and warm costs: docs/testing.md, "The newcomer test".
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
start=$(date +%s)
say() { echo "newcomer-test: $*"; }
fail() { echo "newcomer-test: error: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "needs root (debootstrap, mount, chroot). Fix: sudo $0"
command -v swift >/dev/null 2>&1 || fail "swift is not on PATH"

suite=bookworm
# swift.org's list of the toolchain's own dependencies for Debian 12, as it gives it.
prerequisites=(binutils git gnupg2 libc6-dev libcurl4-openssl-dev libedit2 libgcc-12-dev libpython3-dev libsqlite3-0
    libstdc++-12-dev libxml2-dev libz3-dev pkg-config python3-lldb-13 tzdata unzip zlib1g-dev)

# Debian's archive as this machine's APT sources name it (one reader for every script).
source "$root/Scripts/lib/apt-mirror.sh"

if ! command -v debootstrap >/dev/null 2>&1; then
    say "installing debootstrap"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q debootstrap >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q debootstrap >/dev/null; }
fi

# --- 1. The cached root -------------------------------------------------------------------------------------------
arch=$(dpkg --print-architecture)
key=$(printf '%s\n' "recipe 1" "$suite" "$arch" "${prerequisites[@]}" | sha256sum | cut -c1-16)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/neuronhil/newcomer"
base="$cache/$suite-$arch-$key"
mkdir -p "$cache"
exec 9>"$cache/lock"
flock 9  # held to the end: one run at a time, so a run folder left here now is a killed run's
# DIR: unmounts everything under DIR/merged, then removes DIR, unless something is still mounted there (removing
# it then would reach into the bind-mounted /dev or toolchain).
remove_run() {
    umount -R "$1/merged" 2>/dev/null || umount -R -l "$1/merged" 2>/dev/null || true
    if awk -v dir="$1/" 'index($5, dir) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
        echo "newcomer-test: error: $1 still has mounts; left in place" >&2
        return 1
    fi
    rm -rf --one-file-system "$1"
}
for stale in "$cache"/run.*; do
    [ -d "$stale" ] && remove_run "$stale"
done
root_start=$(date +%s)
if [ -f "$base/.complete" ]; then
    say "reusing the $suite root $base"
    root_note="cached"
else
    mirror=$(apt_mirror) || fail "no Debian entry in this machine's APT sources (see above); set NEURONHIL_DEBIAN_MIRROR to a Debian mirror"
    say "building a minimal $suite root from $mirror (once; cached in $base)"
    rm -rf "$base" "$base.partial"
    partial="$base.partial"
    debootstrap --variant=minbase --arch="$arch" "$suite" "$partial" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
        { tail -n 30 "$cache/debootstrap.log" >&2; fail "debootstrap failed (log: $cache/debootstrap.log)"; }
    cp /etc/resolv.conf "$partial/etc/resolv.conf"
    mount -t proc proc "$partial/proc"
    trap 'umount "$partial/proc" 2>/dev/null || true' EXIT
    if ! chroot "$partial" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
        sh -c "apt-get update -q && apt-get install -y -q --no-install-recommends ${prerequisites[*]} && apt-get clean" \
        >"$cache/prerequisites.log" 2>&1; then
        tail -n 30 "$cache/prerequisites.log" >&2
        fail "installing the toolchain's prerequisites failed (log: $cache/prerequisites.log)"
    fi
    umount "$partial/proc"
    trap - EXIT
    rm -rf "$partial"/var/lib/apt/lists/* "$partial/etc/resolv.conf"
    touch "$partial/.complete"
    mv "$partial" "$base"
    for old in "$cache"/"$suite"-*; do [ "$old" = "$base" ] || rm -rf "$old"; done
    root_note="built"
fi
root_seconds=$(($(date +%s) - root_start))
say "root $root_note in $root_seconds s ($(du -sh "$base" 2>/dev/null | cut -f1))"

# --- 2. This run's overlay, clone, toolchain and packages ---------------------------------------------------------
run=$(mktemp -d "$cache/run.XXXXXX")
merged="$run/merged"
mkdir -p "$run/upper" "$run/work" "$merged"
cleanup() { remove_run "$run" || true; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mount -t overlay overlay -o "lowerdir=$base,upperdir=$run/upper,workdir=$run/work" "$merged"
mount -t proc proc "$merged/proc"
mount -t sysfs -o ro sysfs "$merged/sys"
mount --rbind /dev "$merged/dev"
mount --make-rslave "$merged/dev"
cp /etc/resolv.conf "$merged/etc/resolv.conf"

# FOLDER: the same path inside the root, read-only.
bind_read_only() {
    mkdir -p "$merged$1"
    mount --bind "$1" "$merged$1"
    mount -o remount,bind,ro "$merged$1"
}
toolchain=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")
[ -x "$toolchain/usr/bin/swift" ] || fail "cannot find the toolchain from $(command -v swift) (looked in $toolchain)"
bind_read_only "$toolchain"
: >"$merged/etc/gitconfig"
while read -r name value; do
    folder=${name#url.}
    folder=${folder%.insteadof}
    git config --file "$merged/etc/gitconfig" --add "url.$folder.insteadOf" "$value"
    folder=${folder%/}
    if [ -d "$folder" ] && ! mountpoint -q "$merged$folder"; then bind_read_only "$folder"; fi
done < <(git config --get-regexp '^url\..*\.insteadof$' || true)

head=$(git -C "$root" rev-parse HEAD)
[ -z "$(git -C "$root" status --porcelain --untracked-files=no)" ] ||
    say "note: uncommitted changes in $root are not tested (the clone is HEAD, $(git -C "$root" rev-parse --short HEAD))"
git clone -q --no-hardlinks "$root" "$merged/root/NeuronHIL"
git -C "$merged/root/NeuronHIL" checkout -q --detach "$head"

# --- 3. The README's two commands ---------------------------------------------------------------------------------
mapfile -t commands < <(awk '/^<!-- quick-start-commands/ { on = 1; next } /^<!-- \/quick-start-commands -->/ { on = 0 }
    on && !/^```/ && NF' "$merged/root/NeuronHIL/README.md")
[ ${#commands[@]} -eq 2 ] ||
    fail "README.md should hold two command lines between its quick-start-commands markers; found ${#commands[@]}"

# COMMAND [VARIABLE=VALUE...]: COMMAND run by bash in the clone, as root, with a clean environment; its output is
# shown prefixed (so that the test runner's closing lines inside it are not read as this run's) and kept in $log.
log="$run/command.log"
in_root() {
    local command=$1
    shift
    chroot "$merged" /usr/bin/env -i HOME=/root USER=root LOGNAME=root LANG=C.UTF-8 TERM=dumb \
        PATH="$toolchain/usr/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$@" \
        /bin/bash -c "cd /root/NeuronHIL && $command" 2>&1 | tee "$log" | sed -u 's/^/  [newcomer] /'
}

say "1/2: ${commands[0]}"
first_start=$(date +%s)
in_root "${commands[0]}" || fail "the README's first command failed: ${commands[0]}"
first_seconds=$(($(date +%s) - first_start))
grep -q '^NeuronHIL run on board ' "$log" && grep -q '^safe state          reached' "$log" ||
    fail "the README's first command did not print a run summary ending in the safe state"

say "2/2: ${commands[1]} (NEURONHIL_SKIP_VM=1)"
second_start=$(date +%s)
in_root "${commands[1]}" NEURONHIL_SKIP_VM=1 NEURONHIL_SKIP_NEWCOMER=1 NEURONHIL_SKIP_FORMATS=1 NEURONHIL_SKIP_HOSTS=1 ||
    fail "the README's second command failed: ${commands[1]}"
second_seconds=$(($(date +%s) - second_start))

say "PASS: root $root_note ${root_seconds} s, first command ${first_seconds} s, second ${second_seconds} s," \
    "total $(($(date +%s) - start)) s"
