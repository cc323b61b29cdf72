#!/usr/bin/env bash
# Checks the module's metadata: what udev and the firmware tooling read from it.
#
#   tests/modinfo.sh bes2600.ko
set -euo pipefail
ko=${1:?usage: modinfo.sh MODULE.ko}
info=$(modinfo "$ko")
echo "$info"
expect() {
	grep -qE "$1" <<<"$info" || { echo "modinfo lacks: $1" >&2; exit 1; }
}
expect '^license: +GPL$'
expect '^description: +.*BES2600'
# udev loads the module for the chip's WLAN function through this alias.
expect '^alias: +sdio:c\*vBE57d2002\*$'
expect '^firmware: +bes2600/best2002_fw_sdio\.bin$'
expect '^firmware: +bes2600/best2002_fw_boot_sdio\.bin$'
expect '^name: +bes2600$'
