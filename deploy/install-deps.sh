#!/usr/bin/env bash
# install-deps.sh — install every Debian package safeloop builds, runs and tests with.
#
# Idempotent and quiet: packages already installed are left alone, and apt-get
# runs only when something is missing. Needs root (or sudo) on Debian 12.
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config git curl
  libzmq3-dev libprotobuf-c-dev protobuf-c-compiler libuv1-dev
  libpq-dev postgresql postgresql-contrib
  libmicrohttpd-dev libinih-dev libjansson-dev libsodium-dev
  libxlsxwriter-dev libsystemd-dev libcmocka-dev tzdata
  python3 python3-zmq python3-protobuf protobuf-compiler python3-pytest python3-openpyxl
  prometheus chromium fonts-wqy-microhei
  clang libclang-rt-14-dev
  systemd binutils
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# prometheus' postinst starts a service when systemd runs; policy-rc.d keeps
# package installs from starting daemons on a build machine.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
