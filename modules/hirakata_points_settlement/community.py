"""Community projects (R7, R29): the projects the city lists (e.g. a
子ども食堂), residents' donations of points to them, the city's allocations
of the expired points pool to them, and a report per project.

A donation is a ledger `donation` entry whose origin is the project
(Project.donate: the desk's wizard now, the portal later); the ledger
moves its points into the donation pool. An allocation goes draft →
approved under four eyes: it records who proposed it (city staff or an
accountant) and only a city approver other than the proposer approves
it. The approval takes its points out of the expired points pool through
the ledger (Ledger.allocate), which locks the pool's row and refuses more
than it holds, so parallel approvals never overdraw it.
"""
import datetime as dt

from sql import Cast, Column, Literal, Null
from sql.aggregate import Sum
from sql.conditionals import Case, Coalesce
from sql.functions import CurrentTimestamp
from sql.operators import Concat

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.model.exceptions import AccessError
from trytond.modules.hirakata_points import clock, expiry
from trytond.modules.hirakata_points.buttons import (
    ButtonsForTheirGroups, ChangedByButtonsOnly)
from trytond.modules.hirakata_points.exceptions import InsufficientPoints
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, Id, Or
from trytond.tools import grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .books import operator_relation, payee_party, yen
from .exceptions import CommunityError, SettlementError
from .store import user_in_groups

PROJECT = 'hirakata.community.project'
ALLOCATION = 'hirakata.community.allocation'
# Who chooses where a project's money goes: those who keep the parties and
# their bank accounts; who changes the rest of a project.
PAYEE_SETTERS = ['group_accountant', 'group_admin']
PROJECT_EDITORS = ['group_city_staff', 'group_admin']
PAYEE_FIELDS = {'payee', 'payee_set_by', 'payee_set_at'}


def in_groups(groups):
    "PYSON: the user is in one of groups (hirakata_points' ids)."
    return Or(*(Id('hirakata_points', g).in_(
                Eval('context', {}).get('groups', [])) for g in groups))


# The form's read-only for who may not change them (check_modification
# refuses it on the server).
NOT_EDITOR = {'readonly': ~in_groups(PROJECT_EDITORS)}
# The settlement lines of what a month gives a project, and the ledger's
# kind of the movements each settles.
COMMUNITY_CATEGORIES = {
    'community_donation': 'donation',
    'community_allocation': 'allocation',
    }


