#!/usr/bin/env bash
# board-test.sh: proves `edgerun watch` on an emulated arm64 board.
#
#   scripts/board-test.sh EDGERUN_AARCH64 MODEL.bin SAMPLE_DIR
#
# Boots Debian's arm64 kernel in qemu-system-aarch64 (-M virt) with a busybox initramfs and the
# gpio-sim driver (built out of tree: Debian's kernel lacks CONFIG_GPIO_SIM), runs the
# cross-built edgerun there (scripts/board-test/guest-init.sh) and checks what it printed:
# one JSON event per rising edge with the expected class, the output line following the rule
# class=2, a skipped wrong-size input, exit 8 for a missing chip, a busy line and no
# permission, exit 0 on SIGTERM. SAMPLE_DIR holds sample_{0,1,2}.npy and .label (digits).
#
# Downloads (kernel, headers, kernel source, busybox), the unpacked kernel and the built
# gpio-sim.ko are cached in
# $EDGERUN_CACHE (default /var/cache/edgerun, or ~/.cache/edgerun when that is not writable),
# so later runs and fresh clones skip them. Needs qemu-system-arm, cpio, the aarch64 cross gcc
# (scripts/install-deps.sh --board installs them). Env: BT_CPU (default cortex-a72),
# BT_TIMEOUT (seconds per boot, default 240).
set -euo pipefail

