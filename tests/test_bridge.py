"""The card-reader bridge with nfcpy's UDP emulation of a reader and of
FeliCa (Type 3) and Type A (Type 2) cards: no hardware needed."""
import asyncio
import json
import socket
import threading
import unittest

import nfc
import nfc.clf
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from hirakata_bridge.server import Bridge

ORIGIN = 'http://127.0.0.1:8000'


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def present(device, target, seconds=5.0):
    """An emulated card on the reader for up to seconds (the reader only
    senses it, so listen() ends by its timeout)."""
    clf = nfc.ContactlessFrontend(device)
    try:
        return clf.listen(target, seconds)
    finally:
        clf.close()


def felica(idm):
    target = nfc.clf.LocalTarget('212F')
    target.sensf_res = bytearray.fromhex('01' + idm + 'FFFFFFFFFFFFFFFF12FC')
    return target


def type_a(uid):
    target = nfc.clf.LocalTarget('106A')
    target.sens_res = bytearray.fromhex('4400')
    target.sdd_res = bytearray.fromhex(uid)
    target.sel_res = bytearray.fromhex('00')  # Type 2 tag
    return target


def start_bridge(testcase, device, origins, **options):
    "A bridge serving in a thread until testcase ends."
    bridge = Bridge(device, origins, **options)
    ready = threading.Event()
    thread = threading.Thread(target=asyncio.run, args=(bridge.serve(ready),),
        daemon=True)
    thread.start()
    testcase.assertTrue(ready.wait(10))
    testcase.addCleanup(thread.join, 10)
    testcase.addCleanup(bridge.stop.set)
    return bridge


class BridgeTestCase(unittest.TestCase):
    "The bridge"

    def start(self, device, debounce=1.0):
        return start_bridge(self, device, [ORIGIN], port=0, debounce=debounce)

    def page(self, bridge, origin=ORIGIN):
        client = connect('ws://127.0.0.1:%s' % bridge.port, origin=origin,
            open_timeout=5)
        self.addCleanup(client.close)
        return client

    def receive(self, client, timeout=10):
        return json.loads(client.recv(timeout=timeout))

    def test_cards_reach_the_page(self):
        device = 'udp:127.0.0.1:%s' % free_udp_port()
        bridge = self.start(device)
        client = self.page(bridge)
        self.assertEqual(self.receive(client),
            {'type': 'status', 'reader': 'connected'})
        present(device, felica('0102030405060708'))
        self.assertEqual(self.receive(client), {'type': 'card',
                'technology': 'felica', 'identifier': '0102030405060708'})
        present(device, type_a('04A1B2C3D4E5F6'))
        self.assertEqual(self.receive(client), {'type': 'card',
                'technology': 'iso14443a', 'identifier': '04A1B2C3D4E5F6'})

    def test_card_held_on_the_reader_is_read_once(self):
        device = 'udp:127.0.0.1:%s' % free_udp_port()
        bridge = self.start(device, debounce=3.0)
        client = self.page(bridge)
        self.assertEqual(self.receive(client)['reader'], 'connected')
        # Held for 4 s: the reader senses it again and again meanwhile.
        present(device, felica('0102030405060708'), 4.0)
        self.assertEqual(self.receive(client)['identifier'],
            '0102030405060708')
        with self.assertRaises(TimeoutError):
            client.recv(timeout=1.0)

    def test_other_origins_refused(self):
        bridge = self.start('udp:127.0.0.1:%s' % free_udp_port())
        with self.assertRaises(InvalidStatus) as refused:
            connect('ws://127.0.0.1:%s' % bridge.port,
                origin='https://evil.example', open_timeout=5)
        self.assertEqual(refused.exception.response.status_code, 403)

    def test_no_reader_is_said_clearly(self):
        # A USB reader that is not plugged in (Sony RC-S380's ids).
        bridge = self.start('usb:054c:06c1')
        client = self.page(bridge)
        self.assertEqual(self.receive(client),
            {'type': 'status', 'reader': 'missing'})


if __name__ == '__main__':
    unittest.main()
