"""Paying stores and transit operators by bank transfer (R24): a payment
journal processed as 「全銀協 総合振込」 turns a payment group into the
Zengin transfer file (zengin.py), kept on the group for the accountant to
upload to the operator's bank.

Only payables in yen into complete Japanese bank accounts can be in the
file: anything else is refused before a file exists, so a file is never
missing a payment of its group. A store is paid into its payout account, a
transit operator into its first account with Zengin details; a payee gets
one transfer of the sum of its payments. The transfer date is a bank
business day after the city's today."""
import datetime as dt
import re

import jpholiday

from trytond.i18n import gettext
from trytond.model import fields
from trytond.model.exceptions import AccessError
from trytond.modules.hirakata_points import clock
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from . import zengin
from .bank import zengin_bank, zengin_branch
from .exceptions import PaymentDateError, PaymentFileError

ZENGIN = ('zengin', "Zengin Bulk Transfer")
# What a payment pays, to whom and when.
PAID_FIELDS = {'amount', 'date', 'party', 'line', 'kind', 'journal',
    'company', 'currency'}
# What only the workflow and processing write: a payment's state and
# group, a group's number, kind, journal, payments and file.
PROCESSED_FIELDS = {
    'account.payment': {'state', 'group'},
    'account.payment.group': {'number', 'kind', 'journal', 'company',
        'payments', 'zengin_file', 'zengin_filename'},
    }


def check_processed_fields(Model, values):
    "Refuse a client's write of what only the workflow writes."
    for name in sorted(values.keys() & PROCESSED_FIELDS[Model.__name__]):
        raise AccessError(gettext(
                'hirakata_points.msg_field_changed_by_buttons_only',
                **Model.__names__(field=name)))


def zengin_journal(name):
    """A payment journal of the operator's, processed as a Zengin transfer
    file. A payment that succeeds (the bank transferred it) is booked by
    Tryton's clearing: its payable moves to the bank deposits, the
    invoice it pays is paid; the move is posted by the daily cron."""
    pool = Pool()
    Configuration = pool.get('hirakata.settlement.configuration')
    Journal = pool.get('account.payment.journal')
    AccountJournal = pool.get('account.journal')
    config = Configuration.books()
    company = config.company
    journal, = Journal.create([{'name': name, 'company': company.id,
                'currency': company.currency.id, 'process_method': 'zengin',
                'clearing_account': config.account('bank_account').id,
                'clearing_journal': AccountJournal.find({'type': 'cash'}).id,
                'clearing_posting_delay': dt.timedelta(0)}])
    return journal


class Journal(metaclass=PoolMeta):
    __name__ = 'account.payment.journal'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        if ZENGIN not in cls.process_method.selection:
            cls.process_method.selection.append(ZENGIN)


class Group(metaclass=PoolMeta):
    __name__ = 'account.payment.group'

    zengin_file = fields.Binary("Zengin Transfer File",
        filename='zengin_filename', readonly=True)
    zengin_filename = fields.Char("Zengin File Name", readonly=True)

    @classmethod
    def check_modification(cls, mode, groups, values=None, external=False):
        super().check_modification(
            mode, groups, values=values, external=external)
        # The file is what was sent to the bank, the group what it pays:
        # made by processing only.
        if mode == 'write' and external:
            check_processed_fields(cls, values)

    def process_zengin(self):
        "Make the group's transfer file; refuse what it cannot pay."
        pool = Pool()
        Configuration = pool.get('hirakata.settlement.configuration')
        config = Configuration.books()
        payments = sorted(self.payments, key=lambda p: p.id)
        accounts = payee_accounts(payments)
        dates = {p.date for p in payments}
        if len(dates) > 1:
            raise PaymentFileError(gettext(
                    'hirakata_points_settlement.msg_zengin_dates',
                    group=self.rec_name))
        date, = dates
        # a group's payments are in its journal's currency
        if self.journal.currency.code != 'JPY':
            raise PaymentFileError(gettext(
                    'hirakata_points_settlement.msg_zengin_currency',
                    payment=payments[0].rec_name,
                    currency=self.journal.currency.code))
        transfers = payee_transfers(payments, accounts)
        # a bank takes a transfer file before its transfer date, for a
        # day it transfers on
        if date <= clock.today():
            raise PaymentFileError(gettext(
                    'hirakata_points_settlement.msg_zengin_date_past',
                    group=self.rec_name,
                    date=date.strftime('%Y/%m/%d')))
        if not bank_business_day(date):
            raise PaymentFileError(gettext(
                    'hirakata_points_settlement.msg_zengin_bank_holiday',
                    group=self.rec_name, date=date.strftime('%Y/%m/%d'),
                    next=next_bank_day(date).strftime('%Y/%m/%d')))
        try:
            self.zengin_file = zengin.transfer_file(consignor(config), date,
                transfers)
        except zengin.ZenginError as error:
            # e.g. an amount wider than the format's 10 digits
            raise PaymentFileError(gettext(
                    'hirakata_points_settlement.msg_zengin_file_refused',
                    group=self.rec_name, error=str(error))) from error
        check_paying_what_is_owed(payments)
        # (a file per group: two groups of a date are two files)
        self.zengin_filename = 'zengin_%s_%s.txt' % (
            date.strftime('%Y%m%d'), re.sub(r'[^0-9A-Za-z-]', '', self.number))
        self.save()


