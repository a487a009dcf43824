"""Parties and bank accounts are the operator's counterparties: every staff
user reads them, only accountants (and Tryton's party administrators)
change them."""
from trytond.model.exceptions import AccessError
from trytond.modules.hirakata_points.tests.test_module import create_user
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

READ_ONLY_GROUPS = ['group_auditor', 'group_store_staff', 'group_city_staff',
    'group_city_approver', 'group_operator']


def as_client(user):
    "What a client's call as user does: access rights checked."
    transaction = Transaction()
    return transaction.set_user(user.id), transaction.set_context(
        _check_access=True)


class PartyAccessTestCase(_DBTestCase):
    "Who changes parties, their addresses and bank accounts"
    module = 'hirakata_points_settlement'

    @with_transaction()
    def test_only_accountants_change_parties(self):
        pool = Pool()
        Party = pool.get('party.party')
        Address = pool.get('party.address')
        Identifier = pool.get('party.identifier')
        party, = Party.create([{'name': "くずは書店",
                    'addresses': [('create', [{'street': "楠葉花園町1-1"}])]}])
        address, = party.addresses
        for group in READ_ONLY_GROUPS:
            user = create_user(group, group)
            user_context, check = as_client(user)
            with user_context, check:
                self.assertEqual(Party.read([party.id], ['name'])[0]['name'],
                    "くずは書店")
                for refused in [
                        lambda: Party.write([party], {'name': "改ざん"}),
                        lambda: Party.create([{'name': "架空の取引先"}]),
                        lambda: Address.write([address],
                            {'street': "改ざん"}),
                        lambda: Identifier.create([{'party': party.id,
                                    'code': '1234567890123'}]),
                        lambda: Party.delete([party])]:
                    with self.assertRaises(AccessError, msg=group):
                        refused()
        accountant = create_user('accountant', 'group_accountant')
        user_context, check = as_client(accountant)
        with user_context, check:
            Party.write([party], {'name': "くずは書店（株）"})
            Address.write([address], {'street': "楠葉花園町1-2"})
        self.assertEqual(Party(party.id).name, "くずは書店（株）")


del _DBTestCase
