"""Card identifiers: validation and normalisation by technology.

Kept free of Tryton so the rules can be reused by the terminal API and the
card-reader bridge, and tested without a database.
"""
import re
import secrets

FELICA = 'felica'
TYPE_A = 'iso14443a'
TRANSIT = 'transit'
QR = 'qr'
TECHNOLOGIES = (FELICA, TYPE_A, TRANSIT, QR)

# Readers and people write UIDs as "04:A2:…", "04 a2 …" or "04-A2-…".
_SEPARATORS = re.compile(r'[\s:\-]')
_HEX = re.compile(r'^[0-9A-F]*$')
_DIGITS = re.compile(r'^[0-9]{16}$')

# Allowed identifier sizes in bytes: a FeliCa IDm (also the IDm of a transit
# IC card such as ICOCA or PiTaPa) is 8 bytes, an ISO 14443 Type A UID is a
# single (4), double (7) or triple (10) size UID.
_SIZES = {FELICA: (8,), TRANSIT: (8,), TYPE_A: (4, 7, 10)}


class InvalidIdentifier(ValueError):
    "The identifier does not fit its technology."


def normalise(technology, identifier):
    "Return the stored form of identifier or raise InvalidIdentifier."
    if technology not in TECHNOLOGIES:
        raise InvalidIdentifier(technology)
    value = _SEPARATORS.sub('', identifier or '').upper()
    if technology == QR:
        if not _DIGITS.match(value) or not luhn_valid(value):
            raise InvalidIdentifier(identifier)
        return value
    if not _HEX.match(value) or len(value) % 2:
        raise InvalidIdentifier(identifier)
    if len(value) // 2 not in _SIZES[technology]:
        raise InvalidIdentifier(identifier)
    return value


def guess_technology(identifier, qr=True):
    """The technology an identifier typed or listed without one most likely
    has: 16 digits with a valid check digit a QR card (unless qr is False,
    e.g. an IC card being bound), 8 bytes a FeliCa IDm, 4, 7 or 10 bytes a
    Type A UID; FeliCa when it is none of these (normalise then refuses)."""
    value = _SEPARATORS.sub('', identifier or '').upper()
    if qr and _DIGITS.match(value) and luhn_valid(value):
        return QR
    if _HEX.match(value) and len(value) // 2 in _SIZES[TYPE_A] and (
            len(value) % 2 == 0):
        return TYPE_A
    return FELICA


def luhn_check_digit(digits):
    "The Luhn digit that makes digits + digit valid."
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return str((10 - total % 10) % 10)


def luhn_valid(number):
    return luhn_check_digit(number[:-1]) == number[-1]


def new_qr_number():
    """A random 16-digit QR card number with a Luhn check digit.

    Digits only, so a clerk without a camera can type it; the check digit
    catches a mistyped digit before it reaches the server.
    """
    body = ''.join(secrets.choice('0123456789') for _ in range(15))
    return body + luhn_check_digit(body)