[ $# -eq 3 ] || { echo "usage: $0 EDGERUN_AARCH64 MODEL.bin SAMPLE_DIR" >&2; exit 2; }
BIN=$(realpath "$1"); MODEL=$(realpath "$2"); SAMPLES=$(realpath "$3")
HERE=$(cd "$(dirname "$0")" && pwd)
if [ -z "${EDGERUN_CACHE:-}" ]; then
	EDGERUN_CACHE=/var/cache/edgerun
	mkdir -p "$EDGERUN_CACHE" 2>/dev/null && [ -w "$EDGERUN_CACHE" ] || EDGERUN_CACHE=$HOME/.cache/edgerun
fi
CACHE=$EDGERUN_CACHE/board
CPU=${BT_CPU:-cortex-a72}
log() { echo "board-test: $*" >&2; }
fail() { echo "board-test: FAIL: $*" >&2; exit 1; }
for f in "$BIN" "$MODEL" "$SAMPLES"/sample_{0,1,2}.npy; do [ -e "$f" ] || fail "missing $f"; done
for t in qemu-system-aarch64 cpio aarch64-linux-gnu-gcc; do
	command -v $t >/dev/null || fail "$t not found: run scripts/install-deps.sh --board"
done
mkdir -p "$CACHE/dl"
WORK=$(mktemp -d /tmp/edgerun-board.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# ---- kernel ABI: whatever Debian's linux-image-arm64 points at today (old ABIs leave the archive)
KABI=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
	awk '/Depends: linux-image-[0-9.]+-[0-9]+-arm64/ && !k { k = $2; sub(/^linux-image-/, "", k); sub(/:arm64$/, "", k) } END { print k }')
if [ -z "$KABI" ]; then   # offline or no arm64 lists: use the newest cached kernel
	KABI=$(ls "$CACHE/dl" 2>/dev/null | sed -n 's/^linux-image-\([0-9.]*-[0-9]*-arm64\)_.*/\1/p' | sort -V | tail -1)
fi
[ -n "$KABI" ] || fail "cannot resolve the arm64 kernel ABI (dpkg --add-architecture arm64 && apt-get update)"
KSER=$(echo "$KABI" | cut -d. -f1,2)
KCOMMON=linux-headers-${KABI%-arm64}-common
MOD=$CACHE/gpio-sim-$KABI.ko

# pkg spec | file glob in the cache (only missing ones are downloaded); the kernel source,
# headers and kbuild are needed only until gpio-sim.ko is cached.
want=("busybox-static:arm64|busybox-static_*_arm64.deb" "linux-image-$KABI:arm64|linux-image-${KABI}_*_arm64.deb")
if [ ! -f "$MOD" ]; then
	want+=("linux-headers-$KABI:arm64|linux-headers-${KABI}_*_arm64.deb" "$KCOMMON|${KCOMMON}_*_all.deb"
		"linux-kbuild-$KSER|linux-kbuild-${KSER}_*_amd64.deb" "linux-source-$KSER|linux-source-${KSER}_*_all.deb")
fi
missing=()
for w in "${want[@]}"; do compgen -G "$CACHE/dl/${w#*|}" >/dev/null || missing+=("${w%%|*}"); done
if [ ${#missing[@]} -gt 0 ]; then
	log "downloading ${missing[*]} into $CACHE/dl"
	(cd "$CACHE/dl" && apt-get download -q "${missing[@]}" 2>&1 | grep -v unsandboxed >&2 || true)
fi
for w in "${want[@]}"; do compgen -G "$CACHE/dl/${w#*|}" >/dev/null || fail "download failed: ${w%%|*}"; done
first() { compgen -G "$CACHE/dl/$1" | sort -V | tail -1; }

mkdir -p "$WORK"/{kroot,sysroot,root/bin,root/dev,root/data,root/lib/modules}
dpkg -x "$(first "busybox-static_*_arm64.deb")" "$WORK/sysroot"
# The kernel and configfs.ko, unpacked once per kernel ABI (the .deb is 60 MB).
KBOOT=$CACHE/kernel-$KABI
if [ ! -f "$KBOOT/vmlinuz" ] || [ ! -f "$KBOOT/configfs.ko" ]; then
	dpkg-deb --fsys-tarfile "$(first "linux-image-${KABI}_*_arm64.deb")" |
		tar -x -C "$WORK/kroot" "./boot/vmlinuz-$KABI" "./lib/modules/$KABI/kernel/fs/configfs/configfs.ko"
	mkdir -p "$KBOOT.tmp"
	cp "$WORK/kroot/boot/vmlinuz-$KABI" "$KBOOT.tmp/vmlinuz"
	cp "$WORK/kroot/lib/modules/$KABI/kernel/fs/configfs/configfs.ko" "$KBOOT.tmp/configfs.ko"
	rm -rf "$KBOOT" && mv "$KBOOT.tmp" "$KBOOT"
fi

# ---- gpio-sim.ko, out of tree from the kernel's own source (cached per kernel ABI)
if [ ! -f "$MOD" ]; then
	log "building gpio-sim.ko for $KABI"
	K=$WORK/khdr
	mkdir -p "$K" "$WORK/ksrc" "$WORK/mod"
	for f in "$(first "linux-headers-${KABI}_*_arm64.deb")" "$(first "${KCOMMON}_*_all.deb")" "$(first "linux-kbuild-${KSER}_*_amd64.deb")"; do
		dpkg -x "$f" "$K"
	done
	KH=$K/usr/src/linux-headers-$KABI
	# the arch header Makefile includes the common one by absolute /usr/src path
	sed -i "s|^include /usr/src/$KCOMMON/Makefile|include $K/usr/src/$KCOMMON/Makefile|" "$KH/Makefile"
	dpkg-deb --fsys-tarfile "$(first "linux-source-${KSER}_*_all.deb")" |
		tar -x -O "./usr/src/linux-source-$KSER.tar.xz" |
		tar -xJ -C "$WORK/ksrc" "linux-source-$KSER/drivers/gpio/gpio-sim.c" \
			"linux-source-$KSER/drivers/gpio/gpiolib.h" "linux-source-$KSER/kernel/irq/irq_sim.c"
	S=$WORK/ksrc/linux-source-$KSER
	cp "$S/drivers/gpio/gpio-sim.c" "$WORK/mod/gpio-sim-main.c"
	cp "$S/drivers/gpio/gpiolib.h" "$S/kernel/irq/irq_sim.c" "$WORK/mod/"
	# CONFIG_IRQ_SIM is off too: link irq_sim.c into the module. irq_to_desc() is not exported
	# to modules; generic_handle_irq_safe() runs the same flow handler.
	sed -i 's|handle_simple_irq(irq_to_desc(irqnum));|generic_handle_irq_safe(irqnum);|' "$WORK/mod/irq_sim.c"
	grep -q 'generic_handle_irq_safe(irqnum)' "$WORK/mod/irq_sim.c" || fail "irq_sim.c patch did not apply"
	printf 'obj-m := gpio-sim.o\ngpio-sim-y := gpio-sim-main.o irq_sim.o\n' > "$WORK/mod/Kbuild"
	make -s -C "$KH" M="$WORK/mod" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- modules 2>&1 | grep -v 'Skipping BTF' >&2 || true
	[ -f "$WORK/mod/gpio-sim.ko" ] || fail "gpio-sim.ko did not build"
	aarch64-linux-gnu-strip --strip-debug "$WORK/mod/gpio-sim.ko"
	cp "$WORK/mod/gpio-sim.ko" "$MOD.tmp" && mv "$MOD.tmp" "$MOD"
fi

# ---- initramfs: busybox, edgerun, the model, sensor inputs of three classes and a wrong-size one
R=$WORK/root
cp "$WORK/sysroot/bin/busybox" "$R/bin/"
cp "$BIN" "$R/bin/edgerun"
cp "$MODEL" "$R/data/model.bin"
cp "$SAMPLES"/sample_{0,1,2}.npy "$R/data/"
head -c 10 /dev/zero > "$R/data/bad.raw"
cp "$KBOOT/configfs.ko" "$R/lib/modules/"
cp "$MOD" "$R/lib/modules/gpio-sim.ko"
cp "$HERE/board-test/guest-init.sh" "$R/init"
chmod 755 "$R/init"
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) > "$WORK/initrd.gz"

# Sensor inputs in order, and the class each must give (the sample's .label, or "skip").
SEQ=(sample_0.npy sample_1.npy sample_2.npy sample_0.npy bad.raw sample_1.npy sample_0.npy sample_2.npy)
expect=()
for s in "${SEQ[@]}"; do
	if [ "$s" = bad.raw ]; then expect+=(skip); else expect+=("$(tr -d '[:space:]' < "$SAMPLES/${s%.npy}.label")"); fi
done
[ "$(printf '%s\n' "${expect[@]}" | grep -v skip | sort -u | wc -l)" -ge 2 ] || fail "the samples must cover at least two classes"

# ---- boot
L=$WORK/boot.log
log "booting $KABI on -cpu $CPU (timeout ${BT_TIMEOUT:-240}s)"
t0=$(date +%s)
set +e
timeout "${BT_TIMEOUT:-240}" qemu-system-aarch64 -M virt -cpu "$CPU" -smp 1 -m 512 -nographic -nic none -no-reboot \
	-kernel "$KBOOT/vmlinuz" -initrd "$WORK/initrd.gz" \
	-append "console=ttyAMA0 panic=-1 loglevel=4 bt.samples=$(IFS=,; echo "${SEQ[*]}")" </dev/null > "$L" 2>&1
qrc=$?
set -e
tr -d '\r' < "$L" > "$L.txt"
grep -a '^BT_' "$L.txt" | grep -v '^BT_EVENT' >&2 || true
log "qemu exit $qrc after $(( $(date +%s) - t0 )) s"
grep -aq '^BT_DONE' "$L.txt" || { tail -40 "$L.txt" >&2; fail "the guest did not finish (qemu exit $qrc)"; }
grep -aq '^BT_FAIL' "$L.txt" && fail "guest: $(grep -a '^BT_FAIL' "$L.txt")"

# ---- checks
errors=0
check() { if eval "$2"; then log "ok: $1"; else log "WRONG: $1"; errors=$((errors + 1)); fi; }
field() { sed -n "s/^$1 //p" "$L.txt" | head -1; }
check "missing chip exits 8 naming the chip" '[ "$(field BT_MISSING_RC)" = 8 ] && grep -aq "BT_MISSING_ERR.*/dev/gpiochip9.*no such GPIO chip" "$L.txt"'
check "no permission exits 8 and says so" '[ "$(field BT_PERM_RC)" = 8 ] && grep -aq "BT_PERM_ERR.*permission denied" "$L.txt"'
check "busy line exits 8 and says so" '[ "$(field BT_BUSY_RC)" = 8 ] && grep -aq "BT_BUSY_ERR.*line 0 of .*busy" "$L.txt"'
check "all ${#SEQ[@]} edges toggled" '[ "$(field BT_TOGGLES)" = ${#SEQ[@]} ]'
grep -a '^BT_EVENT ' "$L.txt" | sed 's/^BT_EVENT //' > "$WORK/events.jsonl"
check "${#SEQ[@]} JSON events logged" '[ "$(wc -l < "$WORK/events.jsonl")" = ${#SEQ[@]} ]'
for i in "${!SEQ[@]}"; do
	n=$((i + 1))
	ev=$(sed -n "${n}p" "$WORK/events.jsonl")
	out=$(sed -n "s/^BT_OUT $n [^ ]* //p" "$L.txt")
	if [ "${expect[$i]}" = skip ]; then
		check "event $n (${SEQ[$i]}) skipped with the size in the error" 'echo "$ev" | grep -q "\"event\":$n,.*\"skipped\":true,\"error\":\"raw input has 10 bytes"'
		prev=$(sed -n "s/^BT_OUT $i [^ ]* //p" "$L.txt")
		check "event $n: a skipped event leaves the output line as it was ($prev), read $out" '[ "$out" = "$prev" ]'
		continue
	fi
	label=$(echo "$ev" | sed -n 's/.*"top":\[{"index":[0-9]*,"label":"\([^"]*\)".*/\1/p')
	want_out=0; [ "${expect[$i]}" = 2 ] && want_out=1
	check "event $n (${SEQ[$i]}): class ${expect[$i]}, got '$label'" '[ "$label" = "${expect[$i]}" ] && echo "$ev" | grep -q "^{\"event\":$n,\"time\":[0-9]*\.[0-9]\{9\},\"edge\":\"rising\",\"edge_ns\":[0-9]*,.*\"latency_ms\":"'
	check "event $n: output line $want_out (rule class=2), read $out" '[ "$out" = $want_out ] && echo "$ev" | grep -q "\"out\":$want_out}$"'
done
check "SIGTERM: exit 0 after finishing" '[ "$(field BT_STOP_RC)" = 0 ] && grep -aq "BT_WATCH_ERR.*stopped after" "$L.txt"'
check "output line released inactive" '[ "$(field BT_OUT_AFTER_STOP)" = 0 ]'
check "--edge falling: one pulse, one falling event, SIGINT exits 0" '[ "$(grep -ac "^BT_FALLING {" "$L.txt")" = 1 ] && grep -aq "^BT_FALLING {\"event\":1,.*\"edge\":\"falling\".*\"label\":\"$(tr -d "[:space:]" < "$SAMPLES/sample_1.label")\"" "$L.txt" && [ "$(field BT_FALLING_RC)" = 0 ]'
log "event 1 as logged on the board: $(head -1 "$WORK/events.jsonl")"
[ $errors -eq 0 ] || { sed -n 's/^BT_EVENT //p' "$L.txt" >&2; fail "$errors checks failed"; }
log "PASS: ${#SEQ[@]} edges on $KABI ($CPU)"
