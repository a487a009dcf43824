"""Terminals (R18): registered before use, activated once, revocable."""
import datetime as dt
import secrets
import unicodedata
from collections import namedtuple

from trytond.i18n import gettext
from trytond.modules.hirakata_points import statement
from trytond.modules.hirakata_points.buttons import (
    ButtonsForTheirGroups, ChangedByButtonsOnly)
from trytond.modules.hirakata_points.record_rules import RulesOnEveryPath
from trytond.modules.hirakata_points.statement import Arg
from trytond.modules.hirakata_points.tokens import digest, utc_now
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.model.exceptions import AccessError, ValidationError
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

# A one-time activation code is typed on the device: 12 characters of an
# alphabet without look-alikes (no 0/O, 1/I/L, U), about 59 bits, shown in
# groups of four (ABCD-EFGH-JKMN) and valid for a day. The credential the
# device then keeps is 32 random bytes; only its SHA-256 is stored (it has
# full entropy, so no slow hash is needed).
ACTIVATION_ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789'
ACTIVATION_LENGTH = 12
ACTIVATION_GROUP = 4
ACTIVATION_VALIDITY = dt.timedelta(days=1)
# Last use is shown to the minute; writing it on every request would cost
# a statement and make a terminal's parallel requests collide on its row.
USE_PRECISION = dt.timedelta(minutes=1)


class Terminal(RulesOnEveryPath, ButtonsForTheirGroups,
        ChangedByButtonsOnly, Workflow, ModelSQL, ModelView):
    "Terminal"
    __name__ = 'hirakata.terminal'

    name = fields.Char("Name", required=True,
        states={'readonly': Eval('state') == 'revoked'})
    kind = fields.Selection([
            ('store', "Store Terminal"),
            ('kiosk', "Balance Kiosk"),
            ], "Kind", required=True, sort=False,
        states={'readonly': Eval('state') != 'registered'},
        help="A store's terminal grants and redeems; a kiosk in a city "
        "facility only shows balances.")
    store = fields.Many2One('hirakata.store', "Store",
        ondelete='RESTRICT',
        states={
            'readonly': Eval('state') != 'registered',
            'required': Eval('kind') == 'store',
            'invisible': Eval('kind') != 'store',
            })
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

    @staticmethod
    def default_kind():
        return 'store'

    @classmethod
    def validate_fields(cls, terminals, field_names):
        super().validate_fields(terminals, field_names)
        for terminal in terminals:
            if (terminal.kind == 'store') != bool(terminal.store):
                raise ValidationError(gettext(
                        'hirakata_points_pos.msg_terminal_kind',
                        terminal=terminal.rec_name))

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            # After the access check: nobody may write the code, the
            # terminal gets one.
            values.update(cls._new_code())
        return values

    @classmethod
    def _new_code(cls):
        "A one-time code no other terminal waiting for activation has."
        while True:
            code = grouped(''.join(secrets.choice(ACTIVATION_ALPHABET)
                    for _ in range(ACTIVATION_LENGTH)))
            if not cls.search([
                        ('state', '=', 'registered'),
                        ('activation_code', '=', code),
                        ], limit=1):
                break
        return {
            'activation_code': code,
            'activation_expires': utc_now() + ACTIVATION_VALIDITY,
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
                'revoked_at': utc_now(),
                'revoked_reason': reason,
                'credential_digest': None,
                'activation_code': None,
                })

    @classmethod
    def activate(cls, code):
        """Exchange a one-time code for the device's credential.

        Returns (terminal, credential); the credential is shown only here.
        code is taken with or without separators, in either case.
        """
        code = normalised_code(code)
        terminals = code and cls.search([
                ('state', '=', 'registered'),
                ('activation_code', '=', code),
                ], limit=1)
        if (not terminals or not code
                or terminals[0].activation_expires < utc_now()):
            raise AccessError(gettext(
                    'hirakata_points_pos.msg_activation_code_invalid'))
        terminal, = terminals
        credential = secrets.token_urlsafe(32)
        cls.write([terminal], {
                'state': 'active',
                'credential_digest': digest(credential),
                'activation_code': None,
                'activation_expires': None,
                'activated_at': utc_now(),
                })
        return terminal, credential

    @classmethod
    def alert_activation_failures(cls, limit):
        """Tell the operators and administrators in the back office (its
        notifications) that wrong activation codes ran out the budget."""
        pool = Pool()
        Notification = pool.get('res.notification')
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        groups = [ModelData.get_id(module, xml_id) for module, xml_id in [
                ('hirakata_points', 'group_operator'), ('res', 'group_admin')]]
        with without_check_access():
            users = User.search([('groups', 'in', groups)])
            Notification.create([{
                        'user': user.id,
                        'label': gettext(
                            'hirakata_points_pos.msg_activation_failures_alert'),
                        'description': gettext('hirakata_points_pos.'
                            'msg_activation_failures_alert_description',
                            limit=limit),
                        'icon': 'tryton-warning',
                        'action': ModelData.get_id(
                            'hirakata_points_pos', 'act_terminal_form'),
                        } for user in users])

    @classmethod
    def authenticate(cls, credential):
        """The active terminal holding credential, with its store, else None.

        Read from the database on every request, in one query, so a
        revocation takes effect on the very next one (R18). Terminals of
        other kinds have no store: its columns are None.
        """
        if not credential:
            return None
        Store = Pool().get('hirakata.store')

        def query():
            terminal = cls.__table__()
            store = Store.__table__()
            return terminal.join(store, 'LEFT',
                condition=store.id == terminal.store).select(
                terminal.id, terminal.name, terminal.kind,
                store.id, store.code, store.name,
                store.state, store.grants, store.redeems,
                store.yen_per_point, store.clerk_pin_required,
                terminal.last_used,
                where=(terminal.credential_digest == Arg('digest'))
                & (terminal.state == 'active'))
        row = statement.run('hirakata.terminal:authenticate', query,
            digest=digest(credential)).fetchone()
        return TerminalContext(*row) if row else None

    @classmethod
    def describe(cls, terminal):
        """What the terminal API tells an authenticated terminal of a kind
        another module adds about what it serves (a venue's session).

        A hook that the module adding the kind overrides through the pool,
        answering for its kind and super()'s for the others."""
        return {}

    @classmethod
    def touch(cls, terminal):
        "Record use of an authenticated terminal, at most once a minute."
        now = utc_now()
        if terminal.last_used and terminal.last_used > now - USE_PRECISION:
            return
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update([table.last_used], [now],
                where=table.id == terminal.id))


def normalised_code(code):
    """code as it is stored (grouped, upper case), or None when it is not
    one: spaces, hyphens, case and full-width letters (a Japanese input
    method's) as the person typed them are ignored."""
    if not isinstance(code, str) or len(code) > 40:
        return None
    code = ''.join(c for c in unicodedata.normalize('NFKC', code).upper()
        if c not in ' -\u30fc\u2212')
    if (len(code) != ACTIVATION_LENGTH
            or any(c not in ACTIVATION_ALPHABET for c in code)):
        return None
    return grouped(code)


def grouped(code):
    "code in groups of four for reading: ABCD-EFGH-JKMN."
    return '-'.join(code[i:i + ACTIVATION_GROUP]
        for i in range(0, len(code), ACTIVATION_GROUP))


# An authenticated terminal and what the API needs of its store.
TerminalContext = namedtuple('TerminalContext', ['id', 'name', 'kind',
        'store', 'store_code', 'store_name', 'store_state', 'grants',
        'redeems', 'yen_per_point', 'clerk_pin_required', 'last_used'])
