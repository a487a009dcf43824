"""Every back-office screen of our modules opens in sao, for every role.

No browser: each view is loaded as a user of each access group through
fields_view_get, as sao asks for it, and checked against what sao 8.0 can
draw (its own widget tables, read from the installed sao); each menu entry
a group sees must open for that group; each button a group is shown must be
one it may press.
"""
import json
import os
import re

from lxml import etree

from trytond.modules.hirakata_points.tests.test_module import create_user
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAO = os.path.join(ROOT, 'node_modules', 'tryton-sao', 'dist',
    'tryton-sao.js')
MODULES = ['hirakata_points', 'hirakata_points_pos',
    'hirakata_points_programme', 'hirakata_points_portal',
    'hirakata_points_settlement']
GROUPS = ['group_city_staff', 'group_city_approver', 'group_operator',
    'group_store_staff', 'group_accountant', 'group_auditor']


def sao_widgets(parser):
    "The widgets sao's parser ('Tree' or 'Form') can draw."
    with open(SAO, encoding='utf-8') as f:
        text = f.read()
    table = re.search(r'Sao\.View\.%sXMLViewParser\.WIDGETS = \{(.*?)\};'
        % parser, text, re.S).group(1)
    return set(re.findall(r"'([a-z0-9_]+)':", table))


