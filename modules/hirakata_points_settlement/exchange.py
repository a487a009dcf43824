"""Exchanging points for transit value (R28): the operator's catalogue of
what points buy from transit operators (a bus ticket, a taxi coupon, a
charge onto a transit IC card), residents' exchange requests, the files
sent to each transit operator, and paying the operators in the monthly
settlement (R24).

Request.exchange is the one way to exchange points: the desk's wizard
calls it, and so will the portal. It books an `exchange` entry through the
ledger service and keeps the catalogue's stock and per-holder limits under
concurrency: it first locks the holder's account row (as the ledger does,
so one holder's movements queue), then takes the stock with one guarded
UPDATE of the item's row (so parallel exchanges of an item queue on it and
PostgreSQL makes the later ones start again on a fresh snapshot). Every
check that can refuse runs before anything is written, so a refusal leaves
nothing half-done.

A request goes new → sent (in a batch, the CSV for its operator) →
fulfilled; a new request may be cancelled: Ledger.reverse gives the points
back, the stock is returned. The month's exchanges, cancellations under
their request, are a settlement line per transit operator, paid with a
supplier invoice that empties the clearing account the daily moves filled
(posting.COUNTER_ACCOUNTS: exchange → unsettled_uses).
"""
import csv
import datetime as dt
import io

from sql import Null
from sql.aggregate import Sum
from sql.conditionals import Coalesce

from trytond.i18n import gettext
from trytond.model.exceptions import AccessError
from trytond.model import (
    Check, DeactivableMixin, Index, ModelSQL, ModelView, Unique, Workflow,
    fields)
from trytond.modules.hirakata_points import clock, statement
from trytond.modules.hirakata_points.buttons import (
    ButtonsForTheirGroups, ChangedByButtonsOnly)
from trytond.modules.hirakata_points.exceptions import (
    IdempotencyConflict, InsufficientPoints, InvalidPoints)
from trytond.modules.hirakata_points.statement import Arg
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateAction, StateView, Wizard

from .books import CityNeverAnother, operator_relation, payee_party, yen
from .exceptions import (
    ExchangeError, OutOfStock, OverLimit, SettlementError)

ITEM_KINDS = [
    ('ticket', "Ticket"),
    ('coupon', "Taxi Coupon"),
    ('ic_charge', "Transit IC Card Charge"),
    ('other', "Other"),
    ]
REQUEST = 'hirakata.exchange.request'
# The catalogue's whole numbers and their ceilings: one unit's points (a
# month's commuter pass is some tens of thousands of yen), its stock and a
# holder's units in a month. Beyond them a number is a typing slip.
ITEM_NUMBERS = {
    'points': (1, 100_000),
    'stock': (0, 1_000_000),
    'holder_monthly_limit': (1, 1_000),
    }
# The columns of the file a transit operator receives, in its order.
CSV_HEADER = ['申込番号', '申込日', '交換品コード', '交換品', '数量',
    'ポイント数', '交通系ICカード番号', '利用者番号']


def whole_number(value):
    "Whether a client sent value as a whole number (trytond would cut it)."
    return not isinstance(value, bool) and (isinstance(value, int)
        or (isinstance(value, float) and value.is_integer()))


def normalise_card(number):
    "A transit IC card number as typed: no spaces or hyphens, upper case."
    number = (number or '').replace(' ', '').replace('-', '').replace(
        '\u3000', '').upper()
    return number or None


def month_of(date):
    "(first day, last day) of date's month."
    start = date.replace(day=1)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    return start, following - dt.timedelta(days=1)


