"""The first set-up of a production database (docs/operations.md) with the
example file: its users sign in with the printed passwords, in Japanese,
to what their groups allow; its store works, its terminal activates with
the printed code; the admin's first sign-in opens no set-up wizard."""
import os
import sys
import tomllib

from trytond.modules.hirakata_points.tests.browser import ROOT
from trytond.modules.hirakata_points.tests.test_module import load_japanese
from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase
from trytond.transaction import Transaction

sys.path.insert(0, os.path.join(ROOT, 'scripts'))
import first_setup  # noqa: E402

EXAMPLE = os.path.join(ROOT, 'config', 'first-setup.example.toml')


class FirstSetupTestCase(RouteTestCase):
    "The production first set-up from the example file"
    module = 'hirakata_points_pos'

    @classmethod
    def setUpDatabase(cls):
        load_japanese()
        with open(EXAMPLE, 'rb') as f:
            cls.setup = tomllib.load(f)
        with Transaction().set_user(0):
            cls.passwords, cls.codes = first_setup.load(cls.setup)

    def test_users_sign_in_with_their_groups_and_language(self):
        with Transaction().start(self.db_name, 0):
            pool = Pool()
            User = pool.get('res.user')
            Store = pool.get('hirakata.store')
            Data = pool.get('ir.model.data')
            for row in self.setup['user']:
                user_id = User.get_login(row['login'],
                    {'password': self.passwords[row['login']]})
                self.assertTrue(user_id, row['login'])
                user = User(user_id)
                self.assertEqual(user.language.code, 'ja')
                self.assertEqual({g.id for g in user.groups},
                    {Data.get_id('hirakata_points', 'group_' + g)
                        for g in row['groups']})
                self.assertFalse(User.get_login(row['login'],
                        {'password': 'wrong-password'}))
            seika = User.search([('login', '=', 'seika1')])[0]
            with Transaction().set_user(seika.id), \
                    Transaction().set_context(_check_access=True,
                        **User.get_preferences(context_only=True)):
                self.assertEqual([s.name for s in Store.search([])],
                    ["ひらかた青果店"])

    def test_store_active_and_its_terminal_activates_with_the_code(self):
        (store, terminal, code), = self.codes
        self.assertEqual((store, terminal), ("ひらかた青果店", "レジ1"))
        response = self.client().post(
            '/%s/hirakata/api/v1/terminal/activate' % self.db_name,
            json={'code': code})
        self.assertEqual(response.status_code, 200, response.text)
        with Transaction().start(self.db_name, 0):
            Store = Pool().get('hirakata.store')
            found, = Store.search([('name', '=', store)])
            self.assertEqual(found.state, 'active')

    def test_no_configuration_wizard_at_first_sign_in(self):
        with Transaction().start(self.db_name, 0):
            Item = Pool().get('ir.module.config_wizard.item')
            self.assertTrue(Item.search([]))
            self.assertEqual(Item.search([('state', '!=', 'done')]), [])

    def test_unknown_group_refused(self):
        with Transaction().start(self.db_name, 0, readonly=True), \
                Transaction().set_user(0):
            with self.assertRaises(ValueError):
                first_setup.load_users([{'login': 'x', 'name': 'x',
                            'groups': ['superuser']}], {}, None)


del RouteTestCase
