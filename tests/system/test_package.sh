#!/usr/bin/env bash
# test_package.sh — the Debian package: cpack builds it, dpkg-deb shows the
# right metadata and files, `dpkg -i` installs it on this machine (the user
# safeloop, /etc/safeloop), the installed units pass systemd-analyze verify,
# their command lines run a node from the packaged example config as the
# service user (READY=1, /healthz, slctl through the ipc socket, SIGTERM → 0),
# and `dpkg -P` removes it again.
#
# It installs for real, as CI does on a throwaway machine as root. To keep a
# developer's machine whole it refuses (fails, with the reason) when safeloop
# is already installed or /etc/safeloop/140728.ini exists, and its cleanup
# purges the package and removes every file, directory and the user it made.
source "$SL_SOURCE/tests/system/lib.sh"

code=140728
ini=/etc/safeloop/$code.ini
die() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "test_package needs root: it installs the package with dpkg -i (CI runs as root)"
for t in cpack dpkg dpkg-deb readelf setpriv curl python3 systemd-analyze adduser; do
  command -v "$t" >/dev/null || die "$t is missing (deploy/install-deps.sh installs it)"
done
if dpkg-query -W -f='${Status}' safeloop 2>/dev/null | grep -q 'ok installed'; then
  die "safeloop is already installed on this machine; this test installs and purges it. Remove it first (dpkg -P safeloop) or run the test on a throwaway machine"
fi
[ -e "$ini" ] && die "$ini exists; this test would write its own node config there"

user_existed=no
getent passwd safeloop >/dev/null && user_existed=yes
etc_existed=no
[ -d /etc/safeloop ] && etc_existed=yes
cleanup_install() {
  dpkg -P safeloop >/dev/null 2>&1 || true
  rm -f "$ini"
  rm -rf "/etc/safeloop/keys/$code" "/run/safeloop/$code" "/var/lib/safeloop/$code"
  rmdir /run/safeloop 2>/dev/null || true
  rmdir /var/lib/safeloop 2>/dev/null || true
  if [ "$etc_existed" = no ]; then
    rmdir /etc/safeloop/keys /etc/safeloop 2>/dev/null || true
  fi
  if [ "$user_existed" = no ] && getent passwd safeloop >/dev/null; then
    userdel safeloop 2>/dev/null || true
    getent group safeloop >/dev/null && groupdel safeloop 2>/dev/null || true
  fi
}
SL_CLEANUP+=(cleanup_install)

tmp=$(mktemp -d /tmp/sl-test-package.XXXXXX)
chmod 755 "$tmp"
SL_CLEANUP+=("rm -rf '$tmp'")

# 1. Build the package from this build directory (into a temp dir).
version=$("$SL_BIN/slctl" --version | awk '{print $2}')
(cd "$SL_BUILD" && cpack -G DEB -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1) || {
  cat "$tmp/cpack.log" >&2; die "cpack -G DEB failed"; }
deb=$(ls "$tmp"/pkg/safeloop_*.deb 2>/dev/null | head -n1)
[ -f "$deb" ] || die "cpack made no safeloop_*.deb (see $tmp/cpack.log)"
arch=$(dpkg --print-architecture)
sl_expect "package file name" "safeloop_${version}_${arch}.deb" "$(basename "$deb")"

# 2. Metadata and contents.
field() { dpkg-deb --field "$deb" "$1"; }
sl_expect "Package" safeloop "$(field Package)"
sl_expect "Version from the project" "$version" "$(field Version)"
sl_expect "Architecture" "$arch" "$(field Architecture)"
sl_check "Maintainer set" test -n "$(field Maintainer)"
sl_check "Description set" grep -q "12341" <<<"$(field Description)"
depends=$(field Depends)
for p in libzmq5 libprotobuf-c1 libuv1 libpq5 libmicrohttpd12 libinih1 libjansson4 \
  libsodium23 libsystemd0 adduser; do
  sl_check "Depends on $p" grep -Eq "(^|, )$p( |,|$)" <<<"$depends"
  # each name is a real Debian package of this release
  sl_check "$p is known to apt" bash -c "apt-cache policy '$p' | grep -q 'Candidate: [0-9]'"
