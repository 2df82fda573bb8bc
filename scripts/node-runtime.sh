#!/usr/bin/env bash
# Prints the folder of a Node.js binary of the given major version
# (22, 24, ...), fetched once from the npm registry's platform package
# (node-<platform>-<arch>, the binaries the `node` package itself installs,
# with no install script) into a cache, for running tests on several Nodes:
#
#   PATH="$(bash scripts/node-runtime.sh 22):$PATH" npm test
#
# SLUICE_NODE_CACHE sets the cache folder (default ~/.cache/sluice/node).
# A cached major is reused as it is; delete its folder to take a newer minor.
set -euo pipefail
major="${1:?usage: node-runtime.sh <major version, e.g. 22>}"
[[ "$major" =~ ^[0-9]+$ ]] || { echo "node-runtime.sh: not a major version: $major" >&2; exit 2; }
platform="$(node -p 'process.platform === "win32" ? "win" : process.platform')"
arch="$(node -p process.arch)"
package="node-${platform}-${arch}"
dir="${SLUICE_NODE_CACHE:-$HOME/.cache/sluice/node}/${major}"
bin="$dir/node_modules/$package/bin"
if [[ ! -x "$bin/node" ]]; then
  mkdir -p "$dir"
  echo '{"private":true}' > "$dir/package.json"
  npm install --prefix "$dir" --no-save --no-audit --no-fund --no-package-lock \
    --loglevel=error "${package}@${major}" >&2
fi
"$bin/node" --version >&2
echo "$bin"