class Payment(metaclass=PoolMeta):
    __name__ = 'account.payment'

    @classmethod
    def check_modification(cls, mode, payments, values=None,
            external=False):
        super().check_modification(
            mode, payments, values=values, external=external)
        # What was submitted is what is approved, processed and in the
        # transfer file (the screen's read-only is the client's); a
        # processed payment does not go back to draft to be paid again.
        if mode == 'write' and external:
            check_processed_fields(cls, values)
        if mode == 'create' and external:
            # (create and copy: a payment starts as a draft of no group)
            for payment in payments:
                check_processed_fields(cls, {name: None
                        for name, start in [('state', 'draft'),
                            ('group', None)]
                        if getattr(payment, name) != start})
        if mode == 'write' and external and values.keys() & PAID_FIELDS:
            for payment in payments:
                if payment.state != 'draft':
                    raise AccessError(gettext(
                            'hirakata_points_settlement'
                            '.msg_payment_submitted',
                            payment=payment.rec_name))

    @classmethod
    def process_method_with_group(cls):
        return super().process_method_with_group() + ['zengin']

    @classmethod
    def succeed(cls, payments):
        # A transfer succeeds on its transfer date at the earliest, and
        # its clearing entry (Tryton's, dated the day the wizard is
        # given) cannot be dated before the money left the bank nor in
        # the future.
        pool = Pool()
        Move = pool.get('account.move')
        today = clock.today()
        date = Transaction().context.get('clearing_date') or today
        zengin_payments = [p for p in payments
            if p.journal.process_method == 'zengin']
        if zengin_payments and (not isinstance(date, dt.date)
                or isinstance(date, dt.datetime)):
            raise PaymentDateError(gettext(
                    'hirakata_points_settlement'
                    '.msg_payment_succeed_date_invalid',
                    payment=zengin_payments[0].rec_name))
        for payment in zengin_payments:
            if date > today or (payment.date and date < payment.date):
                raise PaymentDateError(gettext(
                        'hirakata_points_settlement'
                        '.msg_payment_succeed_date',
                        payment=payment.rec_name,
                        date=date.strftime('%Y/%m/%d'),
                        transfer_date=(payment.date.strftime('%Y/%m/%d')
                            if payment.date else '—'),
                        today=today.strftime('%Y/%m/%d')))
        super().succeed(payments)
        # posted now, not by the next run of Tryton's cron: a draft
        # clearing entry could still be dated otherwise by hand
        Move.post([m for m in (p.clearing_move
                    for p in cls.browse(zengin_payments))
                if m and m.state == 'draft'])


class ProcessPayment(metaclass=PoolMeta):
    __name__ = 'account.payment.process'

    def _group_payment_key(self, payment):
        key = super()._group_payment_key(payment)
        # a transfer file has one transfer date: a group per date
        if payment.journal.process_method == 'zengin':
            key += (('zengin_date', payment.date),)
        return key

    def _new_group(self, values):
        values = dict(values)
        values.pop('zengin_date', None)
        return super()._new_group(values)


