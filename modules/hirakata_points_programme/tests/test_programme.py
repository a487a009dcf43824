"""City programmes: approval and participation (R9–R12)."""
import datetime as dt
from decimal import Decimal

from trytond.modules.hirakata_points import clock, expiry
from trytond.modules.hirakata_points.tests.test_module import (
    create_holder, create_user)
from trytond.modules.hirakata_points_programme.exceptions import (
    ProgrammeError)
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
# _DBTestCase: a database with the module, without ModuleTestCase's
# generic checks, which test_module.py already runs.
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

TODAY = clock.local_now().date()


def create_programme(submit_and_open=True, **values):
    "A programme with one session today, approved and open."
    pool = Pool()
    Programme = pool.get('hirakata.programme')
    Type = pool.get('hirakata.programme.type')
    Department = pool.get('hirakata.department')
    Policy = pool.get('hirakata.point.expiry.policy')
    policy, = Policy.create([{'name': "3か月", 'kind': 'months',
                'months': 3}])
    kind, = Type.create([{'name': "健康教室", 'expiry_policy': policy.id}])
    department, = Department.search([('code', '=', 'KENKO')]) or \
        Department.create([{'code': 'KENKO', 'name': "健康づくり課"}])
    defaults = dict(code='P%s' % Programme.search([], count=True),
        name="ウォーキング教室", type=kind.id, department=department.id,
        start_date=TODAY - dt.timedelta(days=30),
        end_date=TODAY + dt.timedelta(days=30), points=100, budget=10000,
        sessions=[('create', [{'name': "第1回", 'date': TODAY,
                        'points': 30}])])
    defaults.update(values)
    programme, = Programme.create([defaults])
    if submit_and_open:
        submitter = create_user('submitter%s' % programme.id,
            'group_city_staff')
        with Transaction().set_user(submitter.id):
            Programme.submit([programme])
        Programme.approve([programme])
        Programme.open([programme])
    return programme


def attend(programme, holder, key='k', **kwargs):
    Participation = Pool().get('hirakata.programme.participation')
    return Participation.record(programme.sessions[0], holder,
        channel='venue', key=key, **kwargs)


