"""The portal's scheduled job: dropping ended sessions."""
from trytond.pool import PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('hirakata.portal.session|purge', "Purge Ended Portal Sessions"))
