import configparser
import datetime as dt
import os
import unittest

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.modules.hirakata_points import clock, expiry, identifier
from trytond.modules.hirakata_points.exceptions import (
    CardBlocked, CardIdentifierError, ExpiryPolicyError, IdempotencyConflict,
    InsufficientPoints, InvalidPoints, NotReversible, ReasonRequired,
    UnknownCard)
from trytond.pool import Pool
from trytond.cache import Cache
from trytond.config import config
from trytond.tests.test_tryton import (
    DB_NAME, ModuleTestCase, with_transaction)
from trytond.transaction import Transaction

TODAY = clock.local_now().date()


def create_holder(name="山田 太郎", kana="ヤマダ タロウ", idm=None):
    "A holder with a FeliCa card, as the desk registers them (R1)."
    pool = Pool()
    Holder = pool.get('hirakata.holder')
    Card = pool.get('hirakata.card')
    holder, = Holder.create([{
                'name': name, 'name_kana': kana,
                'birth_date': dt.date(1950, 4, 1),
                }])
    if idm:
        Card.create([{'holder': holder.id, 'technology': 'felica',
                    'identifier': idm}])
    return holder


def policy(months=None, fixed=None):
    Policy = Pool().get('hirakata.point.expiry.policy')
    if fixed:
        values = {'name': 'fixed', 'kind': 'fixed', 'fixed_date': fixed}
    else:
        values = {'name': 'months', 'kind': 'months', 'months': months}
    return Policy.create([values])[0]


def load_japanese():
    "Load the Japanese translations, for the messages the tests read."
    Lang = Pool().get('ir.lang')
    Lang.load_translations(Lang.search([('code', '=', 'ja')]))


def create_user(login, group):
    "A user in one of the module's access groups."
    pool = Pool()
    User = pool.get('res.user')
    Data = pool.get('ir.model.data')
    user, = User.create([{'login': login, 'name': login,
                'groups': [('add', [Data.get_id('hirakata_points', group)])]}])
    return user


def ledger_sum(account):
    Entry = Pool().get('hirakata.point.entry')
    return sum(e.points for e in Entry.search([('account', '=', account.id)]))


def lots_sum(account):
    Lot = Pool().get('hirakata.point.lot')
    return sum(l.remaining for l in Lot.search([('account', '=', account.id)]))


class IdentifierTestCase(unittest.TestCase):
    "Card identifiers, without a database."

    def test_felica_idm_normalised(self):
        self.assertEqual(
            identifier.normalise('felica', '01 2e:4c-aa 0b 1c 2d 3e'),
            '012E4CAA0B1C2D3E')

    def test_felica_idm_must_be_8_bytes(self):
        for value in ['012E4CAA0B1C2D', '012E4CAA0B1C2D3E4F', 'XYZ', '']:
            with self.assertRaises(identifier.InvalidIdentifier):
                identifier.normalise('felica', value)

    def test_type_a_uid_sizes(self):
        for value in ['04A2B3C4', '04A2B3C4D5E6F7', '04A2B3C4D5E6F7081920']:
            self.assertEqual(identifier.normalise('iso14443a', value), value)
        for value in ['04A2B3', '04A2B3C4D5', '04A2B3C4D5E6F708']:
            with self.assertRaises(identifier.InvalidIdentifier):
                identifier.normalise('iso14443a', value)

    def test_qr_number_has_luhn_check_digit(self):
        number = identifier.new_qr_number()
        self.assertEqual(identifier.normalise('qr', number), number)
        wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
        with self.assertRaises(identifier.InvalidIdentifier):
            identifier.normalise('qr', wrong)

    def test_technology_guessed_from_the_identifier(self):
        for value, technology in [
                (identifier.new_qr_number(), 'qr'),
                ('01:02:03:04:05:06:07:08', 'felica'),  # check digit fails
                ('04A2B3C4D5E6F7', 'iso14443a'),
                ('04a2b3c4', 'iso14443a'),
                ('XYZ', 'felica'),
                ]:
            self.assertEqual(identifier.guess_technology(value), technology,
                value)
        # An IDm of digits that happen to pass the check digit, read as a
        # QR number unless the caller knows it is an IC card.
        self.assertEqual(identifier.guess_technology('0000000000000000'),
            'qr')
        self.assertEqual(identifier.guess_technology('0000000000000000',
                qr=False), 'felica')

    def test_unknown_technology(self):
        with self.assertRaises(identifier.InvalidIdentifier):
            identifier.normalise('magstripe', '1234')


