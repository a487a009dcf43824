"""Targeted card distribution (R2): cards pre-issued and mailed to the
residents the city selects, each tracked issued -> mailed -> activated.

A distribution selects holders by age band, district and relation to the
city, or from a list (holder numbers, or residents not yet registered, who
become holders). It then issues a card to each: a QR card number at once,
or, for IC cards, the identifier typed or read when the card is bound to
its line. The mailing list is an XLSX for the printer and the post. A card
counts as activated when its account is first used after mailing (the
hourly job) or when the resident reports receipt.
"""
import datetime as dt
import io
import json

import segno
import xlsxwriter
from sql import Literal
from sql.aggregate import Count, Min
from sql.operators import Exists

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, Workflow, fields
from trytond.model.exceptions import ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.report import Report
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from . import identifier as ident
from . import clock, statement
from .buttons import (
    ButtonsForTheirGroups, ChangedByButtonsOnly)
from .holder import access_log
from .tabular import read_rows

LINE_STATES = [
    ('selected', "Selected"),
    ('issued', "Issued"),
    ('mailed', "Mailed"),
    ('activated', "Activated"),
    ]


CARD_KINDS = [
    ('qr', "QR Card (number printed)"),
    ('ic', "IC Card (identifier read when bound)"),
    ]


class Distribution(ButtonsForTheirGroups, ChangedByButtonsOnly,
        Workflow, ModelSQL, ModelView):
    "Card Distribution"
    __name__ = 'hirakata.card.distribution'
    _states = {'readonly': Eval('state') != 'draft'}

    name = fields.Char("Name", required=True, states=_states)
    card_kind = fields.Selection(CARD_KINDS, "Card Kind", required=True,
        states=_states)
    age_date = fields.Date("Age On", required=True, states=_states,
        help="The date on which the age band applies.")
    age_from = fields.Integer("Age From", states=_states,
        domain=[If(Eval('age_from'), ('age_from', '>=', 0), ())])
    age_to = fields.Integer("Age To", states=_states,
        domain=[If(Eval('age_to'),
                ('age_to', '>=', Eval('age_from', 0)), ())])
    districts = fields.Many2Many('hirakata.card.distribution-district',
        'distribution', 'district', "Districts", states=_states,
        help="Empty for all districts.")
    relation = fields.Selection([
            (None, ""),
            ('resident', "Resident"),
            ('worker', "Works in the City"),
            ('student', "Studies in the City"),
            ], "Relation", states=_states)
    without_card = fields.Boolean("Only Holders Without a Card",
        states=_states)
    list_file = fields.Binary("List", filename='list_filename',
        states=_states,
        help="Instead of the criteria: a CSV (UTF-8) or XLSX with a header "
        "row. Either holder (holder number), or name, kana, birth_date "
        "(YYYY/MM/DD), postal_code, address and district (code) for "
        "residents who are not holders yet.")
    list_filename = fields.Char("List File Name", states=_states)
    state = fields.Selection([
            ('draft', "Draft"),
            ('selected', "Selected"),
            ('issued', "Issued"),
            ('mailed', "Mailed"),
            ], "State", required=True, readonly=True, sort=False)
    # Editable while issued: IC cards are bound by typing their identifier.
    lines = fields.One2Many('hirakata.card.distribution.line',
        'distribution', "Recipients",
        states={'readonly': Eval('state') != 'issued'})
    selected = fields.Function(fields.Integer("Selected"), 'get_counts')
    issued = fields.Function(fields.Integer("Issued"), 'get_counts')
    mailed = fields.Function(fields.Integer("Mailed"), 'get_counts')
    activated = fields.Function(fields.Integer("Activated"), 'get_counts')
    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'selected'),
            ('selected', 'draft'),
            ('selected', 'issued'),
            ('issued', 'mailed'),
            }
        cls._buttons.update({
                'select': {'invisible': Eval('state') != 'draft',
                    'depends': ['state']},
                'reset': {'invisible': Eval('state') != 'selected',
                    'depends': ['state']},
                'issue': {'invisible': Eval('state') != 'selected',
                    'depends': ['state']},
                'mail': {'invisible': Eval('state') != 'issued',
                    'depends': ['state']},
                })

    @staticmethod
    def default_state():
        return 'draft'

    @staticmethod
    def default_card_kind():
        return 'qr'

    @staticmethod
    def default_age_date():
        return clock.today()

    @staticmethod
    def default_without_card():
        return True

    @classmethod
    def get_counts(cls, distributions, names):
        "How many lines reached each state (a mailed card was issued too)."
        Line = Pool().get('hirakata.card.distribution.line')
        line = Line.__table__()
        order = [s for s, _ in LINE_STATES]
        result = {n: {d.id: 0 for d in distributions} for n in names}
        cursor = Transaction().connection.cursor()
        cursor.execute(*line.select(line.distribution, line.state,
                Count(line.id),
                where=line.distribution.in_([d.id for d in distributions]),
                group_by=[line.distribution, line.state]))
        for distribution, state, count in cursor:
            for name in names:
                if order.index(state) >= order.index(name):
                    result[name][distribution] += count
        return result

    @classmethod
    @ModelView.button
    @Workflow.transition('selected')
    def select(cls, distributions):
        "Choose the recipients by the criteria or from the list."
        Line = Pool().get('hirakata.card.distribution.line')
        for distribution in distributions:
            holders = distribution.recipients()
            if not holders:
                raise ValidationError(gettext(
                        'hirakata_points.msg_distribution_empty',
                        distribution=distribution.rec_name))
            Line.create([{'distribution': distribution.id, 'holder': h}
                    for h in holders])

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def reset(cls, distributions):
        "Back to the criteria: the selection is dropped."
        Line = Pool().get('hirakata.card.distribution.line')
        with without_check_access():
            Line.delete(Line.search([
                        ('distribution', 'in', [d.id for d in distributions]),
                        ]))

    @classmethod
    @ModelView.button
    @Workflow.transition('issued')
    def issue(cls, distributions):
        """Pre-issue the cards: a QR card number for each recipient now;
        IC cards wait for their identifier on the line."""
        Line = Pool().get('hirakata.card.distribution.line')
        for distribution in distributions:
            if distribution.card_kind == 'qr':
                Line.issue_qr_cards(Line.search([
                            ('distribution', '=', distribution.id),
                            ('state', '=', 'selected'),
                            ]))

    @classmethod
    @ModelView.button
    @Workflow.transition('mailed')
    def mail(cls, distributions):
        "The issued cards went to the post today."
        Line = Pool().get('hirakata.card.distribution.line')
        lines = Line.search([
                ('distribution', 'in', [d.id for d in distributions]),
                ('state', '=', 'issued'),
                ])
        Line.write(lines, {'state': 'mailed', 'mailed_date': clock.today()})

    def recipients(self):
        "Holder ids chosen by the list, else by the criteria."
        if self.list_file:
            return self._recipients_from_list()
        Holder = Pool().get('hirakata.holder')
        domain = []
        if self.age_from is not None:
            domain.append(('birth_date', '<=',
                    _years_before(self.age_date, self.age_from)))
        if self.age_to is not None:
            domain.append(('birth_date', '>',
                    _years_before(self.age_date, self.age_to + 1)))
        if self.districts:
            domain.append(('district', 'in', [d.id for d in self.districts]))
        if self.relation:
            domain.append(('relation', '=', self.relation))
        if self.without_card:
            domain.append(('cards', 'not where', [('state', '=', 'active')]))
        return [h.id for h in Holder.search(domain, order=[('id', 'ASC')])]

    def _recipients_from_list(self):
        """Holders named by number, and residents on the list registered
        as holders; a row that is neither is refused with its number."""
        pool = Pool()
        Holder = pool.get('hirakata.holder')
        District = pool.get('hirakata.district')
        rows = read_rows(self.list_file, self.list_filename)
        districts = {d.code: d.id for d in District.search([])}
        numbers = {h.number: h.id for h in Holder.search([('number', 'in',
                        [r['holder'] for r in rows if r.get('holder')])])}
        ids, new = [], []
        for number, row in enumerate(rows, 2):
            if row.get('holder'):
                if row['holder'] not in numbers:
                    raise ValidationError(gettext(
                            'hirakata_points.msg_distribution_unknown_holder',
                            row=number, holder=row['holder']))
                ids.append(numbers[row['holder']])
                continue
            try:
                birth_date = dt.date.fromisoformat(
                    row.get('birth_date', '').replace('/', '-')[:10])
            except ValueError:
                birth_date = None
            if not (row.get('name') and row.get('kana') and birth_date):
                raise ValidationError(gettext(
                        'hirakata_points.msg_distribution_bad_row',
                        row=number))
            new.append({'name': row['name'], 'name_kana': row['kana'],
                    'birth_date': birth_date,
                    'postal_code': row.get('postal_code') or None,
                    'address': row.get('address') or None,
                    'district': districts.get(row.get('district'))})
        ids.extend(h.id for h in Holder.create(new))
        return list(dict.fromkeys(ids))


