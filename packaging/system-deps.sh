#!/bin/sh
# Installs the Debian/Ubuntu packages Qt needs, when missing: as root via apt, otherwise prints the command.
# Usage: packaging/system-deps.sh offscreen|x11|tray
set -eu
level=${1:-offscreen}
pkgs="libgl1 libegl1 libxkbcommon0 libglib2.0-0 libfontconfig1 libdbus-1-3 fonts-dejavu-core"
x11="xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-render0 libxcb-shape0 libxcb-util1 libxcb-xkb1 libxkbcommon-x11-0"
case "$level" in
  offscreen) ;;
  x11) pkgs="$pkgs $x11" ;;
  tray) pkgs="$pkgs $x11 jwm imagemagick strace" ;;  # strace: the privacy test watches every syscall
  *) echo "usage: $0 offscreen|x11|tray" >&2; exit 2 ;;
esac
command -v dpkg-query >/dev/null 2>&1 || { echo "system-deps: not a Debian/Ubuntu system; install Qt's runtime libraries yourself"; exit 0; }
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing$missing"
  if apt-get update -qq && DEBIAN_FRONTEND=noninteractive $cmd >/dev/null; then
    exit 0
  fi
  echo "system-deps: apt-get could not install$missing"
else
  echo "system-deps: missing$missing"
  echo "system-deps: run:  sudo apt-get update && sudo $cmd"
fi
# Qt cannot run at all without the offscreen set; without the rest only the X11/tray tests skip
for p in libgl1 libegl1 libxkbcommon0 libglib2.0-0 libfontconfig1 libdbus-1-3 fonts-dejavu-core; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || exit 1
done
exit 0
