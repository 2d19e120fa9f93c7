#!/usr/bin/env bash
# Stage 1 of the zfs tier's image (slow: minutes, mostly zfs-dkms): a Debian 12 rootfs with every
# package the VMs need. Run by lab/zfs/image, in a private mount namespace, as
#   base.sh ROOTFS MIRROR LOG_DIR
# Its hash (this file) keys the cached rootfs; stage 2 (configure.sh) builds on it.
set -euo pipefail
root=$1 mirror=$2 logs=$3
SUITE=bookworm
BASE_INCLUDE=systemd-sysv,udev,openssh-server,iproute2,kmod
KERNEL=(linux-image-amd64 linux-headers-amd64)
PACKAGES=(zfs-dkms zfsutils-linux lxd dnsmasq-base nftables btrfs-progs)
BACKPORTS=(incus-base incus-client)

t=0
stage() { t=$(date +%s); printf '[lab %s] image: %s\n' "$(date +%T)" "$1" >&2; }
done_stage() { printf '%-12s %4ss\n' "$1" $(( $(date +%s) - t )) >>"$logs/build-times.txt"; }
die() { tail -n 30 "$1" >&2; echo "lab: image: $2 failed ($1)" >&2; exit 1; }

# A build that failed later resumes after its debootstrap.
if [ ! -f "$logs/debootstrap.ok" ]; then
  stage "debootstrap $SUITE (minbase) from $mirror"
  rm -rf "$root"
  debootstrap --variant=minbase --components=main,contrib --include="$BASE_INCLUDE" \
    "$SUITE" "$root" "$mirror" >"$logs/debootstrap.log" 2>&1 || die "$logs/debootstrap.log" debootstrap
  done_stage debootstrap
  touch "$logs/debootstrap.ok"
fi

cat >"$root/etc/apt/sources.list" <<SRC
deb $mirror $SUITE main contrib
deb $mirror $SUITE-updates main contrib
deb $mirror $SUITE-backports main contrib
SRC
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"   # no daemon starts in the chroot
chmod +x "$root/usr/sbin/policy-rc.d"
# During the build only: no fsync per file (a lost build is simply redone).
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/ferry-lab-build"
# Before the kernel arrives: a small initramfs. With the default (MODULES=most) each of the
# several initramfs runs the packages trigger takes ~80 s here; the VMs need 3 modules.
mkdir -p "$root/etc/initramfs-tools/conf.d"
printf 'MODULES=list\nCOMPRESS=gzip\n' >"$root/etc/initramfs-tools/conf.d/ferry-lab.conf"
cp /etc/resolv.conf "$root/etc/resolv.conf"   # for apt, during the build only
mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --rbind /dev "$root/dev"
trap 'umount -R "$root/dev" "$root/sys" "$root/proc" 2>/dev/null' EXIT
inchroot() { chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }
apt_install() {
  inchroot apt-get install -y -q --no-install-recommends "$@" >>"$logs/apt.log" 2>&1 ||
    die "$logs/apt.log" "apt-get install $*"
}

stage "kernel and its headers"
inchroot apt-get update -q >>"$logs/apt.log" 2>&1 || die "$logs/apt.log" "apt-get update"
apt_install "${KERNEL[@]}"
kver=$(ls "$root/lib/modules" | sort -V | tail -n1)
[ -d "$root/usr/src/linux-headers-$kver" ] || die "$logs/apt.log" "linux-headers for $kver"
done_stage kernel

stage "zfs-dkms (builds the module for $kver)"
apt_install zfs-dkms zfsutils-linux
ls "$root/lib/modules/$kver/updates/dkms/"zfs.ko* >/dev/null 2>&1 ||
  die "$logs/apt.log" "zfs-dkms (no zfs.ko for $kver)"
done_stage zfs-dkms

stage "lxd, incus (backports), btrfs-progs"
apt_install "${PACKAGES[@]}"
apt_install -t "$SUITE-backports" "${BACKPORTS[@]}"
done_stage lxd+incus

inchroot apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root/usr/sbin/policy-rc.d" "$root/etc/dpkg/dpkg.cfg.d/ferry-lab-build"
: >"$root/etc/resolv.conf"
echo "$kver" >"$root/etc/ferry-lab-kernel"