class Item(CityNeverAnother, DeactivableMixin, ModelSQL, ModelView):
    "Exchange Item"
    __name__ = 'hirakata.exchange.item'
    _city_field = 'operator'

    code = fields.Char("Code", required=True)
    name = fields.Char("Name", required=True)
    kind = fields.Selection(ITEM_KINDS, "Kind", required=True)
    operator = fields.Many2One('party.party', "Transit Operator",
        required=True, ondelete='RESTRICT',
        help="Who provides it, and is paid for it in the monthly "
        "settlement.")
    points = fields.Integer("Points", required=True,
        domain=[('points', '>', 0)],
        help="What one unit costs in points (1 point is 1 yen).")
    stock = fields.Integer("Stock",
        domain=['OR', ('stock', '=', None), ('stock', '>=', 0)],
        help="Units left to exchange; empty for no limit (e.g. a charge "
        "onto an IC card).")
    holder_monthly_limit = fields.Integer("Limit per Holder and Month",
        domain=['OR', ('holder_monthly_limit', '=', None),
            ('holder_monthly_limit', '>', 0)],
        help="Units one holder may exchange in a calendar month; empty "
        "for no limit.")
    description = fields.Text("Description")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'hirakata_points_settlement.msg_exchange_item_code_unique'),
            ('stock_not_negative', Check(t, t.stock >= 0),
                'hirakata_points_settlement.msg_exchange_stock_negative'),
            ]
        cls._order = [('code', 'ASC'), ('id', 'ASC')]

    @staticmethod
    def default_kind():
        return 'ticket'

    def get_rec_name(self, name):
        return '%s %s' % (self.code, self.name)

    @classmethod
    def preprocess_values(cls, mode, values):
        # Checked as sent: trytond would store 1.5 points as 1.
        values = super().preprocess_values(mode, values)
        for name, (floor, ceiling) in ITEM_NUMBERS.items():
            value = values.get(name)
            if value is None:
                continue
            if not whole_number(value) or not floor <= value <= ceiling:
                raise ExchangeError(gettext(
                        'hirakata_points_settlement.msg_exchange_item_number',
                        field=cls.fields_get([name])[name]['string'],
                        value=value, floor=floor, ceiling=ceiling))
            values[name] = int(value)
        return values

    @classmethod
    def check_modification(cls, mode, items, values=None, external=False):
        super().check_modification(
            mode, items, values=values, external=external)
        if mode == 'create' or (mode == 'write' and values.get('operator')):
            Party = Pool().get('party.party')
            parties = ({Party(values['operator'])} if mode == 'write'
                else {i.operator for i in items})
            for party in parties:
                if operator_relation(party) not in {None, 'transit'}:
                    raise ExchangeError(gettext(
                            'hirakata_points_settlement'
                            '.msg_exchange_operator_refused',
                            party=party.rec_name))

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
    def take_stock(cls, item, quantity):
        """Take quantity units of item's stock, refused past it: one
        guarded UPDATE, on which parallel exchanges of item queue."""
        table = cls.__table__()
        if not statement.run('hirakata.exchange.item:take', lambda:
                table.update([table.stock], [table.stock - Arg('quantity')],
                    where=(table.id == Arg('id'))
                    & ((table.stock == Null)
                        | (table.stock >= Arg('quantity')))),
                id=item.id, quantity=quantity).rowcount:
            statement.forget(cls, [item.id])
            raise OutOfStock(gettext(
                    'hirakata_points_settlement.msg_exchange_out_of_stock',
                    item=item.name, quantity=quantity,
                    stock=cls(item.id).stock))
        statement.forget(cls, [item.id])

    @classmethod
    def return_stock(cls, item, quantity):
        "Put quantity units back into item's stock (a cancellation)."
        table = cls.__table__()
        statement.run('hirakata.exchange.item:return', lambda:
            table.update([table.stock], [table.stock + Arg('quantity')],
                where=(table.id == Arg('id')) & (table.stock != Null)),
            id=item.id, quantity=quantity)
        statement.forget(cls, [item.id])


