"""Japanese for what Tryton and sao ship without it (issue 14).

Tryton's modules: every text of every activated Tryton module (ir, res and
whatever our modules bring) has a Japanese translation once Japanese is
loaded, so a staff user sees no English around our screens. sao: every text
of its interface has one in our catalogue, built into the ja.json it loads.
Both keep every placeholder of the English text."""
import json
import os
import re
import unittest

import polib

from trytond.model.exceptions import AccessError
from trytond.modules.hirakata_points.tests.test_module import create_user
from trytond.modules.hirakata_points.translation import catalogues
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAO = os.path.join(ROOT, 'node_modules', 'tryton-sao')
SAO_JA = os.path.join(ROOT, 'sao_locale', 'ja.po')
OUR_MODULES = {'hirakata_points', 'hirakata_points_pos',
    'hirakata_points_programme', 'hirakata_points_portal',
    'hirakata_points_settlement'}
# %(name)s, %s, %1 (sao), [1: (Genshi's markup in e-mails), ${date_Y}.
PLACEHOLDER = re.compile(
    r'%\([a-z_]+\)[sdir]|%[sdir]|%\d|\[\d+:|\$\{\w+\}|\{\}')


def placeholders(text):
    return sorted(PLACEHOLDER.findall(text))


def entries(po):
    return [e for e in po if e.msgid and not e.obsolete]


class SaoCatalogueTestCase(unittest.TestCase):
    "sao's own interface in Japanese"

    def sao_texts(self):
        "Every text of sao's interface: its template and French catalogue."
        texts = set()
        for name in ['messages.pot', 'fr.po']:
            path = os.path.join(SAO, 'locale', name)
            texts |= {e.msgid for e in entries(polib.pofile(path))}
        return texts

    def test_every_sao_text_has_japanese(self):
        ours = {e.msgid: (e.msgstr or e.msgstr_plural.get(0))
            for e in entries(polib.pofile(SAO_JA))}
        self.assertEqual(
            sorted(t for t in self.sao_texts() if not ours.get(t)), [])

    def test_sao_translations_keep_placeholders(self):
        wrong = [(e.msgid, text)
            for e in entries(polib.pofile(SAO_JA))
            for text in [e.msgstr] + list(e.msgstr_plural.values())
            if text and placeholders(e.msgid) != placeholders(text)]
        self.assertEqual(wrong, [])

    def test_sao_loads_the_built_catalogue(self):
        "What sao fetches (locale/ja.json) is our catalogue, up to date."
        with open(os.path.join(SAO, 'locale', 'ja.json'),
                encoding='utf-8') as f:
            built = json.load(f)
        # gettext.js refuses a catalogue without these headers.
        self.assertEqual(built['']['language'], 'ja')
        self.assertEqual(built['']['plural-forms'], 'nplurals=1; plural=0;')
        for entry in entries(polib.pofile(SAO_JA)):
            if entry.msgid_plural:
                self.assertEqual(built[entry.msgid],
                    [entry.msgid_plural, entry.msgstr_plural[0]])
            else:
                self.assertEqual(built[entry.msgid], [None, entry.msgstr])


# Placeholders a translation leaves out on purpose: Tryton fills %(button)s
# with the button's method name (approve), English in a Japanese message.
DROPPED = {
    'model:ir.message,text:msg_access_button_error': {'%(button)s'},
    'model:ir.message,text:msg_button_state_record': {'%(button)s'},
    }


class TrytonCataloguesTestCase(unittest.TestCase):
    "Our catalogues for Tryton's modules, against the modules installed"

    def test_catalogues_cover_every_text_tryton_ships(self):
        """Each catalogue has every (context, text) of the module's French
        catalogue (the fullest Tryton ships) for the installed version."""
        import trytond
        base = os.path.dirname(trytond.__file__)
        missing = []
        for module, path in catalogues('ja').items():
            folder = (os.path.join(base, module) if module in ('ir', 'res')
                else os.path.join(base, 'modules', module))
            french = os.path.join(folder, 'locale', 'fr.po')
            if not os.path.exists(french):
                continue  # not installed here: checked where it is
            ours = {(e.msgctxt, e.msgid): e.msgstr
                for e in entries(polib.pofile(path))}
            missing += ['%s %s: %s' % (module, e.msgctxt, e.msgid)
                for e in entries(polib.pofile(french))
                if not ours.get((e.msgctxt, e.msgid))]
        self.assertEqual(missing, [])

    def test_translations_keep_placeholders(self):
        wrong = ['%s: %r -> %r' % (module, e.msgid, e.msgstr)
            for module, path in catalogues('ja').items()
            for e in entries(polib.pofile(path))
            if [p for p in placeholders(e.msgid)
                if p not in DROPPED.get(e.msgctxt, ())]
            != placeholders(e.msgstr)]
        self.assertEqual(wrong, [])

    def test_glossary_terms_are_used_as_chosen(self):
        """A field label or menu entry of Tryton's modules listed in
        docs/glossary.md reads as listed there."""
        with open(os.path.join(ROOT, 'docs', 'glossary.md'),
                encoding='utf-8') as f:
            glossary = dict(re.findall(
                    r'^\| ([^|]+?) \| ([^|]+?) \|', f.read(), re.M))
        paths = catalogues('ja').values()
        other = []
        for path in paths:
            for e in entries(polib.pofile(path)):
                japanese = glossary.get(e.msgid)
                if japanese and e.msgstr != japanese and e.msgctxt.startswith(
                        ('field:', 'model:ir.ui.menu')):
                    other.append('%s %s: %s' % (
                            os.path.relpath(path, ROOT), e.msgid, e.msgstr))
        self.assertEqual(other, [])


