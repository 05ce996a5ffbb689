#!/usr/bin/env bash
# Installs the Debian libraries the portal needs at run time: pango (WeasyPrint, the PDF exports) and the
# DejaVu fonts (Vietnamese text in the PDFs). Does nothing when every package is already installed; uses sudo
# only when not run as root.
set -euo pipefail
PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-packages: no apt-get here; install ${missing[*]} with your system's package manager" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-system-packages: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
