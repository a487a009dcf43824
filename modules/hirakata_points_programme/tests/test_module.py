"""The programme module as a whole, its venue terminals in the back
office, and its part of the terminal API's specification."""
import unittest

from trytond.model.exceptions import AccessError, ValidationError
from trytond.model.modelview import AccessButtonError
from trytond.modules.hirakata_points.tests.test_module import create_user
from trytond.modules.hirakata_points_pos.tests.tools import (
    OpenApiTestMixin, make_store, make_terminal)
from trytond.modules.hirakata_points_programme.tests import (
    test_programme as programmes)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction


class OpenApiTestCase(OpenApiTestMixin, unittest.TestCase):
    "docs/openapi.yaml describes the venue's routes and errors."
    openapi_module = 'hirakata_points_programme'


class HirakataPointsProgrammeTestCase(ModuleTestCase):
    "City programmes and their venue terminals"
    module = 'hirakata_points_programme'

    @with_transaction()
    def test_terminal_kind_needs_its_store_or_session(self):
        Terminal = Pool().get('hirakata.terminal')
        programme = programmes.create_programme()
        with self.assertRaises(ValidationError):
            Terminal.create([{'name': "会場", 'kind': 'venue'}])
        with self.assertRaises(ValidationError):
            Terminal.create([{'name': "レジ", 'kind': 'store'}])
        with self.assertRaises(ValidationError):
            Terminal.create([{'name': "ロビー", 'kind': 'kiosk',
                        'session': programme.sessions[0].id}])

    @with_transaction()
    def test_city_staff_switch_a_venue_terminals_session_only(self):
        pool = Pool()
        Terminal = pool.get('hirakata.terminal')
        Session = pool.get('hirakata.programme.session')
        programme = programmes.create_programme()
        first = programme.sessions[0]
        second, = Session.create([{'programme': programme.id,
                    'name': "第2回", 'date': first.date}])
        venue, = Terminal.create([{'name': "会場", 'kind': 'venue',
                    'session': first.id}])
        store_terminal = make_terminal(make_store("自店"))
        staff = create_user('venue_staff', 'group_city_staff')
        with Transaction().set_user(staff.id), \
                Transaction().set_context(_check_access=True):
            Terminal.write([Terminal(venue.id)], {'session': second.id})
            with self.assertRaises(AccessError):
                Terminal.write([Terminal(store_terminal.id)],
                    {'name': "改名"})
            with self.assertRaises(AccessError):
                Terminal.write([Terminal(venue.id)], {'kind': 'kiosk'})
            # Not its name, nor its state around the revoke button.
            with self.assertRaises(AccessError):
                Terminal.write([Terminal(venue.id)], {'name': "改名"})
            with self.assertRaises(AccessError):
                Terminal.write([Terminal(venue.id)], {'state': 'revoked'})
            with self.assertRaises(AccessButtonError):
                Terminal.revoke([Terminal(venue.id)])
        self.assertEqual(Terminal(venue.id).session, second)


del ModuleTestCase
