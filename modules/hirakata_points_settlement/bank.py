"""Japanese bank accounts for the Zengin transfer file (R24): a bank's
4-digit bank code and an account's 3-digit branch code, checked against
the bank and branch codes the zengin-code package publishes (kept up to
date on PyPI, not a list typed here), its deposit type, 7-digit number and
the holder's name in the banks' half-width kana."""
import functools

from trytond.i18n import gettext
from trytond.model import fields
from trytond.modules.hirakata_points.record_rules import RulesOnEveryPath
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, check_access

from .books import CityNeverAnother
from .exceptions import ZenginError
from .rule_check import RulesCheckedInSQL
from .zengin import CURRENT, ORDINARY, zengin_kana
from .zengin import ZenginError as KanaError

DEPOSIT_TYPES = [
    (None, ""),
    (ORDINARY, "Ordinary"),
    (CURRENT, "Current"),
    ]


@functools.cache
def zengin_banks():
    "{bank code: zengin_code.Bank}; the package loads its data on import."
    import zengin_code
    return zengin_code.Bank.all


def zengin_bank(code):
    "zengin_code's bank of code, or None."
    return zengin_banks().get(code or '')


def zengin_branch(bank_code, branch_code):
    "zengin_code's branch of the bank, or None."
    bank = zengin_bank(bank_code)
    return bank.branches.get(branch_code or '') if bank else None


def _digits(value):
    return (value or '').strip().replace('-', '').replace(' ', '')


# 受取人名 in the transfer file's data record
HOLDER_WIDTH = 30


class Bank(CityNeverAnother, metaclass=PoolMeta):
    __name__ = 'bank'

    zengin_code = fields.Char("Zengin Bank Code", size=4,
        help="The 4-digit bank code (統一金融機関コード).")
    zengin_kana = fields.Function(fields.Char("Bank Name (Kana)"),
        'on_change_with_zengin_kana')

    @fields.depends('zengin_code')
    def on_change_with_zengin_kana(self, name=None):
        bank = zengin_bank(self.zengin_code)
        return zengin_kana(bank.kana) if bank else None

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('zengin_code'):
            code = _digits(values['zengin_code'])
            if not zengin_bank(code):
                raise ZenginError(gettext(
                        'hirakata_points_settlement.msg_zengin_bank_unknown',
                        code=values['zengin_code']))
            values['zengin_code'] = code
        return values

    @classmethod
    def from_zengin_code(cls, code):
        """The bank of the Zengin code, made with its party named as
        zengin-code names it when there is none yet."""
        pool = Pool()
        Party = pool.get('party.party')
        banks = cls.search([('zengin_code', '=', code)], limit=1)
        if banks:
            return banks[0]
        data = zengin_bank(code)
        if not data:
            raise ZenginError(gettext(
                    'hirakata_points_settlement.msg_zengin_bank_unknown',
                    code=code))
        party = Party(name=data.name)
        party.save()
        bank = cls(party=party, zengin_code=code)
        bank.save()
        return bank


# An account at a bank with a Zengin code needs what the file pays into.
_ZENGIN = {'required': Eval('zengin', False)}


