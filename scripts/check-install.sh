#!/usr/bin/env bash
# `make install` into a scratch PREFIX: the binary runs, and systemd accepts
# the unit (`systemd-analyze verify`) and rates its sandbox at most 2.0
# ("OK" on systemd's 0-10 exposure scale). Run by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
make -s install PREFIX="$prefix" >/dev/null
"$prefix/bin/pail" --version
unit="$prefix/lib/systemd/system/pail.service"
grep -q "^ExecStart=$prefix/bin/pail serve" "$unit"
if command -v systemd-analyze >/dev/null; then
    systemd-analyze verify "$unit"
    level=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null |
        sed -n 's/.*Overall exposure level for pail.service: \([0-9.]*\).*/\1/p')
    echo "pail.service exposure level: $level"
    awk -v l="$level" 'BEGIN { exit !(l != "" && l <= 2.0) }'
else
    echo "check-install: systemd-analyze not found; unit not verified" >&2
fi
echo "check-install: ok"
