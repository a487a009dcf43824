"""Polling an nfcpy reader for cards, through unplugging and replugging."""
import binascii
import logging
import time

import nfc
import nfc.clf

logger = logging.getLogger(__name__)
TARGETS = ['212F', '106A']  # FeliCa (and transit IC cards), then Type A


def identify(target):
    "{'technology', 'identifier'} of a sensed target, or None."
    if target is None:
        return None
    if target.brty.endswith('F') and target.sensf_res:
        return {'technology': 'felica', 'identifier': binascii.hexlify(
                bytes(target.sensf_res[1:9])).decode().upper()}
    if target.brty.endswith('A') and target.sdd_res:
        return {'technology': 'iso14443a', 'identifier': binascii.hexlify(
                bytes(target.sdd_res)).decode().upper()}
    return None


class CardReader:
    """Calls on_card(card) once per card put on the reader, and
    on_status(True/False) when the reader is found or lost.

    A card held on the reader is sensed again and again; it is reported
    again only after it was away for `debounce` seconds.
    """

    def __init__(self, device, on_card, on_status, debounce=1.0, retry=2.0):
        self.device = device
        self.on_card = on_card
        self.on_status = on_status
        self.debounce = debounce
        self.retry = retry

    def run(self, stop):
        "Until stop (a threading.Event) is set."
        while not stop.is_set():
            try:
                clf = nfc.ContactlessFrontend(self.device)
            except (IOError, OSError) as error:
                logger.warning("no card reader at %s: %s", self.device, error)
                self.on_status(False)
                stop.wait(self.retry)
                continue
            self.on_status(True)
            try:
                self._poll(clf, stop)
            except (IOError, OSError) as error:  # unplugged
                logger.warning("card reader lost: %s", error)
                self.on_status(False)
            finally:
                clf.close()

    def _poll(self, clf, stop):
        last, last_seen = None, 0.0
        while not stop.is_set():
            target = clf.sense(*[nfc.clf.RemoteTarget(t) for t in TARGETS],
                iterations=1, interval=0.1)
            card = identify(target)
            now = time.monotonic()
            if card:
                if card != last or now - last_seen > self.debounce:
                    self.on_card(card)
                last, last_seen = card, now
