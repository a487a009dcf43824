"""Random secrets (terminal credentials, clerk and portal sessions, phone
codes) are kept only as their SHA-256: they have full entropy, so no slow
hash is needed, and a copy of the table gives nothing away. Their times are
naive UTC, as trytond stores timestamps (the clients show local time)."""
import hashlib

from . import clock


def digest(secret):
    "The stored form of secret."
    return hashlib.sha256(secret.encode()).hexdigest()


def utc_now():
    return clock.utc_now()
