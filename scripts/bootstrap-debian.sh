#!/usr/bin/env bash
# Install the Debian packages Stocktake's demo and tests need, only those missing.
# Runs apt-get as root (or through sudo); does nothing when everything is present.
set -euo pipefail

# Packages the demo and the test suite use. Each later capability adds its own here.
PACKAGES=(
  python3-venv   # python3 -m venv on Debian's python3
  util-linux     # lsblk, read by the agent's disk probe
  procps
  systemd        # systemd-analyze, which checks the shipped units
  openssl        # test certificates for the TLS refusal tests
  ieee-data      # the IEEE OUI registry: MAC -> vendor for the scanner role
  libwireshark-data  # its enterprises.tsv, the IANA enterprise registry: sysObjectID -> maker (scanner role)
  snmpd          # a real SNMP agent (net-snmp) for the discovery tests
  snmp           # snmpget/snmpbulkwalk, the anchor of the SNMP benchmarks
  chromium       # the real browser the web UI tests drive through Playwright
  poppler-utils  # pdftotext, which reads the PDF exports back in the tests
  zbar-tools     # zbarimg, which decodes the asset-tag label's QR code in the tests
  ocsinventory-agent     # the real OCS Inventory agent, reporting to /ocsinventory in the interop tests
  fusioninventory-agent  # the real FusionInventory agent (OCS protocol), same tests
  fusioninventory-agent-task-network  # its NetDiscovery/NetInventory tools and injector, same tests
  dmidecode      # both agents read SMBIOS (serial, UUID, memory slots) through it
)

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f '${db:Status-Abbrev}' "$package" 2>/dev/null | grep -q '^ii'; then
    missing+=("$package")
  fi
done
# A non-Debian Python (pyenv, python.org) brings its own venv module.
if python3 -c 'import ensurepip, venv' 2>/dev/null; then
  missing=("${missing[@]/python3-venv}")
fi
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | grep -v '^$' || true)
[ "${#missing[@]}" -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "bootstrap: missing packages ${missing[*]} and no apt-get; install them by hand" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "bootstrap: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "bootstrap: installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
