"""The portal's scheduled jobs: dropping ended sessions and devices, and
forgotten failure counts."""
from trytond.pool import PoolMeta


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('hirakata.portal.session|purge', "Purge Ended Portal Sessions"))
        cls.method.selection.append(
            ('hirakata.portal.failure|purge', "Purge Old Portal Failures"))