class Project(DeactivableMixin, ModelSQL, ModelView):
    "Community Project"
    __name__ = PROJECT

    code = fields.Char("Code", required=True, states=NOT_EDITOR)
    name = fields.Char("Name", required=True, states=NOT_EDITOR)
    organiser = fields.Char("Organiser", states=NOT_EDITOR,
        help="The group that runs it, as residents know it.")
    payee = fields.Many2One('party.party', "Payee", ondelete='RESTRICT',
        states={'readonly': ~in_groups(PAYEE_SETTERS)},
        help="The party the month's donations and allocations are paid "
        "to. Accountants choose it, a party they registered with its "
        "address and bank account.")
    payee_set_by = fields.Many2One('res.user', "Payee Set By",
        readonly=True)
    payee_set_at = fields.DateTime("Payee Set At", readonly=True)
    description = fields.Text("Description", states=NOT_EDITOR)
    allocations = fields.One2Many(ALLOCATION, 'project', "Allocations",
        readonly=True)
    donated = fields.Function(fields.Integer("Points Donated",
            help="Residents' donations, less those cancelled."),
        'get_totals')
    allocated = fields.Function(fields.Integer("Points Allocated",
            help="Expired points the city allocated (approved)."),
        'get_totals')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'hirakata_points_settlement.msg_project_code_unique'),
            ]
        cls._order = [('code', 'ASC'), ('id', 'ASC')]
        cls.active.states = NOT_EDITOR

    def get_rec_name(self, name):
        return '%s %s' % (self.code, self.name)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        # who chose the payee and when, whatever a client sends
        values.pop('payee_set_by', None)
        values.pop('payee_set_at', None)
        if values.get('payee') or (mode == 'write' and 'payee' in values):
            values['payee_set_by'] = Transaction().user or None
            values['payee_set_at'] = clock.utc_now()
        return values

    @classmethod
    def copy(cls, projects, default=None):
        # a copy is the city's new project: its payee is chosen anew
        default = dict(default or {})
        for name in PAYEE_FIELDS:
            default.setdefault(name, None)
        return super().copy(projects, default=default)

    @classmethod
    def check_modification(cls, mode, projects, values=None,
            external=False):
        super().check_modification(
            mode, projects, values=values, external=external)
        if mode not in {'create', 'write'} or not external:
            return
        # The model access accountants need for the payee would give them
        # the whole project, and city staff's would give them the payee.
        sets_payee = ('payee' in values if mode == 'write'
            else any(p.payee for p in projects))
        if sets_payee and not user_in_groups(PAYEE_SETTERS):
            raise AccessError(gettext(
                    'hirakata_points_settlement.msg_project_payee_setter'))
        if mode == 'write' and values.keys() - PAYEE_FIELDS and (
                not user_in_groups(PROJECT_EDITORS)):
            raise AccessError(gettext(
                    'hirakata_points_settlement.msg_project_payee_only'))

    @classmethod
    def validate_fields(cls, projects, field_names):
        super().validate_fields(projects, field_names)
        if 'payee' in field_names:
            for project in projects:
                if project.payee:
                    check_payee(project)

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value, *_ = clause
        bool_op = 'AND' if operator.startswith('!') or operator.startswith(
            'not ') else 'OR'
        return [bool_op,
            ('code', operator, value),
            ('name', operator, value),
            ]

    @classmethod
    def get_totals(cls, projects, names):
        "All-time totals: the report's query without dates."
        Report = Pool().get('hirakata.community.report')
        with Transaction().set_context(from_date=None, to_date=None):
            report = Report.table_query()
        result = {name: {p.id: 0 for p in projects} for name in names}
        cursor = Transaction().connection.cursor()
        for sub_ids in grouped_slice([p.id for p in projects]):
            cursor.execute(*report.select(Column(report, 'id'),
                    *[Column(report, n) for n in names],
                    where=Column(report, 'id').in_(list(sub_ids))))
            for id_, *values in cursor:
                for name, value in zip(names, values):
                    result[name][id_] = int(value or 0)
        return result

    @classmethod
    def donate(cls, project, holder, points, *, key, channel, reason=None):
        """Donate holder's points to project and return the ledger entry
        (the points go to the donation pool). key makes a retry book once;
        the desk's wizard calls this, and so will the portal."""
        Ledger = Pool().get('hirakata.point.ledger')
        if not project.active:
            raise CommunityError(gettext(
                    'hirakata_points_settlement.msg_project_closed',
                    project=project.name))
        return Ledger.redeem(holder.account, points,
            key='donation:%s' % key, channel=channel, origin=project,
            kind='donation', reason=reason or gettext(
                'hirakata_points_settlement.msg_donation_reason',
                project=project.name))


