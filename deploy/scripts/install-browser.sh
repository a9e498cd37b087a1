#!/usr/bin/env bash
# Debian's Chromium, ChromeDriver and the Noto CJK fonts for the replay page's browser tests.
# Installs only what is missing (apt-get needs root; CI runs as root on Debian 12).
set -euo pipefail
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
if ((${#need[@]})); then
  echo "installing ${need[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
