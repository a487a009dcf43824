"""The Zengin 総合振込 transfer file (R24): the writer read back by a reader
written from the 全銀協 specification's record tables (not from the
writer), Japanese bank details checked against zengin-code, and a month's
payments to the stores made into a file by a payment group."""
import datetime as dt
import unittest
from decimal import Decimal

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import set_company
from trytond.modules.hirakata_points import clock
from trytond.modules.hirakata_points.tests.test_module import (
    create_holder, create_user, load_japanese)
from trytond.modules.hirakata_points_pos.tests.tools import (
    make_store, make_terminal)
from trytond.modules.hirakata_points_programme.tests.test_programme import (
    create_programme)
from trytond.modules.hirakata_points_settlement import zengin
from trytond.modules.hirakata_points_settlement.exceptions import (
    PaymentDateError, PaymentFileError, ZenginError)
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

from .test_roles import make_user
from .tools import (
    at, bank_account, grant_at, payable_lines, redeem_at, rpc,
    set_up_operator, set_up_zengin)

# The specification's record layouts: (field, first byte (1-based),
# length). N fields are digits right-aligned with zeros, C fields
# half-width characters left-aligned with spaces.
HEADER = [
    ('データ区分', 1, 1), ('種別コード', 2, 2), ('コード区分', 4, 1),
    ('依頼人コード', 5, 10), ('依頼人名', 15, 40), ('振込指定日', 55, 4),
    ('仕向銀行番号', 59, 4), ('仕向銀行名', 63, 15),
    ('仕向支店番号', 78, 3), ('仕向支店名', 81, 15), ('預金種目', 96, 1),
    ('口座番号', 97, 7), ('ダミー', 104, 17),
    ]
DATA = [
    ('データ区分', 1, 1), ('被仕向銀行番号', 2, 4), ('被仕向銀行名', 6, 15),
    ('被仕向支店番号', 21, 3), ('被仕向支店名', 24, 15),
    ('手形交換所番号', 39, 4), ('預金種目', 43, 1), ('口座番号', 44, 7),
    ('受取人名', 51, 30), ('振込金額', 81, 10), ('新規コード', 91, 1),
    ('顧客コード1', 92, 10), ('顧客コード2', 102, 10),
    ('振込指定区分', 112, 1), ('識別表示', 113, 1), ('ダミー', 114, 7),
    ]
TRAILER = [
    ('データ区分', 1, 1), ('合計件数', 2, 6), ('合計金額', 8, 12),
    ('ダミー', 20, 101),
    ]
END = [('データ区分', 1, 1), ('ダミー', 2, 119)]
LAYOUTS = {b'1': HEADER, b'2': DATA, b'8': TRAILER, b'9': END}


def read_transfer_file(content):
    """The records of a transfer file as lists of (field, text), checking
    its framing: 120 bytes a record, each ended by CRLF, cp932, the
    records in the order header, data…, trailer, end."""
    assert content.endswith(b'\r\n'), "the last record has no CRLF"
    lines = content[:-2].split(b'\r\n')
    for line in lines:
        assert len(line) == 120, (len(line), line)
        assert b'\r' not in line and b'\n' not in line
    kinds = b''.join(line[:1] for line in lines)
    assert (kinds[:1] == b'1' and kinds[-2:] == b'89'
        and set(kinds[1:-2]) <= {ord('2')}), kinds
    return [[(name, line[start - 1:start - 1 + length].decode('cp932'))
            for name, start, length in LAYOUTS[line[:1]]]
        for line in lines]


def split(amount, parts):
    "amount in parts whole-yen instalments, the first taking the rest."
    share = amount // parts
    return [amount - share * (parts - 1)] + [share] * (parts - 1)


def kana(text, width):
    "text as the file holds it in a C field."
    return text.ljust(width)


class SpecificationTableTestCase(unittest.TestCase):
    "The reader's own tables"

    def test_layouts_cover_120_bytes_without_gaps(self):
        for layout in LAYOUTS.values():
            position = 1
            for _, start, length in layout:
                self.assertEqual(start, position)
                position += length
            self.assertEqual(position, 121)


