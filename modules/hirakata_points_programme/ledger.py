"""Ledger entries can come from a programme, and say so to the holder;
points come in through the programmes' own channels."""
from trytond.pool import PoolMeta

PROGRAMME_CHANNELS = [
    ('venue', "Venue Terminal"),
    ('import', "Import"),
    ]


class Entry(metaclass=PoolMeta):
    __name__ = 'hirakata.point.entry'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.channel.selection += PROGRAMME_CHANNELS

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['hirakata.programme']

    def holder_description(self):
        if getattr(self.origin, '__name__', None) == 'hirakata.programme':
            return '%s（%s）' % (self.kind_string, self.origin.rec_name)
        return super().holder_description()


class ExpiryRule(metaclass=PoolMeta):
    "An expiry policy can be set for the programmes' channels too."
    __name__ = 'hirakata.point.expiry.rule'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.channel.selection += PROGRAMME_CHANNELS
