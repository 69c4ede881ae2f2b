#!/usr/bin/env bash
# The one system package the tests need beyond Node and a compiler: dnsmasq, the real DNS server
# the discovery tests start on a loopback port. Debian's dnsmasq-base is the binary alone, without
# the system service that would take port 53. Does nothing when dnsmasq is already there.
set -euo pipefail

if command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "The DNS tests need dnsmasq: install it with your package manager (e.g. brew install dnsmasq), then rerun." >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dnsmasq-base