class ActivatedModulesTestCase(_DBTestCase):
    "Every activated Tryton module reads in Japanese"
    module = 'hirakata_points_pos'
    extras = ['hirakata_points_programme', 'hirakata_points_portal',
        'hirakata_points_settlement']

    @with_transaction()
    def test_every_text_of_activated_tryton_modules_has_japanese(self):
        """After loading Japanese, every text (label, help, selection,
        view text, button, message, menu, error) registered by an activated
        Tryton module has a Japanese value."""
        pool = Pool()
        Lang = pool.get('ir.lang')
        Module = pool.get('ir.module')
        Translation = pool.get('ir.translation')
        Lang.load_translations(Lang.search([('code', '=', 'ja')]))
        tryton = {m.name for m in Module.search(
                [('state', '=', 'activated')])} - OUR_MODULES
        self.assertTrue({'ir', 'res'} <= tryton)
        japanese = {(t.type, t.name, t.res_id, t.src)
            for t in Translation.search([('lang', '=', 'ja'),
                    ('module', 'in', list(tryton)), ('value', '!=', '')])}
        missing = sorted('%s %s:%s: %s' % (t.module, t.type, t.name, t.src)
            for t in Translation.search([('lang', '=', 'en'),
                    ('module', 'in', list(tryton))])
            if t.src and (t.type, t.name, t.res_id, t.src) not in japanese)
        self.assertEqual(missing, [])

    @with_transaction()
    def test_tryton_messages_read_in_japanese(self):
        "What a staff user meets first: an access error, a label, a menu."
        pool = Pool()
        Lang = pool.get('ir.lang')
        Menu = pool.get('ir.ui.menu')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        Group = pool.get('res.group')
        Lang.load_translations(Lang.search([('code', '=', 'ja')]))
        with Transaction().set_context(language='ja'):
            from trytond.i18n import gettext
            self.assertEqual(gettext('ir.msg_read_rule_error',
                    model="ポイント口座", ids="1", rules=""),
                "次のルールの少なくとも1つにより、「ポイント口座」のレコード「1」"
                "を読む権限がありません：\n")
            self.assertEqual(
                User.fields_get(['create_uid'])['create_uid']['string'],
                "作成者")
            self.assertEqual(Menu(ModelData.get_id(
                        'res', 'menu_res')).name, "ユーザー")
            self.assertEqual(Group(ModelData.get_id(
                        'res', 'group_admin')).name, "システム管理")

    @with_transaction()
    def test_only_administrators_rewrite_translations(self):
        """Tryton's translation wizards (set, clean, export, report) change
        or expose every screen's texts: refused to staff."""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        staff = create_user('translation-staff', 'group_operator')
        admin, = User.search([('login', '=', 'admin')])
        for action, wizard in [
                ('act_translation_set', 'ir.translation.set'),
                ('act_translation_clean', 'ir.translation.clean'),
                ('act_translation_export', 'ir.translation.export'),
                ('wizard_translation_report', 'ir.translation.report')]:
            Wizard = pool.get(wizard, type='wizard')
            context = {'action_id': ModelData.get_id('ir', action)}
            with Transaction().set_user(staff.id), \
                    Transaction().set_context(context):
                with self.assertRaises(AccessError, msg=wizard):
                    Wizard.check_access()
            with Transaction().set_user(admin.id), \
                    Transaction().set_context(context):
                Wizard.check_access()

    @with_transaction()
    def test_new_users_take_the_database_language(self):
        """A user made without a language works in the database's language
        ([database] language when it was created): Japanese in ours."""
        pool = Pool()
        Configuration = pool.get('ir.configuration')
        User = pool.get('res.user')
        Configuration.write([Configuration(1)], {'language': 'ja'})
        user = create_user('new-staff', 'group_city_staff')
        self.assertIsNone(user.language)
        with Transaction().set_user(user.id):
            self.assertEqual(User.get_preferences()['language'], 'ja')
            self.assertEqual(User.get_preferences()['locale']['date'],
                '%Y/%m/%d')


del _DBTestCase
