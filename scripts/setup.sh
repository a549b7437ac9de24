#!/usr/bin/env bash
# Installs what mcunet needs, only what is missing, and says what it did:
#   1. Debian packages gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm, and cmake
#      ninja-build for the exported packages' tests (as root or with sudo; otherwise it prints
#      the exact command and exits 1);
#   2. torch==2.13.0 (the CPU build; installed before the package so that no resolver pulls
#      a CUDA build of several GB);
#   3. this checkout as an editable package with its test extras: pip install -e '.[test]'.
# Then it checks tool versions: arm-none-eabi-gcc 12 or newer, qemu-system-arm 7 or newer,
# cmake 3.13 or newer.
#
# Usage: scripts/setup.sh [--check]     --check: change nothing, report what is missing
# Environment: PYTHON (default python3) is the interpreter to install into.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python3}
CHECK_ONLY=0
for arg in "$@"; do
    case $arg in
        --check) CHECK_ONLY=1 ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "setup: unknown option '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

APT_PACKAGES=(gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm cmake ninja-build)
TORCH_VERSION=2.13.0
GCC_MIN=12
QEMU_MIN=7
CMAKE_MIN=3.13
did=()
problems=()

say() { echo "setup: $*"; }
fail() { echo "setup: $*" >&2; exit 1; }

# --- 1. Debian packages -------------------------------------------------------------------
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for pkg in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
else
    command -v arm-none-eabi-gcc >/dev/null 2>&1 || missing+=(gcc-arm-none-eabi)
    command -v qemu-system-arm >/dev/null 2>&1 || missing+=(qemu-system-arm)
    command -v cmake >/dev/null 2>&1 || missing+=(cmake)
    command -v ninja >/dev/null 2>&1 || missing+=(ninja-build)
fi
if [ ${#missing[@]} -gt 0 ]; then
    install_cmd="apt-get install -y --no-install-recommends ${missing[*]}"
    if [ $CHECK_ONLY = 1 ]; then
        problems+=("missing Debian packages: ${missing[*]} (install: sudo apt-get update && sudo $install_cmd)")
    elif ! command -v apt-get >/dev/null 2>&1; then
        fail "missing ${missing[*]} and this is not a Debian-like system: install an Arm GNU toolchain" \
             "(arm-none-eabi-gcc $GCC_MIN+ with newlib) and qemu-system-arm $QEMU_MIN+ by hand"
    else
        if [ "$(id -u)" = 0 ]; then
            sudo=()
        elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo=(sudo)
        else
            fail "missing Debian packages: ${missing[*]}. Run: sudo apt-get update && sudo $install_cmd"
        fi
        say "installing ${missing[*]} (apt-get)"
        "${sudo[@]}" apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null
        did+=("installed ${missing[*]}")
    fi
fi

# --- tool versions --------------------------------------------------------------------------
major() { sed -E 's/^([0-9]+).*/\1/'; }
gcc_version=""
qemu_version=""
if command -v arm-none-eabi-gcc >/dev/null 2>&1; then
    gcc_version=$(arm-none-eabi-gcc -dumpversion)
    [ "$(echo "$gcc_version" | major)" -ge $GCC_MIN ] ||
        problems+=("arm-none-eabi-gcc $gcc_version is older than $GCC_MIN (Debian 12's gcc-arm-none-eabi is 12.2)")
    case $(arm-none-eabi-gcc -print-file-name=libc.a) in
        */*) ;;
        *) problems+=("arm-none-eabi-gcc finds no newlib (libc.a): install libnewlib-arm-none-eabi") ;;
    esac
elif [ $CHECK_ONLY = 0 ]; then
    problems+=("arm-none-eabi-gcc is not on PATH")
fi
if command -v qemu-system-arm >/dev/null 2>&1; then
    qemu_version=$(qemu-system-arm --version | head -n 1 | sed -E 's/.*version ([0-9][0-9.]*).*/\1/')
    [ "$(echo "$qemu_version" | major)" -ge $QEMU_MIN ] ||
        problems+=("qemu-system-arm $qemu_version is older than $QEMU_MIN")
elif [ $CHECK_ONLY = 0 ]; then
    problems+=("qemu-system-arm is not on PATH")
fi
cmake_version=""
if command -v cmake >/dev/null 2>&1; then
    cmake_version=$(cmake --version | head -n 1 | sed -E 's/.*version ([0-9][0-9.]*).*/\1/')
    printf '%s\n%s\n' "$CMAKE_MIN" "$cmake_version" | sort -V -C ||
        problems+=("cmake $cmake_version is older than $CMAKE_MIN")
elif [ $CHECK_ONLY = 0 ]; then
    problems+=("cmake is not on PATH")
fi
command -v ninja >/dev/null 2>&1 || [ $CHECK_ONLY = 1 ] || problems+=("ninja is not on PATH")

# --- 2./3. Python packages -----------------------------------------------------------------
command -v "$PYTHON" >/dev/null 2>&1 || fail "no $PYTHON: install Python 3.10 to 3.13 (or set PYTHON=...)"
"$PYTHON" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 13) else 1)' ||
    fail "$("$PYTHON" --version 2>&1) is not supported: mcunet needs Python 3.10 to 3.13 (set PYTHON=...)"

