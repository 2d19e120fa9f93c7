#!/usr/bin/env bash
# Stage 2 of the zfs tier's image (seconds): makes the stage-1 rootfs a lab VM: boot (a small
# initramfs, root by label), the lab's units (seed, pool import) and quiet defaults. Run by
# lab/zfs/image, in a private mount namespace, on a writable overlay of the stage-1 rootfs:
#   configure.sh ROOTFS GUEST_DIR OUT_DIR       (OUT_DIR receives vmlinuz and initrd.img)
# What differs per lab instance or per host (ssh keys, addresses, hostname, machine-id) is not
# in the image: lab/zfs/up puts it on each VM's seed disk and kernel command line.
set -euo pipefail
root=$1 guest=$2 out=$3
mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --rbind /dev "$root/dev"
trap 'umount -R "$root/dev" "$root/sys" "$root/proc" 2>/dev/null' EXIT
inchroot() { chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }
kver=$(cat "$root/etc/ferry-lab-kernel")

install -m 0755 "$guest/ferry-lab-seed" "$guest/ferry-lab-import" "$root/usr/local/sbin/"
install -m 0644 "$guest/ferry-lab-seed.service" "$guest/ferry-lab-import.service" \
  "$root/etc/systemd/system/"
install -m 0644 "$guest/sysctl-ferry-lab.conf" "$root/etc/sysctl.d/60-ferry-lab.conf"
# LXD's and Incus's state lives on the zpool (tank/lab-state/*, mounted over /var/lib/lxd and
# /var/lib/incus) so that one cached data disk holds an initialised host; the daemons wait for
# it and start at boot once it is there.
for u in lxd.service lxd.socket incus.service incus.socket incus-user.socket; do
  d=$root/etc/systemd/system/$u.d
  mkdir -p "$d"
  state=/var/lib/${u%%[.-]*}
  printf '[Unit]\nAfter=zfs-mount.service\nConditionPathIsMountPoint=%s\n' "$state" >"$d/ferry-lab.conf"
done
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -sf /lib/systemd/system/lxd.service /lib/systemd/system/incus.service \
  "$root/etc/systemd/system/multi-user.target.wants/"
rm -rf "$root"/var/lib/lxd/* "$root"/var/lib/incus/*
mkdir -p "$root/etc/ferry-lab" "$root/etc/systemd/network"
rm -f "$root"/etc/ssh/ssh_host_* "$root/etc/hostname" "$root/var/lib/dbus/machine-id"
: >"$root/etc/machine-id"   # each VM gets its own (systemd.machine_id= from lab/zfs/up)
echo "LABEL=ferryroot / ext4 rw,noatime 0 1" >"$root/etc/fstab"
cat >"$root/etc/hosts" <<HOSTS
127.0.0.1 localhost
198.18.1.1 lab-host
198.18.1.2 alpha
198.18.1.3 beta
HOSTS
inchroot systemctl enable ferry-lab-seed.service ferry-lab-import.service systemd-networkd.service \
  >/dev/null 2>&1
# Quiet when idle and quick to boot under TCG: no timers, no boot-time dkms run, no ZFS event
# daemon, no zvol wait or NFS shares, no udev settle (ferry-lab-import waits for its one disk
# instead), no gettys, no managers' "activate if needed" checks (both daemons start anyway,
# and the VMs are never shut down cleanly: lab/zfs/down kills them).
inchroot systemctl mask apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
  e2scrub_all.timer e2scrub_reap.service fstrim.timer dkms.service zfs-zed.service \
  lxd-containers.service incus-startup.service \
  zfs-share.service zfs-volume-wait.service \
  zfs-import-cache.service zfs-import-scan.service systemd-udev-settle.service \
  systemd-networkd-wait-online.service serial-getty@ttyS0.service getty@tty1.service \
  >/dev/null 2>&1

# A small initramfs (MODULES=list, set by base.sh): the root disk's drivers only. Without it
# the chroot packs "most" of the kernel's modules (37 MB); btrfs-progs' hook would load btrfs
# and benchmark raid6 at every boot.
printf '%s\n' virtio_pci virtio_blk ext4 crc32c_generic >"$root/etc/initramfs-tools/modules"
for f in /usr/share/initramfs-tools/hooks/btrfs /usr/share/initramfs-tools/scripts/local-premount/btrfs; do
  [ -e "$root$f" ] && inchroot dpkg-divert --quiet --local --rename --add "$f"
done
inchroot update-initramfs -u -k "$kver" >/dev/null
cp -L "$root/boot/vmlinuz-$kver" "$out/vmlinuz"
cp -L "$root/boot/initrd.img-$kver" "$out/initrd.img"
echo "$kver" >"$out/kernel-version"
inchroot dpkg-query -W -f='${Package} ${Version}\n' >"$out/packages.txt"
rm -rf "$root"/var/log/*.log "$root"/tmp/* "$root"/var/cache/debconf/*-old