class Account(RulesOnEveryPath, RulesCheckedInSQL, metaclass=PoolMeta):
    __name__ = 'bank.account'

    zengin = fields.Function(fields.Boolean("Zengin"),
        'on_change_with_zengin')
    zengin_branch = fields.Char("Branch Code", size=3,
        states=_ZENGIN, depends=['zengin'],
        help="The 3-digit branch code (店番).")
    zengin_branch_kana = fields.Function(fields.Char("Branch Name (Kana)"),
        'on_change_with_zengin_branch_kana')
    zengin_deposit_type = fields.Selection(DEPOSIT_TYPES, "Deposit Type",
        states=_ZENGIN, depends=['zengin'])
    zengin_deposit_type_string = zengin_deposit_type.translated(
        'zengin_deposit_type')
    zengin_number = fields.Char("Account Number", size=7,
        states=_ZENGIN, depends=['zengin'],
        help="The 7-digit account number.")
    zengin_holder = fields.Char("Account Holder (Kana)",
        states=_ZENGIN, depends=['zengin'],
        help="As the bank registered it, in kana: kept in the banks' "
        "half-width kana.")

    @fields.depends('bank', '_parent_bank.zengin_code')
    def on_change_with_zengin(self, name=None):
        return bool(self.bank and self.bank.zengin_code)

    @fields.depends('bank', '_parent_bank.zengin_code', 'zengin_branch')
    def on_change_with_zengin_branch_kana(self, name=None):
        branch = zengin_branch(self.bank.zengin_code if self.bank else None,
            self.zengin_branch)
        return zengin_kana(branch.kana) if branch else None

    def get_rec_name(self, name):
        if not self.zengin_number:
            return super().get_rec_name(name)
        branch = zengin_branch(self.bank.zengin_code, self.zengin_branch)
        # the number masked: the name shows wherever the account is used
        return ' '.join(filter(None, [self.bank.rec_name,
                    branch.name if branch else self.zengin_branch,
                    self.zengin_deposit_type_string,
                    '***' + self.zengin_number[-4:]]))

    @classmethod
    def search_rec_name(cls, name, clause):
        # (and by what the transfer file pays into: the number, the
        # holder's kana, typed as the accountant types it, and the owner)
        domain = super().search_rec_name(name, clause)
        _, operator, operand, *extra = clause
        leaves = [('owners.rec_name', operator, operand, *extra),
            ('zengin_holder', operator, operand, *extra)]
        # by the number only for who may read it: a match is an answer,
        # and prefixes asked one by one would spell it out
        if cls.may_read_number():
            leaves.append(('zengin_number', operator, operand, *extra))
        kana = _holder_kana(operand)
        if kana is not None and kana != operand:
            leaves.append(('zengin_holder', operator, kana, *extra))
        return domain + leaves

    @classmethod
    def may_read_number(cls):
        "Whether the user may read account numbers (the field's access)."
        FieldAccess = Pool().get('ir.model.field.access')
        if not Transaction().user:
            return True
        with check_access():
            return FieldAccess.check(cls.__name__, ['zengin_number'],
                raise_exception=False)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        for name, width in [('zengin_branch', 3), ('zengin_number', 7)]:
            if values.get(name):
                number = _digits(values[name])
                if (not number.isascii() or not number.isdigit()
                        or len(number) > width):
                    raise ZenginError(gettext(
                            'hirakata_points_settlement.msg_zengin_digits',
                            field=cls.fields_get([name])[name]['string'],
                            width=width, value=values[name]))
                values[name] = number.rjust(width, '0')
        if values.get('zengin_holder'):
            try:
                values['zengin_holder'] = zengin_kana(
                    values['zengin_holder']).strip()
            except KanaError as error:
                raise ZenginError(gettext(
                        'hirakata_points_settlement.msg_zengin_kana',
                        text=values['zengin_holder'], error=error))
            # the file's 受取人名 is 30 half-width characters: a longer
            # name would go to the bank cut
            if len(values['zengin_holder']) > HOLDER_WIDTH:
                raise ZenginError(gettext(
                        'hirakata_points_settlement.msg_zengin_kana',
                        text=values['zengin_holder'],
                        error="口座名義は半角%d文字までです（%d文字）" % (
                            HOLDER_WIDTH, len(values['zengin_holder']))))
        return values

    @classmethod
    def validate_fields(cls, accounts, field_names):
        super().validate_fields(accounts, field_names)
        if field_names & {'bank', 'zengin_branch'}:
            for account in accounts:
                account.check_zengin_branch()

    def check_zengin_branch(self):
        if not self.zengin_branch:
            return
        code = self.bank.zengin_code if self.bank else None
        if not zengin_branch(code, self.zengin_branch):
            raise ZenginError(gettext(
                    'hirakata_points_settlement.msg_zengin_branch_unknown',
                    branch=self.zengin_branch,
                    bank=self.bank.rec_name if self.bank else ''))

    def zengin_complete(self):
        "Whether the file can pay into the account."
        return bool(self.bank and self.bank.zengin_code
            and zengin_branch(self.bank.zengin_code, self.zengin_branch)
            and self.zengin_deposit_type and self.zengin_number
            and self.zengin_holder)


def _holder_kana(operand):
    "A search's text as the banks' half-width kana, wildcards kept."
    if not isinstance(operand, str):
        return None
    try:
        return '%'.join(zengin_kana(part) for part in operand.split('%'))
    except KanaError:
        return None


class AccountNumber(RulesCheckedInSQL, metaclass=PoolMeta):
    __name__ = 'bank.account.number'