def _years_before(date, years):
    "The date years before date (29 February -> 28 February)."
    try:
        return date.replace(year=date.year - years)
    except ValueError:
        return date.replace(year=date.year - years, day=28)


class DistributionDistrict(ModelSQL):
    "Card Distribution District"
    __name__ = 'hirakata.card.distribution-district'
    distribution = fields.Many2One('hirakata.card.distribution',
        "Distribution", required=True, ondelete='CASCADE')
    district = fields.Many2One('hirakata.district', "District",
        required=True, ondelete='CASCADE')


class DistributionLine(ButtonsForTheirGroups, ChangedByButtonsOnly,
        ModelSQL, ModelView):
    "Card Distribution Recipient"
    __name__ = 'hirakata.card.distribution.line'
    distribution = fields.Many2One('hirakata.card.distribution',
        "Distribution", required=True, ondelete='CASCADE', readonly=True)
    holder = fields.Many2One('hirakata.holder', "Holder", required=True,
        ondelete='RESTRICT', readonly=True)
    card_kind = fields.Function(fields.Selection(CARD_KINDS, "Card Kind"),
        'on_change_with_card_kind')
    identifier = fields.Char("IC Card Identifier",
        states={
            'readonly': ((Eval('state') != 'selected')
                | (Eval('card_kind') != 'ic')),
            },
        help="Read or type the card's IDm or UID to bind it.")
    card = fields.Many2One('hirakata.card', "Card", readonly=True,
        ondelete='RESTRICT')
    state = fields.Selection(LINE_STATES, "State", required=True,
        readonly=True, sort=False)
    issued_date = fields.Date("Issued", readonly=True)
    mailed_date = fields.Date("Mailed", readonly=True)
    activated_date = fields.Date("Activated", readonly=True)
    activated_by = fields.Selection([
            (None, ""),
            ('use', "First Use"),
            ('receipt', "Receipt Reported"),
            ], "Activated By", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('distribution_holder_unique',
                Unique(t, t.distribution, t.holder),
                'hirakata_points.msg_distribution_holder_unique'),
            ]
        cls._order = [('id', 'ASC')]
        cls._buttons.update({
                'received': {'invisible': Eval('state') != 'mailed',
                    'depends': ['state']},
                })

    @staticmethod
    def default_state():
        return 'selected'

    @fields.depends('distribution', '_parent_distribution.card_kind')
    def on_change_with_card_kind(self, name=None):
        return self.distribution.card_kind if self.distribution else None

    @classmethod
    def write(cls, *args):
        "Typing a selected line's IC identifier binds the card to it."
        super().write(*args)
        actions = iter(args)
        for lines, values in zip(actions, actions):
            if values.get('identifier'):
                cls._bind(lines, values['identifier'])

    @classmethod
    def _bind(cls, lines, identifier):
        Card = Pool().get('hirakata.card')
        for line in lines:
            if line.state != 'selected' or line.card_kind != 'ic':
                raise ValidationError(gettext(
                        'hirakata_points.msg_distribution_not_bindable'))
            with without_check_access():
                card, = Card.create([{'holder': line.holder.id,
                            'technology': ident.guess_technology(identifier,
                                qr=False),
                            'identifier': identifier}])
            super().write([line], {'card': card.id,
                    'identifier': card.identifier, 'state': 'issued',
                    'issued_date': clock.today()})

    @classmethod
    def issue_qr_cards(cls, lines):
        "A QR card number for each line, in batches."
        Card = Pool().get('hirakata.card')
        today = clock.today()
        for sub_lines in grouped_slice(lines, 1000):
            sub_lines = list(sub_lines)
            with without_check_access():
                cards = Card.create([{'holder': l.holder.id,
                            'technology': 'qr'} for l in sub_lines])
            to_write = []
            for line, card in zip(sub_lines, cards):
                to_write.extend([[line], {'card': card.id, 'state': 'issued',
                            'issued_date': today}])
            super().write(*to_write)

    @classmethod
    @ModelView.button
    def received(cls, lines):
        "The resident told us the card arrived."
        cls._activate([l for l in lines if l.state == 'mailed'], 'receipt',
            clock.today())

    @classmethod
    def _activate(cls, lines, by, date):
        if lines:
            super().write(lines, {'state': 'activated',
                    'activated_by': by, 'activated_date': date})

    @classmethod
    def mark_used(cls):
        """Mailed cards whose account was used since they were mailed are
        activated, on the day of that first use (the hourly job)."""
        pool = Pool()
        Card = pool.get('hirakata.card')
        Entry = pool.get('hirakata.point.entry')
        line, card, entry = (cls.__table__(), Card.__table__(),
            Entry.__table__())
        cursor = Transaction().connection.cursor()

        def used(*columns):
            return entry.join(card, condition=entry.account == card.account
                ).select(*columns, where=(card.id == line.card)
                    & (entry.date >= line.mailed_date))
        cursor.execute(*line.update(
                [line.state, line.activated_by, line.activated_date],
                [Literal('activated'), Literal('use'),
                    used(Min(entry.date))],
                where=(line.state == 'mailed') & Exists(used(Literal(1)))))
        statement.forget(cls)


