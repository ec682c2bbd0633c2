#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install, idempotently, every Debian 12 package sipsteer needs to build, test, demo and
# benchmark. Installs only what is missing; does nothing (and needs no network) when all is
# there. Must run as root when something is missing.
set -euo pipefail

packages=(
	# build
	gcc make pkg-config meson ninja-build
	# the four required libraries
	libdpdk-dev dpdk liburcu-dev libjemalloc-dev libcmocka-dev
	# supporting libraries: config, control API, metrics
	libyaml-dev libjansson-dev libmicrohttpd-dev
	# fuzzing (libFuzzer) and sanitizers
	clang libclang-rt-14-dev
	# parsers the parser benchmark compares against
	libsofia-sip-ua-dev libosip2-dev libre-dev
	# real peers and network tools for the end-to-end suite and the demo
	sip-tester tshark iproute2 iputils-ping procps util-linux python3
	# metrics tests parse the Prometheus endpoint with a real parser
	python3-prometheus-client
	# bench/compare-kamailio.sh: the peer balancer, and the plots of docs/performance.md
	kamailio gnuplot-nox
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#packages[@]} packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root (or: apt-get install ${missing[*]})" >&2
	exit 1
fi

echo "install-deps: installing ${#missing[@]} missing packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install-deps: done"
