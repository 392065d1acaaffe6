#!/usr/bin/env bash
# check_layers.sh — the include arrows point one way: services/core includes no
# header of services/domain, and no library file includes a daemon's header.
# Two proofs: a scan of every #include in services/core (names and paths), and a
# probe compiled with core's include path that includes a domain header, which
# must fail to compile (the build's own guarantee, not just a convention).
set -uo pipefail
src=${SL_SOURCE:?SL_SOURCE not set}
cc=${CC:-cc}
fail=0

domain_headers=$(cd "$src/services/domain" && ls *.h)
for f in "$src"/services/core/*.[ch]; do
  while IFS= read -r inc; do
    h=$(basename "$inc")
    if printf '%s\n' $domain_headers | grep -qx "$h" || [[ $inc == *domain/* ]]; then
      echo "check_layers: $(basename "$f") includes domain header \"$inc\" (core may not)" >&2
      fail=1
    fi
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done
for f in "$src"/services/core/*.[ch] "$src"/services/domain/*.[ch]; do
  if grep -Eq '^[[:space:]]*#[[:space:]]*include[[:space:]]*"(\.\./)*(intake|dispatch|deadline|publish|appraise|ctl)/' "$f"; then
    echo "check_layers: $(basename "$f") includes a program's header" >&2
    fail=1
  fi
done

# The probe: core's include path (core + generated protobuf) cannot see the domain.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gen=${SL_BUILD:?SL_BUILD not set}/gen
for h in $domain_headers; do
  printf '#include "sl_util.h"\n#include "%s"\nint sl_probe(void);\nint sl_probe(void) { return 0; }\n' "$h" > "$tmp/probe.c"
  if "$cc" -fsyntax-only -I"$src/services/core" -I"$gen" "$tmp/probe.c" 2>/dev/null; then
    echo "check_layers: a core file could include $h (the core include path reaches the domain)" >&2
    fail=1
  fi
done
# And the probe's control: the same file with the domain on the path compiles,
# so the failures above are the layer rule, not a broken probe.
printf '#include "sl_case.h"\nint sl_probe(void);\nint sl_probe(void) { return 0; }\n' > "$tmp/probe.c"
if ! "$cc" -fsyntax-only -I"$src/services/core" -I"$src/services/domain" -I"$gen" \
     $(pkg-config --cflags libprotobuf-c libpq) "$tmp/probe.c"; then
  echo "check_layers: the control probe did not compile" >&2
  fail=1
fi
[ $fail -eq 0 ] && echo "check_layers: core includes no domain header; $(echo $domain_headers | wc -w) domain headers unreachable from core"
exit $fail