class MailingList(Report):
    "The distribution's mailing list as XLSX, for the printer and the post."
    __name__ = 'hirakata.card.distribution.mailing_list'

    COLUMNS = ["郵便番号", "住所", "氏名", "フリガナ", "利用者番号", "校区",
        "カード種別", "カード番号", "状態", "QRコード"]
    QR_COLUMN = 9
    QR_ROW_HEIGHT = 80  # points: a QR code of 16 digits at scale 4

    @staticmethod
    def qr_png(number):
        "A QR card's number as the PNG printed on it (segno)."
        output = io.BytesIO()
        segno.make(number, error='m').save(output, kind='png', scale=4,
            border=2)
        return output.getvalue()

    @classmethod
    def extra_columns(cls, lines):
        """(headers, {line id: values}) of columns other modules print
        after the QR code (the portal: the linking code of each holder).

        A hook that modules override through the pool, adding theirs to
        super()'s."""
        return [], {}

    @classmethod
    def _execute(cls, records, header, data, action):
        pool = Pool()
        Line = pool.get('hirakata.card.distribution.line')
        Card = pool.get('hirakata.card')
        states = dict(Line.fields_get(['state'])['state']['selection'])
        technologies = dict(Card.fields_get(['technology'])['technology'][
                'selection'])
        output = io.BytesIO()
        book = xlsxwriter.Workbook(output, {'in_memory': True})
        bold = book.add_format({'bold': True})
        holders = []
        for distribution in records:
            sheet = book.add_worksheet(distribution.name[:31])
            lines = Line.search([('distribution', '=', distribution.id)])
            extra_headers, extra = cls.extra_columns(lines)
            sheet.write_row(0, 0, cls.COLUMNS + extra_headers, bold)
            for row, line in enumerate(lines, 1):
                holder, card = line.holder, line.card
                holders.append(holder.id)
                sheet.write_row(row, 0, [holder.postal_code or '',
                        holder.address or '', holder.name, holder.name_kana,
                        holder.number,
                        holder.district.name if holder.district else '',
                        technologies[card.technology] if card else '',
                        card.identifier if card else '',
                        states[line.state]])
                sheet.write_row(row, cls.QR_COLUMN + 1, extra.get(line.id, []))
                if card and card.technology == ident.QR:
                    # The picture to print on the card, beside its number.
                    sheet.set_row(row, cls.QR_ROW_HEIGHT)
                    sheet.insert_image(row, cls.QR_COLUMN, 'qr.png', {
                            'image_data': io.BytesIO(
                                cls.qr_png(card.identifier)),
                            'object_position': 1})
            sheet.set_column(0, 0, 10)
            sheet.set_column(1, 1, 40)
            sheet.set_column(2, 8, 16)
            sheet.set_column(cls.QR_COLUMN, cls.QR_COLUMN, 14)
            sheet.set_column(cls.QR_COLUMN + 1, cls.QR_COLUMN + 3, 20)
        book.close()
        # Names and addresses left the system in this file (R4).
        access_log.info(json.dumps({'user': Transaction().user,
                    'holders': sorted(set(holders)),
                    'fields': ['address', 'name', 'name_kana',
                        'postal_code'],
                    'export': 'mailing_list'}))
        return 'xlsx', output.getvalue()
