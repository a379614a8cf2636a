#!/usr/bin/env bash
# Installs the Debian packages the tests run besides the control plane: the shells whose
# completion the plugin's tests exercise (bash is always there; zsh and fish are not).
set -euo pipefail

missing=()
for tool in zsh fish; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] && exit 0

export DEBIAN_FRONTEND=noninteractive
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
sudo_if_needed apt-get update -qq
sudo_if_needed apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "test tools: installed ${missing[*]}"
