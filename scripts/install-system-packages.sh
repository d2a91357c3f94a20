#!/usr/bin/env bash
# Installs the C libraries DVEBench links against (Debian/Ubuntu), only those missing, plus any
# packages named as arguments (e.g. the local Slurm of `make test-slurm`).
# Swift itself is assumed to be installed already.
set -euo pipefail

# libcurl4: FoundationNetworking's HTTP (dvebench fetch) loads libcurl.so.4 at run time.
packages=(pkg-config libopenblas-dev libhdf5-dev libturbojpeg0-dev libjpeg-dev libpng-dev libcurl4 "$@")
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
echo "Installing system packages: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    sudo=sudo
else
    sudo=
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
