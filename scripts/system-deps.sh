#!/bin/sh
# Install the Debian packages Fangkong needs, only those missing.
# chromium: page tests (Playwright drives it; no browser is downloaded).
# fonts-noto-cjk: Chinese labels in charts and PDFs. wrk: benchmarks.
# gettext: msgfmt compiles the Chinese translations.
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$missing fonts-noto-cjk"
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
command -v msgfmt >/dev/null 2>&1 || missing="$missing gettext"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "Please install:$missing (apt-get install$missing)"; exit 1; fi
fi
echo "Installing system packages:$missing"
${SUDO:-} apt-get update -qq
DEBIAN_FRONTEND=noninteractive ${SUDO:-} apt-get install -y -qq $missing >/dev/null
