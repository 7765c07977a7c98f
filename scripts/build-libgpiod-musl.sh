#!/usr/bin/env bash
# Builds the libgpiod.a that the musl edgerun links (toolchains/aarch64-linux-musl-embedded.json),
# from Debian 12's libgpiod 1.6.3 source (the version of Debian's libgpiod-dev, whose arm64
# libgpiod.a the glibc toolsets link). Called by `scripts/install-deps.sh --cross`; does nothing
# when the library of this script's version is already installed.
#
# Why not Debian's arm64 libgpiod.a: it is built against glibc (with _FORTIFY_SOURCE, so it calls
# glibc-only __*_chk entry points), at -O2 and without -ffunction-sections, so the linker keeps
# every function of an object once one is used: 11 KB in edgerun, 4 KB from this build. Only the
# three sources that hold what edgerun calls are built (core.c: chips, lines, requests, events;
# helpers.c: gpiod_chip_open_lookup; iter.c: the chip iterator behind lookup by label), unchanged
# (Debian's one patch is about the man pages), against musl's headers and the aarch64 kernel
# headers, one section per function, at -Os (full LTO of these objects made edgerun 870 B
# larger). snprintf and asprintf are renamed to eg_snprintf and eg_asprintf
# (Sources/CEdgeGPIO/eg_glibc_compat.c): musl's printf core would add about 25 KB for the four
# format strings libgpiod passes.
set -euo pipefail

version=1.6.3
tarball=libgpiod_$version.orig.tar.xz
# From Debian's libgpiod_1.6.3-1.dsc (Checksums-Sha256).
sha256=841be9d788f00bab08ef22c4be5c39866f0e46cb100a3ae49ed816ac9c5dddc7
url=http://deb.debian.org/debian/pool/main/libg/libgpiod/$tarball
prefix=/usr/local/lib/aarch64-linux-musl
cflags=(--target=aarch64-linux-musl -Os -std=gnu89 -D_GNU_SOURCE -fvisibility=hidden
        -ffunction-sections -fdata-sections -fomit-frame-pointer
        -nostdlibinc -isystem /usr/include/aarch64-linux-musl -idirafter /usr/aarch64-linux-gnu/include
        -Dsnprintf=eg_snprintf -Dasprintf=eg_asprintf
        -DGPIOD_VERSION_STR="\"$version\"")
# The stamp names what the library was built from, so that a change of flags or version rebuilds it.
stamp="libgpiod $version sha256 $sha256 flags ${cflags[*]}"

if [ -f "$prefix/libgpiod.a" ] && [ "$(cat "$prefix/libgpiod.stamp" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi
echo "build-libgpiod-musl: building libgpiod $version for aarch64 musl into $prefix"
export PATH=/opt/swift/usr/bin:$PATH
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
curl -fsSL --retry 3 -o "$work/$tarball" "$url"
echo "$sha256  $work/$tarball" | sha256sum -c --quiet - || {
  echo "build-libgpiod-musl: $url does not have the SHA-256 of Debian's libgpiod_1.6.3-1.dsc" >&2
  exit 1
}
tar -xJf "$work/$tarball" -C "$work"
src=$work/libgpiod-$version
for file in core helpers iter; do
  clang "${cflags[@]}" -I "$src/include" -c "$src/lib/$file.c" -o "$work/$file.o"
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo mkdir -p "$prefix"
rm -f "$work/libgpiod.a"
llvm-ar rcs "$work/libgpiod.a" "$work/core.o" "$work/helpers.o" "$work/iter.o"
$sudo install -m 0644 "$work/libgpiod.a" "$prefix/libgpiod.a"
echo "$stamp" > "$work/libgpiod.stamp"
$sudo install -m 0644 "$work/libgpiod.stamp" "$prefix/libgpiod.stamp"