done
info=$(dpkg-deb --info "$deb")
for s in postinst prerm postrm; do
  sl_check "maintainer script $s, executable" grep -Eq " \* +$s " <<<"$info"
done
contents=$(dpkg-deb --contents "$deb" | awk '{print $NF}')
for f in ./usr/bin/sl-intake ./usr/bin/slctl \
  ./lib/systemd/system/sl-intake@.service ./lib/systemd/system/sl-intake-2@.service \
  ./lib/systemd/system/sl-dispatch@.service ./lib/systemd/system/sl-deadline@.service \
  ./lib/systemd/system/sl-publish@.service ./lib/systemd/system/sl-appraise@.service \
  ./lib/systemd/system/safeloop@.target \
  ./usr/share/doc/safeloop/operator-guide.md ./usr/share/doc/safeloop/README.md \
  ./usr/share/doc/safeloop/examples/example-node.ini ./usr/share/doc/safeloop/examples/county-node.ini; do
  sl_check "contains $f" grep -qx "$f" <<<"$contents"
done
for d in sl-dispatch sl-deadline sl-publish sl-appraise; do
  if [ -x "$SL_BIN/$d" ]; then sl_check "contains ./usr/bin/$d (built)" grep -qx "./usr/bin/$d" <<<"$contents"; fi
done

# Every library the binaries need comes from a package in Depends (a
# sanitizer build's runtime is the exception: such a package is for tests).
dpkg-deb -x "$deb" "$tmp/x"
sanitized=no
grep -q '^SL_SANITIZE:BOOL=ON' "$SL_BUILD/CMakeCache.txt" && sanitized=yes
ldcache=$(ldconfig -p)
for b in "$tmp"/x/usr/bin/*; do
  for lib in $(readelf -d "$b" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    case "$lib" in libasan.so*|libubsan.so*) [ "$sanitized" = yes ] && continue ;; esac
    path=$(awk -v l="$lib" '$1 == l && /x86-64/ {print $NF}' <<<"$ldcache" | head -n1)
    pkg=
    if [ -n "$path" ]; then
      pkg=$( (dpkg -S "$path" 2>/dev/null || dpkg -S "$(readlink -f "$path")" 2>/dev/null || true) |
        sed -n '1s/:.*//p')
    fi
    sl_check "$(basename "$b") needs $lib: its package ${pkg:-?} is in Depends" \
      grep -Eq "(^|, )${pkg:-none}( |,|$)" <<<"$depends"
  done
done

# 3. Install it on this machine.
dpkg -i "$deb" >"$tmp/dpkg-i.log" 2>&1 || { cat "$tmp/dpkg-i.log" >&2; die "dpkg -i failed"; }
sl_check "dpkg says installed" bash -c "dpkg-query -W -f='\${Status}' safeloop | grep -q 'install ok installed'"
sl_check "/usr/bin/sl-intake installed" test -x /usr/bin/sl-intake
sl_expect "installed slctl is this build" "$("$SL_BIN/slctl" --version)" "$(/usr/bin/slctl --version)"
sl_check "user safeloop exists" bash -c "getent passwd safeloop >/dev/null"
uid=$(id -u safeloop 2>/dev/null || echo 99999)
sl_check "safeloop is a system user (uid $uid < 1000)" test "$uid" -lt 1000
sl_expect "safeloop cannot log in" /usr/sbin/nologin "$(getent passwd safeloop | cut -d: -f7)"
sl_check "group safeloop exists" bash -c "getent group safeloop >/dev/null"
sl_expect "/etc/safeloop root:safeloop 750" "root:safeloop 750" "$(stat -c '%U:%G %a' /etc/safeloop)"
sl_expect "/etc/safeloop/keys root:safeloop 750" "root:safeloop 750" "$(stat -c '%U:%G %a' /etc/safeloop/keys)"
for u in sl-intake@ sl-intake-2@; do
  set +e
  out=$(systemd-analyze verify --man=no "${u}$code.service" 2>&1)
  rc=$?
  set -e
  sl_expect "installed ${u}$code.service: verify silent" "0:" "$rc:$out"
done
# reinstalling the same version (an upgrade's path) keeps the user and dirs
dpkg -i "$deb" >"$tmp/dpkg-i2.log" 2>&1 || { cat "$tmp/dpkg-i2.log" >&2; die "second dpkg -i failed"; }
sl_expect "reinstall keeps the user's uid" "$uid" "$(id -u safeloop)"

