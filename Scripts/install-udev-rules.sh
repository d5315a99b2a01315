#!/usr/bin/env bash
# Lets a normal user drive the board: creates the i2c, spi and gpio groups (if missing), adds USER (default: the
# user who ran sudo) to them, installs Scripts/99-neuronhil.rules and re-applies udev rules to existing nodes.
#   sudo Scripts/install-udev-rules.sh [USER]
# Log out and in again afterwards so the new groups apply. Check with: neuronctl probe --board Boards/rpi4.yaml
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "error: run as root (sudo $0)" >&2; exit 2; }
user="${1:-${SUDO_USER:-}}"
here="$(cd "$(dirname "$0")" && pwd)"
for group in i2c spi gpio; do
    getent group "$group" >/dev/null || groupadd --system "$group"
done
if [ -n "$user" ] && [ "$user" != root ]; then
    usermod -aG i2c,spi,gpio "$user"
    echo "added $user to i2c, spi and gpio (log in again for it to apply)"
fi
install -m 0644 "$here/99-neuronhil.rules" /etc/udev/rules.d/99-neuronhil.rules
if command -v udevadm >/dev/null; then
    udevadm control --reload-rules
    udevadm trigger --subsystem-match=i2c-dev --subsystem-match=spidev --subsystem-match=gpio
fi
echo "installed /etc/udev/rules.d/99-neuronhil.rules"
