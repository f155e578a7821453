#!/usr/bin/env bash
# Installs everything hitwin needs to build and test on Debian 12 (run as root).
# The CUDA toolkit (with cuDNN and NCCL) is optional: without nvcc the CPU build
# is made and the gpu tests are skipped.
set -euo pipefail

packages=(build-essential cmake pkg-config git
          openmpi-bin libopenmpi-dev libhdf5-openmpi-dev hdf5-tools
          libyaml-dev libopenblas-dev zlib1g-dev libdeflate-dev
          libcairo2-dev fonts-dejavu-core   # hitwin plot: PNG/SVG/PDF surfaces, the figures' font
          python3 python3-pip
          clang)  # libFuzzer (compiler-rt) for the fuzz harnesses of tests/fuzz

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python is only used by tests to compare with the reference tools (cooler,
# hic-straw); the product never needs it. Debian's own python refuses pip
# installs outside a venv, so fall back to --break-system-packages there.
pypkgs=(numpy h5py cooler hic-straw)
if ! python3 -c "import numpy, h5py, cooler, hicstraw" 2>/dev/null; then
  echo "install-deps: pip install ${pypkgs[*]}"
  python3 -m pip install --quiet "${pypkgs[@]}" 2>/dev/null ||
    python3 -m pip install --quiet --break-system-packages "${pypkgs[@]}"
fi
