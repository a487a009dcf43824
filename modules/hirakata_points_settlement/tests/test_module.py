"""The settlement module as a whole: Tryton's own checks of its models,
views and access."""
from trytond.tests.test_tryton import ModuleTestCase


class HirakataPointsSettlementTestCase(ModuleTestCase):
    "The operator's books and monthly settlement"
    module = 'hirakata_points_settlement'


del ModuleTestCase