class Request(ButtonsForTheirGroups, ChangedByButtonsOnly, Workflow,
        ModelSQL, ModelView):
    "Exchange Request"
    __name__ = REQUEST

    holder = fields.Many2One('hirakata.holder', "Holder", required=True,
        readonly=True, ondelete='RESTRICT')
    item = fields.Many2One('hirakata.exchange.item', "Item", required=True,
        readonly=True, ondelete='RESTRICT')
    operator = fields.Many2One('party.party', "Transit Operator",
        required=True, readonly=True, ondelete='RESTRICT',
        help="The item's operator when it was exchanged.")
    quantity = fields.Integer("Quantity", required=True, readonly=True)
    points = fields.Integer("Points", required=True, readonly=True)
    transit_card = fields.Char("Transit IC Card Number", readonly=True,
        states={'invisible': ~Eval('transit_card')})
    date = fields.Date("Date", required=True, readonly=True)
    channel = fields.Selection('get_channels', "Channel", required=True,
        readonly=True)
    key = fields.Char("Idempotency Key", required=True, readonly=True)
    entry = fields.Many2One('hirakata.point.entry', "Ledger Entry",
        readonly=True, ondelete='RESTRICT')
    reversal = fields.Many2One('hirakata.point.entry', "Reversal",
        readonly=True, ondelete='RESTRICT',
        states={'invisible': ~Eval('reversal')})
    batch = fields.Many2One('hirakata.exchange.batch', "Sent With",
        readonly=True, ondelete='RESTRICT',
        states={'invisible': ~Eval('batch')})
    cancel_reason = fields.Text("Reason for Cancelling",
        states={
            'readonly': Eval('state') != 'new',
            'invisible': ~Eval('state').in_(['new', 'cancelled']),
            },
        help="Required to cancel: the ledger records it with the "
        "returned points.")
    state = fields.Selection([
            ('new', "New"),
            ('sent', "Sent"),
            ('fulfilled', "Fulfilled"),
            ('cancelled', "Cancelled"),
            ], "State", readonly=True, required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('key_unique', Unique(t, t.key),
                'hirakata_points.msg_idempotency_conflict'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.entry, Index.Range())),
                Index(t, (t.holder, Index.Range()), (t.item, Index.Range()),
                    (t.date, Index.Range())),
                Index(t, (t.operator, Index.Range()),
                    where=t.state == 'new'),
                })
        cls._order = [('id', 'DESC')]
        cls._transitions |= {
            ('new', 'sent'),
            ('new', 'cancelled'),
            ('sent', 'fulfilled'),
            }
        cls._buttons.update({
                'cancel': {
                    'invisible': Eval('state') != 'new',
                    'depends': ['state'],
                    },
                'fulfil': {
                    'invisible': Eval('state') != 'sent',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def check_modification(cls, mode, requests, values=None,
            external=False):
        super().check_modification(
            mode, requests, values=values, external=external)
        # The reason is the ledger's too (its reversal's): written while
        # the request is new, then kept.
        if mode == 'write' and external and 'cancel_reason' in values:
            for request in requests:
                if request.state != 'new':
                    raise AccessError(gettext(
                            'hirakata_points_settlement'
                            '.msg_exchange_cancel_reason_kept',
                            request=request.rec_name))

    @staticmethod
    def default_state():
        return 'new'

    @classmethod
    def get_channels(cls):
        Entry = Pool().get('hirakata.point.entry')
        return Entry.fields_get(['channel'])['channel']['selection']

    def get_rec_name(self, name):
        return '#%s %s × %s' % (self.id, self.item.name, self.quantity)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('item.rec_name',) + tuple(clause[1:])]

    @classmethod
    def exchange(cls, holder, item, quantity=1, *, key, channel,
            transit_card=None, reason=None):
        """Exchange quantity units of item for holder's points: book the
        ledger's exchange entry and return the new request.

        Refused, with nothing done, for an item withdrawn, out of stock,
        past its limit per holder and month, or more points than the
        holder has. key makes a retry return the first request; the same
        key with another request is refused.
        """
        pool = Pool()
        Account = pool.get('hirakata.point.account')
        Item = pool.get('hirakata.exchange.item')
        Ledger = pool.get('hirakata.point.ledger')
        if not key:
            raise InvalidPoints(gettext('hirakata_points.msg_key_required'))
        transit_card = normalise_card(transit_card)
        account = holder.account
        # The holder's movements queue here, as in the ledger: the limit's
        # count and the points below are the holder's latest.
        statement.lock(Account, account.id)
        replay = cls.search([('key', '=', key)], limit=1)
        if replay:
            request, = replay
            if (request.holder, request.item, request.quantity,
                    request.transit_card) != (
                    holder, item, quantity, transit_card):
                raise IdempotencyConflict(gettext(
                        'hirakata_points.msg_idempotency_conflict'))
            return request
        cls.check_exchange(holder, item, quantity, transit_card)
        points = item.points * quantity
        available = Account.get_available([account], 'available')[
            account.id]
        if available < points:
            raise InsufficientPoints(gettext(
                    'hirakata_points.msg_insufficient_points',
                    points='{:,}'.format(points),
                    available='{:,}'.format(available)))
        Item.take_stock(item, quantity)
        with without_check_access():
            request, = cls.create([{
                        'holder': holder.id, 'item': item.id,
                        'operator': item.operator.id, 'quantity': quantity,
                        'points': points, 'transit_card': transit_card,
                        'date': clock.today(), 'channel': channel,
                        'key': key,
                        }])
            entry = Ledger.redeem(account, points, key='exchange:%s' % key,
                channel=channel, origin=request, kind='exchange',
                reason=reason or gettext(
                    'hirakata_points_settlement.msg_exchange_reason',
                    item=item.name, quantity=quantity),
                request={'item': item.id, 'quantity': quantity})
            cls.write([request], {'entry': entry.id})
        return request

    @classmethod
    def check_exchange(cls, holder, item, quantity, transit_card=None):
        "Refuse what the catalogue does not allow (the stock aside)."
        if not item.active:
            raise ExchangeError(gettext(
                    'hirakata_points_settlement.msg_exchange_item_withdrawn',
                    item=item.name))
        if (not isinstance(quantity, int) or isinstance(quantity, bool)
                or quantity < 1):
            raise ExchangeError(gettext(
                    'hirakata_points_settlement.msg_exchange_quantity'))
        if item.kind == 'ic_charge' and not transit_card:
            raise ExchangeError(gettext(
                    'hirakata_points_settlement'
                    '.msg_exchange_transit_card_required',
                    item=item.name))
        if item.holder_monthly_limit:
            done = cls.exchanged_in_month(holder, item, clock.today())
            if done + quantity > item.holder_monthly_limit:
                raise OverLimit(gettext(
                        'hirakata_points_settlement.msg_exchange_over_limit',
                        item=item.name, limit=item.holder_monthly_limit,
                        done=done))

    @classmethod
    def exchanged_in_month(cls, holder, item, date):
        "Units of item holder exchanged in date's month, not cancelled."
        table = cls.__table__()
        start, end = month_of(date)
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(Coalesce(Sum(table.quantity), 0),
                where=(table.holder == holder.id) & (table.item == item.id)
                & (table.date >= start) & (table.date <= end)
                & (table.state != 'cancelled')))
        return int(cursor.fetchone()[0])

    @classmethod
    @Workflow.transition('sent')
    def send(cls, requests, batch):
        "Mark requests sent to their operator in batch."
        cls.write(requests, {'batch': batch.id})

    @classmethod
    @ModelView.button
    @Workflow.transition('fulfilled')
    def fulfil(cls, requests):
        "The operator has issued what was asked."

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, requests):
        """Cancel requests not sent yet: the ledger reverses their points
        and the stock takes the units back."""
        pool = Pool()
        Item = pool.get('hirakata.exchange.item')
        Ledger = pool.get('hirakata.point.ledger')
        for request in requests:
            if not (request.cancel_reason or '').strip():
                raise ExchangeError(gettext(
                        'hirakata_points_settlement'
                        '.msg_exchange_cancel_reason',
                        request=request.rec_name))
        for request in requests:
            request.reversal = Ledger.reverse(request.entry,
                key='exchange-cancel:%s' % request.id, channel='backoffice',
                origin=request, reason=request.cancel_reason)
            Item.return_stock(request.item, request.quantity)
        cls.save(requests)


