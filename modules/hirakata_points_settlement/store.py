"""A store is a party of the operator's books: it is invoiced for the
points it grants and paid for the points redeemed there (R24)."""
from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .books import CityNeverAnother
from .rule_check import RulesCheckedInSQL


SETTLEMENT_METHODS = [
    ('netting', "Netting (One Balance)"),
    ('gross', "Gross (Invoice and Payment Notice)"),
    ]
# What accountants change on a store: how it is settled and paid into.
ACCOUNTANT_FIELDS = {'payout_account', 'settlement_method'}
# Who may change the rest (the store module's access).
STORE_EDITORS = ['group_operator', 'group_city_approver', 'group_admin']


class Store(CityNeverAnother, RulesCheckedInSQL, metaclass=PoolMeta):
    __name__ = 'hirakata.store'

    party = fields.Many2One('party.party', "Party", readonly=True,
        ondelete='RESTRICT',
        help="The store in the operator's books; made at its first "
        "settlement.")
    settlement_method = fields.Selection(SETTLEMENT_METHODS,
        "Settlement Method", required=True,
        help="Netting: one invoice with what the store owes less what it "
        "is owed. Gross: an invoice for what it owes and a separate "
        "payment notice for the points redeemed there.")

    payout_account = fields.Many2One('bank.account', "Payout Bank Account",
        ondelete='RESTRICT',
        domain=[('owners', '=', Eval('party', -1))],
        states={'readonly': ~Eval('party')},
        help="The account of the store's party that the operator pays "
        "into (the Zengin transfer file); the payout details the store "
        "gave when it applied are for reference.")

    @staticmethod
    def default_settlement_method():
        return 'netting'

    @classmethod
    def check_modification(cls, mode, stores, values=None, external=False):
        super().check_modification(
            mode, stores, values=values, external=external)
        # Accountants write stores for their payout only; the model access
        # they need for it would give them the whole record.
        if (mode == 'write' and external
                and values.keys() - ACCOUNTANT_FIELDS
                and not cls._user_edits_stores()):
            raise AccessError(gettext(
                    'hirakata_points_settlement.msg_store_accountant_fields'))

    @classmethod
    def _user_edits_stores(cls):
        return user_in_groups(STORE_EDITORS)

    def settlement_party(self):
        "The store's party, made with its address and accounts if missing."
        self.make_settlement_parties([self])
        return self.party

    @classmethod
    def make_settlement_parties(cls, stores):
        """Make the parties of the stores that have none, with their address
        and accounts, at once (a month's first settlement meets them all)."""
        pool = Pool()
        Party = pool.get('party.party')
        Configuration = pool.get('hirakata.settlement.configuration')
        missing = [s for s in stores if not s.party]
        if not missing:
            return
        config = Configuration.books()
        with Transaction().set_user(0), Transaction().set_context(
                _check_access=False, company=config.company.id):
            parties = [Party(name=store.name,
                    addresses=[{'street_unstructured': store.address}],
                    account_receivable=config.account('store_receivable'),
                    account_payable=config.account('store_payable'))
                for store in missing]
            Party.save(parties)
            for store, party in zip(missing, parties):
                store.party = party
            cls.save(missing)

    @classmethod
    def payout_accounts(cls, parties):
        """{party: its store's payout account, or None} of the stores among
        parties: a store is paid into its payout account only."""
        stores = cls.search([('party', 'in', [p.id for p in parties])])
        return {s.party: s.payout_account for s in stores}


def user_in_groups(names):
    """Whether the user is in one of the groups names (of hirakata_points)
    or is the server's own code (user 0)."""
    pool = Pool()
    User = pool.get('res.user')
    Data = pool.get('ir.model.data')
    if not Transaction().user:
        return True
    groups = {Data.get_id('hirakata_points', g) for g in names}
    return bool(groups & set(User.get_groups()))
