"""Self-sustaining operation (R39): the operator's fee income from
confirmed settlements against the costs its accountants enter."""
import datetime as dt
from decimal import Decimal

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import set_company
from trytond.modules.hirakata_points import clock
from trytond.modules.hirakata_points.tests.test_module import (
    create_holder, create_user)
from trytond.modules.hirakata_points_pos.tests.tools import (
    make_store, make_terminal)
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

from .test_settlement import settle
from .tools import at, grant_at, redeem_at, set_up_operator

SEPTEMBER = dt.date(2026, 9, 1)
OCTOBER = dt.date(2026, 10, 1)
NOVEMBER = dt.date(2026, 11, 1)


class IncomeAndCostTestCase(_DBTestCase):
    "The operator's income against its costs"
    module = 'hirakata_points_settlement'
    extras = ['hirakata_points_programme']

    @with_transaction()
    def test_monthly_fee_income_against_costs(self):
        pool = Pool()
        Cost = pool.get('hirakata.settlement.cost')
        Period = pool.get('hirakata.settlement.period')
        Report = pool.get('hirakata.settlement.income_cost')
        company = set_up_operator()
        with set_company(company):
            store = make_store("枚方パン", grant_fee_rate=Decimal(3),
                redeem_fee_rate=Decimal(2))
            terminal = make_terminal(store)
            holder = create_holder()
            # October: fees 3% of 10,000 and 2% of 5,000
            grant_at(at(OCTOBER.replace(day=3)), holder.account, 10000,
                terminal)
            redeem_at(at(OCTOBER.replace(day=4)), holder.account, 5000,
                terminal)
            # November: 3% of 1,000; its settlement is not confirmed
            grant_at(at(NOVEMBER.replace(day=3)), holder.account, 1000,
                terminal)
            settle(OCTOBER, at(NOVEMBER.replace(day=5)))
            with clock.frozen(at(dt.date(2026, 12, 2))):
                november, = Period.create([{'month': NOVEMBER}])
                Period.compute([november])
            Cost.create([
                    {'month': OCTOBER.replace(day=20), 'category': 'system',
                        'description': "サーバー利用料",
                        'amount': Decimal(250)},
                    {'month': OCTOBER, 'category': 'mailing',
                        'description': "カード郵送",
                        'amount': Decimal(80)},
                    {'month': SEPTEMBER, 'category': 'personnel',
                        'description': "事務局人件費",
                        'amount': Decimal(1000)},
                    {'month': NOVEMBER, 'category': 'personnel',
                        'description': "事務局人件費",
                        'amount': Decimal(1000)},
                    ])

            rows = [(r.month, r.fee_income, r.costs, r.balance)
                for r in Report.search([])]
        self.assertEqual(rows, [
                (NOVEMBER, Decimal(0), Decimal(1000), Decimal(-1000)),
                (OCTOBER, Decimal(400), Decimal(330), Decimal(70)),
                (SEPTEMBER, Decimal(0), Decimal(1000), Decimal(-1000)),
                ])
        self.assertEqual(len({r.id for r in Report.search([])}), 3)

    @with_transaction()
    def test_costs_are_kept_by_accountants(self):
        Cost = Pool().get('hirakata.settlement.cost')
        values = {'month': OCTOBER, 'category': 'office',
            'description': "事務所賃料", 'amount': Decimal(120)}
        accountant = create_user('books', 'group_accountant')
        auditor = create_user('audit', 'group_auditor')
        with Transaction().set_context(_check_access=True):
            with Transaction().set_user(accountant.id):
                cost, = Cost.create([values])
            with Transaction().set_user(auditor.id):
                self.assertEqual(Cost.search([]), [cost])
                with self.assertRaises(AccessError):
                    Cost.create([values])


del _DBTestCase