class BackOfficeViewsTestCase(_DBTestCase):
    "Every screen, menu entry and button, as each role sees them"
    maxDiff = None
    module = 'hirakata_points_pos'
    extras = ['hirakata_points_programme', 'hirakata_points_portal',
        'hirakata_points_settlement']

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.widgets = {'tree': sao_widgets('Tree'),
            'form': sao_widgets('Form')}

    def users(self):
        "One user per access group: {group xml id: user id}."
        return {group: create_user('v-' + group, group).id
            for group in GROUPS}

    def our_views(self):
        View = Pool().get('ir.ui.view')
        return View.search([('module', 'in', MODULES),
                ('type', 'in', ['tree', 'form']),
                ('inherit', '=', None)])

    @with_transaction()
    def test_every_field_has_a_widget_sao_draws(self):
        pool = Pool()
        problems = []
        for view in self.our_views():
            Model = pool.get(view.model)
            result = Model.fields_view_get(view.id, view.type)
            arch = etree.fromstring(result['arch'])
            for element in arch.iter('field'):
                name = element.get('name')
                widget = element.get('widget') or result['fields'][
                    name]['type']
                if widget not in self.widgets[view.type]:
                    problems.append('%s %s: %s (%s)' % (
                            view.model, view.type, name, widget))
        self.assertEqual(problems, [])

    @with_transaction()
    def test_every_menu_entry_a_group_sees_opens_for_it(self):
        pool = Pool()
        Menu = pool.get('ir.ui.menu')
        ModelAccess = pool.get('ir.model.access')
        problems = []
        for group, user in self.users().items():
            with Transaction().set_user(user), \
                    Transaction().set_context(_check_access=True):
                menus = Menu.search([])
                for menu in menus:
                    action = menu.action
                    where = '%s: %s' % (group, menu.complete_name)
                    if not action:
                        # A folder must hold something the group may open.
                        if not any(m.parent == menu for m in menus):
                            problems.append(where + ' (empty)')
                        continue
                    if action.__name__ == 'ir.action.act_window':
                        if not ModelAccess.check(action.res_model, 'read',
                                raise_exception=False):
                            problems.append(where)
                    elif action.__name__ == 'ir.action.wizard':
                        problems += self.wizard_problems(action, where)
        self.assertEqual(problems, [])

    def wizard_problems(self, action, where):
        "Start the menu's wizard as the menu does; what went wrong."
        Wizard = Pool().get(action.wiz_name, type='wizard')
        with Transaction().set_context(active_model='ir.ui.menu',
                active_id=None, active_ids=[], action_id=action.id):
            try:
                session_id, start, _ = Wizard.create()
                Wizard.execute(session_id, {}, start)
            except Exception as error:
                return ['%s (%s)' % (where, error)]
        return []

    @with_transaction()
    def test_every_button_a_group_is_shown_it_may_press(self):
        pool = Pool()
        User = pool.get('res.user')
        Button = pool.get('ir.model.button')
        ModelAccess = pool.get('ir.model.access')
        problems = []
        for group, user in self.users().items():
            with Transaction().set_user(user), \
                    Transaction().set_context(_check_access=True):
                groups = set(User.get_groups())
                for view in self.our_views():
                    Model = pool.get(view.model)
                    if not ModelAccess.check(view.model, 'read',
                            raise_exception=False):
                        continue
                    result = Model.fields_view_get(view.id, view.type)
                    arch = etree.fromstring(result['arch'])
                    for button in arch.iter('button'):
                        name = button.get('name')
                        states = json.loads(button.get('states', '{}'))
                        invisible = self.always_invisible(Model,
                            states.get('invisible', False), groups)
                        button_groups = Button.get_groups(view.model, name)
                        if button_groups:
                            may = bool(groups & button_groups)
                        else:
                            may = ModelAccess.check(view.model, 'write',
                                raise_exception=False)
                        if not may and not invisible:
                            problems.append('%s: %s %s' % (group,
                                    view.model, name))
        self.assertEqual(problems, [])

    @with_transaction()
    def test_shipped_policies_and_channels_read_in_japanese(self):
        pool = Pool()
        Lang = pool.get('ir.lang')
        Lang.load_translations(Lang.search([('code', '=', 'ja')]))
        with Transaction().set_context(language='ja'):
            Policy = pool.get('hirakata.point.expiry.policy')
            Participation = pool.get('hirakata.programme.participation')
            self.assertEqual(sorted(p.name for p in Policy.search([])),
                ["付与から12か月", "翌年度末"])
            channels = dict(Participation.fields_get(['channel'])[
                    'channel']['selection'])
            self.assertEqual(channels['venue'], "会場端末")

    @with_transaction()
    def test_every_text_of_our_modules_has_japanese(self):
        """Every label, help, selection, view text, button, message and
        record name our modules register (the inherited "Created by",
        "Active"… included) reads in Japanese."""
        pool = Pool()
        Lang = pool.get('ir.lang')
        Translation = pool.get('ir.translation')
        Lang.load_translations(Lang.search([('code', '=', 'ja')]))
        japanese = {(t.type, t.name, t.res_id, t.src)
            for t in Translation.search([('lang', '=', 'ja'),
                    ('module', 'in', MODULES), ('value', '!=', '')])}
        missing = sorted('%s:%s: %s' % (t.type, t.name, t.src)
            for t in Translation.search([('lang', '=', 'en'),
                    ('module', 'in', MODULES)])
            if t.src and (t.type, t.name, t.res_id, t.src) not in japanese)
        self.assertEqual(missing, [])

    @with_transaction()
    def test_every_screen_of_our_modules_reads_in_japanese(self):
        """What sao draws for our views in Japanese: field labels (those
        inherited from Tryton's base models included), selection choices,
        and the view's own texts (labels, buttons, pages, groups)."""
        pool = Pool()
        Lang = pool.get('ir.lang')
        Lang.load_translations(Lang.search([('code', '=', 'ja')]))
        english = []

        def check(where, text):
            # Names that stay in Latin letters in Japanese screens too.
            words = set(re.findall(r'[A-Za-z]{2,}', text or '')) - {
                'ID', 'QR', 'IC', 'API', 'URL', 'CSV', 'FeliCa', 'NFC',
                'ISO', 'PIN', 'XLSX', 'PDF', 'JSON', 'UTF'}
            if words:
                english.append('%s: %s' % (where, text))

        with Transaction().set_context(language='ja'):
            for view in self.our_views():
                Model = pool.get(view.model)
                result = Model.fields_view_get(view.id, view.type)
                arch = etree.fromstring(result['arch'])
                where = '%s %s' % (view.model, view.type)
                for element in arch.iter():
                    check(where, element.get('string'))
                    if element.tag == 'field':
                        field = result['fields'][element.get('name')]
                        check(where, field['string'])
                        for _, label in (field.get('selection')
                                if isinstance(field.get('selection'), list)
                                else []):
                            check(where, label)
        self.assertEqual(sorted(set(english)), [])

    @staticmethod
    def always_invisible(Model, invisible, groups):
        "Whether a button is hidden from groups whatever the record's state."
        states = [None]
        if 'state' in Model._fields and hasattr(
                Model._fields['state'], 'selection'):
            states += [s for s, _ in Model._fields['state'].selection]
        for state in states:
            decoder = PYSONDecoder({'state': state,
                    'context': {'groups': list(groups)}})
            if not decoder.decode(json.dumps(invisible)):
                return False
        return True


del _DBTestCase
