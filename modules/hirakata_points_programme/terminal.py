"""Programme venue terminals: a kind of the store module's terminal, bound
to one programme session, that records participations (R11)."""
from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import ValidationError
from trytond.pool import PoolMeta
from trytond.pyson import Eval

from .api import venue_status


class Terminal(metaclass=PoolMeta):
    __name__ = 'hirakata.terminal'

    session = fields.Many2One('hirakata.programme.session',
        "Programme Session", ondelete='RESTRICT',
        domain=[('programme.state', 'in', ['approved', 'open'])],
        states={
            'readonly': Eval('state') == 'revoked',
            'required': Eval('kind') == 'venue',
            'invisible': Eval('kind') != 'venue',
            },
        help="The session whose participants this terminal records; "
        "change it for the next session.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # Listed after the store terminal, before the kiosk.
        cls.kind.selection.insert(1, ('venue', "Programme Venue"))

    @classmethod
    def validate_fields(cls, terminals, field_names):
        super().validate_fields(terminals, field_names)
        for terminal in terminals:
            if (terminal.kind == 'venue') != bool(terminal.session):
                raise ValidationError(gettext(
                        'hirakata_points_programme.msg_terminal_session',
                        terminal=terminal.rec_name))

    @classmethod
    def describe(cls, terminal):
        if terminal.kind == 'venue':
            return {'venue': venue_status(terminal)}
        return super().describe(terminal)
