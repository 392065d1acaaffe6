#!/usr/bin/env bash
# test_systemd.sh — the systemd units of deploy/systemd/ pass `systemd-analyze
# verify` without a single complaint, keep the sandbox they promise, and their
# command lines are ones the daemons accept.
#
# verify checks that ExecStart's binary exists, so the units are verified in a
# temporary root laid out like an installed package: /usr/bin holds the daemons
# this build has and stubs for those not yet written; /usr/lib/systemd/system
# holds the host's units (for sysinit.target and friends) plus ours. A unit with
# a deliberate mistake must make verify complain, or this test proves nothing.
source "$SL_SOURCE/tests/system/lib.sh"

units=$SL_SOURCE/deploy/systemd
command -v systemd-analyze >/dev/null || {
  echo "FAIL: systemd-analyze is missing (Debian package systemd; deploy/install-deps.sh)" >&2
  exit 1
}
[ -d /usr/lib/systemd/system ] || { echo "FAIL: no /usr/lib/systemd/system on this machine" >&2; exit 1; }

# Every daemon of the architecture (docs/DESIGN.md) has a unit, plus the
# second-intake template and the node's target.
DAEMONS=(intake dispatch deadline publish appraise)
for d in "${DAEMONS[@]}"; do
  sl_check "unit for sl-$d exists" test -f "$units/sl-$d@.service"
done
sl_check "second intake template exists" test -f "$units/sl-intake-2@.service"
sl_check "node target exists" test -f "$units/safeloop@.target"

root=$(mktemp -d /tmp/sl-test-systemd.XXXXXX)
SL_CLEANUP+=("rm -rf '$root'")
mkdir -p "$root/usr/bin" "$root/usr/lib/systemd" "$root/etc/safeloop"
ln -s usr/lib "$root/lib"
# The host's units, but never ours: an installed (or being installed) package
# must not stand in for the units of this checkout.
mkdir -p "$root/usr/lib/systemd/system"
(cd /usr/lib/systemd/system &&
  find . -mindepth 1 -maxdepth 1 ! -name 'sl-*' ! -name 'safeloop@*' -print0 |
  xargs -0 -r cp -r --no-dereference -t "$root/usr/lib/systemd/system/")
