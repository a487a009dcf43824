"""Clerks who sign in with a PIN on a store's shared terminal (R15).

A store may require it; then every transaction at its terminals names the
clerk who made it.
"""
import datetime as dt
import re
import secrets

from trytond.i18n import gettext
from trytond.model import DeactivableMixin, ModelSQL, ModelView, Unique, fields
from trytond.model.exceptions import ValidationError
from trytond.modules.hirakata_points.record_rules import RulesOnEveryPath
from trytond.modules.hirakata_points.tokens import digest, utc_now
from trytond.pool import Pool


PIN = re.compile(r'^[0-9]{4,8}$')
SESSION_VALIDITY = dt.timedelta(hours=10)


class Clerk(RulesOnEveryPath, DeactivableMixin, ModelSQL, ModelView):
    "Store Clerk"
    __name__ = 'hirakata.store.clerk'
    store = fields.Many2One('hirakata.store', "Store", required=True,
        ondelete='CASCADE')
    number = fields.Char("Clerk Number", required=True,
        help="What the clerk types before the PIN, e.g. 01.")
    name = fields.Char("Name", required=True)
    pin = fields.Function(fields.Char("PIN", help="4 to 8 digits."),
        'get_pin', setter='set_pin')
    pin_hash = fields.Char("PIN Hash", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('number_unique', Unique(t, t.store, t.number),
                'hirakata_points_pos.msg_clerk_number_unique'),
            ]
        cls._order = [('number', 'ASC'), ('id', 'ASC')]

    def get_pin(self, name):
        return None  # never shown

    @classmethod
    def set_pin(cls, clerks, name, value):
        User = Pool().get('res.user')
        if value is None:
            return
        if not PIN.match(value):
            raise ValidationError(gettext(
                    'hirakata_points_pos.msg_clerk_pin_invalid'))
        cls.write(clerks, {'pin_hash': User.hash_password(value)})

    @classmethod
    def sign_in(cls, store_id, terminal_id, number, pin):
        "A new session token for the clerk of store_id, else None."
        pool = Pool()
        User = pool.get('res.user')
        Session = pool.get('hirakata.store.clerk.session')
        clerks = cls.search([
                ('store', '=', store_id),
                ('number', '=', number),
                ], limit=1)
        if not clerks or not clerks[0].pin_hash:
            return None, None
        clerk, = clerks
        valid, _ = User.check_password(pin, clerk.pin_hash)
        if not valid:
            return None, None
        token = secrets.token_urlsafe(24)
        Session.create([{'clerk': clerk.id, 'terminal': terminal_id,
                    'digest': digest(token),
                    'expires': utc_now() + SESSION_VALIDITY}])
        return clerk, token


class ClerkSession(ModelSQL):
    "Clerk Session"
    __name__ = 'hirakata.store.clerk.session'
    clerk = fields.Many2One('hirakata.store.clerk', "Clerk", required=True,
        ondelete='CASCADE')
    terminal = fields.Many2One('hirakata.terminal', "Terminal",
        required=True, ondelete='CASCADE')
    digest = fields.Char("Digest", required=True)
    expires = fields.Timestamp("Expires", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('digest_unique', Unique(t, t.digest),
                'hirakata_points_pos.msg_terminal_credential_unique'),
            ]

    @classmethod
    def clerk_of(cls, terminal_id, token):
        "The clerk signed in with token on this terminal, else None."
        if not token:
            return None
        sessions = cls.search([
                ('digest', '=', digest(token)),
                ('terminal', '=', terminal_id),
                ('expires', '>', utc_now()),
                ('clerk.active', '=', True),
                ], limit=1)
        return sessions[0].clerk if sessions else None

    @classmethod
    def sign_out(cls, terminal_id, token):
        cls.delete(cls.search([
                    ('digest', '=', digest(token or '')),
                    ('terminal', '=', terminal_id),
                    ]))
