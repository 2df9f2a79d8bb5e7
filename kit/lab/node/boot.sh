#!/bin/sh
# What a Pi's init does before sshd: cgroup hierarchies mounted fresh (v1 controllers and the unified
# cgroup2, as on a Pi), a host key of its own made on first boot, then sshd in the foreground.
set -e
# Docker hands containers a read-only /sys; a host has it writable.
mount -o remount,rw /sys 2>/dev/null || true
# Docker's cgroup mounts are read-only: replace them.
umount -R /sys/fs/cgroup 2>/dev/null || umount -l /sys/fs/cgroup 2>/dev/null || true
mount -t tmpfs -o rw,mode=755,nosuid,nodev,noexec cgroup /sys/fs/cgroup
# Each v1 hierarchy (co-mounted controllers stay together, e.g. cpu,cpuacct), then cgroup2.
while IFS=: read -r _ ctrls _; do
  case "$ctrls" in
    "") dir=unified; mkdir -p /sys/fs/cgroup/$dir; mountpoint -q /sys/fs/cgroup/$dir || mount -t cgroup2 -o rw cgroup2 /sys/fs/cgroup/$dir ;;
    name=*) dir=${ctrls#name=}; mkdir -p /sys/fs/cgroup/$dir; mountpoint -q /sys/fs/cgroup/$dir || mount -t cgroup -o rw,none,"$ctrls" cgroup /sys/fs/cgroup/$dir ;;
    *) mkdir -p /sys/fs/cgroup/$ctrls; mountpoint -q /sys/fs/cgroup/$ctrls || mount -t cgroup -o rw,"$ctrls" cgroup /sys/fs/cgroup/$ctrls
       if [ "${ctrls#*,}" != "$ctrls" ]; then
         for c in $(echo "$ctrls" | tr , ' '); do [ -e /sys/fs/cgroup/$c ] || ln -s "$ctrls" /sys/fs/cgroup/$c; done
       fi ;;
  esac
done </proc/self/cgroup
# A Raspberry Pi host (lab up --pi) has a boot partition: its kernel reads cmdline.txt at boot and,
# as Pi OS ships, keeps the memory cgroup off unless the line asks for it (cgroup_enable=memory).
cmdline=/boot/firmware/cmdline.txt; [ -f $cmdline ] || cmdline=/boot/cmdline.txt
if [ -f $cmdline ] && ! head -n1 $cmdline | tr ' ' '\n' | grep -qx cgroup_enable=memory; then
  awk 'BEGIN{OFS="\t"} $1=="memory"{$4=0} {print}' /proc/cgroups >/run/lab-proc-cgroups
  mount --bind /run/lab-proc-cgroups /proc/cgroups
fi
[ -e /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -A >/dev/null
mkdir -p /run/sshd
exec /usr/sbin/sshd -D -e -o PidFile=/run/sshd.pid
