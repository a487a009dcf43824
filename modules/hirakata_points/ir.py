"""The scheduled jobs: nightly expiry, hourly card activation, daily purge
of phone codes."""
from trytond.pool import PoolMeta


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