class Allocation(ButtonsForTheirGroups, ChangedByButtonsOnly, Workflow,
        ModelSQL, ModelView):
    "Expired Points Allocation"
    __name__ = ALLOCATION

    _states = {'readonly': Eval('state') != 'draft'}
    project = fields.Many2One(PROJECT, "Project", required=True,
        ondelete='RESTRICT', states=_states,
        context={'active_test': False})
    points = fields.Integer("Points", required=True, states=_states,
        domain=[('points', '>', 0)])
    description = fields.Text("Reason", required=True, states=_states,
        help="What the points are for; the ledger records it.")
    pool_balance = fields.Function(fields.Integer("Expired Points Pool",
            help="What the expired points pool holds now."),
        'get_pool_balance')
    date = fields.Date("Date", readonly=True,
        help="The day the points left the pool.")
    entry = fields.Many2One('hirakata.point.entry', "Ledger Entry",
        readonly=True, ondelete='RESTRICT')
    proposed_by = fields.Many2One('res.user', "Proposed By", readonly=True,
        help="Who proposed it: another must approve it.")
    approved_by = fields.Many2One('res.user', "Approved By", readonly=True)
    approved_at = fields.DateTime("Approved At", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('approved', "Approved"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)
    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.project, Index.Range())))
        cls._order = [('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'approved'),
            ('draft', 'cancelled'),
            ('cancelled', 'draft'),
            }
        cls._buttons.update({
                'approve': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'cancelled',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'draft'

    @classmethod
    def default_pool_balance(cls):
        Account = Pool().get('hirakata.point.account')
        return Account.pool_account('expired_pool').balance

    def get_rec_name(self, name):
        return '%s %sポイント' % (self.project.name, '{:,}'.format(self.points))

    @classmethod
    def get_pool_balance(cls, allocations, name):
        balance = cls.default_pool_balance()
        return {a.id: balance for a in allocations}

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        # Whoever creates it proposes it, whatever a client sends; whoever
        # changes what it gives, to whom or why proposes it anew (else an
        # approver could rewrite another's proposal and approve it).
        if mode == 'create' or values.keys() & {
                'project', 'points', 'description'}:
            values['proposed_by'] = Transaction().user or None
        return values

    @classmethod
    def check_modification(cls, mode, allocations, values=None,
            external=False):
        super().check_modification(
            mode, allocations, values=values, external=external)
        # What the ledger booked stays as approved.
        if mode == 'delete' or (mode == 'write'
                and values.keys() & {'project', 'points', 'description'}):
            for allocation in allocations:
                if allocation.state == 'approved':
                    raise CommunityError(gettext(
                            'hirakata_points_settlement'
                            '.msg_allocation_approved',
                            allocation=allocation.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('approved')
    def approve(cls, allocations):
        """Take the allocations' points out of the expired points pool
        (city approvers)."""
        pool = Pool()
        Account = pool.get('hirakata.point.account')
        Ledger = pool.get('hirakata.point.ledger')
        user = Transaction().user
        for allocation in allocations:
            # Four eyes: the proposer never approves (the server's own
            # code, user 0, proposes as nobody).
            if user and allocation.proposed_by and (
                    allocation.proposed_by.id == user):
                raise CommunityError(gettext(
                        'hirakata_points_settlement.msg_allocation_own',
                        allocation=allocation.rec_name))
        for allocation in allocations:
            try:
                entry = Ledger.allocate('expired_pool', allocation.points,
                    key='allocation:%s' % allocation.id,
                    channel='backoffice', origin=allocation,
                    reason=allocation.description)
            except InsufficientPoints:
                raise CommunityError(gettext(
                        'hirakata_points_settlement.msg_pool_insufficient',
                        points='{:,}'.format(allocation.points),
                        available='{:,}'.format(Account.pool_account(
                                'expired_pool').balance)))
            allocation.entry = entry
            allocation.date = entry.date
            allocation.approved_by = Transaction().user
            allocation.approved_at = clock.utc_now()
        cls.save(allocations)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, allocations):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, allocations):
        "Propose a cancelled allocation again, as its new proposer."
        cls.write(allocations, {'proposed_by': Transaction().user or None})


class Report(ModelSQL, ModelView):
    "Community Project Report"
    __name__ = 'hirakata.community.report'

    project = fields.Many2One(PROJECT, "Project", readonly=True,
        context={'active_test': False})
    donations = fields.Integer("Donations", readonly=True,
        help="Donations less those cancelled.")
    donated = fields.Integer("Points Donated", readonly=True)
    allocated = fields.Integer("Points Allocated", readonly=True)
    total = fields.Integer("Total Points", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('project', 'ASC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        """A row per project (its id): donations and allocations dated
        within the context's from_date..to_date."""
        pool = Pool()
        Account = pool.get('hirakata.point.account')
        Entry = pool.get('hirakata.point.entry')
        Project = pool.get(PROJECT)
        Allocation = pool.get(ALLOCATION)
        context = Transaction().context
        from_date, to_date = context.get('from_date'), context.get('to_date')
        project = Project.__table__()
        entry, original, account = (Entry.__table__(), Entry.__table__(),
            Account.__table__())
        allocation = Allocation.__table__()

        origin = Coalesce(original.origin, entry.origin)
        where = (account.kind == 'holder') & ((entry.kind == 'donation')
            | ((entry.kind == 'reversal') & (original.kind == 'donation')))
        allocated = allocation.state == 'approved'
        if from_date:
            where &= entry.date >= from_date
            allocated &= allocation.date >= from_date
        if to_date:
            where &= entry.date <= to_date
            allocated &= allocation.date <= to_date
        donations = entry.join(account, condition=account.id == entry.account
            ).join(original, 'LEFT',
                condition=original.id == entry.reversal_of
            ).select(origin.as_('origin'),
                Sum(-entry.points).as_('points'),
                Sum(Case((entry.kind == 'donation', 1), else_=-1)
                    ).as_('count'),
                where=where, group_by=[origin])
        allocations = allocation.select(allocation.project.as_('project'),
            Sum(allocation.points).as_('points'),
            where=allocated, group_by=[allocation.project])
        donated = Coalesce(donations.points, 0)
        allocated = Coalesce(allocations.points, 0)
        return project.join(donations, 'LEFT',
            condition=donations.origin == Concat(PROJECT + ',',
                Cast(project.id, 'VARCHAR'))
            ).join(allocations, 'LEFT',
                condition=allocations.project == project.id
            ).select(
                project.id.as_('id'),
                Literal(0).as_('create_uid'),
                CurrentTimestamp().as_('create_date'),
                cls.write_uid.sql_cast(Literal(Null)).as_('write_uid'),
                cls.write_date.sql_cast(Literal(Null)).as_('write_date'),
                project.id.as_('project'),
                Coalesce(donations.count, 0).as_('donations'),
                donated.as_('donated'),
                allocated.as_('allocated'),
                (donated + allocated).as_('total'))


class ReportContext(ModelView):
    "Community Project Report"
    __name__ = 'hirakata.community.report.context'

    from_date = fields.Date("From Date")
    to_date = fields.Date("To Date")

    @classmethod
    def default_from_date(cls):
        "The fiscal year's first day (April 1)."
        return dt.date(expiry.fiscal_year(clock.today()), 4, 1)


class DonateStart(ModelView):
    "Donate Points"
    __name__ = 'hirakata.community.donate.start'

    holder = fields.Many2One('hirakata.holder', "Holder", required=True)
    available = fields.Integer("Available Points", readonly=True)
    project = fields.Many2One(PROJECT, "Project", required=True)
    points = fields.Integer("Points", required=True,
        domain=[('points', '>', 0)])

    @fields.depends('holder')
    def on_change_with_available(self):
        if self.holder and self.holder.id and self.holder.id >= 0:
            return self.holder.account.available


class Donate(Wizard):
    "Donate Points"
    __name__ = 'hirakata.community.donate'

    start = StateView('hirakata.community.donate.start',
        'hirakata_points_settlement.donate_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Donate", 'donate', 'tryton-ok', default=True),
            ])
    donate = StateTransition()

    def default_start(self, fields):
        context = Transaction().context
        if context.get('active_model') == 'hirakata.holder' and (
                context.get('active_id')):
            holder = Pool().get('hirakata.holder')(context['active_id'])
            return {'holder': holder.id,
                'available': holder.account.available}
        return {}

    def transition_donate(self):
        Project = Pool().get(PROJECT)
        # One key per wizard run: a second click books once.
        Project.donate(self.start.project, self.start.holder,
            self.start.points, key='backoffice:%s' % self._session_id,
            channel='backoffice')
        return 'end'


class Entry(metaclass=PoolMeta):
    __name__ = 'hirakata.point.entry'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + [PROJECT, ALLOCATION]

    def holder_description(self):
        origin = self.origin
        if getattr(origin, '__name__', None) == PROJECT and origin.id >= 0:
            return '%s（%s）' % (self.kind_string, origin.name)
        return super().holder_description()


def check_payee(project):
    """Refuse as project's payee a party the operator never pays for a
    project: the operator itself, the city, a bank, a store, one of its
    employees, a transit operator (books.operator_relation)."""
    if operator_relation(project.payee):
        raise CommunityError(gettext(
                'hirakata_points_settlement.msg_project_payee_refused',
                project=project.rec_name, party=project.payee.rec_name))


def month_community(start, end):
    """{(category, project id): points} the month start..end gives each
    project: the per-project report's donations (a cancellation under its
    original) and approved allocations of those dates."""
    Report = Pool().get('hirakata.community.report')
    with Transaction().set_context(from_date=start, to_date=end):
        report = Report.table_query()
    cursor = Transaction().connection.cursor()
    cursor.execute(*report.select(report.project, report.donated,
            report.allocated,
            where=(report.donated != 0) | (report.allocated != 0)))
    totals = {}
    for project, donated, allocated in cursor:
        for category, points in [('community_donation', donated),
                ('community_allocation', allocated)]:
            if points:
                totals[category, project] = int(points)
    return totals


class Period(metaclass=PoolMeta):
    __name__ = 'hirakata.settlement.period'

    def compute_lines(self):
        """The month's lines and, per community project, what the operator
        pays its payee: residents' donations and the city's allocations
        (R7)."""
        pool = Pool()
        Line = pool.get('hirakata.settlement.line')
        Project = pool.get(PROJECT)
        lines = super().compute_lines()
        totals = month_community(self.start_date, self.end_date)
        projects = Project.browse(sorted({p for _, p in totals}))
        for project in sorted(projects, key=lambda p: p.code):
            if not project.payee:
                raise SettlementError(gettext(
                        'hirakata_points_settlement.msg_project_payee',
                        project=project.rec_name))
            # (chosen when it could be: it may have become a store since)
            check_payee(project)
            party = payee_party(project.payee)
            for category in COMMUNITY_CATEGORIES:
                points = totals.get((category, project.id))
                if points:
                    lines.append(Line(period=self, category=category,
                            party=party, project=project, points=points,
                            amount=-yen(points)))
        return lines


class Line(metaclass=PoolMeta):
    __name__ = 'hirakata.settlement.line'

    project = fields.Many2One(PROJECT, "Community Project", readonly=True,
        ondelete='RESTRICT', context={'active_test': False})

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.category.selection = list(cls.category.selection) + [
            ('community_donation', "Donations to the Community Project"),
            ('community_allocation', "Expired Points Allocated"),
            ]

    @classmethod
    def computed_fields(cls):
        return super().computed_fields() + ['project']

    def account_role(self):
        """Donations were booked to the community fund, and so were expired
        points if the configuration says so (posting.Booking
        .counter_account); else they were the operator's income, and what
        it gives of them is its expense."""
        Configuration = Pool().get('hirakata.settlement.configuration')
        if self.category == 'community_donation':
            return 'community_fund'
        if self.category == 'community_allocation':
            return ('community_fund'
                if Configuration.books().expired_points_to == 'fund'
                else 'community_expense')
        return super().account_role()

    def payable_role(self):
        if self.category in COMMUNITY_CATEGORIES:
            return 'community_payable'
        return super().payable_role()

    def invoice_description(self, label=None):
        if self.project:
            return '%s %s（%sポイント）' % (self.project.rec_name,
                label or self.category_string,
                '{:,}'.format(self.points))
        return super().invoice_description(label)
