"""The bounds the city sets for stores (R14) and the terminal rules."""
from trytond.model import fields
from trytond.pool import PoolMeta


class Configuration(metaclass=PoolMeta):
    __name__ = 'hirakata.point.configuration'

    min_yen_per_point = fields.Integer("Minimum Yen per Point",
        required=True, help="The richest grant rate a store may set.")
    max_yen_per_point = fields.Integer("Maximum Yen per Point",
        required=True, help="The poorest grant rate a store may set.")
    max_campaign_multiplier = fields.Integer("Maximum Campaign Multiplier",
        required=True)
    cancel_window_days = fields.Integer("Cancel Window (Days)",
        required=True,
        help="0: a store may cancel a transaction on the same day only.")

    @staticmethod
    def default_min_yen_per_point():
        return 50

    @staticmethod
    def default_max_yen_per_point():
        return 1000

    @staticmethod
    def default_max_campaign_multiplier():
        return 5

    @staticmethod
    def default_cancel_window_days():
        return 0
