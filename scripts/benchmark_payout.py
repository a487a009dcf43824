"""Benchmark of the payout file (issue 13): 400 stores, each with a bank
account and a payment the operator owes it, paid by one payment group of
the Zengin journal — target ≤ 1 s for the file.

Measures, --runs times each, and prints the median (and the range):
1. processing 400 approved payments into a payment group, which builds
   and stores its Zengin transfer file (Tryton's Payment.process);
2. building the file alone again for that group (process_zengin);
3. the writer alone (zengin.transfer_file) on the same 400 transfers.

Runs on the backend TRYTOND_DATABASE_URI names (PostgreSQL for the
figures in docs/performance.md; SQLite in memory when unset), in a
database made as the tests make theirs (DB_CACHE speeds a second run).

Usage: [TRYTOND_DATABASE_URI=postgresql://…/] .venv/bin/python \
    scripts/benchmark_payout.py [--stores N] [--runs N]
Not a test: it prints figures for docs/performance.md.
"""
import argparse
import datetime as dt
import os
import random
import statistics
import time
from decimal import Decimal

import run_tests  # noqa: E402 (scripts/: the tests' database cache)

os.environ.setdefault('TRYTOND_DATABASE_URI', 'sqlite://')
if os.environ['TRYTOND_DATABASE_URI'].startswith('postgresql'):
    os.environ.setdefault('DB_NAME', 'bench_payout')
    os.environ.setdefault('DB_CACHE', 'postgresql://')
else:
    os.environ.setdefault('DB_CACHE', os.path.join(run_tests.ROOT, 'var',
            'cache', run_tests.modules_digest()))
    os.makedirs(os.environ['DB_CACHE'], exist_ok=True)

from trytond.tests.test_tryton import DB_NAME, activate_module  # noqa: E402

PAY_DATE = dt.date(2026, 11, 30)


def load(stores):
    """The operator's books and Zengin set-up, and stores with their party
    and a bank account at a random bank and branch of zengin-code;
    returns (company, journal, parties)."""
    from trytond.modules.hirakata_points_settlement.bank import zengin_banks
    from trytond.modules.hirakata_points_settlement.tests.tools import (
        bank_account, set_up_operator, set_up_zengin)
    from trytond.modules.company.tests import set_company
    from trytond.pool import Pool
    pool = Pool()
    Category = pool.get('hirakata.store.category')
    Store = pool.get('hirakata.store')
    rng = random.Random(13)
    banks = [b for b in zengin_banks().values() if b.branches]
    company = set_up_operator()
    with set_company(company):
        journal = set_up_zengin(company)
        category, = Category.create([{'name': "飲食"}])
        records = Store.create([{'name': "店舗%03d" % n,
                    'category': category.id, 'address': "枚方市"}
                for n in range(stores)])
        for store in records:
            bank = rng.choice(banks)
            branch = rng.choice(list(bank.branches))
            store.payout_account = bank_account(store.settlement_party(),
                bank.code, branch, '%07d' % rng.randrange(10 ** 7),
                "ﾃﾝﾎﾟ%s" % store.name[-3:])
        Store.save(records)
        return company, journal, [s.party for s in records]


def approved_payments(company, journal, parties):
    "A payment owed to each party, submitted and approved."
    from trytond.pool import Pool
    Payment = Pool().get('account.payment')
    payments = Payment.create([{'company': company.id,
                'journal': journal.id, 'kind': 'payable', 'party': p.id,
                'amount': Decimal(1000 + n), 'date': PAY_DATE}
            for n, p in enumerate(parties)])
    Payment.submit(payments)
    Payment.approve(payments)
    return payments


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def report(name, seconds):
    print("%-46s median %.3f s (min %.3f, max %.3f, %d runs)" % (
            name, statistics.median(seconds), min(seconds), max(seconds),
            len(seconds)), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--stores', type=int, default=400)
    parser.add_argument('--runs', type=int, default=5)
    args = parser.parse_args()

    from trytond.transaction import Transaction, TransactionError

    print("backend: %s, %d stores" % (
            os.environ['TRYTOND_DATABASE_URI'].split(':')[0], args.stores),
        flush=True)
    activate_module(['hirakata_points_settlement'])
    # started again with what it locks locked first, as trytond's
    # dispatcher does (setting up the books creates singletons)
    extras = {}
    while True:
        try:
            with Transaction().start(DB_NAME, 0, **extras):
                run(args)
                Transaction().rollback()
            return
        except TransactionError as error:
            error.fix(extras)


def run(args):
    from trytond.modules.company.tests import set_company
    from trytond.modules.hirakata_points_settlement import zengin
    from trytond.modules.hirakata_points_settlement.payment import (
        consignor, payee_accounts, payee_transfers)
    from trytond.pool import Pool
    pool = Pool()
    Payment = pool.get('account.payment')
    Group = pool.get('account.payment.group')
    Configuration = pool.get('hirakata.settlement.configuration')
    seconds, (company, journal, parties) = timed(
        lambda: load(args.stores))
    print("loaded in %.1f s" % seconds, flush=True)
    from trytond.modules.hirakata_points import clock
    # the file goes to the bank before its transfer date
    with set_company(company), clock.frozen(
            dt.datetime.combine(PAY_DATE, dt.time()) - dt.timedelta(days=5)):
        processing, building, writing = [], [], []
        for _ in range(args.runs):
            payments = approved_payments(company, journal, parties)

            def new_group():
                group = Group(company=company, journal=journal,
                    kind='payable')
                group.save()
                return group
            seconds, group = timed(
                lambda: Payment.process(payments, new_group))
            processing.append(seconds)
            # a fresh instance: nothing read yet, as in a new request
            group = Group(group.id)
            building.append(timed(group.process_zengin)[0])
            config = Configuration(1)
            accounts = payee_accounts(group.payments)
            transfers = payee_transfers(group.payments, accounts)
            writing.append(timed(lambda: zengin.transfer_file(
                        consignor(config), PAY_DATE, transfers))[0])
        content = group.zengin_file
        assert len(content) == (args.stores + 3) * 122
        assert int(content.split(b'\r\n')[-3][1:7]) == args.stores
    report("process %d payments into a group with its file"
        % args.stores, processing)
    report("build the group's file again", building)
    report("the writer alone", writing)


if __name__ == '__main__':
    main()
