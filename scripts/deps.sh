#!/usr/bin/env bash
# Installs the Debian packages pail needs to build and test, when run as root;
# otherwise prints the exact apt-get line and fails. Quiet when all are present.
set -eu
PKGS="build-essential pkg-config libmicrohttpd-dev libgnutls28-dev libssl-dev libxml2-dev libjansson-dev
libsqlite3-dev libisal-dev libcmocka-dev python3-pytest python3-pytest-timeout python3-pandas
python3-matplotlib
rclone s3cmd"
# Only the tests need a browser (tests/e2e/test_browser.py; ~130 packages with
# its libraries), a Prometheus server with its text parser (test_metrics.py)
# and the openssl command line (test_tls.py makes its CA with it).
[ "${1:-}" = test ] && PKGS="$PKGS chromium prometheus python3-prometheus-client openssl"
# Only `make fuzz` / `make fuzz-ci` need clang and its libFuzzer runtime
# (libclang_rt.fuzzer is in libclang-rt-14-dev, which clang-14 pulls in).
[ "${1:-}" = fuzz ] && PKGS="$PKGS clang libclang-rt-14-dev"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# The JS SDK tests need node >= 20 with npm (the image's NodeSource build);
# Debian 12's nodejs is 18, too old for @aws-sdk/client-s3.
if [ "${1:-}" = test ] && ! { command -v node >/dev/null &&
    node -e 'process.exit(parseInt(process.versions.node, 10) < 20 ? 1 : 0)'; }; then
    echo "pail: the tests need node >= 20 with npm on PATH" >&2
    exit 1
fi
[ -z "$missing" ] && exit 0
line="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" = 0 ]; then
    echo "pail: installing:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends $missing >&2
else
    echo "pail: missing Debian packages; run as root:" >&2
    echo "  sudo apt-get update && sudo $line" >&2
    exit 1
fi