pip_install() {
    if "$PYTHON" - <<'PY'
import os, sys, sysconfig
managed = os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"))
sys.exit(1 if managed and sys.prefix == sys.base_prefix else 0)
PY
    then
        "$PYTHON" -m pip install -q --disable-pip-version-check "$@"
    else
        fail "$PYTHON is the system's externally managed Python: make a virtual environment first:" \
             "python3 -m venv .venv && . .venv/bin/activate && scripts/setup.sh"
    fi
}

torch_version=$("$PYTHON" -c 'import torch; print(torch.__version__)' 2>/dev/null || true)
case $torch_version in
    "$TORCH_VERSION"|"$TORCH_VERSION"+*) ;;
    *)
        if [ $CHECK_ONLY = 1 ]; then
            problems+=("torch ${torch_version:-not installed}: needs $TORCH_VERSION (pip install torch==$TORCH_VERSION)")
        else
            say "installing torch==$TORCH_VERSION"
            pip_install "torch==$TORCH_VERSION"
            torch_version=$("$PYTHON" -c 'import torch; print(torch.__version__)')
            did+=("installed torch $torch_version")
        fi ;;
esac

# Is this checkout installed (editable, from here) with every requirement of pyproject.toml,
# test extras included, satisfied?
package_ok() {
    "$PYTHON" - "$ROOT" <<'PY'
import json, sys
from importlib import metadata
from pathlib import Path
try:
    from packaging.requirements import Requirement
except ImportError:
    from pip._vendor.packaging.requirements import Requirement
root = Path(sys.argv[1])
def editable_here(dist):  # (an mcunet.egg-info in the working directory is found too: skip it)
    url = json.loads(dist.read_text("direct_url.json") or "{}")
    return url.get("dir_info", {}).get("editable") and url.get("url") == root.as_uri()
dist = next((d for d in metadata.distributions(name="mcunet") if editable_here(d)), None)
if dist is None:
    sys.exit(1)
try:
    import tomllib
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + project.get("optional-dependencies", {}).get("test", [])
except ImportError:  # Python 3.10: what the installed metadata says
    reqs = dist.requires or []
for text in reqs:
    req = Requirement(text)
    if req.marker and not req.marker.evaluate({"extra": "test"}):
        continue
    try:
        version = metadata.version(req.name)
    except metadata.PackageNotFoundError:
        sys.exit(1)
    if not req.specifier.contains(version, prereleases=True):
        sys.exit(1)
PY
}

if ! package_ok; then
    if [ $CHECK_ONLY = 1 ]; then
        problems+=("mcunet is not installed from $ROOT with its test extras (pip install -e '.[test]')")
    else
        say "installing mcunet from $ROOT with its test extras (pip install -e '.[test]')"
        pip_install -e "$ROOT[test]"
        package_ok || fail "pip install -e '.[test]' finished but the requirements are still not met"
        did+=("installed mcunet (editable) with its test extras")
    fi
fi

scripts_dir=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
if [ $CHECK_ONLY = 0 ] && ! command -v scons >/dev/null 2>&1; then
    problems+=("scons is installed in $scripts_dir, which is not on PATH: add it (export PATH=\"$scripts_dir:\$PATH\")")
fi

# --- report ---------------------------------------------------------------------------------
if [ ${#problems[@]} -gt 0 ]; then
    for p in "${problems[@]}"; do echo "setup: $p" >&2; done
    exit 1
fi
versions="arm-none-eabi-gcc $gcc_version, qemu-system-arm $qemu_version, cmake $cmake_version, $("$PYTHON" --version 2>&1), torch $torch_version"
if [ ${#did[@]} -gt 0 ]; then
    for d in "${did[@]}"; do say "$d"; done
    say "ready: $versions"
else
    say "everything present: $versions"
fi