class Batch(ModelSQL, ModelView):
    "Exchange Requests Sent to a Transit Operator"
    __name__ = 'hirakata.exchange.batch'

    operator = fields.Many2One('party.party', "Transit Operator",
        required=True, readonly=True, ondelete='RESTRICT')
    date = fields.Date("Date", required=True, readonly=True)
    requests = fields.One2Many(REQUEST, 'batch', "Requests",
        readonly=True)
    points = fields.Function(fields.Integer("Points"), 'get_points')
    file = fields.Function(fields.Binary("CSV File", filename='filename'),
        'get_file')
    filename = fields.Function(fields.Char("File Name"), 'get_filename')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('id', 'DESC')]

    def get_rec_name(self, name):
        return '%s %s' % (self.operator.rec_name,
            self.date.strftime('%Y/%m/%d'))

    def get_points(self, name):
        return sum(r.points for r in self.requests)

    def get_filename(self, name):
        return 'exchange-%s-%s.csv' % (self.date.strftime('%Y%m%d'), self.id)

    def get_file(self, name):
        """The requests as the operator reads them: CSV in UTF-8 with a
        byte order mark (Excel opens it in Japanese) and CRLF lines."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator='\r\n')
        writer.writerow(CSV_HEADER)
        for request in sorted(self.requests, key=lambda r: r.id):
            writer.writerow([request.id, request.date.strftime('%Y/%m/%d'),
                    request.item.code, request.item.name, request.quantity,
                    request.points, request.transit_card or '',
                    request.holder.number])
        return ('\ufeff' + out.getvalue()).encode('utf-8')

    @classmethod
    def send(cls, operator):
        """Put operator's new requests in a new batch, marked sent; the
        batch's file is what the operator receives."""
        Request = Pool().get(REQUEST)
        requests = Request.search([('operator', '=', operator.id),
                ('state', '=', 'new')], order=[('id', 'ASC')])
        if not requests:
            raise ExchangeError(gettext(
                    'hirakata_points_settlement.msg_exchange_nothing_to_send',
                    operator=operator.rec_name))
        with without_check_access():
            batch, = cls.create([{'operator': operator.id,
                        'date': clock.today()}])
            Request.send(requests, batch)
        return batch


