#!/bin/sh
# Install the Debian 12 packages qlaunch needs to build, test and run guests (clang and its
# runtime libraries build the libFuzzer harnesses: make fuzz; ansible-core and python3-yaml
# check the fleet examples: tests/func/fleet.sh), and create the system user
# QEMU runs as when root starts a domain (qlaunch-qemu, in group kvm when there is one).
# Idempotent; run as root. Set QLAUNCH_SKIP_APT=1 to skip the packages (managed elsewhere).
set -eu
PKGS="build-essential autoconf automake libtool pkg-config
      libxml2-dev uuid-dev libjson-c-dev libcmocka-dev
      qemu-system-x86 qemu-utils ovmf iproute2 python3 ca-certificates
      openvswitch-switch util-linux swtpm swtpm-tools
      clang libclang-rt-dev
      ansible-core python3-yaml"
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: must run as root (apt-get install, useradd)" >&2
    exit 1
fi
if ! getent passwd qlaunch-qemu >/dev/null; then
    groups=""
    getent group kvm >/dev/null && groups="--groups kvm"
    # shellcheck disable=SC2086
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin --comment "qlaunch QEMU processes" $groups qlaunch-qemu
fi
[ "${QLAUNCH_SKIP_APT:-0}" = 1 ] && exit 0
export DEBIAN_FRONTEND=noninteractive
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
    apt-get update -q
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing
fi