class ProgrammeTestCase(_DBTestCase):
    "City programmes"
    module = 'hirakata_points_programme'

    @with_transaction()
    def test_approval_records_every_step_and_who(self):
        Programme = Pool().get('hirakata.programme')
        programme = create_programme()
        self.assertEqual(programme.state, 'open')
        self.assertEqual([e.action for e in programme.events],
            ['submit', 'approve', 'open'])
        self.assertNotEqual(programme.submitted_by, programme.approved_by)
        Programme.close([programme])
        self.assertEqual(programme.state, 'closed')

    @with_transaction()
    def test_no_approval_nor_opening_by_a_write(self):
        Programme = Pool().get('hirakata.programme')
        programme = create_programme(submit_and_open=False)
        staff = create_user('writer', 'group_city_staff')
        with Transaction().set_user(staff.id), \
                Transaction().set_context(_check_access=True):
            Programme.submit([Programme(programme.id)])
            for values in [{'state': 'approved'}, {'state': 'open'},
                    {'approved_by': staff.id}, {'granted': 5}]:
                with self.assertRaises(AccessError):
                    Programme.write([Programme(programme.id)], values)
        self.assertEqual(Programme(programme.id).state, 'submitted')
        self.assertIsNone(Programme(programme.id).approved_by)

    @with_transaction()
    def test_submitter_cannot_approve_own_programme(self):
        Programme = Pool().get('hirakata.programme')
        programme = create_programme(submit_and_open=False)
        approver = create_user('approver', 'group_city_approver')
        with Transaction().set_user(approver.id):
            Programme.submit([programme])
            with self.assertRaises(ProgrammeError):
                Programme.approve([programme])
        self.assertEqual(programme.state, 'submitted')

    @with_transaction()
    def test_rejected_programme_goes_back_to_draft_with_comment(self):
        Programme = Pool().get('hirakata.programme')
        programme = create_programme(submit_and_open=False)
        Programme.submit([programme])
        approver = create_user('approver', 'group_city_approver')
        with Transaction().set_user(approver.id):
            Programme.reject([programme], comment="予算を見直してください")
        self.assertEqual(programme.state, 'draft')
        self.assertEqual(programme.events[-1].comment, "予算を見直してください")

    @with_transaction()
    def test_programme_without_session_cannot_be_submitted(self):
        Programme = Pool().get('hirakata.programme')
        programme = create_programme(submit_and_open=False, sessions=[])
        with self.assertRaises(ProgrammeError):
            Programme.submit([programme])

    @with_transaction()
    def test_participation_grants_once_with_the_type_expiry(self):
        holder = create_holder()
        programme = create_programme()
        participation = attend(programme, holder)
        self.assertEqual(participation.points, 100)
        self.assertEqual(participation.entry.points, 100)
        self.assertEqual(participation.entry.origin, programme)
        self.assertEqual(participation.entry.expiry_date,
            expiry.months_after(TODAY, 3))
        self.assertEqual(attend(programme, holder), participation)
        with self.assertRaises(ProgrammeError):
            attend(programme, holder, key='other')
        self.assertEqual(holder.account.__class__(holder.account.id).balance,
            100)
        self.assertEqual(programme.__class__(programme.id).granted, 100)

    @with_transaction()
    def test_only_an_approver_raises_an_open_programmes_budget(self):
        Programme = Pool().get('hirakata.programme')
        programme = create_programme(budget=100)
        staff = create_user('staff', 'group_city_staff')
        approver = create_user('approver', 'group_city_approver')
        with Transaction().set_context(_check_access=True):
            with Transaction().set_user(staff.id):
                with self.assertRaises(ProgrammeError):
                    Programme.write([Programme(programme.id)],
                        {'budget': 1000})
            with Transaction().set_user(approver.id):
                Programme.write([Programme(programme.id)], {'budget': 1000})
        self.assertEqual(Programme(programme.id).budget, 1000)
        attend(programme, create_holder())

    def import_file(self, programme, data, filename):
        "Run the import wizard up to its preview; return (wizard, preview)."
        Import = Pool().get('hirakata.programme.import', type='wizard')
        session_id, _, _ = Import.create()
        wizard = Import(session_id)
        wizard.start.session = programme.sessions[0]
        wizard.start.file = data
        wizard.start.filename = filename
        return wizard, wizard.default_preview(None)

    @with_transaction()
    def test_import_previews_every_row_then_grants_the_ok_ones(self):
        Card = Pool().get('hirakata.card')
        programme = create_programme(min_age=60)
        senior = create_holder()
        young = create_holder(name="若者")
        young.birth_date = TODAY.replace(year=TODAY.year - 20)
        young.save()
        card, = Card.create([{'holder': senior.id, 'technology': 'qr'}])
        csv = ("card,holder\n%s,\n,%s\n,H99999999\n,%s\n" % (
                card.identifier, young.number, senior.number)).encode()
        wizard, preview = self.import_file(programme, csv, 'list.csv')
        self.assertEqual([(l['row'], l['outcome']) for l in preview['lines']],
            [(2, 'ok'), (3, 'refused'), (4, 'unknown'), (5, 'duplicate')])
        self.assertIn('60', preview['lines'][1]['message'])
        self.assertEqual((preview['ok'], preview['points']), (1, 100))
        wizard.transition_grant()
        self.assertEqual(senior.account.__class__(senior.account.id).balance,
            100)

        wizard, preview = self.import_file(programme, csv, 'list.csv')
        self.assertEqual(preview['ok'], 0)
        wizard.transition_grant()
        self.assertEqual(senior.account.__class__(senior.account.id).balance,
            100)

    @with_transaction()
    def test_import_preview_counts_the_budget_row_by_row(self):
        programme = create_programme(budget=250)
        holders = [create_holder(name="参加者%s" % i) for i in range(3)]
        csv = ('holder\n' + ''.join('%s\n' % h.number for h in holders)
            ).encode()
        wizard, preview = self.import_file(programme, csv, 'list.csv')
        self.assertEqual([l['outcome'] for l in preview['lines']],
            ['ok', 'ok', 'refused'])
        wizard.transition_grant()
        self.assertEqual(programme.__class__(programme.id).granted, 200)

    @with_transaction()
    def test_import_reads_xlsx_with_hours(self):
        import io

        import xlsxwriter
        programme = create_programme(rule='hour', points=50)
        holder = create_holder()
        out = io.BytesIO()
        workbook = xlsxwriter.Workbook(out)
        sheet = workbook.add_worksheet()
        sheet.write_row(0, 0, ['holder', 'hours'])
        sheet.write_row(1, 0, [holder.number, 1.5])
        sheet.write_row(2, 0, ['H00000000', 'x'])
        workbook.close()
        wizard, preview = self.import_file(programme, out.getvalue(),
            'list.xlsx')
        self.assertEqual([(l['outcome'], l.get('points'))
                for l in preview['lines']], [('ok', 75), ('invalid', None)])
        wizard.transition_grant()
        self.assertEqual(holder.account.__class__(holder.account.id).balance,
            75)

    @with_transaction()
    def test_only_open_programme_grants(self):
        programme = create_programme(submit_and_open=False)
        with self.assertRaises(ProgrammeError):
            attend(programme, create_holder())

    @with_transaction()
    def test_points_per_hour_and_first_time_bonus(self):
        programme = create_programme(rule='hour', points=50,
            first_time_bonus=20)
        participation = attend(programme, create_holder(),
            hours=Decimal('2.5'))
        self.assertEqual(participation.points, 125 + 20)

    @with_transaction()
    def test_points_per_session(self):
        programme = create_programme(rule='session', points=None)
        self.assertEqual(attend(programme, create_holder()).points, 30)

    @with_transaction()
    def test_ineligible_holder_refused_with_the_reason(self):
        programme = create_programme(min_age=80)
        with self.assertRaises(ProgrammeError) as refused:
            attend(programme, create_holder())
        self.assertIn('80', refused.exception.message)

    @with_transaction()
    def test_cap_per_person_and_budget_refused(self):
        Programme = Pool().get('hirakata.programme')
        programme = create_programme(cap_per_person=150, budget=250)
        Session = Pool().get('hirakata.programme.session')
        Session.create([{'programme': programme.id, 'name': "第2回",
                    'date': TODAY}])
        programme = Programme(programme.id)
        holder = create_holder()
        attend(programme, holder)
        Participation = Pool().get('hirakata.programme.participation')
        with self.assertRaises(ProgrammeError):
            Participation.record(programme.sessions[1], holder,
                channel='venue', key='second')
        attend(programme, create_holder(name="二人目"), key='b')
        with self.assertRaises(ProgrammeError):
            attend(programme, create_holder(name="三人目"), key='c')
        self.assertEqual(Programme(programme.id).granted, 200)

