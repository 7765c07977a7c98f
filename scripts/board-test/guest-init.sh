#!/bin/busybox sh
# /init of the board-test initramfs (see scripts/board-test.sh): creates a gpio-sim chip, runs
# `edgerun watch` on it, plays the sensor and the input line, and prints BT_* lines that the
# host checks. Line 0 of the simulated chip is the trigger input, line 1 the output.
/bin/busybox mkdir -p /proc /sys /dev /tmp /bin /sbin /etc
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1

finish() { echo "BT_DONE"; sync; poweroff -f; sleep 5; }
die() { echo "BT_FAIL $*"; finish; }
# prints a file's lines with a prefix (for the host log)
show() { sed "s/^/$1 /" "$2"; }

insmod /lib/modules/configfs.ko || die "insmod configfs"
mount -t configfs configfs /sys/kernel/config || die "mount configfs"
insmod /lib/modules/gpio-sim.ko || die "insmod gpio-sim"
D=/sys/kernel/config/gpio-sim/edgerun
mkdir $D $D/bank0 || die "mkdir $D"
echo 8 > $D/bank0/num_lines
echo edgerun-sim > $D/bank0/label
echo 1 > $D/live || die "live=1"
CHIP=$(cat $D/bank0/chip_name)
SIM=/sys/devices/platform/$(cat $D/dev_name)/$CHIP
echo "BT_CHIP $CHIP"

MODEL=/data/model.bin
W="/bin/edgerun watch $MODEL --edge rising --input /tmp/sensor.npy"
cp /data/sample_0.npy /tmp/sensor.npy

# A chip that does not exist, by path.
$W --chip /dev/gpiochip9 --line 0 2>/tmp/err; echo "BT_MISSING_RC $?"; show BT_MISSING_ERR /tmp/err

# No permission: an unprivileged user on a root-only chip device.
echo 'root:x:0:0:root:/:/bin/sh' > /etc/passwd
echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >> /etc/passwd
echo 'root:x:0:' > /etc/group
echo 'nogroup:x:65534:' >> /etc/group
chmod 600 /dev/$CHIP
chmod 644 $MODEL
su -s /bin/sh nobody -c "$W --chip $CHIP --line 0" 2>/tmp/err; echo "BT_PERM_RC $?"; show BT_PERM_ERR /tmp/err

# The watcher, chip by label; output line 1 active while the best class is "2".
rm -f /tmp/events.jsonl /tmp/watch.err
$W --chip edgerun-sim --line 0 --debounce-ms 5 --min-interval-ms 20 --out-line 1 --out-when class=2 \
	--out-hold-ms 0 --json-log /tmp/events.jsonl --quiet 2>/tmp/watch.err &
PID=$!
i=0
while ! grep -q ready /tmp/watch.err 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
grep -q ready /tmp/watch.err || { show BT_WATCH_ERR /tmp/watch.err; die "watcher not ready"; }

# The same line again, chip by name: busy.
$W --chip $CHIP --line 0 2>/tmp/err; echo "BT_BUSY_RC $?"; show BT_BUSY_ERR /tmp/err

# One rising edge per sensor input (names from the kernel command line), waiting for each event.
n=0
for s in $(sed -n 's/.*bt.samples=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' '); do
	cp /data/$s /tmp/sensor.npy
	echo pull-up > $SIM/sim_gpio0/pull
	n=$((n+1))
	i=0
	while [ "$(wc -l < /tmp/events.jsonl 2>/dev/null || echo 0)" -lt $n ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
	echo "BT_OUT $n $s $(cat $SIM/sim_gpio1/value)"
	echo pull-down > $SIM/sim_gpio0/pull
	sleep 0.05
done
echo "BT_TOGGLES $n"

kill -TERM $PID
wait $PID
echo "BT_STOP_RC $?"
echo "BT_OUT_AFTER_STOP $(cat $SIM/sim_gpio1/value)"
show BT_WATCH_ERR /tmp/watch.err
show BT_EVENT /tmp/events.jsonl

# Falling edges only, chip by /dev path: one full pulse gives exactly one event.
cp /data/sample_1.npy /tmp/sensor.npy
$W --chip /dev/$CHIP --line 0 --edge falling --json-log /tmp/falling.jsonl --quiet 2>/tmp/watch.err &
PID=$!
i=0
while ! grep -q ready /tmp/watch.err 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
echo pull-up > $SIM/sim_gpio0/pull
sleep 0.2
echo pull-down > $SIM/sim_gpio0/pull
i=0
while [ "$(wc -l < /tmp/falling.jsonl)" -lt 1 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
sleep 0.2
kill -INT $PID
wait $PID
echo "BT_FALLING_RC $?"
show BT_FALLING /tmp/falling.jsonl
finish
