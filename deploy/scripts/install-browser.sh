#!/usr/bin/env bash
# Debian's Chromium, ChromeDriver and the Noto CJK fonts for the replay page's browser tests
# (tests/browser.py drives /usr/bin/chromium through /usr/bin/chromedriver; no browser download).
# Installs only what is missing, quietly; a second run does nothing. apt-get needs root (CI runs
# as root on Debian 12); as another user it says what to install and fails.
set -euo pipefail
need=()
[[ -x /usr/bin/chromium ]] || need+=(chromium)
[[ -x /usr/bin/chromedriver ]] || need+=(chromium-driver)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
((${#need[@]})) || exit 0
if ((EUID != 0)); then
  echo "install-browser: missing ${need[*]}: run \`sudo apt-get install ${need[*]}\` (or make browser as root)" >&2
  exit 1
fi
echo "installing ${need[*]} (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
for path in /usr/bin/chromium /usr/bin/chromedriver; do
  [[ -x $path ]] || { echo "install-browser: $path is still missing after apt-get" >&2; exit 1; }
done
