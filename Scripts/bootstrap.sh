#!/usr/bin/env bash
# Installs what building NeuronHIL needs beyond the Swift toolchain: the C libraries of the Linux backends,
# libgpiod-dev (libgpiod 1.6 on bookworm, 2.x on trixie) and libi2c-dev, from the distribution's archive. The README's
# first command runs it; nothing happens when both are installed. As root it runs apt-get, otherwise sudo apt-get.
# `apt-get update` runs only when an install fails on missing or stale package lists (a fresh machine has none).
#
#   Scripts/bootstrap.sh
#
# Package.swift declares the same libraries (CLibGPIOD, CLibI2C) with these package names, so a build without them
# names the package to install. On macOS there is nothing to install: the simulated board needs neither library
# (docs/install.md).
set -euo pipefail

if [ "$(uname -s)" != Linux ]; then
    echo "bootstrap: nothing to install on $(uname -s): the simulated board needs no C libraries (docs/install.md)"
    exit 0
fi
if ! command -v swift >/dev/null 2>&1; then
    echo "error: swift is not on PATH. Install the Swift 6.2 or later toolchain first (docs/install.md)." >&2
    exit 2
fi
if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    echo "error: no apt-get here. Install libgpiod (1.6 or 2.x) and libi2c (i2c-tools) with their headers and" \
        "pkg-config files with this system's package manager (docs/install.md)." >&2
    exit 2
fi

packages=(libgpiod-dev libi2c-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "bootstrap: ${packages[*]} already installed"
    exit 0
fi

as_root=()
if [ "$(id -u)" != 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "error: missing packages: ${missing[*]}, and no sudo. Fix, as root: apt-get install ${missing[*]}" >&2
        exit 2
    fi
    as_root=(sudo)
fi
echo "bootstrap: installing ${missing[*]}"
apt_install() {
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}
if ! apt_install; then
    echo "bootstrap: updating the package lists and trying again"
    "${as_root[@]}" apt-get update -q
    apt_install
fi
