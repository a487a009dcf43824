"""City programmes (R9–R12): catalogue, approval, participation, budgets.

City staff create programmes (classes, lectures, check-ups, volunteering,
surveys…); an approver other than the submitter releases them; points are
granted per participation through the ledger service, at most once per
session and holder, within caps and budgets.
"""
import datetime as dt

from sql import Null
from sql.aggregate import Sum
from sql.conditionals import Coalesce

from trytond.i18n import gettext
from trytond.modules.hirakata_points import expiry, statement
from trytond.modules.hirakata_points.account import CHANNELS
from trytond.modules.hirakata_points.buttons import (
    ButtonsForTheirGroups, ChangedByButtonsOnly)
from trytond.modules.hirakata_points.holder import age_on
from trytond.modules.hirakata_points.statement import Arg
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import (
    NotEligible, OverBudget, OverCap, ParticipationDuplicate, ProgrammeError,
    ProgrammeNotOpen)
from .ledger import PROGRAMME_CHANNELS

_EDITABLE = {'readonly': Eval('state') != 'draft'}
RULES = [
    ('participation', "Per Participation"),
    ('hour', "Per Hour"),
    ('session', "Per Session"),
    ]


class Department(DeactivableMixin, ModelSQL, ModelView):
    "Department"
    __name__ = 'hirakata.department'
    code = fields.Char("Code", required=True)
    name = fields.Char("Name", required=True)
    budget = fields.Integer("Points Budget",
        help="All the department's programmes together grant at most this.")
    granted = fields.Integer("Points Granted", readonly=True,
        help="Kept by each participation, in the same transaction.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'hirakata_points_programme.msg_department_code_unique'),
            ]
        cls._order = [('code', 'ASC'), ('id', 'ASC')]

    @staticmethod
    def default_granted():
        return 0


class ProgrammeType(DeactivableMixin, ModelSQL, ModelView):
    "Programme Type"
    __name__ = 'hirakata.programme.type'
    name = fields.Char("Name", required=True)
    expiry_policy = fields.Many2One('hirakata.point.expiry.policy',
        "Expiry Policy", ondelete='RESTRICT',
        help="For points of this type's programmes; "
        "empty: the policy of the channel.")


