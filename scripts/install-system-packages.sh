#!/usr/bin/env bash
# Installs the Debian packages the tests and the document checks need, when missing
# (libssl-dev: OpenSSL's SHA-512 for the native key derivation, built at install).
# As root it uses apt-get; otherwise it says what to install and carries on.
set -euo pipefail
packages=(chromium libreoffice-writer-nogui python3-uno poppler-utils fonts-dejavu-core fonts-liberation2 prometheus libssl-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Missing Debian packages (install them as root): ${missing[*]}" >&2
  exit 1
fi
