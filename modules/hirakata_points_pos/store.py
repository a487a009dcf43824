"""Cooperating stores (R13, R14, R17): onboarding, rates and campaigns."""
from collections import namedtuple

from sql import Literal

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.model.exceptions import ValidationError
from trytond.modules.hirakata_points import statement
from trytond.modules.hirakata_points.buttons import (
    ButtonsForTheirGroups, ChangedByButtonsOnly)
from trytond.modules.hirakata_points.holder import age_on
from trytond.modules.hirakata_points.record_rules import RulesOnEveryPath
from trytond.modules.hirakata_points.statement import Arg
from trytond.modules.hirakata_points.tokens import utc_now
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.transaction import Transaction

_STATES = {'readonly': Eval('state').in_(['closed'])}
WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']


class Category(DeactivableMixin, ModelSQL, ModelView):
    "Store Category"
    __name__ = 'hirakata.store.category'
    name = fields.Char("Name", required=True)
    sequence = fields.Integer("Sequence")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('sequence', 'ASC NULLS FIRST'), ('id', 'ASC')]


class Store(RulesOnEveryPath, ButtonsForTheirGroups, ChangedByButtonsOnly,
        Workflow, ModelSQL, ModelView):
    "Store"
    __name__ = 'hirakata.store'
    _rec_name = 'name'

    code = fields.Char("Code", readonly=True)
    name = fields.Char("Name", required=True, states=_STATES)
    category = fields.Many2One('hirakata.store.category', "Category",
        required=True, states=_STATES)
    district = fields.Many2One('hirakata.district', "District",
        states=_STATES)
    address = fields.Char("Address", required=True, states=_STATES)
    opening_hours = fields.Char("Opening Hours", states=_STATES)
    phone = fields.Char("Phone", states=_STATES)
    email = fields.Char("E-mail", states=_STATES)
    benefit = fields.Text("Card-Presentation Benefit", states=_STATES,
        help="Shown in the store directory (カード提示サービス).")
    payout_bank = fields.Char("Payout Bank and Branch", states=_STATES)
    payout_account_type = fields.Selection([
            (None, ""),
            ('ordinary', "Ordinary"),
            ('current', "Current"),
            ], "Payout Account Type", states=_STATES)
    payout_account_number = fields.Char("Payout Account Number",
        states=_STATES)
    payout_account_holder = fields.Char("Payout Account Holder (Kana)",
        states=_STATES)
    grants = fields.Boolean("Grants Points", states=_STATES)
    redeems = fields.Boolean("Accepts Points", states=_STATES)
    yen_per_point = fields.Integer("Yen per Point", required=True,
        states=_STATES,
        help="Purchase amount in yen that earns one point, "
        "e.g. 100 for 1 point per 100 yen.")
    clerk_pin_required = fields.Boolean("Clerk PIN Required",
        states=_STATES,
        help="Transactions at the store's terminals need a clerk signed in "
        "with a PIN.")
    clerks = fields.One2Many('hirakata.store.clerk', 'store', "Clerks",
        states=_STATES)
    grant_fee_rate = fields.Numeric("Grant Fee Rate (%)", digits=(5, 2),
        states=_STATES)
    redeem_fee_rate = fields.Numeric("Redemption Fee Rate (%)",
        digits=(5, 2), states=_STATES)
    campaigns = fields.One2Many('hirakata.store.campaign', 'store',
        "Campaigns", states=_STATES)
    terminals = fields.One2Many('hirakata.terminal', 'store', "Terminals",
        readonly=True)
    staff = fields.One2Many('res.user', 'hirakata_store', "Staff",
        readonly=True)
    state = fields.Selection([
            ('applied', "Applied"),
            ('approved', "Approved"),
            ('active', "Active"),
            ('suspended', "Suspended"),
            ('closed', "Closed"),
            ], "State", readonly=True, required=True, sort=False)
    approved_by = fields.Many2One('res.user', "Approved By", readonly=True)
    approved_at = fields.Timestamp("Approved At", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'hirakata_points_pos.msg_store_code_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.state, Index.Equality())))
        cls._order = [('code', 'ASC'), ('id', 'ASC')]
        cls._transitions |= {
            ('applied', 'approved'),
            ('approved', 'active'),
            ('active', 'suspended'),
            ('suspended', 'active'),
            ('applied', 'closed'),
            ('approved', 'closed'),
            ('active', 'closed'),
            ('suspended', 'closed'),
            }
        cls._buttons.update({
                'approve': {
                    'invisible': Eval('state') != 'applied',
                    'depends': ['state'],
                    },
                'activate': {
                    'invisible': ~Eval('state').in_(['approved', 'suspended']),
                    'depends': ['state'],
                    },
                'suspend': {
                    'invisible': Eval('state') != 'active',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') == 'closed',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'applied'

    @staticmethod
    def default_grants():
        return True

    @staticmethod
    def default_redeems():
        return True

    @staticmethod
    def default_yen_per_point():
        return 100

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('code'):
            # After the access checks: the server numbers the store.
            pool = Pool()
            Sequence = pool.get('ir.sequence')
            Data = pool.get('ir.model.data')
            values['code'] = Sequence(Data.get_id('hirakata_points_pos',
                    'sequence_store')).get()
        return values

    @classmethod
    def validate_fields(cls, stores, field_names):
        super().validate_fields(stores, field_names)
        Configuration = Pool().get('hirakata.point.configuration')
        config = Configuration(1)
        low, high = config.min_yen_per_point, config.max_yen_per_point
        for store in stores:
            if not (low <= store.yen_per_point <= high):
                raise ValidationError(gettext(
                        'hirakata_points_pos.msg_store_rate_bounds',
                        store=store.name, low=low, high=high))

    @classmethod
    @ModelView.button
    @Workflow.transition('approved')
    def approve(cls, stores):
        "The city approves a reviewed application (R13)."
        now = utc_now()
        user = Transaction().user or None
        for store in stores:
            store.approved_by = user
            store.approved_at = now
        cls.save(stores)

    @classmethod
    @ModelView.button
    @Workflow.transition('active')
    def activate(cls, stores):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('suspended')
    def suspend(cls, stores):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, stores):
        pass

    @classmethod
    def campaigns_on(cls, store_id, date):
        "The store's campaigns running on date, read in one query."
        Campaign = Pool().get('hirakata.store.campaign')
        weekday = WEEKDAYS[date.weekday()]

        def query():
            campaign = Campaign.__table__()
            return campaign.select(campaign.name, campaign.kind,
                campaign.multiplier, campaign.bonus_points, campaign.min_age,
                campaign.district,
                where=(campaign.store == Arg('store'))
                & (campaign.active == Literal(True))
                & (campaign.start_date <= Arg('date'))
                & (campaign.end_date >= Arg('date'))
                & (getattr(campaign, weekday) == Literal(True)),
                order_by=[campaign.id.asc])
        cursor = statement.run('hirakata.store:campaigns:' + weekday, query,
            store=store_id, date=date)
        return [CampaignTerms(*row) for row in cursor]


# What the points rule needs of a campaign; Campaign records have it too.
CampaignTerms = namedtuple('CampaignTerms',
    ['name', 'kind', 'multiplier', 'bonus_points', 'min_age', 'district'])


def _id(value):
    return getattr(value, 'id', value)


def applies(campaign, holder, date):
    "Whether a campaign's holder group (age, district) includes holder."
    if campaign.min_age and not (holder and holder.birth_date
            and age_on(holder.birth_date, date) >= campaign.min_age):
        return False
    if campaign.district and not (holder
            and _id(holder.district) == _id(campaign.district)):
        return False
    return True


def compute_points(amount, yen_per_point, campaigns, holder, date):
    """Points for a purchase of amount yen, and the campaigns applied.

    The rule, shown to the clerk: the base points are the amount divided
    by the store's yen per point, rounded down; of the campaigns that apply
    to the holder (a Holder or a FoundCard), only the highest multiplier
    counts, and every fixed bonus is added.
    """
    campaigns = [c for c in campaigns if applies(c, holder, date)]
    base = amount // yen_per_point
    multiplier = max((c.multiplier for c in campaigns
            if c.kind == 'multiplier'), default=1)
    bonus = sum(c.bonus_points for c in campaigns if c.kind == 'bonus')
    applied = [c for c in campaigns if c.kind == 'bonus'
        or (c.kind == 'multiplier' and c.multiplier == multiplier)]
    return base * multiplier + bonus, applied


def campaign_label(campaign):
    "How the clerk sees a campaign: 「ダブルポイント (×2・65歳以上)」."
    terms = ['×%s' % campaign.multiplier if campaign.kind == 'multiplier'
        else '+%s' % campaign.bonus_points]
    if campaign.min_age:
        terms.append(gettext('hirakata_points_pos.msg_campaign_min_age',
                age=campaign.min_age))
    if campaign.district:
        terms.append(gettext('hirakata_points_pos.msg_campaign_district'))
    return '%s (%s)' % (campaign.name, '・'.join(terms))


class Campaign(RulesOnEveryPath, DeactivableMixin, ModelSQL, ModelView):
    "Store Campaign"
    __name__ = 'hirakata.store.campaign'
    store = fields.Many2One('hirakata.store', "Store", required=True,
        ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    kind = fields.Selection([
            ('multiplier', "Bonus Rate"),
            ('bonus', "Fixed Bonus"),
            ], "Kind", required=True)
    multiplier = fields.Integer("Multiplier",
        states={
            'required': Eval('kind') == 'multiplier',
            'invisible': Eval('kind') != 'multiplier',
            },
        help="2 grants twice the points.")
    bonus_points = fields.Integer("Bonus Points",
        states={
            'required': Eval('kind') == 'bonus',
            'invisible': Eval('kind') != 'bonus',
            })
    start_date = fields.Date("Start Date", required=True,
        domain=[If(Eval('end_date'), ('start_date', '<=', Eval('end_date')),
                ())])
    end_date = fields.Date("End Date", required=True)
    mon = fields.Boolean("Monday")
    tue = fields.Boolean("Tuesday")
    wed = fields.Boolean("Wednesday")
    thu = fields.Boolean("Thursday")
    fri = fields.Boolean("Friday")
    sat = fields.Boolean("Saturday")
    sun = fields.Boolean("Sunday")
    min_age = fields.Integer("Minimum Age",
        help="Only for holders of at least this age (e.g. 65).")
    district = fields.Many2One('hirakata.district', "District",
        ondelete='RESTRICT',
        help="Only for holders living in this school district.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('start_date', 'DESC'), ('id', 'DESC')]

    @classmethod
    def default_mon(cls):
        return True

    default_tue = default_wed = default_thu = default_fri = default_mon
    default_sat = default_sun = default_mon

    @classmethod
    def validate_fields(cls, campaigns, field_names):
        super().validate_fields(campaigns, field_names)
        Configuration = Pool().get('hirakata.point.configuration')
        high = Configuration(1).max_campaign_multiplier
        for campaign in campaigns:
            if campaign.kind == 'multiplier' and not (
                    1 <= (campaign.multiplier or 0) <= high):
                raise ValidationError(gettext(
                        'hirakata_points_pos.msg_campaign_multiplier',
                        campaign=campaign.name, high=high))
            if campaign.kind == 'bonus' and (campaign.bonus_points or 0) < 1:
                raise ValidationError(gettext(
                        'hirakata_points_pos.msg_campaign_bonus',
                        campaign=campaign.name))


class User(metaclass=PoolMeta):
    """A store's staff account belongs to one store, set by the
    administrator. Not a preference: the user could change it (the record
    rules read it from the user, ir.Rule)."""
    __name__ = 'res.user'
    hirakata_store = fields.Many2One('hirakata.store', "Store",
        ondelete='RESTRICT')
