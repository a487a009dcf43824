"""Card holders (R1): residents and people who work or study in the city."""
import json
import logging
import re

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .exceptions import HolderValidationError

# Full-width katakana, the prolonged sound mark and spaces: how a name
# reading (フリガナ) is written on municipal forms.
_KANA = re.compile(r'^[\u30A0-\u30FF\u3000 ]+$')

# Every read of these by a person is logged (R4) to this logger; production
# sends it to an append-only file (config/logging.conf).
PERSONAL_FIELDS = {'name', 'name_kana', 'birth_date', 'postal_code',
    'address', 'phone', 'email', 'rec_name'}
access_log = logging.getLogger('hirakata.personal_data')


# ぁ..ゖ and ゝゞ are their katakana's code points less 0x60.
_HIRAGANA_TO_KATAKANA = {c: c + 0x60 for c in [
        *range(0x3041, 0x3097), 0x309D, 0x309E]}


def to_katakana(value):
    "value (a search's text, or a list of them) with hiragana as katakana."
    if isinstance(value, str):
        return value.translate(_HIRAGANA_TO_KATAKANA)
    if isinstance(value, (list, tuple)):
        return [to_katakana(v) for v in value]
    return value


def age_on(birth_date, date):
    "Age in full years on date (eligibility, campaigns)."
    return date.year - birth_date.year - (
        (date.month, date.day) < (birth_date.month, birth_date.day))


class District(DeactivableMixin, ModelSQL, ModelView):
    "School district (校区), the unit the city uses to target programmes."
    __name__ = 'hirakata.district'
    code = fields.Char("Code", required=True)
    name = fields.Char("Name", required=True, translate=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'hirakata_points.msg_district_code_unique'),
            ]
        cls._order = [('code', 'ASC'), ('id', 'ASC')]


class Holder(ModelSQL, ModelView):
    "Card holder"
    __name__ = 'hirakata.holder'
    _rec_name = 'number'

    number = fields.Char("Holder Number", readonly=True)
    name = fields.Char("Name", required=True)
    name_kana = fields.Char("Name Kana", required=True)
    birth_date = fields.Date("Birth Date", required=True)
    district = fields.Many2One('hirakata.district', "District",
        ondelete='RESTRICT')
    postal_code = fields.Char("Postal Code")
    address = fields.Char("Address")
    phone = fields.Char("Phone")
    email = fields.Char("E-mail")
    relation = fields.Selection([
            ('resident', "Resident"),
            ('worker', "Works in the city"),
            ('student', "Studies in the city"),
            ], "Relation to the City", required=True)
    consent = fields.Boolean("Consent to Terms",
        help="The holder agreed to the terms and the use of personal data.")
    consent_date = fields.Date("Consent Date",
        states={'required': Eval('consent', False)})
    accounts = fields.One2Many('hirakata.point.account', 'holder', "Accounts",
        readonly=True)
    cards = fields.One2Many('hirakata.card', 'holder', "Cards", readonly=True)
    balance = fields.Function(fields.Integer("Balance"), 'get_balance')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('number_unique', Unique(t, t.number),
                'hirakata_points.msg_holder_number_unique'),
            ]
        # 五十音順: lists sort people by their name's reading, not by the
        # kanji's code points, as a municipal register does.
        cls._order = [('name_kana', 'ASC'), ('number', 'ASC'), ('id', 'ASC')]
        cls._sql_indexes.add(Index(t, (t.name_kana, Index.Range())))

    @staticmethod
    def order_name(tables):
        "Sorting by name sorts by its reading (五十音順)."
        table, _ = tables[None]
        return [table.name_kana, table.name]

    @staticmethod
    def default_relation():
        return 'resident'

    @classmethod
    def get_balance(cls, holders, name):
        "The holders' balances, in one query."
        Account = Pool().get('hirakata.point.account')
        account = Account.__table__()
        balances = {h.id: 0 for h in holders}
        cursor = Transaction().connection.cursor()
        cursor.execute(*account.select(account.holder, account.balance,
                where=account.holder.in_(list(balances))))
        balances.update(cursor)
        return balances

    @classmethod
    def read(cls, ids, fields_names):
        result = super().read(ids, fields_names)
        cls._log_personal_access(ids, fields_names)
        return result

    @classmethod
    def _log_personal_access(cls, ids, fields_names):
        "Log who saw which holders' personal data (R4)."
        transaction = Transaction()
        if not ids or not transaction.check_access:
            return  # the system itself, not a person
        fields_names = set(fields_names or cls._fields)
        personal = sorted(fields_names & PERSONAL_FIELDS)
        if personal:
            access_log.info(json.dumps({
                        'user': transaction.user,
                        'holders': sorted(map(int, ids)),
                        'fields': personal,
                        }))

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value, *_ = clause
        bool_op = 'AND' if operator.startswith('!') or operator.startswith(
            'not ') else 'OR'
        return [bool_op,
            ('number', operator, value),
            ('name', operator, value),
            # Staff often type a reading in hiragana (いとう): readings
            # are kept in katakana (イトウ).
            ('name_kana', operator, to_katakana(value)),
            ]

    def get_rec_name(self, name):
        # (a holder being created has no number yet, maybe no name)
        return ' '.join(filter(None, [self.number, self.name]))

    @classmethod
    def validate_fields(cls, holders, field_names):
        super().validate_fields(holders, field_names)
        if field_names & {'name_kana'} or not field_names:
            for holder in holders:
                if not _KANA.match(holder.name_kana or ''):
                    raise HolderValidationError(gettext(
                            'hirakata_points.msg_holder_kana',
                            holder=holder.name))

    @classmethod
    def create(cls, vlist):
        "Number each holder and open the point account at once (R1)."
        pool = Pool()
        Configuration = pool.get('hirakata.point.configuration')
        Account = pool.get('hirakata.point.account')
        vlist = [v.copy() for v in vlist]
        missing = [v for v in vlist if not v.get('number')]
        if missing:
            sequence = Configuration(1).holder_sequence
            for values, number in zip(missing, sequence.get_many(len(missing))):
                values['number'] = number
        holders = super().create(vlist)
        with without_check_access():
            Account.create([{'holder': h.id, 'kind': 'holder'} for h in holders])
        return holders

    @property
    def account(self):
        "The holder's point account (one per holder)."
        for account in self.accounts:
            if account.kind == 'holder':
                return account
