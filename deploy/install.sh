#!/usr/bin/env bash
# Installs a published EdgePose build on a board (see README, "Field engineers"):
#
#   dotnet publish src/EdgePose.Daemon -c Release -r linux-arm64 --self-contained -o out/edgepose
#   sudo deploy/install.sh out/edgepose            # install or upgrade; safe to run again
#   sudo deploy/install.sh --uninstall             # binaries and unit go; /etc/edgepose, state and cache stay
#   sudo deploy/install.sh --uninstall --purge     # ... and configuration, models, state and TensorRT cache too
#
# DESTDIR=/some/root installs into that tree instead (packaging, tests): no user is created, nothing is chowned and
# systemctl is not run; what would have been done is printed instead.
#
# Layout: /opt/edgepose (binaries, replaced on upgrade), /etc/systemd/system/edgepose.service,
# /etc/edgepose/edgepose.json (installed only when absent, never overwritten) and edgepose.json.sample (the commented
# reference of this version, always refreshed), /var/lib/edgepose/models (models: survive upgrades), /var/cache/edgepose
# (TensorRT engines). The unit's StateDirectory=/CacheDirectory= would create the last two as well; creating them here
# lets a model be copied in before the first start.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
destdir="${DESTDIR:-}"
user=edgepose
prefix=/opt/edgepose
unit=/etc/systemd/system/edgepose.service
confdir=/etc/edgepose
statedir=/var/lib/edgepose
cachedir=/var/cache/edgepose

usage() { echo "usage: install.sh PUBLISH_DIR | install.sh --uninstall [--purge]   (DESTDIR=ROOT to install into a tree)" >&2; exit 2; }
say() { echo "install.sh: $*"; }
# Effects outside the file tree (users, ownership, systemd) only on the real root; with DESTDIR they are reported.
on_host() { if [ -n "$destdir" ]; then say "would run: $(printf "%q " "$@")"; else "$@"; fi; }
# The service user owns $statedir, so it can plant a link there (models -> /etc/shadow's directory, say) for the next
# root install to chmod and chown through: every path this script changes must be the real thing, not a link.
refuse_links() {
  local path
  for path in "$@"; do
    if [ -L "$destdir$path" ]; then
      echo "install.sh: $path is a symbolic link; refusing to change modes or owners through it (remove it, check what it pointed at, run again)" >&2
      exit 1
    fi
  done
}
systemd_running() { [ -z "$destdir" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; }

install_build() {
  local publish="$1"
  [ -x "$publish/edgepose" ] && [ -f "$publish/edgepose.dll" ] ||
    { echo "install.sh: $publish is not a published EdgePose build (no executable 'edgepose' and edgepose.dll)" >&2; exit 1; }
  [ -z "$destdir" ] && [ "$(id -u)" -ne 0 ] && { echo "install.sh: run as root (or set DESTDIR)" >&2; exit 1; }

  # The system user: group edgepose owns config and state; video gives /dev/video*, the GPU nodes and the Argus socket.
  if [ -n "$destdir" ] || ! getent group "$user" >/dev/null; then on_host groupadd --system "$user"; fi
  if [ -n "$destdir" ] || ! getent passwd "$user" >/dev/null; then
    on_host useradd --system --gid "$user" --groups video --home-dir "$statedir" --no-create-home --shell /usr/sbin/nologin \
      --comment "EdgePose pose daemon" "$user"
  elif ! id -nG "$user" | tr ' ' '\n' | grep -qx video; then
    on_host usermod --append --groups video "$user"
  fi

  refuse_links "$prefix" "$unit" "$confdir" "$confdir/edgepose.json" "$confdir/edgepose.json.sample" \
    "$statedir" "$statedir/models" "$cachedir"

  # Binaries: staged next to the old tree and swapped in, so a failed copy never leaves half a build behind.
  local target="$destdir$prefix"
  mkdir -p "$(dirname "$target")"
  rm -rf "$target.new" "$target.old"
  cp -R "$publish" "$target.new"
  chmod -R u=rwX,go=rX "$target.new"
  chmod 0755 "$target.new/edgepose"
  [ -d "$target" ] && mv "$target" "$target.old"
  mv "$target.new" "$target"
  rm -rf "$target.old"
  say "installed $publish into $target"

  install -D -m 0644 "$here/systemd/edgepose.service" "$destdir$unit"

  install -d -m 0750 "$destdir$confdir" "$destdir$statedir" "$destdir$statedir/models" "$destdir$cachedir"
  install -m 0640 "$here/edgepose.json" "$destdir$confdir/edgepose.json.sample"
  if [ -e "$destdir$confdir/edgepose.json" ]; then
    say "kept the existing $confdir/edgepose.json (compare with edgepose.json.sample)"
  else
    install -m 0640 "$here/edgepose.json" "$destdir$confdir/edgepose.json"
    say "installed $confdir/edgepose.json: set the camera and model there"
  fi
  # Root owns the configuration and models (the daemon only reads them); the daemon owns what it writes.
  # -h: even a link planted after the check above is changed itself, never what it points at.
  on_host chown -h root:"$user" "$confdir" "$confdir/edgepose.json" "$confdir/edgepose.json.sample" "$statedir/models"
  on_host chown -h "$user:$user" "$statedir" "$cachedir"

  if systemd_running; then
    systemctl daemon-reload
    systemctl enable edgepose.service
    # An upgrade takes effect now if the daemon was running; a first install waits for `systemctl start edgepose`.
    systemctl try-restart edgepose.service
  else
    say "systemd is not running here (or DESTDIR is set): run 'systemctl daemon-reload && systemctl enable --now edgepose' on the board"
  fi
}

uninstall() {
  local purge="$1"
  if systemd_running; then
    systemctl disable --now edgepose.service || true
  fi
  rm -rf "$destdir$prefix" "$destdir$unit"
  if systemd_running; then systemctl daemon-reload; fi
  say "removed $prefix and $unit"
  if [ "$purge" = yes ]; then
    rm -rf "$destdir$confdir" "$destdir$statedir" "$destdir$cachedir"
    # The user stays (Debian practice for system users): files it owned elsewhere must not end up with a reused uid.
    say "purged $confdir, $statedir and $cachedir; the system user '$user' is kept (userdel $user to remove it)"
  else
    say "kept $confdir, $statedir and $cachedir (--purge removes them)"
  fi
}

case "${1:-}" in
  --uninstall)
    case "${2:-}" in
      "") uninstall no ;;
      --purge) uninstall yes ;;
      *) usage ;;
    esac
    ;;
  -* | "") usage ;;
  *) [ $# -eq 1 ] || usage; install_build "$1" ;;
esac