class PayLineStart(metaclass=PoolMeta):
    __name__ = 'account.move.line.pay.start'

    @classmethod
    def default_date(cls):
        """The next bank business day in Hirakata: the earliest transfer
        date a bank takes a file for (the lines' own maturity dates are in
        the settled month, past)."""
        return next_bank_day(clock.today())


# The banks' year-end break (銀行休業日 besides weekends and national
# holidays): 31 December to 3 January.
YEAR_END = {(12, 31), (1, 1), (1, 2), (1, 3)}


def bank_business_day(date):
    "Whether banks in Japan transfer money on date."
    return (date.weekday() < 5 and not jpholiday.is_holiday(date)
        and (date.month, date.day) not in YEAR_END)


def next_bank_day(date):
    "The first bank business day after date."
    date += dt.timedelta(days=1)
    while not bank_business_day(date):
        date += dt.timedelta(days=1)
    return date


def check_paying_what_is_owed(payments):
    """Money leaves for what the books owe only: each payment pays a line
    of what the operator owes (an invoice, a payment notice), and no more
    than it (Tryton only warns, and the warning can be accepted)."""
    for payment in payments:
        if not payment.line:
            raise PaymentFileError(gettext(
                    'hirakata_points_settlement.msg_payment_without_line',
                    payment=payment.rec_name, party=payment.party.rec_name))
        if payment.line.payment_amount < 0:
            raise PaymentFileError(gettext(
                    'hirakata_points_settlement.msg_payment_overpays',
                    payment=payment.rec_name,
                    line=payment.line.rec_name))


def payee_accounts(payments):
    """{payment: bank account it pays into}: a store's payout account,
    another party's first active account with complete Zengin details."""
    Store = Pool().get('hirakata.store')
    parties = {p.party for p in payments}
    by_party = Store.payout_accounts(parties)
    for party in parties - set(by_party):
        for account in party.bank_accounts_used:
            if account.zengin_complete():
                by_party[party] = account
                break
    return {p: by_party.get(p.party) for p in payments}


def payee_transfers(payments, accounts):
    """One transfer per payee and account, of the sum of its payments (a
    store owed for several months or invoices is paid once, with one bank
    fee), in the order of each payee's first payment; or why the file
    cannot pay one of them."""
    amounts = {}
    for payment in payments:
        account = accounts.get(payment)
        if payment.kind != 'payable':
            raise PaymentFileError(gettext(
                    'hirakata_points_settlement.msg_zengin_receivable',
                    payment=payment.rec_name))
        if not account or not account.zengin_complete():
            raise PaymentFileError(gettext(
                    'hirakata_points_settlement.msg_zengin_no_account',
                    payment=payment.rec_name, party=payment.party.rec_name))
        key = (payment.party, account)
        amounts[key] = amounts.get(key, 0) + payment.amount
    return [transfer(party, account, amount)
        for (party, account), amount in amounts.items()]


def transfer(party, account, amount):
    "The transfer of amount to party into account."
    bank = zengin_bank(account.bank.zengin_code)
    branch = zengin_branch(bank.code, account.zengin_branch)
    # 顧客コード1: the payee, as the bank's statement will show it back
    return zengin.Transfer(bank_code=bank.code, bank_name=bank.kana,
        branch_code=branch.code, branch_name=branch.kana,
        deposit_type=account.zengin_deposit_type,
        account_number=account.zengin_number,
        holder=account.zengin_holder, amount=amount,
        customer_code=party.id)


def consignor(config):
    "The operator as the file's consignor, from the configuration."
    account = config.zengin_account
    if not (config.zengin_consignor_code and config.zengin_consignor_name
            and account and account.zengin_complete()):
        raise PaymentFileError(gettext(
                'hirakata_points_settlement.msg_zengin_not_configured'))
    # (its owners may have changed since it was chosen)
    if config.company.party not in account.owners:
        raise PaymentFileError(gettext(
                'hirakata_points_settlement.msg_zengin_account_owner',
                account=account.rec_name))
    bank = zengin_bank(account.bank.zengin_code)
    branch = zengin_branch(bank.code, account.zengin_branch)
    return zengin.Consignor(code=config.zengin_consignor_code,
        name=config.zengin_consignor_name, bank_code=bank.code,
        bank_name=bank.kana, branch_code=branch.code,
        branch_name=branch.kana, deposit_type=account.zengin_deposit_type,
        account_number=account.zengin_number)
