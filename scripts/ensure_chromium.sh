#!/usr/bin/env bash
# Debian's chromium for the browser tests (Playwright drives it; we never download a browser).
# Installs it with apt-get only when /usr/bin/chromium is missing; quick and quiet otherwise.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "chromium is missing and we are not root: install it with 'apt-get install chromium'" >&2
    exit 1
fi

echo "Installing Debian's chromium for the browser tests..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
/usr/bin/chromium --version 2>/dev/null