class WriterTestCase(unittest.TestCase):
    "The writer, read back"

    consignor = zengin.Consignor(code='12345', name="ひらかたポイントうんえい",
        bank_code='0159', bank_name="カンサイミライ", branch_code='103',
        branch_name="ヒラカタ", deposit_type='1', account_number='1234567')
    transfers = [
        zengin.Transfer(bank_code='0009', bank_name="ミツイスミトモ",
            branch_code='001', branch_name="ジンボウチヨウ",
            deposit_type='1', account_number='0765432',
            holder="カ)ヒラカタパン", amount=Decimal(978), customer_code=7),
        zengin.Transfer(bank_code='0005', bank_name="ミツビシユ－エフジエイ",
            branch_code='001', branch_name="ホンテン", deposit_type='2',
            account_number='7654321', holder="ｸｽﾞﾊｼﾖﾃﾝ",
            amount=Decimal(1234567890), customer_code=''),
        ]

    def test_every_field_of_every_record(self):
        content = zengin.transfer_file(self.consignor, dt.date(2026, 11, 30),
            self.transfers)
        header, first, second, trailer, end = read_transfer_file(content)
        self.assertEqual(header, [
                ('データ区分', '1'), ('種別コード', '21'), ('コード区分', '0'),
                ('依頼人コード', '0000012345'),
                ('依頼人名', kana('ﾋﾗｶﾀﾎﾟｲﾝﾄｳﾝｴｲ', 40)),
                ('振込指定日', '1130'), ('仕向銀行番号', '0159'),
                ('仕向銀行名', kana('ｶﾝｻｲﾐﾗｲ', 15)),
                ('仕向支店番号', '103'), ('仕向支店名', kana('ﾋﾗｶﾀ', 15)),
                ('預金種目', '1'), ('口座番号', '1234567'),
                ('ダミー', ' ' * 17)])
        self.assertEqual(first, [
                ('データ区分', '2'), ('被仕向銀行番号', '0009'),
                ('被仕向銀行名', kana('ﾐﾂｲｽﾐﾄﾓ', 15)),
                ('被仕向支店番号', '001'),
                ('被仕向支店名', kana('ｼﾞﾝﾎﾞｳﾁﾖｳ', 15)),
                ('手形交換所番号', '    '), ('預金種目', '1'),
                ('口座番号', '0765432'),
                ('受取人名', kana('ｶ)ﾋﾗｶﾀﾊﾟﾝ', 30)),
                ('振込金額', '0000000978'), ('新規コード', '0'),
                ('顧客コード1', '0000000007'), ('顧客コード2', '0000000000'),
                ('振込指定区分', '7'), ('識別表示', ' '), ('ダミー', ' ' * 7)])
        self.assertEqual(second, [
                ('データ区分', '2'), ('被仕向銀行番号', '0005'),
                # the long vowel as '-'
                ('被仕向銀行名', kana('ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ', 15)),
                ('被仕向支店番号', '001'),
                ('被仕向支店名', kana('ﾎﾝﾃﾝ', 15)),
                ('手形交換所番号', '    '), ('預金種目', '2'),
                ('口座番号', '7654321'),
                ('受取人名', kana('ｸｽﾞﾊｼﾖﾃﾝ', 30)),
                ('振込金額', '1234567890'), ('新規コード', '0'),
                ('顧客コード1', '0000000000'), ('顧客コード2', '0000000000'),
                ('振込指定区分', '7'), ('識別表示', ' '), ('ダミー', ' ' * 7)])
        self.assertEqual(trailer, [
                ('データ区分', '8'), ('合計件数', '000002'),
                ('合計金額', '001234568868'),
                ('ダミー', ' ' * 101)])
        self.assertEqual(end, [('データ区分', '9'), ('ダミー', ' ' * 119)])

    def test_trailer_counts_and_totals_the_data_records(self):
        transfers = [self.transfers[0]._replace(amount=Decimal(amount))
            for amount in [1, 20, 300, 4000, 50000]]
        records = read_transfer_file(zengin.transfer_file(self.consignor,
                dt.date(2026, 12, 1), transfers))
        data = [dict(r) for r in records[1:-2]]
        trailer = dict(records[-2])
        self.assertEqual(int(trailer['合計件数']), len(data))
        self.assertEqual(int(trailer['合計金額']),
            sum(int(d['振込金額']) for d in data))
        self.assertEqual(int(trailer['合計金額']), 54321)

    def test_kana_is_made_half_width_and_upper_case(self):
        for text, expected in [
                ("ひらかた　はなこ", "ﾋﾗｶﾀ ﾊﾅｺ"),
                ("カブシキガイシャ", "ｶﾌﾞｼｷｶﾞｲｼﾔ"),  # small kana made large
                ("ガッコウ", "ｶﾞﾂｺｳ"),
                ("パーク", "ﾊﾟ-ｸ"),  # the long vowel as '-'
                ("ｶﾌﾞｼｷｶﾞｲｼｬ", "ｶﾌﾞｼｷｶﾞｲｼﾔ"),
                ("ｓｈｏｐ１２３", "SHOP123"),
                ("abc (ka)", "ABC (KA)"),
                ]:
            with self.subTest(text=text):
                self.assertEqual(zengin.zengin_kana(text), expected)

    def test_characters_the_banks_refuse_are_refused_in_japanese(self):
        for text in ["枚方パン", "ヒラカタ・パン", "ﾊﾟﾝ&ｶﾌｪ", "ｶ)ﾊﾟﾝ!"]:
            with self.subTest(text=text), self.assertRaisesRegex(
                    zengin.ZenginError, "振込データに使えない文字"):
                zengin.zengin_kana(text)

    def test_amount_must_be_whole_positive_yen(self):
        for amount in [Decimal(0), Decimal('-5'), Decimal('10.5'),
                Decimal(10 ** 10)]:
            with self.subTest(amount=amount), self.assertRaises(
                    zengin.ZenginError):
                zengin.data(self.transfers[0]._replace(amount=amount))

    def test_every_bank_and_branch_name_of_zengin_code_fits(self):
        "Each name the file takes from zengin-code is in its characters."
        import zengin_code
        for bank in zengin_code.Bank.all.values():
            for item in [bank, *bank.branches.values()]:
                zengin.zengin_kana(item.kana)