class ExchangeStart(ModelView):
    "Exchange Points"
    __name__ = 'hirakata.exchange.exchange.start'

    holder = fields.Many2One('hirakata.holder', "Holder", required=True)
    available = fields.Integer("Available Points", readonly=True)
    item = fields.Many2One('hirakata.exchange.item', "Item", required=True)
    kind = fields.Selection(ITEM_KINDS, "Kind", readonly=True)
    quantity = fields.Integer("Quantity", required=True,
        domain=[('quantity', '>', 0)])
    points = fields.Integer("Points", readonly=True)
    transit_card = fields.Char("Transit IC Card Number",
        states={
            'invisible': Eval('kind') != 'ic_charge',
            'required': Eval('kind') == 'ic_charge',
            })

    @staticmethod
    def default_quantity():
        return 1

    @fields.depends('holder')
    def on_change_with_available(self):
        if self.holder and self.holder.id and self.holder.id >= 0:
            return self.holder.account.available

    @fields.depends('item')
    def on_change_with_kind(self):
        if self.item:
            return self.item.kind

    @fields.depends('item', 'quantity')
    def on_change_with_points(self):
        if self.item and self.quantity:
            return self.item.points * self.quantity


class Exchange(Wizard):
    "Exchange Points"
    __name__ = 'hirakata.exchange.exchange'

    start = StateView('hirakata.exchange.exchange.start',
        'hirakata_points_settlement.exchange_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Exchange", 'exchange', 'tryton-ok', default=True),
            ])
    exchange = StateAction(
        'hirakata_points_settlement.act_exchange_request_form')

    @classmethod
    def execute(cls, session_id, data, state_name):
        # Checked as sent: the form's record would take 1.5 units as 1.
        start = data.get('start') or {}
        quantity = start.get('quantity')
        if quantity is not None and (not whole_number(quantity)
                or quantity < 1):
            raise ExchangeError(gettext(
                    'hirakata_points_settlement.msg_exchange_quantity'))
        # (sent empty; what is not sent stays as the form had it)
        if state_name == 'exchange' and any(
                name in start and not start[name]
                for name in ['holder', 'item']):
            raise ExchangeError(gettext(
                    'hirakata_points_settlement.msg_exchange_holder_item'))
        return super().execute(session_id, data, state_name)

    def default_start(self, fields):
        context = Transaction().context
        if context.get('active_model') == 'hirakata.holder' and (
                context.get('active_id')):
            holder = Pool().get('hirakata.holder')(context['active_id'])
            return {'holder': holder.id, 'quantity': 1,
                'available': holder.account.available}
        return {'quantity': 1}

    def do_exchange(self, action):
        Request = Pool().get(REQUEST)
        # One key per wizard run: a second click returns the same request.
        request = Request.exchange(self.start.holder, self.start.item,
            self.start.quantity, key='backoffice:%s' % self._session_id,
            channel='backoffice', transit_card=self.start.transit_card)
        action['views'].reverse()
        return action, {'res_id': [request.id]}


