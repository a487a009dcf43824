"""Targeted card distribution (R2)."""
import csv
import datetime as dt
import io
import json
import logging
import os
import subprocess
import tempfile
import zipfile

import openpyxl

from trytond.model.exceptions import AccessError, ValidationError
from trytond.modules.hirakata_points import clock
from trytond.modules.hirakata_points.tests.test_module import create_user
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

TODAY = clock.local_now().date()
# LibreOffice (scripts/install --browser installs it for the tests).
SOFFICE = os.environ.get('SOFFICE', '/usr/bin/soffice')


def holder(name, kana, birth_date, district=None, relation='resident'):
    Holder = Pool().get('hirakata.holder')
    record, = Holder.create([{'name': name, 'name_kana': kana,
                'birth_date': birth_date, 'relation': relation,
                'district': district.id if district else None,
                'postal_code': '573-8666',
                'address': "大阪府枚方市大垣内町2丁目1-20"}])
    return record


def years_ago(years, days=0):
    return TODAY.replace(year=TODAY.year - years) - dt.timedelta(days=days)


class DistributionTestCase(_DBTestCase):
    "Card distribution"
    module = 'hirakata_points'

    def setup_holders(self):
        District = Pool().get('hirakata.district')
        self.north, self.south = District.create([
                {'code': 'N01', 'name': "北校区"},
                {'code': 'S01', 'name': "南校区"}])
        self.turned_75 = holder("今日 七十五", "キョウ ナナジュウゴ",
            years_ago(75), self.north)
        self.almost_75 = holder("明日 七十五", "アス ナナジュウゴ",
            years_ago(75, days=-1), self.north)
        self.aged_90 = holder("九十 歳子", "キュウジュウ トシコ",
            years_ago(90, days=10), self.north)
        self.south_80 = holder("南 八十", "ミナミ ハチジュウ", years_ago(80),
            self.south)
        self.worker_80 = holder("通勤 八十", "ツウキン ハチジュウ",
            years_ago(80), self.north, relation='worker')

    def distribution(self, **values):
        Distribution = Pool().get('hirakata.card.distribution')
        record, = Distribution.create([dict({'name': "75歳以上の方へ",
                        'age_from': 75}, **values)])
        return record

    def issued_distribution(self):
        "A distribution to the holders of setup_holders, its cards issued."
        Distribution = Pool().get('hirakata.card.distribution')
        self.setup_holders()
        distribution = self.distribution()
        Distribution.select([distribution])
        Distribution.issue([distribution])
        return distribution

    def recipients(self, distribution):
        return {l.holder for l in distribution.lines}

    @with_transaction()
    def test_select_by_age_band_district_and_relation(self):
        Distribution = Pool().get('hirakata.card.distribution')
        self.setup_holders()
        distribution = self.distribution(age_to=89, relation='resident',
            districts=[('add', [self.north.id])])
        Distribution.select([distribution])
        self.assertEqual(self.recipients(distribution), {self.turned_75})
        self.assertEqual(distribution.selected, 1)

        everyone = self.distribution(name="全員")
        Distribution.select([everyone])
        self.assertEqual(self.recipients(everyone), {self.turned_75,
                self.aged_90, self.south_80, self.worker_80})

    @with_transaction()
    def test_holders_with_a_card_left_out_unless_asked(self):
        pool = Pool()
        Distribution = pool.get('hirakata.card.distribution')
        Card = pool.get('hirakata.card')
        self.setup_holders()
        Card.create([{'holder': self.aged_90.id, 'technology': 'qr'}])
        without = self.distribution()
        with_card = self.distribution(name="再送", without_card=False)
        Distribution.select([without, with_card])
        self.assertNotIn(self.aged_90, self.recipients(without))
        self.assertIn(self.aged_90, self.recipients(with_card))

    @with_transaction()
    def test_nobody_selected_is_refused(self):
        Distribution = Pool().get('hirakata.card.distribution')
        distribution = self.distribution(age_from=120)
        with self.assertRaises(ValidationError):
            Distribution.select([distribution])
        self.assertEqual(distribution.state, 'draft')

    @with_transaction()
    def test_qr_cards_issued_mailed_then_activated_on_first_use(self):
        pool = Pool()
        Distribution = pool.get('hirakata.card.distribution')
        Line = pool.get('hirakata.card.distribution.line')
        Ledger = pool.get('hirakata.point.ledger')
        Card = pool.get('hirakata.card')
        distribution = self.issued_distribution()
        lines = distribution.lines
        self.assertEqual({l.state for l in lines}, {'issued'})
        for line in lines:
            self.assertEqual(line.card.technology, 'qr')
            self.assertEqual(line.card.holder, line.holder)
            self.assertEqual(Card.lookup('qr', line.card.identifier),
                line.card)
        Distribution.mail([distribution])
        self.assertEqual({l.state for l in Line.browse(lines)}, {'mailed'})

        used, received, waiting = lines[0], lines[1], lines[2]
        Ledger.grant(used.card.account, 10, key='first-use',
            channel='terminal')
        Line.received([Line(received.id)])
        Line.mark_used()
        self.assertEqual((Line(used.id).state, Line(used.id).activated_by,
                Line(used.id).activated_date), ('activated', 'use', TODAY))
        self.assertEqual(Line(received.id).activated_by, 'receipt')
        self.assertEqual(Line(waiting.id).state, 'mailed')
        distribution = Distribution(distribution.id)
        self.assertEqual((distribution.issued, distribution.mailed,
                distribution.activated), (4, 4, 2))

    @with_transaction()
    def test_ic_card_bound_by_typing_its_identifier(self):
        pool = Pool()
        Distribution = pool.get('hirakata.card.distribution')
        Line = pool.get('hirakata.card.distribution.line')
        Card = pool.get('hirakata.card')
        self.setup_holders()
        distribution = self.distribution(card_kind='ic',
            districts=[('add', [self.south.id])])
        Distribution.select([distribution])
        Distribution.issue([distribution])
        line, = distribution.lines
        self.assertEqual((line.state, line.card), ('selected', None))
        Line.write([line], {'identifier': '01:02:03:04:05:06:07:08'})
        self.assertEqual(line.state, 'issued')
        self.assertEqual(line.card, Card.lookup('felica',
                '0102030405060708'))
        with self.assertRaises(ValidationError):
            Line.write([line], {'identifier': '0102030405060709'})

    @with_transaction()
    def test_residents_from_a_list_become_holders(self):
        pool = Pool()
        Distribution = pool.get('hirakata.card.distribution')
        Holder = pool.get('hirakata.holder')
        self.setup_holders()
        csv = ("holder,name,kana,birth_date,postal_code,address,district\n"
            "%s,,,,,,\n"
            ",新規 花子,シンキ ハナコ,1948/02/03,573-0000,枚方市新町,S01\n"
            % self.aged_90.number).encode('utf-8')
        distribution = self.distribution(list_file=csv,
            list_filename='list.csv')
        Distribution.select([distribution])
        new, = Holder.search([('name_kana', '=', "シンキ ハナコ")])
        self.assertEqual(new.district, self.south)
        self.assertEqual(new.birth_date, dt.date(1948, 2, 3))
        self.assertEqual(self.recipients(distribution), {self.aged_90, new})

        bad = self.distribution(name="誤り", list_file=b"holder\nH9999999\n",
            list_filename='bad.csv')
        with self.assertRaises(ValidationError):
            Distribution.select([bad])

    @with_transaction()
    def test_mailing_list_xlsx_and_its_export_logged(self):
        MailingList = Pool().get('hirakata.card.distribution.mailing_list',
            type='report')
        distribution = self.issued_distribution()
        staff = create_user('mailer', 'group_city_staff')
        with self.assertLogs('hirakata.personal_data',
                logging.INFO) as logs, \
                Transaction().set_user(staff.id), \
                Transaction().set_context(_check_access=True):
            oext, content, _, name = MailingList.execute(
                [distribution.id], {})
        self.assertEqual(oext, 'xlsx')
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        rows = list(sheet.iter_rows(values_only=True))
        self.assertEqual(rows[0][:3], ("郵便番号", "住所", "氏名"))
        self.assertEqual(len(rows), 5)
        numbers = {r[7] for r in rows[1:]}
        self.assertEqual(numbers, {l.card.identifier
                for l in distribution.lines})
        # Each QR card's picture, in the order of the rows.
        with zipfile.ZipFile(io.BytesIO(content)) as xlsx:
            pictures = [xlsx.read(n) for n in sorted(xlsx.namelist(),
                    key=lambda n: (len(n), n)) if n.startswith('xl/media/')]
        self.assertEqual(pictures, [MailingList.qr_png(r[7])
                for r in rows[1:]])
        logged = json.loads(logs.records[-1].getMessage())
        self.assertEqual(logged['user'], staff.id)
        self.assertEqual(len(logged['holders']), 4)

    @with_transaction()
    def test_mailing_list_opens_in_libreoffice(self):
        MailingList = Pool().get('hirakata.card.distribution.mailing_list',
            type='report')
        distribution = self.issued_distribution()
        _, content, _, _ = MailingList.execute([distribution.id], {})
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, 'mailing.xlsx')
            with open(path, 'wb') as f:
                f.write(content)
            # CSV in UTF-8 (filter option 76): what LibreOffice read.
            subprocess.run([SOFFICE, '--headless',
                    '-env:UserInstallation=file://%s/profile' % folder,
                    '--convert-to', 'csv:Text - txt - csv (StarCalc):44,34,76',
                    '--outdir', folder, path],
                check=True, capture_output=True, timeout=180)
            with open(os.path.join(folder, 'mailing.csv'),
                    encoding='utf-8') as f:
                rows = list(csv.reader(f))
        self.assertEqual(rows[0][:3], ["郵便番号", "住所", "氏名"])
        self.assertEqual({r[2] for r in rows[1:]},
            {l.holder.name for l in distribution.lines})
        self.assertEqual({r[7] for r in rows[1:]},
            {l.card.identifier for l in distribution.lines})

    @with_transaction()
    def test_store_staff_cannot_see_distributions(self):
        Distribution = Pool().get('hirakata.card.distribution')
        self.distribution()
        user = create_user('store', 'group_store_staff')
        with Transaction().set_user(user.id), \
                Transaction().set_context(_check_access=True):
            with self.assertRaises(AccessError):
                Distribution.search([])
