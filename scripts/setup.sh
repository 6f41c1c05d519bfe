#!/bin/sh
# setup.sh - install the Debian packages mtlab needs. Idempotent: only
# missing packages are installed. Without root it prints the exact
# apt-get line to run instead.
#
#   sh scripts/setup.sh           build, test and run dependencies
#   sh scripts/setup.sh --bench   also python3-torch for `make bench`
set -e

# clang and libclang-rt-dev (libFuzzer and the sanitizer runtimes; not
# pulled in without recommends) build the fuzz harnesses of `make test`.
# chromium (headless) and a font open `mtlab report`'s page in
# tests/test_e2e_report.c; python3-vega-datasets ships seattle-weather.csv,
# the real data of experiments/60_seattle_weather.lua (tests/test_e2e_data.c).
PKGS="build-essential pkg-config liblua5.4-dev libopenblas-dev libncurses-dev libcmocka-dev zlib1g-dev libcjson-dev dataset-fashion-mnist tmux clang libclang-rt-dev libopenmpi-dev openmpi-bin chromium fonts-dejavu-core python3-vega-datasets"
if [ "$1" = "--bench" ]; then
    PKGS="$PKGS python3-torch python3-numpy"
fi

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    exit 0
fi

line="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != "0" ]; then
    echo "mtlab: missing Debian packages:$missing" >&2
    echo "mtlab: run as root:  apt-get update && $line" >&2
    exit 1
fi

echo "mtlab: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
