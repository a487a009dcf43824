"""hirakata-bridge --origin https://points.example.jp [--device usb]"""
import argparse
import asyncio
import logging

from .server import Bridge


def main():
    parser = argparse.ArgumentParser(description="枚方市ポイント カードリーダー連携")
    parser.add_argument('--device', default='usb',
        help="nfcpy device path: usb (first reader), usb:054c:06c1, "
        "or udp:host:port for nfcpy's emulation")
    parser.add_argument('--origin', action='append', required=True,
        help="address of the point system's server the app is opened "
        "from (repeat for several)")
    parser.add_argument('--port', type=int, default=8765)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    try:
        asyncio.run(Bridge(args.device, args.origin, port=args.port).serve())
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
