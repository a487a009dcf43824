"""A party's invoice registration number (適格請求書発行事業者登録番号):
T and the 13 digits of its corporate number, whose first digit checks the
other twelve."""
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.jp import cn

from trytond.i18n import gettext
from trytond.model import fields
from trytond.modules.hirakata_points.record_rules import RulesOnEveryPath
from trytond.pool import PoolMeta

from .books import CityNeverAnother
from .exceptions import RegistrationNumberError
from .rule_check import RulesCheckedInSQL


def registration_number(value):
    "value as T and 13 digits, or an error (hyphens and spaces ignored)."
    text = (value or '').strip().upper().replace('-', '').replace(' ', '')
    if not text.startswith('T'):
        raise ValueError(value)
    try:
        return 'T' + cn.validate(text[1:])
    except StdnumError:
        raise ValueError(value)


class Party(RulesOnEveryPath, RulesCheckedInSQL, metaclass=PoolMeta):
    __name__ = 'party.party'

    hirakata_stores = fields.One2Many('hirakata.store', 'party', "Stores",
        readonly=True)
    # (store staff's rule on parties reads it: banks are everybody's)
    hirakata_banks = fields.One2Many('bank', 'party', "Banks", readonly=True)
    invoice_registration_number = fields.Char(
        "Invoice Registration Number",
        help="For qualified invoices: T and 13 digits.")

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        number = values.get('invoice_registration_number')
        if number:
            try:
                values['invoice_registration_number'] = (
                    registration_number(number))
            except ValueError:
                raise RegistrationNumberError(gettext(
                        'hirakata_points_settlement'
                        '.msg_invalid_registration_number', number=number))
        return values


class Employee(RulesOnEveryPath, CityNeverAnother, metaclass=PoolMeta):
    __name__ = 'company.employee'


class Address(RulesOnEveryPath, metaclass=PoolMeta):
    __name__ = 'party.address'


class ContactMechanism(RulesOnEveryPath, metaclass=PoolMeta):
    __name__ = 'party.contact_mechanism'
