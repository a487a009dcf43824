"""Cards (R1, R1b, R3): the carriers through which a holder's account is used."""
from collections import namedtuple

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Bool, Eval
from trytond.wizard import Button, StateTransition, StateView, Wizard

from . import identifier as ident
from . import clock, statement
from .buttons import (
    ButtonsForTheirGroups, ChangedByButtonsOnly)
from .exceptions import CardBlocked, CardIdentifierError, UnknownCard
from .statement import Arg
from .tokens import utc_now

TECHNOLOGIES = [
    (ident.FELICA, "FeliCa"),
    (ident.TYPE_A, "ISO 14443 Type A"),
    (ident.TRANSIT, "Transit IC Card"),
    (ident.QR, "QR Code"),
    ]
BLOCK_REASONS = [
    (None, ""),
    ('lost', "Lost"),
    ('stolen', "Stolen"),
    ('damaged', "Damaged"),
    ('other', "Other"),
    ]

FoundCard = namedtuple('FoundCard',
    ['id', 'account', 'holder', 'name_kana', 'birth_date', 'district'])

# The key of a card is set when it is issued, never changed after.
_KEY_STATES = {'readonly': Eval('id', -1) >= 0}


class Card(ButtonsForTheirGroups, ChangedByButtonsOnly,
        Workflow, ModelSQL, ModelView):
    "Card"
    __name__ = 'hirakata.card'
    _rec_name = 'identifier'

    holder = fields.Many2One('hirakata.holder', "Holder", required=True,
        ondelete='RESTRICT', states=_KEY_STATES)
    account = fields.Many2One('hirakata.point.account', "Account",
        required=True, ondelete='RESTRICT', readonly=True,
        domain=[('holder', '=', Eval('holder', -1))])
    technology = fields.Selection(TECHNOLOGIES, "Technology", required=True,
        states=_KEY_STATES)
    identifier = fields.Char("Identifier", states=_KEY_STATES,
        help="FeliCa IDm (8 bytes) or Type A UID (4, 7 or 10 bytes) in "
        "hexadecimal, or the 16-digit QR card number.")
    issue_date = fields.Date("Issue Date", required=True, readonly=True)
    state = fields.Selection([
            ('active', "Active"),
            ('blocked', "Blocked"),
            ], "State", required=True, readonly=True, sort=False)
    blocked_reason = fields.Selection(BLOCK_REASONS, "Blocked Reason",
        readonly=True)
    blocked_at = fields.Timestamp("Blocked At", readonly=True)
    replaced_by = fields.Many2One('hirakata.card', "Replaced By",
        readonly=True, ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('key_unique', Unique(t, t.technology, t.identifier),
                'hirakata_points.msg_card_key_unique'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.holder, Index.Range())))
        cls._transitions |= {('active', 'blocked')}
        cls._buttons.update({
                'block': {
                    'invisible': Eval('state') != 'active',
                    'depends': ['state'],
                    },
                # A lost card is blocked at once by phone, and re-issued
                # later at the desk: only a replaced card has no re-issue.
                'reissue': {
                    'invisible': Bool(Eval('replaced_by')),
                    'depends': ['replaced_by'],
                    },
                })
        cls._order = [('issue_date', 'DESC'), ('id', 'DESC')]

    @staticmethod
    def default_state():
        return 'active'

    @staticmethod
    def default_issue_date():
        return clock.today()

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        Holder = pool.get('hirakata.holder')
        vlist = [v.copy() for v in vlist]
        for values in vlist:
            values['identifier'] = cls.normalise(
                values.get('technology'), values.get('identifier'))
            if not values.get('account') and values.get('holder'):
                values['account'] = Holder(values['holder']).account.id
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        for cards, values in zip(actions, actions):
            if values.keys() & {'technology', 'identifier', 'holder',
                    'account'}:
                # A card key is permanent: a new card is issued instead.
                raise CardIdentifierError(gettext(
                        'hirakata_points.msg_card_key_readonly'))
        super().write(*args)

    @classmethod
    def normalise(cls, technology, identifier):
        "The stored form of identifier; a new number for an empty QR card."
        if technology == ident.QR and not identifier:
            return ident.new_qr_number()
        try:
            return ident.normalise(technology, identifier)
        except ident.InvalidIdentifier:
            raise CardIdentifierError(gettext(
                    'hirakata_points.msg_card_identifier_invalid',
                    identifier=identifier or '',
                    technology=dict(TECHNOLOGIES).get(
                        technology, technology or '')))

    @classmethod
    def find(cls, technology, identifier):
        """The active card with this key, as a FoundCard, in one query.

        For the hot paths (a terminal's look-up, grant or redeem): it reads
        only what they need, with the holder's name reading, birth date and
        district for masking and campaign rules. Raises UnknownCard or CardBlocked,
        so every channel answers alike.
        """
        pool = Pool()
        Holder = pool.get('hirakata.holder')
        identifier = cls.normalise(technology, identifier)

        def query():
            card = cls.__table__()
            holder = Holder.__table__()
            return card.join(holder, condition=holder.id == card.holder
                ).select(card.id, card.state, card.account, card.holder,
                    holder.name_kana, holder.birth_date, holder.district,
                    where=(card.technology == Arg('technology'))
                    & (card.identifier == Arg('identifier')))
        cursor = statement.run('hirakata.card:find', query,
            technology=technology, identifier=identifier)
        row = cursor.fetchone()
        if not row:
            raise UnknownCard(gettext('hirakata_points.msg_card_unknown'))
        if row[1] != 'active':
            raise CardBlocked(gettext('hirakata_points.msg_card_blocked'))
        return FoundCard(row[0], *row[2:])

    @classmethod
    def lookup(cls, technology, identifier):
        "The active card record with this key (see find)."
        return cls(cls.find(technology, identifier).id)

    @classmethod
    @ModelView.button
    @Workflow.transition('blocked')
    def block(cls, cards, reason='lost'):
        "Block at once (R3): the identifier is refused from now on."
        for card in cards:
            card.blocked_reason = card.blocked_reason or reason
            card.blocked_at = utc_now()
        cls.save(cards)

    @classmethod
    @ModelView.button_action('hirakata_points.wizard_card_reissue')
    def reissue(cls, cards):
        pass

    def reissue_to(self, technology, identifier, reason):
        """Block this card and issue a new one on the same account (R3).

        The account keeps its balance, lots (with their expiry dates) and
        history, so all of it carries over to the new card at once.
        """
        if self.replaced_by:
            raise CardBlocked(gettext(
                    'hirakata_points.msg_card_already_replaced',
                    card=self.rec_name, new_card=self.replaced_by.rec_name))
        if self.state == 'active':
            self.block([self], reason=reason)
        new_card, = self.create([{
                    'holder': self.holder.id,
                    'account': self.account.id,
                    'technology': technology,
                    'identifier': identifier,
                    }])
        self.replaced_by = new_card
        # replaced_by is not part of the card key, so write() allows it.
        self.save()
        return new_card


class ReissueStart(ModelView):
    "Re-issue Card"
    __name__ = 'hirakata.card.reissue.start'
    card = fields.Many2One('hirakata.card', "Card", readonly=True)
    reason = fields.Selection(BLOCK_REASONS[1:], "Reason", required=True)
    technology = fields.Selection(TECHNOLOGIES, "New Card Technology",
        required=True)
    identifier = fields.Char("New Card Identifier",
        states={'required': Eval('technology') != ident.QR},
        depends=['technology'],
        help="Leave empty for a QR card to print a new number.")

    @staticmethod
    def default_reason():
        return 'lost'

    @staticmethod
    def default_technology():
        return ident.FELICA


class Reissue(Wizard):
    "Re-issue Card"
    __name__ = 'hirakata.card.reissue'
    start = StateView('hirakata.card.reissue.start',
        'hirakata_points.card_reissue_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Re-issue", 'reissue', 'tryton-ok', default=True),
            ])
    reissue = StateTransition()

    def default_start(self, fields):
        return {'card': self.record.id}

    def transition_reissue(self):
        self.record.reissue_to(self.start.technology, self.start.identifier,
            self.start.reason)
        return 'end'