cp "$units"/*.service "$units"/*.target "$root/usr/lib/systemd/system/"
built=()
for d in "${DAEMONS[@]}"; do
  if [ -x "$SL_BIN/sl-$d" ]; then
    cp "$SL_BIN/sl-$d" "$root/usr/bin/"
    built+=("$d")
  else
    printf '#!/bin/sh\nexit 0\n' >"$root/usr/bin/sl-$d"
    chmod 755 "$root/usr/bin/sl-$d"
  fi
done
echo "daemons built: ${built[*]}; the others verified against stubs"

verify() { # UNIT... → prints verify's complaints, returns its status
  (cd "$root" && systemd-analyze verify --root="$root" --man=no "$@" 2>&1)
}

# 1. verify: not one line of complaint, for each unit instantiated for a node.
for f in "$units"/*.service "$units"/*.target; do
  u=$(basename "$f")
  inst=${u/@./@140728.}
  set +e
  out=$(verify "$inst")
  rc=$?
  set -e
  sl_expect "verify $inst: exit 0" 0 "$rc"
  sl_expect "verify $inst: no complaint" "" "$out"
done
set +e
out=$(verify safeloop@140728.target sl-intake@140728.service sl-intake-2@140728.service \
  sl-dispatch@140728.service sl-deadline@140728.service sl-publish@140728.service \
  sl-appraise@140728.service)
rc=$?
set -e
sl_expect "verify the whole node at once: exit 0 and silent" "0:" "$rc:$out"

# The check bites: a typo and a missing binary are reported.
sed 's/^ProtectSystem=strict/ProtectSytem=strict/' "$units/sl-intake@.service" \
  >"$root/usr/lib/systemd/system/sl-broken@.service"
set +e
out=$(verify sl-broken@140728.service)
set -e
sl_check "verify reports an unknown directive" grep -q "Unknown key 'ProtectSytem'" <<<"$out"
sed 's#/usr/bin/sl-intake #/usr/bin/sl-nonesuch #' "$units/sl-intake@.service" \
  >"$root/usr/lib/systemd/system/sl-broken@.service"
set +e
out=$(verify sl-broken@140728.service)
set -e
sl_check "verify reports a missing binary" grep -q "sl-nonesuch is not executable" <<<"$out"
rm -f "$root/usr/lib/systemd/system/sl-broken@.service"

# 2. What the units promise (DESIGN.md: the ipc endpoint lives in a run
# directory only the service user can enter).
val() { # FILE KEY → the values of KEY, one a line
  sed -n "s/^$2=//p" "$1"
}
for d in "${DAEMONS[@]}" intake-2; do
  f=$units/sl-$d@.service
  bin=sl-${d%-2}
  sl_expect "sl-$d: Type" notify "$(val "$f" Type)"
  sl_expect "sl-$d: User" safeloop "$(val "$f" User)"
  sl_expect "sl-$d: Restart" on-failure "$(val "$f" Restart)"
  sl_check "sl-$d: WatchdogSec set" grep -Eq '^WatchdogSec=[1-9][0-9]*s$' "$f"
  sl_expect "sl-$d: RuntimeDirectory" "safeloop/%i" "$(val "$f" RuntimeDirectory)"
  sl_check "sl-$d: RuntimeDirectoryMode 0750 or 0700" grep -Eq '^RuntimeDirectoryMode=07[05]0$' "$f"
  sl_expect "sl-$d: run directory survives another unit's stop" yes "$(val "$f" RuntimeDirectoryPreserve)"
  sl_expect "sl-$d: StateDirectory" "safeloop/%i" "$(val "$f" StateDirectory)"
  want="/usr/bin/$bin -c /etc/safeloop/%i.ini"
  [ "$d" = intake-2 ] && want="$want --instance 2"
  sl_expect "sl-$d: ExecStart" "$want" "$(val "$f" ExecStart)"
  sl_expect "sl-$d: part of the node's target" "safeloop@%i.target" "$(val "$f" PartOf)"
  sl_expect "sl-$d: installed into the node's target" "safeloop@%i.target" "$(val "$f" WantedBy)"
  for kv in ProtectSystem=strict ProtectHome=yes NoNewPrivileges=yes PrivateTmp=yes \
    PrivateDevices=yes ProtectKernelTunables=yes ProtectKernelModules=yes ProtectKernelLogs=yes \
    ProtectControlGroups=yes "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" \
    SystemCallFilter=@system-service CapabilityBoundingSet= ; do
    sl_check "sl-$d: $kv" grep -qx "$kv" "$f"
  done
  # systemd's own exposure score, offline: "OK" (<= 2.0 of 10).
  set +e
  out=$(cd "$root" && systemd-analyze security --offline=yes --root="$root" --threshold=20 \
    "sl-$d@140728.service" 2>&1)
  rc=$?
  set -e
  sl_expect "sl-$d: exposure at most 2.0 ($(grep -o 'exposure level.*' <<<"$out"))" 0 "$rc"
done
for d in "${DAEMONS[@]}"; do
  sl_check "target wants sl-$d" grep -q "^Wants=.*sl-$d@%i.service" "$units/safeloop@.target"
done
sl_check "target does not start the second intake by itself" \
  bash -c "! grep -q 'sl-intake-2' <(grep -v '^#' '$units/safeloop@.target')"

# 3. The built daemons accept the units' command lines: with a config that does
# not exist they stop with exit 2 naming that file, not with a usage error.
for d in "${built[@]}" intake-2; do
  f=$units/sl-$d@.service
  [ -x "$SL_BIN/sl-${d%-2}" ] || continue
  read -r -a argv <<<"$(val "$f" ExecStart | sed "s#%i#sltest-none#g")"
  set +e
  err=$(timeout 20 "$SL_BIN/$(basename "${argv[0]}")" "${argv[@]:1}" 2>&1)
  rc=$?
  set -e
  sl_expect "sl-$d: the unit's arguments parse (exit 2 for the missing config)" 2 "$rc"
  sl_check "sl-$d: names the config, not its usage" \
    bash -c "grep -q /etc/safeloop/sltest-none.ini <<<\"\$0\" && ! grep -q '^usage:' <<<\"\$0\"" "$err"
done

sl_done
