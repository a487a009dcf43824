"""Back-office corrections by operator staff: adjust an account, reverse an
entry. Both go through the ledger service with a mandatory reason."""
from trytond.model import ModelView, fields
from trytond.pool import Pool
from trytond.wizard import Button, StateTransition, StateView, Wizard


class AdjustStart(ModelView):
    "Adjust Points"
    __name__ = 'hirakata.point.adjust.start'
    account = fields.Many2One('hirakata.point.account', "Account",
        readonly=True)
    points = fields.Integer("Points", required=True,
        help="Positive to add, negative to subtract.")
    reason = fields.Text("Reason", required=True)


class Adjust(Wizard):
    "Adjust Points"
    __name__ = 'hirakata.point.adjust'
    start = StateView('hirakata.point.adjust.start',
        'hirakata_points.adjust_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Adjust", 'adjust', 'tryton-ok', default=True),
            ])
    adjust = StateTransition()

    def default_start(self, fields):
        return {'account': self.record.id}

    def transition_adjust(self):
        Ledger = Pool().get('hirakata.point.ledger')
        # One key per wizard run: a double click books once.
        Ledger.adjust(self.record, self.start.points,
            key='backoffice:adjust:%s' % self._session_id,
            channel='backoffice', reason=self.start.reason)
        return 'end'


class ReverseStart(ModelView):
    "Reverse Entry"
    __name__ = 'hirakata.point.reverse.start'
    entry = fields.Many2One('hirakata.point.entry', "Entry", readonly=True)
    reason = fields.Text("Reason", required=True)


class Reverse(Wizard):
    "Reverse Entry"
    __name__ = 'hirakata.point.reverse'
    start = StateView('hirakata.point.reverse.start',
        'hirakata_points.reverse_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Reverse", 'reverse', 'tryton-ok', default=True),
            ])
    reverse = StateTransition()

    def default_start(self, fields):
        return {'entry': self.record.id}

    def transition_reverse(self):
        Ledger = Pool().get('hirakata.point.ledger')
        Ledger.reverse(self.record,
            key='backoffice:reverse:%s' % self._session_id,
            channel='backoffice', reason=self.start.reason)
        return 'end'