class Programme(ButtonsForTheirGroups, ChangedByButtonsOnly,
        Workflow, ModelSQL, ModelView):
    "Programme"
    __name__ = 'hirakata.programme'
    _rec_name = 'name'

    code = fields.Char("Code", required=True, states=_EDITABLE)
    name = fields.Char("Name", required=True, states=_EDITABLE)
    type = fields.Many2One('hirakata.programme.type', "Type", required=True,
        ondelete='RESTRICT', states=_EDITABLE)
    department = fields.Many2One('hirakata.department', "Department",
        required=True, ondelete='RESTRICT', states=_EDITABLE)
    start_date = fields.Date("Start Date", required=True, states=_EDITABLE)
    end_date = fields.Date("End Date", required=True, states=_EDITABLE,
        domain=[If(Eval('start_date'),
                ('end_date', '>=', Eval('start_date')), ())])
    rule = fields.Selection(RULES, "Points Rule", required=True,
        states=_EDITABLE)
    points = fields.Integer("Points", states={
            'readonly': Eval('state') != 'draft',
            'required': Eval('rule') != 'session',
            'invisible': Eval('rule') == 'session',
            }, help="Per participation, or per hour.")
    first_time_bonus = fields.Integer("First-Time Bonus", states=_EDITABLE,
        help="Added to a holder's first participation in this programme.")
    min_age = fields.Integer("Minimum Age", states=_EDITABLE)
    max_age = fields.Integer("Maximum Age", states=_EDITABLE)
    districts = fields.Many2Many('hirakata.programme-hirakata.district',
        'programme', 'district', "Districts", states=_EDITABLE,
        help="Empty: every district.")
    for_residents = fields.Boolean("Residents", states=_EDITABLE)
    for_workers = fields.Boolean("People Working in the City",
        states=_EDITABLE)
    for_students = fields.Boolean("Students in the City", states=_EDITABLE)
    cap_per_person = fields.Integer("Cap per Person", states=_EDITABLE,
        help="Points one holder can get from this programme.")
    cap_per_person_year = fields.Integer("Cap per Person and Fiscal Year",
        states=_EDITABLE)
    budget = fields.Integer("Points Budget", required=True, states={
            'readonly': ~Eval('state').in_(['draft', 'open']),
            })
    sessions = fields.One2Many('hirakata.programme.session', 'programme',
        "Sessions", states={'readonly': Eval('state').in_(
                ['closed', 'cancelled'])})
    granted = fields.Integer("Points Granted", readonly=True,
        help="Kept by each participation, in the same transaction.")
    participations = fields.One2Many('hirakata.programme.participation',
        'programme', "Participations", readonly=True)
    events = fields.One2Many('hirakata.programme.event', 'programme',
        "History", readonly=True)
    submitted_by = fields.Many2One('res.user', "Submitted By", readonly=True)
    approved_by = fields.Many2One('res.user', "Approved By", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('submitted', "Submitted"),
            ('approved', "Approved"),
            ('open', "Open"),
            ('closed', "Closed"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'hirakata_points_programme.msg_programme_code_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.state, Index.Equality())))
        cls._order = [('start_date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'submitted'),
            ('submitted', 'draft'),
            ('submitted', 'approved'),
            ('approved', 'open'),
            ('open', 'closed'),
            ('draft', 'cancelled'),
            ('submitted', 'cancelled'),
            ('approved', 'cancelled'),
            }
        cls._buttons.update({
                'submit': {'invisible': Eval('state') != 'draft',
                    'depends': ['state']},
                'reject': {'invisible': Eval('state') != 'submitted',
                    'depends': ['state']},
                'approve': {'invisible': Eval('state') != 'submitted',
                    'depends': ['state']},
                'open': {'invisible': Eval('state') != 'approved',
                    'depends': ['state']},
                'close': {'invisible': Eval('state') != 'open',
                    'depends': ['state']},
                'cancel': {'invisible': ~Eval('state').in_(
                            ['draft', 'submitted', 'approved']),
                    'depends': ['state']},
                })

    @staticmethod
    def default_state():
        return 'draft'

    @staticmethod
    def default_rule():
        return 'participation'

    @staticmethod
    def default_for_residents():
        return True

    default_for_workers = default_for_students = default_for_residents

    @staticmethod
    def default_granted():
        return 0

    @classmethod
    def write(cls, *args):
        "Only an approver raises the budget of an open programme (R12)."
        actions = iter(args)
        for programmes, values in zip(actions, actions):
            if 'budget' in values and any(
                    p.state == 'open' for p in programmes):
                cls._check_approver()
        super().write(*args)

    @staticmethod
    def _check_approver():
        pool = Pool()
        User = pool.get('res.user')
        Data = pool.get('ir.model.data')
        if not Transaction().check_access:
            return
        approvers = {Data.get_id('hirakata_points', 'group_city_approver'),
            Data.get_id('hirakata_points', 'group_admin')}
        if not approvers & set(User.get_groups()):
            raise ProgrammeError(gettext(
                    'hirakata_points_programme.msg_budget_approver_only'))

    @classmethod
    def _log_event(cls, programmes, action, comment=None):
        Event = Pool().get('hirakata.programme.event')
        Event.create([{'programme': p.id, 'action': action,
                    'user': Transaction().user or None, 'comment': comment}
                for p in programmes])

    @classmethod
    @ModelView.button
    @Workflow.transition('submitted')
    def submit(cls, programmes):
        for programme in programmes:
            if not programme.sessions:
                raise ProgrammeError(gettext(
                        'hirakata_points_programme.msg_programme_no_session',
                        programme=programme.rec_name))
        cls.write(programmes, {'submitted_by': Transaction().user or None})
        cls._log_event(programmes, 'submit')

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def reject(cls, programmes, comment=None):
        "Back to draft for the submitter to mend (R10)."
        cls._check_not_submitter(programmes)
        cls._log_event(programmes, 'reject', comment)

    @classmethod
    @ModelView.button
    @Workflow.transition('approved')
    def approve(cls, programmes):
        cls._check_not_submitter(programmes)
        cls.write(programmes, {'approved_by': Transaction().user or None})
        cls._log_event(programmes, 'approve')

    @classmethod
    def _check_not_submitter(cls, programmes):
        user = Transaction().user
        for programme in programmes:
            if user and programme.submitted_by and (
                    programme.submitted_by.id == user):
                raise ProgrammeError(gettext(
                        'hirakata_points_programme.msg_programme_own_approval',
                        programme=programme.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('open')
    def open(cls, programmes):
        cls._log_event(programmes, 'open')

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, programmes):
        cls._log_event(programmes, 'close')

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, programmes):
        cls._log_event(programmes, 'cancel')

    def check_eligible(self, holder, date):
        "Raise ProgrammeError with the reason a holder may not take part."
        reason = None
        age = age_on(holder.birth_date, date)
        if self.min_age and age < self.min_age:
            reason = gettext('hirakata_points_programme.msg_ineligible_young',
                age=self.min_age)
        elif self.max_age and age > self.max_age:
            reason = gettext('hirakata_points_programme.msg_ineligible_old',
                age=self.max_age)
        elif self.districts and holder.district not in self.districts:
            reason = gettext(
                'hirakata_points_programme.msg_ineligible_district')
        elif not getattr(self, 'for_%ss' % holder.relation):
            reason = gettext(
                'hirakata_points_programme.msg_ineligible_relation')
        if reason:
            raise NotEligible(gettext(
                    'hirakata_points_programme.msg_ineligible',
                    holder=holder.number, reason=reason))


class ProgrammeDistrict(ModelSQL):
    "Programme District"
    __name__ = 'hirakata.programme-hirakata.district'
    programme = fields.Many2One('hirakata.programme', "Programme",
        required=True, ondelete='CASCADE')
    district = fields.Many2One('hirakata.district', "District",
        required=True, ondelete='CASCADE')


class Session(ModelSQL, ModelView):
    "Programme Session"
    __name__ = 'hirakata.programme.session'
    programme = fields.Many2One('hirakata.programme', "Programme",
        required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    date = fields.Date("Date", required=True)
    points = fields.Integer("Points",
        help="For programmes that grant per session.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'ASC'), ('id', 'ASC')]

    def get_rec_name(self, name):
        return '%s %s' % (self.date.strftime('%Y/%m/%d'), self.name)


class Event(ModelSQL, ModelView):
    "Programme Event"
    __name__ = 'hirakata.programme.event'
    programme = fields.Many2One('hirakata.programme', "Programme",
        required=True, ondelete='CASCADE', readonly=True)
    action = fields.Selection([
            ('submit', "Submitted"),
            ('reject', "Rejected"),
            ('approve', "Approved"),
            ('open', "Opened"),
            ('close', "Closed"),
            ('cancel', "Cancelled"),
            ], "Action", required=True, readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)
    comment = fields.Text("Comment", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('create_date', 'ASC'), ('id', 'ASC')]


class Participation(ModelSQL, ModelView):
    "Participation"
    __name__ = 'hirakata.programme.participation'
    programme = fields.Many2One('hirakata.programme', "Programme",
        required=True, ondelete='RESTRICT', readonly=True)
    session = fields.Many2One('hirakata.programme.session', "Session",
        required=True, ondelete='RESTRICT', readonly=True)
    holder = fields.Many2One('hirakata.holder', "Holder", required=True,
        ondelete='RESTRICT', readonly=True)
    date = fields.Date("Date", required=True, readonly=True)
    hours = fields.Numeric("Hours", digits=(6, 2), readonly=True)
    points = fields.Integer("Points", required=True, readonly=True)
    channel = fields.Selection(CHANNELS + PROGRAMME_CHANNELS, "Channel",
        readonly=True)
    entry = fields.Many2One('hirakata.point.entry', "Ledger Entry",
        readonly=True, ondelete='RESTRICT')
    terminal = fields.Function(fields.Many2One('hirakata.terminal',
            "Terminal"), 'get_terminal')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('session_holder_unique', Unique(t, t.session, t.holder),
                'hirakata_points_programme.msg_participation_duplicate'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.holder, Index.Range()),
                    (t.programme, Index.Range())),
                # a venue's retry finds its participation by the entry's key
                Index(t, (t.entry, Index.Range()),
                    where=t.entry != Null),
                })

    def get_terminal(self, name):
        "The venue terminal that recorded it, if one did."
        return self.entry.terminal.id if self.entry and (
            self.entry.terminal) else None

    @classmethod
    def check(cls, session, holder, hours=None, date=None, taken=0):
        """The points holder's participation in session would earn.

        Raises ProgrammeError with the reason when the programme is not
        open, the holder is not eligible, already recorded
        (ParticipationDuplicate), over a cap or over a budget, counting the
        points taken by rows before it in the same batch. Changes nothing:
        the import preview uses it.
        """
        programme = session.programme
        date = date or session.date
        if cls.search([('session', '=', session.id),
                    ('holder', '=', holder.id)], limit=1):
            raise ParticipationDuplicate(gettext(
                    'hirakata_points_programme.msg_participation_duplicate'))
        if programme.state != 'open' or not (
                programme.start_date <= date <= programme.end_date):
            raise ProgrammeNotOpen(gettext(
                    'hirakata_points_programme.msg_programme_not_open',
                    programme=programme.rec_name))
        programme.check_eligible(holder, date)
        points = cls.points_for(programme, session, holder, hours)
        cls._check_caps(programme, holder, points, date)
        if programme.granted + taken + points > programme.budget:
            raise OverBudget(gettext(
                    'hirakata_points_programme.msg_over_budget',
                    budget=programme.budget))
        department = programme.department
        if department.budget and (
                department.granted + taken + points > department.budget):
            raise OverBudget(gettext(
                    'hirakata_points_programme.msg_over_department_budget',
                    budget=department.budget))
        return points

    @classmethod
    def record(cls, session, holder, *, channel, key, hours=None,
            reason=None, date=None):
        """Record holder's participation in session and grant its points.

        Refused as check() says; the budgets are counted again in the
        database (_count_against_budgets) for parallel grants. The same
        key again returns the first participation.
        """
        pool = Pool()
        Ledger = pool.get('hirakata.point.ledger')
        programme = session.programme
        date = date or session.date
        existing = cls.search([('session', '=', session.id),
                ('holder', '=', holder.id)], limit=1)
        if existing and existing[0].entry and (
                existing[0].entry.idempotency_key == cls._key(key)):
            return existing[0]
        points = cls.check(session, holder, hours, date)
        cls._count_against_budgets(programme, points)
        policy = programme.type.expiry_policy
        entry = Ledger.grant(holder.account, points, key=cls._key(key),
            channel=channel, origin=programme, reason=reason, policy=policy,
            request={'session': session.id, 'hours': str(hours)})
        participation, = cls.create([{
                    'programme': programme.id, 'session': session.id,
                    'holder': holder.id, 'date': date, 'hours': hours,
                    'points': points, 'channel': channel,
                    'entry': entry.id}])
        return participation

    @classmethod
    def record_checked(cls, session, rows, *, channel):
        """Record participations already passed by check(), in a batch.

        rows: (holder id, hours, points, key). The budgets are counted once
        for all of them (all or none fit), each row is granted through the
        ledger, and the participations are created together: an import of
        thousands of rows does no per-row checks twice.
        """
        pool = Pool()
        Ledger = pool.get('hirakata.point.ledger')
        Account = pool.get('hirakata.point.account')
        programme = session.programme
        if not rows:
            return []
        cls._count_against_budgets(programme, sum(r[2] for r in rows))
        accounts = {a.holder.id: a for a in Account.search([
                    ('holder', 'in', [r[0] for r in rows]),
                    ('kind', '=', 'holder'),
                    ])}
        policy = programme.type.expiry_policy
        vlist = []
        for holder_id, hours, points, key in rows:
            entry = Ledger.grant(accounts[holder_id], points,
                key=cls._key(key), channel=channel, origin=programme,
                policy=policy,
                request={'session': session.id, 'hours': str(hours)})
            vlist.append({'programme': programme.id, 'session': session.id,
                    'holder': holder_id, 'date': session.date,
                    'hours': hours, 'points': points, 'channel': channel,
                    'entry': entry.id})
        return cls.create(vlist)

    @staticmethod
    def _key(key):
        return 'programme:%s' % key

    @classmethod
    def points_for(cls, programme, session, holder, hours=None):
        if programme.rule == 'session':
            points = session.points or 0
        elif programme.rule == 'hour':
            if not hours or hours <= 0:
                raise ProgrammeError(gettext(
                        'hirakata_points_programme.msg_participation_hours'))
            points = int(programme.points * hours)
        else:
            points = programme.points or 0
        if programme.first_time_bonus and not cls.search([
                    ('programme', '=', programme.id),
                    ('holder', '=', holder.id)], limit=1):
            points += programme.first_time_bonus
        if points < 1:
            raise ProgrammeError(gettext(
                    'hirakata_points_programme.msg_participation_no_points'))
        return points

    @classmethod
    def _check_caps(cls, programme, holder, points, date):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()

        def total(where):
            cursor.execute(*table.select(Coalesce(Sum(table.points), 0),
                    where=where))
            return int(cursor.fetchone()[0])
        mine = (table.programme == programme.id) & (table.holder == holder.id)
        if programme.cap_per_person and (
                total(mine) + points > programme.cap_per_person):
            raise OverCap(gettext(
                    'hirakata_points_programme.msg_over_cap_person',
                    cap=programme.cap_per_person))
        if programme.cap_per_person_year:
            year_start = dt.date(expiry.fiscal_year(date), 4, 1)
            if total(mine & (table.date >= year_start)) + points > (
                    programme.cap_per_person_year):
                raise OverCap(gettext(
                        'hirakata_points_programme.msg_over_cap_year',
                        cap=programme.cap_per_person_year))


    @classmethod
    def _count_against_budgets(cls, programme, points):
        """Add points to the programme's and department's granted totals,
        refused past a budget (R12).

        Each is one guarded UPDATE of the row: parallel grants of one
        programme queue on it, and PostgreSQL makes the later ones start
        again on a fresh snapshot, so caps and budgets are checked against
        what was really granted.
        """
        pool = Pool()
        Programme = pool.get('hirakata.programme')
        Department = pool.get('hirakata.department')
        programme_table = Programme.__table__()
        department_table = Department.__table__()
        if not statement.run('hirakata.programme:count', lambda:
                programme_table.update([programme_table.granted],
                    [programme_table.granted + Arg('points')],
                    where=(programme_table.id == Arg('id'))
                    & (programme_table.granted + Arg('points')
                        <= programme_table.budget)),
                id=programme.id, points=points).rowcount:
            raise OverBudget(gettext(
                    'hirakata_points_programme.msg_over_budget',
                    budget=programme.budget))
        if not statement.run('hirakata.department:count', lambda:
                department_table.update([department_table.granted],
                    [department_table.granted + Arg('points')],
                    where=(department_table.id == Arg('id'))
                    & ((department_table.budget == Null)
                        | (department_table.granted + Arg('points')
                            <= department_table.budget))),
                id=programme.department.id, points=points).rowcount:
            raise OverBudget(gettext(
                    'hirakata_points_programme.msg_over_department_budget',
                    budget=programme.department.budget))
        statement.forget(Programme, [programme.id])
        statement.forget(Department, [programme.department.id])


class GrantStart(ModelView):
    "Grant by Hand"
    __name__ = 'hirakata.programme.grant.start'
    session = fields.Many2One('hirakata.programme.session', "Session",
        required=True, domain=[('programme.state', '=', 'open')])
    holder = fields.Many2One('hirakata.holder', "Holder", required=True)
    hours = fields.Numeric("Hours", digits=(6, 2))
    reason = fields.Text("Reason", required=True)


class Grant(Wizard):
    "Grant by Hand"
    __name__ = 'hirakata.programme.grant'
    start = StateView('hirakata.programme.grant.start',
        'hirakata_points_programme.programme_grant_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Grant", 'grant', 'tryton-ok', default=True),
            ])
    grant = StateTransition()

    def transition_grant(self):
        Participation = Pool().get('hirakata.programme.participation')
        Participation.record(self.start.session, self.start.holder,
            channel='backoffice', key='backoffice:%s' % self._session_id,
            hours=self.start.hours, reason=self.start.reason)
        return 'end'

