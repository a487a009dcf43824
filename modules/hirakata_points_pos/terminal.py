"""Terminals (R18): registered before use, activated once, revocable."""
import datetime as dt
import hashlib
import secrets

from sql.conditionals import Coalesce

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.model.exceptions import AccessError
from trytond.pyson import Eval
from trytond.transaction import Transaction

# A one-time activation code is typed on the device: 8 digits, valid for a
# day. The credential the device then keeps is 32 random bytes; only its
# SHA-256 is stored (it has full entropy, so no slow hash is needed).
ACTIVATION_DIGITS = 8
ACTIVATION_VALIDITY = dt.timedelta(days=1)


def digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


class Terminal(Workflow, ModelSQL, ModelView):
    "Terminal"
    __name__ = 'hirakata.terminal'

    name = fields.Char("Name", required=True,
        states={'readonly': Eval('state') == 'revoked'})
    store = fields.Many2One('hirakata.store', "Store", required=True,
        ondelete='RESTRICT',
        states={'readonly': Eval('state') != 'registered'})
    state = fields.Selection([
            ('registered', "Registered"),
            ('active', "Active"),
            ('revoked', "Revoked"),
            ], "State", required=True, readonly=True, sort=False)
    activation_code = fields.Char("Activation Code", readonly=True,
        states={'invisible': Eval('state') != 'registered'},
        help="Type it once on the device to activate it.")
    activation_expires = fields.Timestamp("Activation Code Expires",
        readonly=True,
        states={'invisible': Eval('state') != 'registered'})
    credential_digest = fields.Char("Credential Digest", readonly=True)
    activated_at = fields.Timestamp("Activated At", readonly=True)
    revoked_at = fields.Timestamp("Revoked At", readonly=True)
    revoked_reason = fields.Char("Revoked Reason", readonly=True)
    last_used = fields.Timestamp("Last Used", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('credential_unique', Unique(t, t.credential_digest),
                'hirakata_points_pos.msg_terminal_credential_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.activation_code, Index.Equality()),
                where=t.state == 'registered'))
        cls._transitions |= {
            ('registered', 'active'),
            ('registered', 'revoked'),
            ('active', 'revoked'),
            }
        cls._buttons.update({
                'new_code': {
                    'invisible': Eval('state') != 'registered',
                    'depends': ['state'],
                    },
                'revoke': {
                    'invisible': Eval('state') == 'revoked',
                    'depends': ['state'],
                    },
                })

    @staticmethod
    def default_state():
        return 'registered'

    @classmethod
    def create(cls, vlist):
        vlist = [v.copy() for v in vlist]
        for values in vlist:
            values.update(cls._new_code())
        return super().create(vlist)

    @staticmethod
    def _new_code():
        code = ''.join(secrets.choice('0123456789')
            for _ in range(ACTIVATION_DIGITS))
        return {
            'activation_code': code,
            'activation_expires': dt.datetime.now() + ACTIVATION_VALIDITY,
            }

    @classmethod
    @ModelView.button
    def new_code(cls, terminals):
        "A fresh one-time code, e.g. when the first one expired."
        for terminal in terminals:
            if terminal.state == 'registered':
                cls.write([terminal], cls._new_code())

    @classmethod
    @ModelView.button
    @Workflow.transition('revoked')
    def revoke(cls, terminals, reason=None):
        "Lost, stolen or replaced: its credential stops working at once."
        cls.write(terminals, {
                'revoked_at': dt.datetime.now(),
                'revoked_reason': reason,
                'credential_digest': None,
                'activation_code': None,
                })

    @classmethod
    def activate(cls, code):
        """Exchange a one-time code for the device's credential.

        Returns (terminal, credential); the credential is shown only here.
        """
        terminals = cls.search([
                ('state', '=', 'registered'),
                ('activation_code', '=', code),
                ], limit=1)
        if (not terminals or not code
                or terminals[0].activation_expires < dt.datetime.now()):
            raise AccessError(gettext(
                    'hirakata_points_pos.msg_activation_code_invalid'))
        terminal, = terminals
        credential = secrets.token_urlsafe(32)
        cls.write([terminal], {
                'state': 'active',
                'credential_digest': digest(credential),
                'activation_code': None,
                'activation_expires': None,
                'activated_at': dt.datetime.now(),
                })
        return terminal, credential

    @classmethod
    def authenticate(cls, credential):
        """The active terminal holding credential, else None.

        Read from the database on every request, so a revocation takes
        effect on the very next one (R18).
        """
        if not credential:
            return None
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.id, table.store,
                where=(table.credential_digest == digest(credential))
                & (table.state == 'active')))
        row = cursor.fetchone()
        return cls(row[0]) if row else None

    def touch(self):
        "Record use, at most once a minute to spare the row."
        table = self.__table__()
        cursor = Transaction().connection.cursor()
        now = dt.datetime.now()
        cursor.execute(*table.update([table.last_used], [now],
                where=(table.id == self.id)
                & (Coalesce(table.last_used, dt.datetime.min)
                    < now - dt.timedelta(minutes=1))))
