"""Participant lists imported from CSV or XLSX (R11).

The wizard reads the file, shows every row's outcome (ok, ineligible,
unknown card, duplicate, over cap…) before anything is granted, then
grants exactly the ok rows. Each row's key is the session and holder, so
importing the same file again grants nothing new.
"""
from decimal import Decimal, InvalidOperation

from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.modules.hirakata_points import identifier as ident
from trytond.modules.hirakata_points.tabular import read_rows
from trytond.pool import Pool
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import ParticipationDuplicate, ProgrammeError

OUTCOMES = [
    ('ok', "OK"),
    ('unknown', "Unknown Card or Holder"),
    ('refused', "Refused"),
    ('duplicate', "Duplicate"),
    ('invalid', "Invalid Row"),
    ]


class ImportStart(ModelView):
    "Import Participants"
    __name__ = 'hirakata.programme.import.start'
    session = fields.Many2One('hirakata.programme.session', "Session",
        required=True, domain=[('programme.state', '=', 'open')])
    file = fields.Binary("File", required=True, filename='filename',
        help="CSV (UTF-8) or XLSX with a header row: holder or card, "
        "and hours for programmes paid by the hour.")
    filename = fields.Char("File Name")


class ImportLine(ModelView):
    "Import Row"
    __name__ = 'hirakata.programme.import.line'
    row = fields.Integer("Row", readonly=True)
    reference = fields.Char("Card or Holder", readonly=True)
    holder = fields.Many2One('hirakata.holder', "Holder", readonly=True)
    hours = fields.Numeric("Hours", digits=(6, 2), readonly=True)
    points = fields.Integer("Points", readonly=True)
    outcome = fields.Selection(OUTCOMES, "Outcome", readonly=True)
    message = fields.Char("Message", readonly=True)


class ImportPreview(ModelView):
    "Import Participants"
    __name__ = 'hirakata.programme.import.preview'
    lines = fields.One2Many('hirakata.programme.import.line', None,
        "Rows", readonly=True)
    ok = fields.Integer("Rows to Grant", readonly=True)
    points = fields.Integer("Points to Grant", readonly=True)


class Import(Wizard):
    "Import Participants"
    __name__ = 'hirakata.programme.import'
    start = StateView('hirakata.programme.import.start',
        'hirakata_points_programme.programme_import_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Preview", 'preview', 'tryton-forward', default=True),
            ])
    preview = StateView('hirakata.programme.import.preview',
        'hirakata_points_programme.programme_import_preview_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Grant", 'grant', 'tryton-ok', default=True),
            ])
    grant = StateTransition()

    def outcomes(self):
        "Every row with its outcome, as the preview shows it."
        pool = Pool()
        Participation = pool.get('hirakata.programme.participation')
        session = self.start.session
        seen, lines, taken = set(), [], 0
        for number, row in enumerate(read_rows(self.start.file,
                    self.start.filename), 2):
            line = {'row': number, 'outcome': 'ok',
                'reference': row.get('holder') or row.get('card') or ''}
            lines.append(line)
            try:
                hours = row.get('hours')
                line['hours'] = Decimal(hours) if hours else None
            except InvalidOperation:
                line.update(outcome='invalid', message=gettext(
                        'hirakata_points_programme.msg_import_hours'))
                continue
            holder = self._holder(row)
            if holder is None:
                line.update(outcome='unknown', message=gettext(
                        'hirakata_points_programme.msg_import_unknown'))
                continue
            line['holder'] = holder.id
            if holder.id in seen:
                line.update(outcome='duplicate', message=gettext(
                    'hirakata_points_programme.msg_participation_duplicate'))
                continue
            seen.add(holder.id)
            try:
                line['points'] = Participation.check(session, holder,
                    line['hours'], taken=taken)
                taken += line['points']
            except ParticipationDuplicate as error:
                line.update(outcome='duplicate', message=error.message)
            except ProgrammeError as error:
                line.update(outcome='refused', message=error.message)
        return lines

    @staticmethod
    def _holder(row):
        pool = Pool()
        Holder = pool.get('hirakata.holder')
        Card = pool.get('hirakata.card')
        if row.get('holder'):
            holders = Holder.search([('number', '=', row['holder'])],
                limit=1)
            return holders[0] if holders else None
        identifier = row.get('card') or ''
        technology = row.get('technology') or ident.guess_technology(
            identifier)
        try:
            return Holder(Card.find(technology, identifier).holder)
        except UserError:
            return None

    def default_preview(self, fields):
        lines = self.outcomes()
        ok = [l for l in lines if l['outcome'] == 'ok']
        return {'lines': lines, 'ok': len(ok),
            'points': sum(l['points'] for l in ok)}

    def transition_grant(self):
        "Grant the ok rows; their keys make a re-import grant nothing new."
        Participation = Pool().get('hirakata.programme.participation')
        session = self.start.session
        Participation.record_checked(session, [
                (l['holder'], l['hours'], l['points'],
                    'import:%s:%s' % (session.id, l['holder']))
                for l in self.outcomes() if l['outcome'] == 'ok'],
            channel='import')
        return 'end'

