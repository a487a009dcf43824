from trytond.tests.test_tryton import ModuleTestCase


class HirakataPointsPosTestCase(ModuleTestCase):
    "Stores and terminals"
    module = 'hirakata_points_pos'


del ModuleTestCase