class ZenginTestCase(_DBTestCase):
    "Paying the stores by a Zengin transfer file"
    module = 'hirakata_points_settlement'
    extras = ['hirakata_points_programme']

    @with_transaction()
    def test_bank_code_checked_against_zengin_code(self):
        pool = Pool()
        Bank = pool.get('bank')
        company = set_up_operator()
        with set_company(company):
            bank = Bank.from_zengin_code('0009')
            self.assertEqual((bank.party.name, bank.zengin_kana),
                ("三井住友", "ﾐﾂｲｽﾐﾄﾓ"))
            load_japanese()
            with Transaction().set_context(language='ja'), \
                    self.assertRaisesRegex(ZenginError,
                        "「9998」は全銀協の金融機関コードにありません"):
                Bank.write([bank], {'zengin_code': '9998'})

    @with_transaction()
    def test_branch_code_checked_against_the_banks_branches(self):
        company = set_up_operator()
        with set_company(company):
            account = bank_account(company.party, '0009', '001', '1234567',
                "ヒラカタ")
            self.assertEqual(account.zengin_branch_kana, "ｼﾞﾝﾎﾞｳﾁﾖｳ")
            load_japanese()
            with Transaction().set_context(language='ja'), \
                    self.assertRaisesRegex(ZenginError,
                        "「999」は三井住友の支店番号にありません"):
                bank_account(company.party, '0009', '999', '1234567',
                    "ヒラカタ")

    @with_transaction()
    def test_account_number_and_holder_checked(self):
        company = set_up_operator()
        with set_company(company):
            account = bank_account(company.party, '0009', '001', '12345',
                "ひらかた　ぽいんと")
            self.assertEqual((account.zengin_number, account.zengin_holder),
                ('0012345', "ﾋﾗｶﾀ ﾎﾟｲﾝﾄ"))
            # (the longest the file takes: 30 half-width characters, each
            # voiced kana two)
            longest = bank_account(company.party, '0009', '001', '1234567',
                "ガ" * 15)
            self.assertEqual(len(longest.zengin_holder), 30)
            for number, holder in [('12345678', "ヒラカタ"), ('12a4567',
                        "ヒラカタ"), ('1234567', "枚方ポイント"),
                    ('1234567', "ガ" * 15 + "ア")]:
                with self.subTest(number=number, holder=holder), \
                        self.assertRaises(ZenginError):
                    bank_account(company.party, '0009', '001', number,
                        holder)

    @with_transaction()
    def test_account_at_a_zengin_bank_needs_its_details(self):
        pool = Pool()
        Account = pool.get('bank.account')
        Bank = pool.get('bank')
        company = set_up_operator()
        with set_company(company):
            with self.assertRaises(UserError):
                Account.create([{
                            'bank': Bank.from_zengin_code('0009').id,
                            'owners': [('add', [company.party.id])],
                            'zengin_branch': '001',
                            }])

    def october(self, company):
        """October settled: 枚方パン (netting) and くずは書店 (gross) owed
        for points redeemed there, each with a bank account; returns the
        stores."""
        pool = Pool()
        Period = pool.get('hirakata.settlement.period')
        bakery = make_store("枚方パン", redeem_fee_rate=Decimal(2))
        bookshop = make_store("くずは書店", redeem_fee_rate=Decimal(1),
            settlement_method='gross')
        programme = create_programme()
        hanako = create_holder("花子")
        grant_at(at(dt.date(2026, 10, 2)), hanako.account, 5000, programme)
        redeem_at(at(dt.date(2026, 10, 6)), hanako.account, 1000,
            make_terminal(bakery))
        redeem_at(at(dt.date(2026, 10, 7)), hanako.account, 500,
            make_terminal(bookshop))
        for store, bank, branch, number, holder in [
                (bakery, '0009', '001', '1111111', "カ)ヒラカタパン"),
                (bookshop, '0005', '001', '2222222', "クズハシヨテン")]:
            store.payout_account = bank_account(store.settlement_party(),
                bank, branch, number, holder)
            store.save()
        with clock.frozen(at(dt.date(2026, 11, 5))):
            period, = Period.create([{'month': dt.date(2026, 10, 1)}])
            Period.compute([period])
            Period.review([period])
            Period.confirm([period])
        return bakery, bookshop

    def pay(self, company, journal, parties, date=dt.date(2026, 11, 30),
            instalments=1, today=None):
        """Payments of what the operator owes parties on date, each line
        paid in instalments, approved and processed as a payment group on
        today (by default 5 days before, as a file goes to the bank a few
        days before); returns the group."""
        pool = Pool()
        Payment = pool.get('account.payment')
        Group = pool.get('account.payment.group')
        payments = Payment.create([{
                    'company': company.id, 'journal': journal.id,
                    'kind': 'payable', 'party': line.party.id,
                    'line': line.id, 'amount': amount, 'date': date}
                for party in parties for line in payable_lines(party)
                for amount in split(line.payment_amount, instalments)])
        Payment.submit(payments)
        Payment.approve(payments)

        def group():
            group = Group(company=company, journal=journal, kind='payable')
            group.save()
            return group
        with clock.frozen(at(today or date - dt.timedelta(days=5))):
            return Payment.process(payments, group)

    @with_transaction()
    def test_transfer_date_must_be_after_today(self):
        company = set_up_operator()
        with set_company(company):
            journal = set_up_zengin(company)
            stores = self.october(company)
            load_japanese()
            # on the transfer date itself, and after it
            for store, today in zip(stores,
                    [dt.date(2026, 11, 30), dt.date(2026, 12, 1)]):
                with self.subTest(today=today), \
                        Transaction().set_context(language='ja'), \
                        self.assertRaisesRegex(PaymentFileError,
                            "2026/11/30です.*明日以降"):
                    self.pay(company, journal, [store.party],
                        date=dt.date(2026, 11, 30), today=today)

    @with_transaction()
    def test_pay_wizard_proposes_the_next_bank_day_in_hirakata(self):
        PayLineStart = Pool().get('account.move.line.pay.start')
        for now, proposed in [
                # Thursday 23:30 in Hirakata (14:30 UTC): Friday
                (dt.datetime(2026, 12, 3, 14, 30), dt.date(2026, 12, 4)),
                # Friday 09:00 in Hirakata (Friday 00:00 UTC): Monday
                (dt.datetime(2026, 12, 4, 0, 0), dt.date(2026, 12, 7)),
                # before the year-end break: the first Monday of 2027
                (dt.datetime(2026, 12, 30, 3, 0), dt.date(2027, 1, 4)),
                # Friday before 勤労感謝の日 (Monday 23 November 2026)
                (dt.datetime(2026, 11, 20, 3, 0), dt.date(2026, 11, 24)),
                ]:
            with self.subTest(now=now), clock.frozen(now):
                self.assertEqual(PayLineStart.default_date(), proposed)

    @with_transaction()
    def test_transfer_date_must_be_a_bank_business_day(self):
        company = set_up_operator()
        with set_company(company):
            journal = set_up_zengin(company)
            stores = self.october(company)
            load_japanese()
            # a Saturday, and 勤労感謝の日 (a Monday)
            for store, date, next_day in zip(stores,
                    [dt.date(2026, 11, 28), dt.date(2026, 11, 23)],
                    ["2026/11/30", "2026/11/24"]):
                with self.subTest(date=date), \
                        Transaction().set_context(language='ja'), \
                        self.assertRaisesRegex(PaymentFileError,
                            "%sは銀行の休業日.*%sなど" % (
                                date.strftime('%Y/%m/%d'), next_day)):
                    self.pay(company, journal, [store.party], date=date,
                        today=dt.date(2026, 11, 16))

    @with_transaction()
    def test_payment_group_makes_the_transfer_file(self):
        company = set_up_operator()
        with set_company(company):
            journal = set_up_zengin(company)
            bakery, bookshop = self.october(company)
            # each payable paid in two payments: the file still has one
            # transfer (and one bank fee) per payee
            group = self.pay(company, journal,
                [bakery.party, bookshop.party], instalments=2)
            # the bakery: 1,000 less the 2% fee and its tax (20 + 2);
            # the bookshop: the payment notice of 500
            payments = sorted(group.payments, key=lambda p: p.id)
            self.assertEqual([(p.party.name, p.amount) for p in payments],
                [("枚方パン", Decimal(489)), ("枚方パン", Decimal(489)),
                    ("くずは書店", Decimal(250)), ("くずは書店", Decimal(250))])
            self.assertEqual(group.zengin_filename,
                'zengin_20261130_%s.txt' % group.number)
            # The auditor reads where the money went and changes nothing.
            Group = Pool().get('account.payment.group')
            auditor = create_user('kansa', 'group_auditor')
            with Transaction().set_user(auditor.id), \
                    Transaction().set_context(_check_access=True):
                self.assertEqual(bytes(Group.read([group.id],
                            ['zengin_file'])[0]['zengin_file']),
                    bytes(group.zengin_file))
                with self.assertRaises(AccessError):
                    Group.write([Group(group.id)], {'number': "改ざん"})
            header, bakery_data, bookshop_data, trailer, end = (
                dict(r) for r in read_transfer_file(group.zengin_file))
        self.assertEqual((header['依頼人コード'], header['依頼人名'].rstrip(),
                header['振込指定日'], header['仕向銀行番号'],
                header['仕向支店番号'], header['仕向支店名'].rstrip(),
                header['口座番号']),
            ('0000012345', "ﾋﾗｶﾀﾎﾟｲﾝﾄｳﾝｴｲ(ｶ", '1130', '0159', '103', "ﾋﾗｶﾀ",
                '1234567'))
        self.assertEqual([(d['被仕向銀行番号'], d['被仕向支店番号'],
                    d['被仕向支店名'].rstrip(), d['預金種目'], d['口座番号'],
                    d['受取人名'].rstrip(), int(d['振込金額']),
                    int(d['顧客コード1']))
                for d in [bakery_data, bookshop_data]], [
                ('0009', '001', "ｼﾞﾝﾎﾞｳﾁﾖｳ", '1', '1111111', "ｶ)ﾋﾗｶﾀﾊﾟﾝ",
                    978, bakery.party.id),
                ('0005', '001', "ﾎﾝﾃﾝ", '1', '2222222', "ｸｽﾞﾊｼﾖﾃﾝ", 500,
                    bookshop.party.id)])
        self.assertEqual((int(trailer['合計件数']), int(trailer['合計金額'])),
            (2, 1478))

    @with_transaction()
    def test_transferred_payments_pay_the_invoices_from_the_bank(self):
        "(Tryton's clearing: the payable to the bank deposits account)"
        pool = Pool()
        Configuration = pool.get('hirakata.settlement.configuration')
        Invoice = pool.get('account.invoice')
        Payment = pool.get('account.payment')
        company = set_up_operator()
        with set_company(company):
            journal = set_up_zengin(company)
            bakery, bookshop = self.october(company)
            # what the operator owes: the bakery's net balance, the
            # bookshop's payment notice (its fees are another invoice)
            owed = [i for i in Invoice.search([('state', '=', 'posted'),
                        ('party', 'in', [bakery.party.id,
                                bookshop.party.id])])
                if i.type == 'in' or i.total_amount < 0]
            group = self.pay(company, journal,
                [bakery.party, bookshop.party])
            bank = Configuration(1).account('bank_account')
            self.assertEqual(bank.balance, 0)
            # not before the transfer date, nor dated before it or later
            # than today
            load_japanese()
            for today, date in [(dt.date(2026, 11, 27), None),
                    (dt.date(2026, 12, 2), dt.date(2026, 11, 29)),
                    (dt.date(2026, 12, 2), dt.date(2026, 12, 3))]:
                with self.subTest(today=today, date=date), \
                        clock.frozen(at(today)), \
                        Transaction().set_context(clearing_date=date,
                            language='ja'), \
                        self.assertRaisesRegex(PaymentDateError,
                            r'成功にできません.*振込指定日（2026/11/30）'):
                    Payment.succeed(group.payments)
            with clock.frozen(at(dt.date(2026, 12, 2))), \
                    Transaction().set_context(clearing_date='2026-12-01',
                        language='ja'), \
                    self.assertRaisesRegex(PaymentDateError,
                        '指定された日付が正しい日付ではありません'):
                Payment.succeed(group.payments)
            self.assertEqual({p.state for p in Payment.browse(
                        group.payments)}, {'processing'})
            # the bank transferred on the 30th: its clearing entries are
            # posted at once, not left in draft for the next cron
            with clock.frozen(at(dt.date(2026, 11, 30))):
                Payment.succeed(group.payments)
            self.assertEqual({p.clearing_move.state
                    for p in Payment.browse(group.payments)}, {'posted'})
            self.assertTrue(owed)
            self.assertTrue(all(Invoice(i.id).reconciled for i in owed))
            # (Tryton's queued task after the commit marks them paid)
            Invoice.process(Invoice.browse(owed))
            self.assertEqual({Invoice(i.id).state for i in owed}, {'paid'})
            self.assertEqual(payable_lines(bakery.party)
                + payable_lines(bookshop.party), [])
            moves = {p.clearing_move for p in Payment.browse(group.payments)}
            self.assertEqual({(m.state, m.date) for m in moves},
                {('posted', dt.date(2026, 11, 30))})
            self.assertEqual(Configuration(1).account('bank_account').balance,
                -Decimal(978 + 500))

    @with_transaction()
    def test_processed_payments_and_their_file_stay_as_sent(self):
        "(and submitted ones: only a draft payment changes)"
        pool = Pool()
        Data = pool.get('ir.model.data')
        Payment = pool.get('account.payment')
        User = pool.get('res.user')
        company = set_up_operator()
        with set_company(company):
            journal = set_up_zengin(company)
            bakery, bookshop = self.october(company)
            group = self.pay(company, journal, [bakery.party])
            submitted, = Payment.create([{'company': company.id,
                        'journal': journal.id, 'kind': 'payable',
                        'party': bookshop.party.id, 'amount': Decimal(100),
                        'date': dt.date(2026, 11, 30)}])
            Payment.submit([submitted])
            load_japanese()
            # (Tryton's payment groups, as the demo gives its accountants)
            accountant = make_user('keiri', 'group_accountant',
                language='ja')
            User.write([accountant], {'groups': [('add', [
                                Data.get_id('account_payment', g)
                                for g in ['group_payment',
                                    'group_payment_approval']])]})
            processed, = group.payments
            for payment, values in [(processed, {'amount': Decimal(1)}),
                    (processed, {'date': dt.date(2026, 12, 1)}),
                    (submitted, {'party': bakery.party.id})]:
                with self.subTest(state=payment.state, values=values), \
                        self.assertRaisesRegex(AccessError,
                            "下書きの間だけです"):
                    rpc(accountant, 'account.payment', 'write',
                        [payment.id], values)
            # a processed payment does not go back to draft to be paid
            # again, nor into another group; a group keeps what it pays
            for payment, values in [(processed, {'state': 'draft'}),
                    (processed, {'group': None}),
                    (submitted, {'state': 'succeeded'})]:
                with self.subTest(state=payment.state, values=values), \
                        self.assertRaisesRegex(AccessError,
                            "画面のボタンでのみ変更できます"):
                    rpc(accountant, 'account.payment', 'write',
                        [payment.id], values)
            # nor is a payment created, or copied, processed or in a group
            for method, args in [
                    ('create', [[{'company': company.id,
                                    'journal': journal.id, 'kind': 'payable',
                                    'party': bakery.party.id,
                                    'amount': Decimal(40),
                                    'date': dt.date(2026, 11, 30),
                                    'state': 'processing',
                                    'group': group.id}]]),
                    ('copy', [[processed.id], {'group': group.id}]),
                    ('copy', [[submitted.id], {'state': 'approved'}])]:
                with self.subTest(method=method, args=args), \
                        self.assertRaisesRegex(AccessError,
                            "画面のボタンでのみ変更できます"):
                    rpc(accountant, 'account.payment', method, *args)
            copy_id, = rpc(accountant, 'account.payment', 'copy',
                [processed.id], {})
            self.assertEqual((Payment(copy_id).state, Payment(copy_id).group),
                ('draft', None))
            for values in [{'zengin_file': b'HELLO'},
                    {'zengin_filename': 'evil.txt'}, {'number': "FAKE-1"},
                    {'kind': 'receivable'},
                    {'payments': [('remove', [processed.id])]}]:
                with self.subTest(values=values), \
                        self.assertRaisesRegex(AccessError,
                            "画面のボタンでのみ変更できます"):
                    rpc(accountant, 'account.payment.group', 'write',
                        [group.id], values)
            # back to draft, the submitted one changes
            rpc(accountant, 'account.payment', 'draft', [submitted.id])
            rpc(accountant, 'account.payment', 'write', [submitted.id],
                {'amount': Decimal(90)})
            self.assertEqual(
                (Payment(processed.id).amount, Payment(submitted.id).amount,
                    group.zengin_filename),
                (Decimal(978), Decimal(90),
                    'zengin_20261130_%s.txt' % group.number))

    @with_transaction()
    def test_payee_without_bank_account_refused(self):
        company = set_up_operator()
        with set_company(company):
            journal = set_up_zengin(company)
            bakery, bookshop = self.october(company)
            bookshop.payout_account = None
            bookshop.save()
            load_japanese()
            with Transaction().set_context(language='ja'), \
                    self.assertRaisesRegex(PaymentFileError,
                        "くずは書店に.*口座がありません"):
                self.pay(company, journal, [bakery.party, bookshop.party])

    @with_transaction()
    def test_amount_wider_than_the_file_refused_in_japanese(self):
        "(10 digits of yen: a user error naming why, not a traceback)"
        pool = Pool()
        Payment = pool.get('account.payment')
        company = set_up_operator()
        with set_company(company):
            journal = set_up_zengin(company)
            bakery, _ = self.october(company)
            payment, = Payment.create([{'company': company.id,
                        'journal': journal.id, 'kind': 'payable',
                        'party': bakery.party.id,
                        'amount': Decimal(99999999999),
                        'date': dt.date(2026, 11, 30)}])
            Payment.submit([payment])
            Payment.approve([payment])
            load_japanese()
            with Transaction().set_context(language='ja'), \
                    clock.frozen(at(dt.date(2026, 11, 25))), \
                    self.assertRaisesRegex(PaymentFileError,
                        "振込データを作成できません：振込金額は10桁まで"):
                Payment.process([payment], lambda: self.group(
                        company, journal, 'payable'))

    @with_transaction()
    def test_money_leaves_for_what_is_owed_only(self):
        "No file pays a payment of no owed line, nor more than the line"
        pool = Pool()
        Payment = pool.get('account.payment')
        company = set_up_operator()
        with set_company(company):
            journal = set_up_zengin(company)
            bakery, _ = self.october(company)
            line, = payable_lines(bakery.party)
            for refused, values in [
                    ("pays no line", {'amount': Decimal(50000)}),
                    ("more than it owes", {'line': line.id,
                            'amount': line.payment_amount + 1})]:
                with self.subTest(refused=refused):
                    payment, = Payment.create([dict(values,
                                company=company.id, journal=journal.id,
                                kind='payable', party=bakery.party.id,
                                date=dt.date(2026, 11, 30))])
                    Payment.submit([payment])
                    Payment.approve([payment])
                    with clock.frozen(at(dt.date(2026, 11, 25))), \
                            self.assertRaisesRegex(PaymentFileError, refused):
                        Payment.process([payment], lambda: self.group(
                                company, journal, 'payable'))
                    # (a refusal rolls the request back; here, it fails)
                    Payment.fail([payment])
            # the line's amount: paid
            group = self.pay(company, journal, [bakery.party])
            self.assertEqual([p.amount for p in group.payments],
                [Decimal(978)])

    @with_transaction()
    def test_paying_account_still_the_operators_at_processing(self):
        "(its owners changed after it was chosen as the paying account)"
        pool = Pool()
        Account = pool.get('bank.account')
        Configuration = pool.get('hirakata.settlement.configuration')
        company = set_up_operator()
        with set_company(company):
            journal = set_up_zengin(company)
            bakery, _ = self.october(company)
            paying = Configuration(1).zengin_account
            Account.write([paying], {'owners': [
                        ('remove', [company.party.id]),
                        ('add', [bakery.party.id])]})
            with self.assertRaisesRegex(PaymentFileError,
                    "not an account of the operator"):
                self.pay(company, journal, [bakery.party])

    @with_transaction()
    def test_receivable_refused(self):
        pool = Pool()
        Payment = pool.get('account.payment')
        company = set_up_operator()
        with set_company(company):
            journal = set_up_zengin(company)
            bakery, _ = self.october(company)
            payment, = Payment.create([{'company': company.id,
                        'journal': journal.id, 'kind': 'receivable',
                        'party': bakery.party.id, 'amount': Decimal(100),
                        'date': dt.date(2026, 11, 30)}])
            Payment.submit([payment])
            load_japanese()
            with Transaction().set_context(language='ja'), \
                    self.assertRaisesRegex(PaymentFileError, "は受取です"):
                Payment.process([payment], lambda: self.group(
                        company, journal, 'receivable'))

    @with_transaction()
    def test_payment_in_another_currency_refused(self):
        pool = Pool()
        Currency = pool.get('currency.currency')
        Journal = pool.get('account.payment.journal')
        Payment = pool.get('account.payment')
        company = set_up_operator()
        with set_company(company):
            set_up_zengin(company)
            bakery, _ = self.october(company)
            usd, = Currency.create([{'name': "US Dollar", 'code': 'USD',
                        'symbol': '$'}])
            journal, = Journal.create([{'name': "USD", 'currency': usd.id,
                        'company': company.id, 'process_method': 'zengin'}])
            payment, = Payment.create([{'company': company.id,
                        'journal': journal.id, 'kind': 'payable',
                        'party': bakery.party.id, 'amount': Decimal(100),
                        'date': dt.date(2026, 11, 30)}])
            Payment.submit([payment])
            Payment.approve([payment])
            load_japanese()
            with Transaction().set_context(language='ja'), \
                    self.assertRaisesRegex(PaymentFileError,
                        "通貨はUSDです：全銀の振込データで払えるのは円だけです"):
                Payment.process([payment], lambda: self.group(
                        company, journal, 'payable'))

    def group(self, company, journal, kind):
        Group = Pool().get('account.payment.group')
        group = Group(company=company, journal=journal, kind=kind)
        group.save()
        return group

    @with_transaction()
    def test_account_numbers_read_by_accountants_and_the_auditor_only(self):
        pool = Pool()
        Account = pool.get('bank.account')
        company = set_up_operator()
        with set_company(company):
            account = bank_account(company.party, '0009', '001', '1234567',
                "ヒラカタ")
        accountant = create_user('keiri', 'group_accountant')
        clerk = create_user('tencho', 'group_store_staff')
        auditor = create_user('kansa', 'group_auditor')
        for reader in [accountant, auditor]:
            with Transaction().set_user(reader.id), \
                    Transaction().set_context(_check_access=True):
                self.assertEqual(Account.read([account.id], ['zengin_number']
                        )[0]['zengin_number'], '1234567')
        with Transaction().set_user(auditor.id), \
                Transaction().set_context(_check_access=True):
            with self.assertRaises(AccessError):
                Account.write([account], {'zengin_number': '7654321'})
        with Transaction().set_user(clerk.id), \
                Transaction().set_context(_check_access=True):
            with self.assertRaises(AccessError):
                Account.read([account.id], ['zengin_number'])
        # nor found by it: a search by name that matched the number would
        # spell it out prefix by prefix
        city = create_user('shiyakusho', 'group_city_staff')
        for searcher, found in [(accountant, True), (auditor, True),
                (city, False)]:
            for number in ['1234567', '123%']:
                with self.subTest(user=searcher.login, number=number), \
                        Transaction().set_user(searcher.id), \
                        Transaction().set_context(_check_access=True):
                    self.assertEqual(Account.search(
                            [('rec_name', 'ilike', number)]),
                        [account] if found else [])
        with Transaction().set_user(city.id), \
                Transaction().set_context(_check_access=True):
            # still by what its masked name shows
            self.assertEqual(Account.search(
                    [('rec_name', 'ilike', '%ヒラカタ%')]), [account])
        # nor by a where sub-domain, which trytond leaves unchecked, from
        # the parties that own accounts, at any depth
        Party = pool.get('party.party')
        number = [('zengin_number', 'like', '1%')]
        for domain in [[('bank_accounts', 'where', number)],
                ['OR', ('name', '=', "x"),
                    ('bank_accounts', 'not where', number)],
                [('bank_accounts', 'where', [('owners', 'where', [
                                    ('bank_accounts', 'where', number)])])]]:
            with self.subTest(domain=domain):
                with Transaction().set_user(city.id), \
                        Transaction().set_context(_check_access=True):
                    with self.assertRaises(AccessError):
                        Party.search(domain)
                with Transaction().set_user(accountant.id), \
                        Transaction().set_context(_check_access=True):
                    Party.search(domain)
        with Transaction().set_user(accountant.id), \
                Transaction().set_context(_check_access=True):
            self.assertEqual(Party.search(
                    [('bank_accounts', 'where', number)]), [company.party])
        # nor through a Reference field, which names its model after the
        # value (the parties' in a where sub-domain on the entries' origin)
        Entry = pool.get('hirakata.point.entry')
        for domain in [
                [('origin.store', 'where', [('payout_account', 'where',
                                number)], 'hirakata.terminal')],
                [('origin', 'where', [('store', 'where', [
                                    ('payout_account', 'where', number)])],
                        'hirakata.terminal')]]:
            with self.subTest(domain=domain), \
                    Transaction().set_user(city.id), \
                    Transaction().set_context(_check_access=True):
                with self.assertRaises(AccessError):
                    Entry.search(domain)
