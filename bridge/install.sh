#!/bin/sh
# Install the card-reader bridge on the store's PC, tablet host or
# Raspberry Pi (Debian/Raspberry Pi OS), in one command:
#   sh install.sh https://points.example.jp
# It makes ~/.hirakata-bridge with the pinned packages, lets the user use
# USB readers (Sony RC-S380/RC-S300 PaSoRi), and starts the bridge at login.
set -eu
ORIGIN=${1:?"usage: sh install.sh <address of the point system, e.g. https://points.example.jp>"}
HERE=$(cd "$(dirname "$0")" && pwd)
python3 -m venv "$HOME/.hirakata-bridge"
"$HOME/.hirakata-bridge/bin/pip" install -q "$HERE"
# nfcpy needs the reader's USB device to be the user's, not the kernel
# driver's: its own tool writes the udev rule.
"$HOME/.hirakata-bridge/bin/python" -m nfc 2>&1 | grep -q "sudo" \
    && echo "Follow the line above (sudo …) once to allow the reader, then plug it again."
mkdir -p "$HOME/.config/systemd/user"
cat > "$HOME/.config/systemd/user/hirakata-bridge.service" <<UNIT
[Unit]
Description=枚方市ポイント カードリーダー連携
[Service]
ExecStart=$HOME/.hirakata-bridge/bin/hirakata-bridge --origin $ORIGIN
Restart=always
[Install]
WantedBy=default.target
UNIT
systemctl --user daemon-reload
systemctl --user enable --now hirakata-bridge.service
echo "The bridge is running: ws://127.0.0.1:8765 (logs: journalctl --user -u hirakata-bridge)"