# 4. A node from the packaged example, as the operator's guide sets it up.
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sl_test_db package
cp /usr/share/doc/safeloop/examples/county-node.ini "$ini"
sed -i "s#^conninfo = .*#conninfo = host=$SL_PG_HOST port=$SL_PG_PORT dbname=$SL_TEST_DBNAME user=postgres#" "$ini"
for p in 7000 7001 7002 7010 7011 7012 7021 7022 7031 7032; do
  sed -i "s#127\.0\.0\.1:$p\$#127.0.0.1:$(port)#" "$ini"
done
http1=$(sed -n '/^\[intake\]/,/^\[/s/^http = //p' "$ini")
http2=$(sed -n '/^\[intake\.2\]/,/^\[/s/^http = //p' "$ini")
chown root:safeloop "$ini"
chmod 0640 "$ini"
/usr/bin/slctl -c "$ini" keys gen >/dev/null
chgrp -R safeloop "/etc/safeloop/keys/$code"
chmod 0750 "/etc/safeloop/keys/$code"
chmod 0640 "/etc/safeloop/keys/$code/curve.key"
rm -f "/etc/safeloop/keys/$code/seal.key" # the guide: the sealing secret leaves the server
sl_check "migrate with the installed slctl" bash -c "/usr/bin/slctl -c $ini migrate >/dev/null"

cat >"$tmp/while-running.sh" <<EOT
#!/usr/bin/env bash
# runs while both intakes of the node are up
set -u
rc=0
t() { if "\$@"; then echo "ok - \$*"; else echo "FAIL: \$*" >&2; rc=1; fi; }
t curl -fsS -o /dev/null http://$http1/healthz
t curl -fsS -o /dev/null http://$http2/healthz
t test "\$(stat -c '%U:%G %a' /run/safeloop/$code)" = "safeloop:safeloop 750"
t test -S /run/safeloop/$code/intake.sock
t test -S /run/safeloop/$code/intake-2.sock
t test "\$(stat -c '%U' /run/safeloop/$code/intake.sock)" = safeloop
# someone who is not the service user cannot reach the ipc endpoint
t bash -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups test -e /run/safeloop/$code/intake.sock"
# root's slctl submits through the ipc socket and gets a case number
out=\$(/usr/bin/slctl -c $ini submit --subject 安装包测试煤业 --division $code --sector 煤 2>&1)
t grep -q "^accepted	$code-" <<<"\$out"
# the state directory is the service user's
t test "\$(stat -c '%U:%G %a' /var/lib/safeloop/$code)" = "safeloop:safeloop 750"
exit \$rc
EOT
set +e
SL_NOW=2026-03-02T09:00:00+08:00 timeout 120 python3 "$SL_SOURCE/tests/system/unitrun.py" "$code" \
  /lib/systemd/system/sl-intake@.service /lib/systemd/system/sl-intake-2@.service \
  -- bash "$tmp/while-running.sh" >"$tmp/unitrun.log" 2>&1
rc=$?
set -e
cat "$tmp/unitrun.log"
sl_expect "the units' command lines run the node as systemd would (tests/system/unitrun.py)" 0 "$rc"
sl_expect "the envelope submitted through the package's node is a case" 1 \
  "$(sl_psql "SELECT count(*) FROM cases WHERE subject_name = '安装包测试煤业'" 2>/dev/null || echo "?")"

# 5. Purge: the package's files go, the node's config and keys stay.
dpkg -P safeloop >"$tmp/dpkg-P.log" 2>&1 || { cat "$tmp/dpkg-P.log" >&2; die "dpkg -P failed"; }
sl_check "purged: dpkg knows it no more" bash -c "! dpkg-query -W -f='\${Status}' safeloop 2>/dev/null | grep -q installed"
sl_check "purged: no /usr/bin/sl-intake" test ! -e /usr/bin/sl-intake
sl_check "purged: no unit" test ! -e /lib/systemd/system/sl-intake@.service
sl_check "purge keeps the node's keys" test -f "/etc/safeloop/keys/$code/curve.key"
sl_check "purge keeps the node's config" test -f "$ini"

sl_done
