"""The scheduled jobs (nightly expiry, hourly card activation, daily purge
of phone codes), and today's date in the city's time zone."""
from trytond.pool import PoolMeta

from . import clock


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('hirakata.point.ledger|expire_due_cron', "Expire Due Points"))
        cls.method.selection.append(
            ('hirakata.card.distribution.line|mark_used',
                "Activate Distributed Cards on First Use"))
        cls.method.selection.append(
            ('hirakata.phone_code|purge', "Purge Old Phone Codes"))


class Date(metaclass=PoolMeta):
    __name__ = 'ir.date'

    @classmethod
    def today(cls, timezone=None):
        "The date in timezone; by default the city's, not the server's UTC."
        return clock.local_now(timezone).date()