class ExpiryTestCase(unittest.TestCase):
    "Expiry arithmetic, without a database."

    def test_fiscal_year_ends_on_31_march(self):
        self.assertEqual(expiry.fiscal_year_end(dt.date(2026, 11, 27)),
            dt.date(2027, 3, 31))
        self.assertEqual(expiry.fiscal_year_end(dt.date(2027, 3, 31)),
            dt.date(2027, 3, 31))
        self.assertEqual(expiry.fiscal_year_end(dt.date(2027, 4, 1)),
            dt.date(2028, 3, 31))

    def test_fiscal_year_end_years_after(self):
        self.assertEqual(expiry.fiscal_year_end(dt.date(2026, 11, 27), 2),
            dt.date(2029, 3, 31))

    def test_months_after_clamps_to_month_end(self):
        self.assertEqual(expiry.months_after(dt.date(2026, 8, 31), 6),
            dt.date(2027, 2, 28))


class HirakataPointsTestCase(ModuleTestCase):
    "The point ledger"
    module = 'hirakata_points'

    @with_transaction()
    def test_holder_gets_number_and_account(self):
        holder = create_holder()
        self.assertTrue(holder.number.startswith('H'))
        self.assertEqual(holder.account.kind, 'holder')
        self.assertEqual(holder.account.balance, 0)

    @with_transaction()
    def test_holder_kana_must_be_katakana(self):
        with self.assertRaises(UserError):
            create_holder(kana="やまだ")

    @with_transaction()
    def test_holders_sort_by_the_reading_of_their_names(self):
        "五十音順: by the reading, not by the kanji's code points."
        Holder = Pool().get('hirakata.holder')
        people = [("渡辺 一郎", "ワタナベ イチロウ"), ("佐藤 花子", "サトウ ハナコ"),
            ("後藤 次郎", "ゴトウ ジロウ"), ("阿部 三郎", "アベ サブロウ"),
            ("加藤 四郎", "カトウ シロウ")]
        for name, kana in people:
            create_holder(name, kana)
        readings = ["アベ サブロウ", "カトウ シロウ", "ゴトウ ジロウ",
            "サトウ ハナコ", "ワタナベ イチロウ"]
        # The kanji alone would give 佐藤 加藤 後藤 渡辺 阿部.
        self.assertNotEqual(sorted(n for n, _ in people),
            [n for n, k in sorted(people, key=lambda p: p[1])])
        self.assertEqual(
            [h.name_kana for h in Holder.search([])], readings)
        self.assertEqual([h.name_kana for h in Holder.search(
                        [], order=[('name', 'ASC')])], readings)
        self.assertEqual([h.name_kana for h in Holder.search(
                        [], order=[('name', 'DESC')])], readings[::-1])

    @with_transaction()
    def test_holders_found_by_their_reading_typed_in_hiragana(self):
        "Staff type いとう, or イトウ, and find 伊藤 (the reading is in katakana)."
        Holder = Pool().get('hirakata.holder')
        ito = create_holder("伊藤 花子", "イトウ ハナコ")
        create_holder("佐藤 次郎", "サトウ ジロウ")
        for typed in ["いとう", "イトウ", "%いとう%", "いとう　はなこ"]:
            self.assertEqual(Holder.search([('rec_name', 'ilike',
                            typed.replace('　', ' ') + '%')]), [ito], typed)
        self.assertEqual(Holder.search([('rec_name', 'ilike', 'さとう%')])[0]
            .name, "佐藤 次郎")

    def test_a_failed_request_saves_nothing_when_caches_sync(self):
        "Under the demo's configuration, a rollback undoes the whole request."
        demo = configparser.ConfigParser()
        demo.read(os.path.join(os.path.dirname(__file__),
                '..', '..', '..', 'config', 'trytond.conf'))
        saved_timeout = config.get('cache', 'clean_timeout')
        saved_last = Cache._clean_last
        self.addCleanup(config.set, 'cache', 'clean_timeout', saved_timeout)
        self.addCleanup(setattr, Cache, '_clean_last', saved_last)
        config.set('cache', 'clean_timeout',
            demo.get('cache', 'clean_timeout'))
        # The last sync was long ago: a sync is due at the next request.
        Cache._clean_last = dt.datetime(2000, 1, 1)
        with Transaction().start(DB_NAME, 0) as transaction:
            create_holder("失敗 一郎", "シッパイ イチロウ")
            transaction.rollback()
        with Transaction().start(DB_NAME, 0):
            self.assertFalse(Pool().get('hirakata.holder').search(
                    [('name_kana', '=', "シッパイ イチロウ")]))

    @with_transaction()
    def test_card_identifier_validated_and_normalised(self):
        pool = Pool()
        Card = pool.get('hirakata.card')
        holder = create_holder(idm='01 2e 4c aa 0b 1c 2d 3e')
        card, = holder.cards
        self.assertEqual(card.identifier, '012E4CAA0B1C2D3E')
        with self.assertRaises(CardIdentifierError):
            Card.create([{'holder': holder.id, 'technology': 'iso14443a',
                        'identifier': '04A2B3C4D5'}])

    @with_transaction()
    def test_duplicate_card_refused(self):
        create_holder(idm='012E4CAA0B1C2D3E')
        with self.assertRaises(UserError):
            create_holder(name="別人", kana="ベツジン", idm='012e4caa0b1c2d3e')

    @with_transaction()
    def test_qr_card_gets_a_number(self):
        Card = Pool().get('hirakata.card')
        holder = create_holder()
        card, = Card.create([{'holder': holder.id, 'technology': 'qr'}])
        self.assertEqual(len(card.identifier), 16)
        self.assertEqual(Card.lookup('qr', card.identifier), card)

    @with_transaction()
    def test_unknown_card_refused(self):
        Card = Pool().get('hirakata.card')
        with self.assertRaises(UnknownCard):
            Card.lookup('felica', '0000000000000000')

    @with_transaction()
    def test_grant_books_entry_and_lot(self):
        Ledger = Pool().get('hirakata.point.ledger')
        account = create_holder().account
        entry = Ledger.grant(account, 100, key='g1', channel='terminal',
            policy=policy(months=6))
        self.assertEqual(entry.kind, 'grant')
        self.assertEqual(entry.points, 100)
        self.assertEqual(entry.balance_after, 100)
        self.assertEqual(entry.expiry_date,
            expiry.months_after(TODAY, 6))
        account = account.__class__(account.id)
        self.assertEqual(account.balance, 100)
        self.assertEqual(ledger_sum(account), 100)
        self.assertEqual(lots_sum(account), 100)

    @with_transaction()
    def test_holder_shows_account_balance(self):
        pool = Pool()
        Ledger = pool.get('hirakata.point.ledger')
        Holder = pool.get('hirakata.holder')
        holder, other = create_holder(), create_holder(name="別人")
        Ledger.grant(holder.account, 40, key='g', channel='terminal')
        self.assertEqual([h.balance for h in Holder.browse([holder, other])],
            [40, 0])

    @with_transaction()
    def test_grant_uses_default_policy_of_channel(self):
        Ledger = Pool().get('hirakata.point.ledger')
        account = create_holder().account
        entry = Ledger.grant(account, 10, key='g1', channel='terminal')
        self.assertEqual(entry.expiry_date,
            expiry.fiscal_year_end(TODAY, 1))

    @with_transaction()
    def test_zero_or_negative_points_refused(self):
        Ledger = Pool().get('hirakata.point.ledger')
        account = create_holder().account
        for points in [0, -5, 1.5, True]:
            with self.assertRaises(InvalidPoints):
                Ledger.grant(account, points, key='g%s' % points,
                    channel='terminal')
            with self.assertRaises(InvalidPoints):
                Ledger.redeem(account, points, key='r%s' % points,
                    channel='terminal')

    @with_transaction()
    def test_redeem_takes_earliest_expiring_lot_first(self):
        Ledger = Pool().get('hirakata.point.ledger')
        account = create_holder().account
        late = Ledger.grant(account, 100, key='late', channel='terminal',
            policy=policy(months=12))
        early = Ledger.grant(account, 50, key='early', channel='terminal',
            policy=policy(months=1))
        redeem = Ledger.redeem(account, 70, key='r', channel='terminal')
        self.assertEqual(redeem.balance_after, 80)
        taken = {m.lot.entry.id: m.points for m in redeem.lot_moves}
        self.assertEqual(taken, {early.id: -50, late.id: -20})

    @with_transaction()
    def test_redeem_more_than_balance_refused_and_nothing_moves(self):
        Ledger = Pool().get('hirakata.point.ledger')
        account = create_holder().account
        Ledger.grant(account, 30, key='g', channel='terminal')
        with self.assertRaises(InsufficientPoints):
            Ledger.redeem(account, 31, key='r', channel='terminal')
        account = account.__class__(account.id)
        self.assertEqual(account.balance, 30)
        self.assertEqual(lots_sum(account), 30)
        self.assertEqual(len(account.entries), 1)

    @with_transaction()
    def test_points_past_expiry_cannot_be_spent_before_the_job(self):
        pool = Pool()
        Ledger = pool.get('hirakata.point.ledger')
        Account = pool.get('hirakata.point.account')
        account = create_holder().account
        Ledger.grant(account, 40, key='old', channel='terminal',
            policy=policy(months=1), date=TODAY - dt.timedelta(days=60))
        Ledger.grant(account, 10, key='new', channel='terminal')
        self.assertEqual(Account(account.id).available, 10)
        with self.assertRaises(InsufficientPoints):
            Ledger.redeem(account, 11, key='r', channel='terminal')

    @with_transaction()
    def test_replayed_key_returns_first_entry_without_moving_again(self):
        Ledger = Pool().get('hirakata.point.ledger')
        account = create_holder().account
        Ledger.grant(account, 100, key='g', channel='terminal')
        first = Ledger.redeem(account, 30, key='r', channel='terminal')
        again = Ledger.redeem(account, 30, key='r', channel='terminal')
        self.assertEqual(first.id, again.id)
        account = account.__class__(account.id)
        self.assertEqual(account.balance, 70)
        self.assertEqual(ledger_sum(account), 70)

    @with_transaction()
    def test_same_key_with_other_request_refused(self):
        Ledger = Pool().get('hirakata.point.ledger')
        account = create_holder().account
        Ledger.grant(account, 100, key='g', channel='terminal')
        Ledger.redeem(account, 30, key='r', channel='terminal')
        with self.assertRaises(IdempotencyConflict):
            Ledger.redeem(account, 31, key='r', channel='terminal')
        with self.assertRaises(IdempotencyConflict):
            Ledger.grant(account, 30, key='r', channel='terminal')
        self.assertEqual(account.__class__(account.id).balance, 70)

    @with_transaction()
    def test_reversed_redemption_restores_the_same_lots(self):
        Ledger = Pool().get('hirakata.point.ledger')
        account = create_holder().account
        Ledger.grant(account, 100, key='late', channel='terminal',
            policy=policy(months=12))
        Ledger.grant(account, 50, key='early', channel='terminal',
            policy=policy(months=1))
        redeem = Ledger.redeem(account, 70, key='r', channel='terminal')
        reversal = Ledger.reverse(redeem, key='x', channel='terminal',
            reason="レジ打ち間違い")
        self.assertEqual(reversal.points, 70)
        self.assertEqual(reversal.reversal_of, redeem)
        restored = sorted((m.lot.id, m.points) for m in reversal.lot_moves)
        taken = sorted((m.lot.id, -m.points) for m in redeem.lot_moves)
        self.assertEqual(restored, taken)
        account = account.__class__(account.id)
        self.assertEqual(account.balance, 150)
        self.assertEqual(lots_sum(account), 150)

    @with_transaction()
    def test_entry_reversed_only_once(self):
        Ledger = Pool().get('hirakata.point.ledger')
        account = create_holder().account
        grant = Ledger.grant(account, 100, key='g', channel='terminal')
        Ledger.reverse(grant, key='x1', channel='terminal', reason="誤り")
        with self.assertRaises(NotReversible):
            Ledger.reverse(grant, key='x2', channel='terminal', reason="誤り")
        self.assertEqual(account.__class__(account.id).balance, 0)

    @with_transaction()
    def test_reversed_grant_refused_when_points_were_spent(self):
        Ledger = Pool().get('hirakata.point.ledger')
        account = create_holder().account
        grant = Ledger.grant(account, 100, key='g', channel='terminal')
        Ledger.redeem(account, 60, key='r', channel='terminal')
        with self.assertRaises(InsufficientPoints):
            Ledger.reverse(grant, key='x', channel='terminal', reason="誤り")
        self.assertEqual(account.__class__(account.id).balance, 40)

    @with_transaction()
    def test_reversal_needs_a_reason(self):
        Ledger = Pool().get('hirakata.point.ledger')
        account = create_holder().account
        grant = Ledger.grant(account, 100, key='g', channel='terminal')
        with self.assertRaises(ReasonRequired):
            Ledger.reverse(grant, key='x', channel='terminal', reason=" ")

    @with_transaction()
    def test_adjust_by_hand_needs_reason_and_can_subtract(self):
        Ledger = Pool().get('hirakata.point.ledger')
        account = create_holder().account
        with self.assertRaises(ReasonRequired):
            Ledger.adjust(account, 10, key='a0', channel='backoffice',
                reason='')
        Ledger.adjust(account, 25, key='a1', channel='backoffice',
            reason="窓口での補填")
        Ledger.adjust(account, -5, key='a2', channel='backoffice',
            reason="二重付与の訂正")
        account = account.__class__(account.id)
        self.assertEqual(account.balance, 20)
        self.assertEqual(lots_sum(account), 20)

    @with_transaction()
    def test_fixed_policy_date_passed_refused(self):
        Ledger = Pool().get('hirakata.point.ledger')
        account = create_holder().account
        with self.assertRaises(ExpiryPolicyError):
            Ledger.grant(account, 10, key='g', channel='terminal',
                policy=policy(fixed=TODAY - dt.timedelta(days=1)))
        self.assertEqual(account.__class__(account.id).balance, 0)

    @with_transaction()
    def test_ledger_entries_cannot_be_edited_or_deleted(self):
        pool = Pool()
        Ledger = pool.get('hirakata.point.ledger')
        Entry = pool.get('hirakata.point.entry')
        account = create_holder().account
        entry = Ledger.grant(account, 10, key='g', channel='terminal')
        with self.assertRaises(AccessError):
            Entry.write([entry], {'points': 1000})
        with self.assertRaises(AccessError):
            Entry.delete([entry])

    @with_transaction()
    def test_nightly_expiry_books_entries_and_fills_the_pool(self):
        pool = Pool()
        Ledger = pool.get('hirakata.point.ledger')
        Account = pool.get('hirakata.point.account')
        past = TODAY - dt.timedelta(days=60)
        accounts = [create_holder(name="人%s" % i).account for i in range(3)]
        for i, account in enumerate(accounts):
            Ledger.grant(account, 10 * (i + 1), key='old%s' % i,
                channel='terminal', policy=policy(months=1), date=past)
            Ledger.grant(account, 5, key='new%s' % i, channel='terminal')
        Ledger.redeem(accounts[0], 4, key='r', channel='terminal')
        expired_pool = Account.pool_account('expired_pool')
        before = expired_pool.balance

        expired = Ledger.expire_due(chunk_size=2, commit_chunks=False)

        # The 4 points redeemed came from the fresh lot: the old one was
        # already past its expiry date, so all 10 of it expire.
        self.assertEqual(expired, 10 + 20 + 30)
        for account in Account.browse(accounts):
            self.assertEqual(account.balance, account.available)
            self.assertEqual(account.balance, ledger_sum(account))
            self.assertEqual(account.balance, lots_sum(account))
        self.assertEqual(Account(expired_pool.id).balance, before + expired)
        old_lot = Pool().get('hirakata.point.lot').search([
                ('account', '=', accounts[2].id), ('points', '=', 30)])[0]
        self.assertEqual(old_lot.remaining, 0)
        self.assertEqual(old_lot.expiry_entry.kind, 'expire')
        self.assertEqual(old_lot.expiry_entry.points, -30)
        self.assertEqual(Account.find_unbalanced(), [])
        self.assertEqual(Ledger.expire_due(commit_chunks=False), 0)

    @with_transaction()
    def test_allocation_takes_from_the_pool_once_and_never_beyond(self):
        pool = Pool()
        Ledger = pool.get('hirakata.point.ledger')
        Account = pool.get('hirakata.point.account')
        account = create_holder().account
        Ledger.grant(account, 50, key='old', channel='terminal',
            policy=policy(months=1), date=TODAY - dt.timedelta(days=60))
        Ledger.expire_due(commit_chunks=False)
        expired_pool = Account.pool_account('expired_pool')
        self.assertEqual(expired_pool.balance, 50)

        entry = Ledger.allocate('expired_pool', 30, key='a1',
            channel='backoffice', origin=None, reason="子ども食堂へ")
        again = Ledger.allocate('expired_pool', 30, key='a1',
            channel='backoffice', origin=None, reason="子ども食堂へ")
        self.assertEqual((entry.kind, entry.points, entry.balance_after),
            ('allocation', -30, 20))
        self.assertEqual(again, entry)
        with self.assertRaises(IdempotencyConflict):
            Ledger.allocate('expired_pool', 10, key='a1',
                channel='backoffice', origin=None, reason="子ども食堂へ")
        with self.assertRaises(InsufficientPoints):
            Ledger.allocate('expired_pool', 21, key='a2',
                channel='backoffice', origin=None, reason="多すぎる")
        with self.assertRaises(ReasonRequired):
            Ledger.allocate('expired_pool', 1, key='a3',
                channel='backoffice', origin=None, reason=" ")
        self.assertEqual(Account(expired_pool.id).balance, 20)
        self.assertEqual(Account.find_unbalanced(), [])

    @with_transaction()
    def test_blocked_card_refused_and_reissue_carries_balance(self):
        pool = Pool()
        Ledger = pool.get('hirakata.point.ledger')
        Card = pool.get('hirakata.card')
        holder = create_holder(idm='0102030405060708')
        old, = holder.cards
        grant = Ledger.grant(holder.account, 120, key='g', channel='terminal')
        new = old.reissue_to('iso14443a', '04A2B3C4D5E6F7', 'lost')
        with self.assertRaises(CardBlocked):
            Card.lookup('felica', '0102030405060708')
        found = Card.lookup('iso14443a', '04a2b3c4d5e6f7')
        self.assertEqual(found, new)
        self.assertEqual(found.account.balance, 120)
        self.assertEqual([l.expiry_date for l in found.account.lots],
            [grant.expiry_date])
        self.assertEqual(Card(old.id).replaced_by, new)

    @with_transaction()
    def test_card_blocked_by_phone_is_reissued_once_at_the_desk(self):
        Card = Pool().get('hirakata.card')
        holder = create_holder(idm='0102030405060708')
        old, = holder.cards
        Card.block([old], reason='lost')
        new = Card(old.id).reissue_to('felica', '1112131415161718', 'lost')
        self.assertEqual(new.state, 'active')
        with self.assertRaises(CardBlocked):
            Card(old.id).reissue_to('felica', '2122232425262728', 'lost')
        self.assertEqual(len(Card.search([('holder', '=', holder.id)])), 2)

    @with_transaction()
    def test_reader_cannot_create_the_configuration_by_writing_it(self):
        Configuration = Pool().get('hirakata.point.configuration')
        # As in a database whose settings nobody has saved yet.
        Configuration.delete([Configuration.get_singleton()])
        self.assertIsNone(Configuration.get_singleton())
        auditor = create_user('config_auditor', 'group_auditor')
        with Transaction().set_user(auditor.id), \
                Transaction().set_context(_check_access=True):
            with self.assertRaises(AccessError):
                Configuration.write([Configuration(1)],
                    {'expiry_notice_days': 1})
        self.assertIsNone(Configuration.get_singleton())

    @with_transaction()
    def test_replaced_card_cannot_be_unblocked_by_a_write(self):
        Card = Pool().get('hirakata.card')
        holder = create_holder(idm='0102030405060708')
        old, = holder.cards
        old.reissue_to('felica', '1112131415161718', 'lost')
        operator = create_user('card_operator', 'group_operator')
        with Transaction().set_user(operator.id), \
                Transaction().set_context(_check_access=True):
            for values in [{'state': 'active'}, {'replaced_by': None},
                    {'blocked_reason': None}]:
                with self.assertRaises(AccessError):
                    Card.write([Card(old.id)], values)
            with self.assertRaises(AccessError):
                Card.create([{'holder': holder.id, 'technology': 'felica',
                            'identifier': '2122232425262728',
                            'state': 'blocked'}])
        self.assertEqual(Card(old.id).state, 'blocked')

    @with_transaction()
    def test_card_key_cannot_be_edited(self):
        Card = Pool().get('hirakata.card')
        holder = create_holder(idm='0102030405060708')
        card, = holder.cards
        with self.assertRaises(CardIdentifierError):
            Card.write([card], {'identifier': '0102030405060709'})

    @with_transaction()
    def test_store_staff_cannot_read_holders_or_ledger(self):
        pool = Pool()
        Holder = pool.get('hirakata.holder')
        Entry = pool.get('hirakata.point.entry')
        clerk = create_user('clerk', 'group_store_staff')
        create_holder()
        with Transaction().set_user(clerk.id), \
                Transaction().set_context(_check_access=True):
            with self.assertRaises(AccessError):
                Holder.search([])
            with self.assertRaises(AccessError):
                Entry.search([])

    @with_transaction()
    def test_staff_password_secrets_neither_searched_nor_read(self):
        "(Tryton blanks a hash on read, but lets any user search on it)"
        pool = Pool()
        User = pool.get('res.user')
        Data = pool.get('ir.model.data')
        city = create_user('city', 'group_city_staff')
        User.write([city], {'password': 'Hirakata-2026-first'})
        User.reset_password([city])
        for domain, order in [([('password_hash', 'like', '$%')], None),
                ([('password_reset', '!=', None)], None),
                ([('groups', 'where', [('users', 'where', [
                                    ('password_hash', 'like', '$%')])])],
                    None),
                ([('create_uid.password_reset', '!=', None)], None),
                ([], [('password_hash', 'ASC')]),
                ([], [('create_uid.password_reset', 'ASC')])]:
            with self.subTest(domain=domain, order=order), \
                    Transaction().set_user(city.id), \
                    Transaction().set_context(_check_access=True):
                with self.assertRaisesRegex(AccessError, "Password"):
                    User.search(domain, order=order)
        # read: the reset password to Tryton's administrators only
        admin = create_user('kanri', 'group_admin')
        User.write([admin], {'groups': [
                    ('add', [Data.get_id('res', 'group_admin')])]})
        for reader, reset in [(city, None), (admin, city.password_reset)]:
            with Transaction().set_user(reader.id), \
                    Transaction().set_context(_check_access=True):
                self.assertEqual(User.read([city.id], ['password_reset']
                        )[0]['password_reset'], reset)
        self.assertTrue(city.password_reset)
        # and every field of a user, as a client that reads them all
        with Transaction().set_user(city.id), \
                Transaction().set_context(_check_access=True):
            values, = User.read([city.id], list(User._fields))
            self.assertEqual((values['password_reset'],
                    values['password_hash']), (None, None))
        # their own password still changes in their preferences (an RPC
        # method without access checks: it writes the user's own only)
        with Transaction().set_user(city.id):
            User.set_preferences({'password': 'Hirakata-2026-second'})
        self.assertEqual(User.get_login(
                'city', {'password': 'Hirakata-2026-second'}), city.id)

    @with_transaction()
    def test_staff_reading_personal_data_is_logged(self):
        Holder = Pool().get('hirakata.holder')
        holder = create_holder()
        operator = create_user('desk', 'group_operator')
        with Transaction().set_user(operator.id), \
                Transaction().set_context(_check_access=True):
            with self.assertLogs('hirakata.personal_data') as logged:
                Holder.read([holder.id], ['number', 'phone', 'address'])
            with self.assertNoLogs('hirakata.personal_data'):
                Holder.read([holder.id], ['number', 'relation'])
        self.assertIn('"user": %s' % operator.id, logged.output[0])
        self.assertIn('"holders": [%s]' % holder.id, logged.output[0])
        self.assertIn('"fields": ["address", "phone"]', logged.output[0])

    @with_transaction()
    def test_auditor_reads_but_cannot_write(self):
        pool = Pool()
        Holder = pool.get('hirakata.holder')
        Entry = pool.get('hirakata.point.entry')
        auditor = create_user('auditor', 'group_auditor')
        holder = create_holder()
        with Transaction().set_user(auditor.id), \
                Transaction().set_context(_check_access=True):
            Entry.search([])
            self.assertEqual(Holder.search([('id', '=', holder.id)]),
                [holder])
            with self.assertRaises(AccessError):
                Holder.write([Holder(holder.id)], {'name': "改ざん"})


del ModuleTestCase
