"""Self-sustaining operation (R39): the operator's costs, entered by its
accountants month by month, against its fee income from the confirmed
monthly settlements (the fees are configurable: the city's rate in the
settlement configuration, each store's rates)."""
from sql import Cast, Literal, Null, Union
from sql.aggregate import Sum
from sql.functions import CurrentTimestamp, Extract

from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool

from .books import MONTH_SHOWN
from .period import FEE_CATEGORIES

COST_CATEGORIES = [
    ('personnel', "Personnel"),
    ('system', "System Operation"),
    ('cards', "Cards and Readers"),
    ('mailing', "Printing and Mailing"),
    ('publicity', "Publicity"),
    ('office', "Office"),
    ('other', "Other"),
    ]


def first_of_month(date):
    return date.replace(day=1) if date else date


class Cost(ModelSQL, ModelView):
    "Operating Cost"
    __name__ = 'hirakata.settlement.cost'

    month = fields.Date("Month", required=True, context=MONTH_SHOWN,
        help="Any day of the month the cost is for.")
    category = fields.Selection(COST_CATEGORIES, "Category", required=True)
    category_string = category.translated('category')
    description = fields.Char("Description", required=True)
    amount = fields.Numeric("Amount (JPY)", digits=(16, 0), required=True,
        domain=[('amount', '>', 0)],
        help="Excluding consumption tax.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.month, Index.Range())))
        cls._order = [('month', 'DESC'), ('category', 'ASC'), ('id', 'ASC')]

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('month'):
            values['month'] = first_of_month(values['month'])
        return values

    def get_rec_name(self, name):
        return '%s %s' % (self.month.strftime('%Y年%m月'), self.description)


class IncomeAndCost(ModelSQL, ModelView):
    "Operating Income and Costs"
    __name__ = 'hirakata.settlement.income_cost'

    month = fields.Date("Month", readonly=True, context=MONTH_SHOWN)
    fee_income = fields.Numeric("Fee Income (JPY)", digits=(16, 0),
        readonly=True,
        help="The operator's fees in the month's confirmed settlement, "
        "excluding consumption tax.")
    costs = fields.Numeric("Costs (JPY)", digits=(16, 0), readonly=True)
    balance = fields.Numeric("Balance (JPY)", digits=(16, 0),
        readonly=True, help="Fee income less costs.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('month', 'DESC'), ('id', 'DESC')]

    @classmethod
    def table_query(cls):
        "A row per month with fees of a confirmed settlement or costs."
        pool = Pool()
        Period = pool.get('hirakata.settlement.period')
        Line = pool.get('hirakata.settlement.line')
        Cost = pool.get('hirakata.settlement.cost')
        period, line, cost = (Period.__table__(), Line.__table__(),
            Cost.__table__())
        zero = cls.costs.sql_cast(Literal(0))
        fees = line.join(period, condition=period.id == line.period).select(
            period.start_date.as_('month'),
            Sum(line.amount).as_('fee_income'),
            zero.as_('costs'),
            where=(period.state == 'confirmed')
            & line.category.in_(sorted(FEE_CATEGORIES)),
            group_by=[period.start_date])
        costs = cost.select(cost.month.as_('month'),
            zero.as_('fee_income'),
            Sum(cost.amount).as_('costs'),
            group_by=[cost.month])
        months = Union(fees, costs, all_=True)
        fee_income = Sum(months.fee_income)
        spent = Sum(months.costs)
        return months.select(
            # 202610 for October 2026: one row per month.
            Cast(Extract('YEAR', months.month) * 100
                + Extract('MONTH', months.month), 'INTEGER').as_('id'),
            Literal(0).as_('create_uid'),
            CurrentTimestamp().as_('create_date'),
            cls.write_uid.sql_cast(Literal(Null)).as_('write_uid'),
            cls.write_date.sql_cast(Literal(Null)).as_('write_date'),
            months.month.as_('month'),
            cls.fee_income.sql_cast(fee_income).as_('fee_income'),
            cls.costs.sql_cast(spent).as_('costs'),
            cls.balance.sql_cast(fee_income - spent).as_('balance'),
            group_by=[months.month])
