"""The nightly expiry job's entry in the scheduler."""
from trytond.pool import PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('hirakata.point.ledger|expire_due_cron', "Expire Due Points"))
