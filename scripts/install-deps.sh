#!/usr/bin/env bash
# Installs the Debian 12 packages EdgeRun needs (run as root, or with sudo). Idempotent:
# installs only what is missing. Swift itself is expected at /opt/swift or on PATH.
#
#   scripts/install-deps.sh          building and testing on the host
#     libc6-dev                 static glibc for the fully static edgerun
#     libgpiod-dev              libgpiod 1.6 (v1 API) headers and libgpiod.a for `edgerun watch`
#     make                      the build driver
#   scripts/install-deps.sh --cross  cross-building and emulating the aarch64 edgerun
#     gcc-aarch64-linux-gnu     crt*.o and libgcc for aarch64 (clang links with them via -B/-L)
#     libc6-dev-arm64-cross     aarch64 glibc headers and static libraries under /usr/aarch64-linux-gnu
#     qemu-user                 qemu-aarch64, to run the cross-built edgerun in tests
#     musl-dev:arm64            aarch64 musl (static libc.a, crt*.o, headers): the default, smaller
#                               libc of the cross-built edgerun (needs the arm64 dpkg architecture)
#     libgpiod-dev:arm64        aarch64 libgpiod.a for `edgerun watch` (glibc toolset)
#     curl, xz-utils            fetch and unpack libgpiod's source, which scripts/build-libgpiod-musl.sh
#                               builds against musl for the musl toolset into /usr/local/lib/aarch64-linux-musl
#   scripts/install-deps.sh --board  the emulated board of `make board-test`
#     qemu-system-arm           qemu-system-aarch64
#     cpio                      packs the initramfs
# Stripping uses llvm-objcopy from the Swift toolchain, so no binutils package is needed.
set -euo pipefail

case "${1:-}" in
  "") name=install-deps; packages=(libc6-dev libgpiod-dev make) ;;
  --cross) name=install-cross-deps; packages=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user musl-dev:arm64 libgpiod-dev:arm64 curl xz-utils) ;;
  --cross-armv7) name=install-cross-armv7-deps; packages=(gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user libgpiod-dev:armhf) ;;
  --board) name=install-board-deps; packages=(qemu-system-arm cpio xz-utils) ;;
  *) echo "usage: $0 [--cross|--cross-armv7|--board]" >&2; exit 2 ;;
esac

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
# grep reads every line (no -q): an early exit would make dpkg die of SIGPIPE under pipefail.
has_foreign_architecture() { dpkg --print-foreign-architectures | grep -x "$1" >/dev/null; }
# arm64 packages (libgpiod-dev:arm64 here, the board-test kernel later) come from the arm64 lists.
if [ "${1:-}" = --cross ] && ! has_foreign_architecture arm64; then
  echo "$name: adding dpkg architecture arm64"
  $sudo dpkg --add-architecture arm64
  $sudo apt-get update -qq
fi

# The 32-bit armv7 edgerun links Debian's armhf libgpiod.a, from the armhf lists.
if [ "${1:-}" = --cross-armv7 ] && ! has_foreign_architecture armhf; then
  echo "$name: adding dpkg architecture armhf"
  $sudo dpkg --add-architecture armhf
  $sudo apt-get update -qq
fi

need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for package in "${packages[@]}"; do
  have "$package" || need+=("$package")
done

if [ "${#need[@]}" -gt 0 ]; then
  echo "$name: installing ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

if [ "${1:-}" = --cross ]; then
  "$(dirname "$0")/build-libgpiod-musl.sh"
fi

if [ -z "${1:-}" ] && ! command -v swift >/dev/null 2>&1 && [ ! -x /opt/swift/usr/bin/swift ]; then
  echo "$name: Swift 6.x not found (expected /opt/swift/usr/bin/swift or swift on PATH)" >&2
  exit 1
fi
echo "$name: ok"
