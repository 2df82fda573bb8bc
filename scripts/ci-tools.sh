#!/usr/bin/env bash
# Installs the system tools the test suite needs and a fresh machine may lack:
# tmux (the live view is tested in real terminal panes) and chromium (the
# admin server's live page is tested in a real browser). Debian packages,
# installed only when missing; needs root (or sudo) for apt-get.
set -euo pipefail
missing=()
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "== installing ${missing[*]}"
sudo=''
if [[ $(id -u) != 0 ]]; then sudo='sudo'; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