class SendStart(ModelView):
    "Send Exchange Requests"
    __name__ = 'hirakata.exchange.send.start'

    operator = fields.Many2One('party.party', "Transit Operator",
        required=True, domain=[('id', 'in', Eval('operators', []))])
    operators = fields.Many2Many('party.party', None, None,
        "Operators with New Requests", readonly=True)


class Send(Wizard):
    "Send Exchange Requests"
    __name__ = 'hirakata.exchange.send'

    start = StateView('hirakata.exchange.send.start',
        'hirakata_points_settlement.exchange_send_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Make the File", 'send', 'tryton-ok', default=True),
            ])
    send = StateAction('hirakata_points_settlement.act_exchange_batch_form')

    def default_start(self, fields):
        Request = Pool().get(REQUEST)
        table = Request.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.operator,
                where=table.state == 'new', group_by=[table.operator]))
        operators = [r[0] for r in cursor]
        values = {'operators': operators}
        if len(operators) == 1:
            values['operator'] = operators[0]
        return values

    def do_send(self, action):
        Batch = Pool().get('hirakata.exchange.batch')
        batch = Batch.send(self.start.operator)
        action['views'].reverse()
        return action, {'res_id': [batch.id]}


def month_exchanges(start, end):
    """{operator party id: points} that holders exchanged dated
    start..end, what each transit operator is owed; a cancellation counts
    under its request's operator."""
    pool = Pool()
    Entry = pool.get('hirakata.point.entry')
    Account = pool.get('hirakata.point.account')
    Request = pool.get(REQUEST)
    entry, account, request = (Entry.__table__(), Account.__table__(),
        Request.__table__())
    query = entry.join(account, condition=account.id == entry.account
        ).join(request, condition=request.entry == Coalesce(
            entry.reversal_of, entry.id)
        ).select(request.operator, Sum(entry.points),
            where=(account.kind == 'holder')
            & (entry.date >= start) & (entry.date <= end),
            group_by=[request.operator])
    cursor = Transaction().connection.cursor()
    cursor.execute(*query)
    return {operator: -int(points) for operator, points in cursor if points}


class Period(metaclass=PoolMeta):
    __name__ = 'hirakata.settlement.period'

    def compute_lines(self):
        "The month's lines and a line per transit operator (R28)."
        pool = Pool()
        Line = pool.get('hirakata.settlement.line')
        Party = pool.get('party.party')
        lines = super().compute_lines()
        exchanged = month_exchanges(self.start_date, self.end_date)
        for party in sorted(Party.browse(list(exchanged)),
                key=lambda p: p.rec_name):
            points = exchanged[party.id]
            lines.append(Line(period=self, category='transit_exchange',
                    party=payee_party(party), points=points,
                    amount=-yen(points)))
        return lines




class Line(metaclass=PoolMeta):
    __name__ = 'hirakata.settlement.line'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.category.selection = list(cls.category.selection) + [
            ('transit_exchange', "Points Exchanged for Transit")]

    def account_role(self):
        if self.category == 'transit_exchange':
            return 'unsettled_uses'
        return super().account_role()

    def payable_role(self):
        if self.category == 'transit_exchange':
            return 'transit_payable'
        return super().payable_role()


class Entry(metaclass=PoolMeta):
    __name__ = 'hirakata.point.entry'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + [REQUEST]

    def holder_description(self):
        origin = self.origin
        if getattr(origin, '__name__', None) == REQUEST and origin.id >= 0:
            return '%s（%s）' % (self.kind_string, origin.item.name)
        return super().holder_description()
