"""Expiry policies the city sets (R6) and the module's configuration."""
from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSingleton, ModelSQL, ModelView, Unique, fields)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction

from . import expiry
from .account import CHANNELS
from .exceptions import ExpiryPolicyError


class ExpiryPolicy(DeactivableMixin, ModelSQL, ModelView):
    "Expiry Policy"
    __name__ = 'hirakata.point.expiry.policy'

    name = fields.Char("Name", required=True, translate=True)
    kind = fields.Selection([
            (expiry.FIXED, "Fixed Date"),
            (expiry.FISCAL_YEAR_END, "End of Fiscal Year"),
            (expiry.MONTHS, "Months After Grant"),
            ], "Kind", required=True)
    fixed_date = fields.Date("Expiry Date",
        states={
            'required': Eval('kind') == expiry.FIXED,
            'invisible': Eval('kind') != expiry.FIXED,
            })
    fiscal_years_after = fields.Integer("Fiscal Years After",
        states={
            'required': Eval('kind') == expiry.FISCAL_YEAR_END,
            'invisible': Eval('kind') != expiry.FISCAL_YEAR_END,
            },
        help="0: end of the current fiscal year, 1: end of the next one…")
    months = fields.Integer("Months",
        states={
            'required': Eval('kind') == expiry.MONTHS,
            'invisible': Eval('kind') != expiry.MONTHS,
            })

    @classmethod
    def validate_fields(cls, policies, field_names):
        super().validate_fields(policies, field_names)
        for policy in policies:
            if ((policy.kind == expiry.MONTHS and (policy.months or 0) < 1)
                    or (policy.kind == expiry.FISCAL_YEAR_END
                        and (policy.fiscal_years_after or 0) < 0)):
                raise ExpiryPolicyError(gettext(
                        'hirakata_points.msg_policy_period_invalid',
                        policy=policy.name))

    @classmethod
    def write(cls, *args):
        super().write(*args)
        Pool().get('hirakata.point.configuration').clear_expiry_cache()

    @classmethod
    def delete(cls, policies):
        super().delete(policies)
        Pool().get('hirakata.point.configuration').clear_expiry_cache()

    def expiry_date(self, grant_date):
        "The last day on which points granted on grant_date can be used."
        if self.kind == expiry.FIXED:
            if self.fixed_date < grant_date:
                raise ExpiryPolicyError(gettext(
                        'hirakata_points.msg_policy_date_passed',
                        policy=self.name,
                        date=self.fixed_date.strftime('%Y/%m/%d')))
            return self.fixed_date
        if self.kind == expiry.FISCAL_YEAR_END:
            return expiry.fiscal_year_end(grant_date, self.fiscal_years_after)
        return expiry.months_after(grant_date, self.months)


class Configuration(ModelSingleton, ModelSQL, ModelView):
    "Point System Configuration"
    __name__ = 'hirakata.point.configuration'

    holder_sequence = fields.Many2One('ir.sequence', "Holder Sequence",
        required=True,
        domain=[('sequence_type', '=', Eval('holder_sequence_type', -1))])
    holder_sequence_type = fields.Function(
        fields.Many2One('ir.sequence.type', "Holder Sequence Type"),
        'get_holder_sequence_type')
    default_expiry_policy = fields.Many2One('hirakata.point.expiry.policy',
        "Default Expiry Policy", required=True)
    expiry_rules = fields.One2Many('hirakata.point.expiry.rule',
        'configuration', "Expiry Policy by Channel")
    expiry_notice_days = fields.Integer("Expiry Notice Days", required=True,
        help="How many days ahead residents are told their points expire.")
    # Every grant asks for an expiry date: keep it out of the database.
    _expiry_cache = Cache('hirakata.point.configuration.expiry_date',
        context=False)

    @staticmethod
    def default_holder_sequence():
        return Pool().get('ir.model.data').get_id(
            'hirakata_points', 'sequence_holder')

    @staticmethod
    def default_default_expiry_policy():
        return Pool().get('ir.model.data').get_id(
            'hirakata_points', 'expiry_policy_fiscal_year')

    @staticmethod
    def default_expiry_notice_days():
        return 60

    def get_holder_sequence_type(self, name):
        return Pool().get('ir.model.data').get_id(
            'hirakata_points', 'sequence_type_holder')

    def expiry_policy(self, channel):
        "The policy for points granted through channel."
        for rule in self.expiry_rules:
            if rule.channel == channel:
                return rule.policy
        return self.default_expiry_policy

    @classmethod
    def expiry_date(cls, channel, grant_date):
        "Expiry of points granted through channel on grant_date (cached)."
        key = (channel, grant_date.isoformat())
        date = cls._expiry_cache.get(key)
        if date is None:
            date = cls(1).expiry_policy(channel).expiry_date(grant_date)
            cls._expiry_cache.set(key, date)
        return date

    @classmethod
    def clear_expiry_cache(cls):
        cls._expiry_cache.clear()

    @classmethod
    def write(cls, *args):
        # Tryton's singleton creates its record without access checks
        # before writing it: a reader's write must not leave it created.
        if Transaction().check_access:
            Pool().get('ir.model.access').check(cls.__name__, 'write')
        super().write(*args)
        cls.clear_expiry_cache()


class ExpiryRule(ModelSQL, ModelView):
    "Expiry Policy by Channel"
    __name__ = 'hirakata.point.expiry.rule'
    configuration = fields.Many2One('hirakata.point.configuration',
        "Configuration", required=True, ondelete='CASCADE')
    channel = fields.Selection(CHANNELS, "Channel", required=True)
    policy = fields.Many2One('hirakata.point.expiry.policy', "Policy",
        required=True, ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('channel_unique', Unique(t, t.configuration, t.channel),
                'hirakata_points.msg_expiry_rule_unique'),
            ]

    @staticmethod
    def default_configuration():
        return 1

    @classmethod
    def create(cls, vlist):
        rules = super().create(vlist)
        Pool().get('hirakata.point.configuration').clear_expiry_cache()
        return rules

    @classmethod
    def write(cls, *args):
        super().write(*args)
        Pool().get('hirakata.point.configuration').clear_expiry_cache()

    @classmethod
    def delete(cls, rules):
        super().delete(rules)
        Pool().get('hirakata.point.configuration').clear_expiry_cache()
