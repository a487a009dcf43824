"""Codes shown on a phone (R1b): one reader, one transaction, one minute."""
import datetime as dt
from unittest.mock import patch

from trytond.model.exceptions import AccessError
from trytond.modules.hirakata_points import phone_code, tokens
from trytond.modules.hirakata_points.exceptions import (
    PhoneCodeInvalid, PhoneCodeUsed)
from trytond.modules.hirakata_points.tests.test_module import create_user
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction


def later(seconds):
    "Patch the clock of phone codes to seconds from now."
    moment = phone_code.utc_now() + dt.timedelta(seconds=seconds)
    return patch.object(phone_code, 'utc_now', lambda: moment)


class PhoneCodeTestCase(_DBTestCase):
    "Phone codes"
    module = 'hirakata_points'

    def holder(self, kana="ヤマダ ハナコ"):
        Holder = Pool().get('hirakata.holder')
        holder, = Holder.create([{'name': "山田 花子", 'name_kana': kana,
                    'birth_date': dt.date(1950, 4, 1)}])
        return holder

    def issue(self, holder=None):
        PhoneCode = Pool().get('hirakata.phone_code')
        code, _ = PhoneCode.issue(holder or self.holder())
        return code

    def claim(self, code, claimant='terminal:1', key=None):
        return Pool().get('hirakata.phone_code').claim(code, claimant, key)

    @with_transaction()
    def test_code_reaches_the_account(self):
        holder = self.holder()
        code, expires_at = Pool().get('hirakata.phone_code').issue(holder)
        self.assertRegex(code, r'^HK[A-Z2-7]{24}$')
        self.assertAlmostEqual(expires_at, phone_code.utc_now()
            + dt.timedelta(seconds=90), delta=dt.timedelta(seconds=5))
        found = self.claim(code)
        self.assertEqual(found.account, holder.account.id)
        self.assertEqual(found.holder, holder.id)
        self.assertEqual(found.name_kana, "ヤマダ ハナコ")
        self.assertIsNone(found.id)

    @with_transaction()
    def test_only_the_digest_is_stored(self):
        code = self.issue()
        PhoneCode = Pool().get('hirakata.phone_code')
        table = PhoneCode.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.digest))
        stored = [d for d, in cursor]
        self.assertEqual(stored, [tokens.digest(code)])
        self.assertNotIn(code, stored)

    @with_transaction()
    def test_another_reader_is_refused(self):
        code = self.issue()
        self.claim(code, 'terminal:1')
        self.claim(code, 'terminal:1')  # the clerk's next screen
        with self.assertRaises(PhoneCodeUsed):
            self.claim(code, 'terminal:2')

    @with_transaction()
    def test_one_transaction_and_its_retries(self):
        code = self.issue()
        self.claim(code, key='terminal:1:a')
        self.claim(code, key='terminal:1:a')  # a retry after a timeout
        self.claim(code)  # the balance shown afterwards
        with self.assertRaises(PhoneCodeUsed):
            self.claim(code, key='terminal:1:b')

    @with_transaction()
    def test_expired_code_is_refused(self):
        code = self.issue()
        with later(91), self.assertRaises(PhoneCodeInvalid):
            self.claim(code)

    @with_transaction()
    def test_claimed_code_lapses_unless_retried(self):
        code, used = self.issue(), self.issue()
        self.claim(code)
        self.claim(used, key='k1')
        with later(301):
            with self.assertRaises(PhoneCodeInvalid):
                self.claim(code, key='k2')
            self.claim(used, key='k1')  # a late retry still answers

    @with_transaction()
    def test_new_code_retires_the_shown_one(self):
        holder = self.holder()
        scanned, shown = self.issue(holder), self.issue(holder)
        with later(29):  # a scan under way as the page changed
            self.claim(scanned)
        older, newest = self.issue(holder), self.issue(holder)
        with later(31):
            for code in [shown, older]:
                with self.assertRaises(PhoneCodeInvalid):
                    self.claim(code)
            self.claim(scanned)  # read by a terminal: keeps working
            self.claim(newest, 'terminal:2')

    @with_transaction()
    def test_malformed_and_unknown_codes(self):
        for code in ['', 'HK', '1234567890123452', 'hk' + 'A' * 24,
                'HK' + 'A' * 24, None]:
            with self.subTest(code=code), self.assertRaises(PhoneCodeInvalid):
                self.claim(code)

    @with_transaction()
    def test_purge_keeps_a_day_or_used_codes_90_days(self):
        PhoneCode = Pool().get('hirakata.phone_code')
        old, recent = self.issue(), self.issue(self.holder("サトウ ハナ"))
        with later(24 * 3600 + 91 - 60):
            PhoneCode.purge()
        self.assertEqual(PhoneCode.search([], count=True), 2)
        used = self.issue(self.holder("スズキ ハナ"))
        self.claim(used, key='terminal:1:sale')
        two_days_ago = phone_code.utc_now() - dt.timedelta(days=2)
        PhoneCode.write(PhoneCode.search([('digest', 'in',
                        [tokens.digest(old), tokens.digest(used)])]),
            {'expires_at': two_days_ago})
        PhoneCode.purge()
        self.assertEqual({c.digest for c in PhoneCode.search([])},
            {tokens.digest(recent), tokens.digest(used)})
        # A write retried days later still gets its answer.
        self.claim(used, key='terminal:1:sale')
        with later(91 * 24 * 3600):
            PhoneCode.purge()
        self.assertEqual(PhoneCode.search([], count=True), 0)

    @with_transaction()
    def test_nobody_reads_codes_in_the_client(self):
        PhoneCode = Pool().get('hirakata.phone_code')
        self.issue()
        for group in ['group_city_staff', 'group_operator', 'group_auditor',
                'group_admin']:
            user = create_user('u_' + group, group)
            with self.subTest(group=group), Transaction().set_user(user.id), \
                    Transaction().set_context(_check_access=True), \
                    self.assertRaises(AccessError):
                PhoneCode.search([])

