"""Parties and bank accounts are the operator's counterparties: staff
users read them (store staff their own store's only), only accountants
(and Tryton's party administrators) change them."""
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company
from trytond.modules.hirakata_points.tests.test_module import create_user
from trytond.modules.hirakata_points_pos.tests.tools import make_store
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
        store = make_store("くずは書店", party=party.id)
        for group in READ_ONLY_GROUPS:
            user = create_user(group, group)
            if group == 'group_store_staff':
                user.hirakata_store = store
                user.save()
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

    @with_transaction()
    def test_store_staff_read_their_store_party_only(self):
        """Not the other stores', the city's, a payee's nor an employee's,
        nor their addresses and contacts; a user who is also an accountant
        reads all."""
        pool = Pool()
        Party = pool.get('party.party')
        Address = pool.get('party.address')
        Contact = pool.get('party.contact_mechanism')
        ours, theirs, person = Party.create([{'name': name,
                    'addresses': [('create', [{'street': street}])],
                    'contact_mechanisms': [('create', [{
                                    'type': 'phone', 'value': phone}])]}
                for name, street, phone in [
                    ("枚方パン", "大垣内町1-1", "072-800-0001"),
                    ("くずは書店", "楠葉花園町1-1", "072-800-0002"),
                    ("経理 担当", "岡東町2-2", "090-0000-0003")]])
        store = make_store("枚方パン", party=ours.id)
        make_store("くずは書店", party=theirs.id)
        # a bank is everybody's: its accounts name it
        bank = pool.get('bank').from_zengin_code('0009')
        pool.get('company.employee').create([{'party': person.id,
                    'company': create_company().id}])
        clerk = create_user('clerk', 'group_store_staff')
        clerk.hirakata_store = store
        clerk.save()
        user_context, check = as_client(clerk)
        with user_context, check:
            self.assertCountEqual(Party.search([]), [ours, bank.party])
            self.assertEqual(Party.read([bank.party.id], ['name'])[0]['name'],
                bank.party.name)
            self.assertEqual(pool.get('company.employee').search([]), [])
            self.assertEqual(Address.search([]), list(ours.addresses))
            self.assertEqual(Contact.search([]),
                list(ours.contact_mechanisms))
            self.assertEqual(Party.search([('name', '=', "くずは書店")]), [])
            for refused in [
                    lambda: Party.read([theirs.id], ['name']),
                    lambda: Party.read([person.id], ['name']),
                    lambda: Address.read([a.id for a in person.addresses],
                        ['street']),
                    lambda: Contact.read(
                        [c.id for c in person.contact_mechanisms],
                        ['value'])]:
                with self.assertRaises(AccessError):
                    refused()
        Data = pool.get('ir.model.data')
        pool.get('res.user').write([clerk], {'groups': [('add', [
                            Data.get_id('hirakata_points',
                                'group_accountant')])]})
        with user_context, check:
            self.assertEqual(len(Party.search([('id', 'in',
                                [ours.id, theirs.id, person.id])])), 3)


del _DBTestCase
