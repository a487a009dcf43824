"""Ledger entries can come from a programme, and say so to the holder."""
from trytond.pool import PoolMeta


class Entry(metaclass=PoolMeta):
    __name__ = 'hirakata.point.entry'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['hirakata.programme']

    def holder_description(self):
        if getattr(self.origin, '__name__', None) == 'hirakata.programme':
            return '%s（%s）' % (self.kind_string, self.origin.rec_name)
        return super().holder_description()
