"""Benchmark of the monthly settlement and the liability report on
PostgreSQL (issue 13).

Loads holders (scripts/benchmark_ledger.py's bulk load), 400 stores and
200 programmes through Tryton, the operator's books, then with set-based
SQL a month of entries (grants and redemptions at the stores, grants of
the programmes, a few cancellations), and measures:

1. booking the month's days (daily moves per day and kind);
2. computing, then reviewing and confirming the month (invoices created
   and posted) — target ≤ 30 s for 1,000,000 entries;
3. the liability report (ledger's outstanding points and the books'
   liability) at a recent date and a year back, with more history loaded
   to --history entries in all, next to the raw-SQL sum of the ledger —
   target ≤ 2 s at 10,000,000 entries.

Usage: .venv/bin/python scripts/benchmark_settlement.py
    [--holders N] [--entries N] [--history N]
Not a test: it prints figures for docs/performance.md.
"""
import argparse
import datetime as dt
import os
import statistics
import sys
import time
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchmark_ledger as bench  # noqa: E402

MONTH = dt.date(2026, 10, 1)
MONTH_END = dt.date(2026, 10, 31)


def load_parties(stores, programmes):
    "Stores and programmes through Tryton; the books; {kind: ids}."
    from trytond.modules.hirakata_points_settlement.books import (
        set_up_books)
    from trytond.modules.company.tests import create_company
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool()
    Currency = pool.get('currency.currency')
    Party = pool.get('party.party')
    Category = pool.get('hirakata.store.category')
    Store = pool.get('hirakata.store')
    Department = pool.get('hirakata.department')
    Type = pool.get('hirakata.programme.type')
    Programme = pool.get('hirakata.programme')
    yen, = Currency.create([{'name': "日本円", 'code': 'JPY', 'digits': 0,
                'symbol': '¥', 'rounding': Decimal(1)}])
    company = create_company("運営機構", currency=yen)
    city, = Party.create([{'name': "枚方市", 'addresses': [('create', [{}])]}])
    with Transaction().set_context(company=company.id):
        set_up_books(company, dt.date(2025, 4, 1), city=city,
            city_fee_rate=Decimal(5))
    category, = Category.create([{'name': "飲食"}])
    store_ids = [s.id for s in Store.create([{'name': "店舗%03d" % n,
                    'category': category.id, 'address': "枚方市",
                    'grant_fee_rate': Decimal(3), 'redeem_fee_rate': Decimal(2),
                    'settlement_method': 'gross' if n % 4 == 0 else 'netting'}
                for n in range(stores)])]
    department, = Department.create([{'code': 'D', 'name': "健康づくり課"}])
    kind, = Type.create([{'name': "教室"}])
    programme_ids = [p.id for p in Programme.create([{'code': 'P%03d' % n,
                    'name': "事業%03d" % n, 'type': kind.id,
                    'department': department.id, 'points': 10,
                    'budget': 10 ** 9, 'start_date': MONTH,
                    'end_date': MONTH_END} for n in range(programmes)])]
    return store_ids, programme_ids


def load_month(entries, stores, programmes):
    """entries of the month: 60 % store grants, 25 % redemptions at
    stores, 15 % programme grants; 1 % of them cancelled."""
    bench.psql("""
        INSERT INTO hirakata_point_entry (account, kind, points,
            balance_after, date, channel, idempotency_key, store, origin,
            create_uid, create_date)
        SELECT a.id,
            CASE WHEN n %% 20 < 12 THEN 'grant' WHEN n %% 20 < 17
                THEN 'redeem' ELSE 'grant' END,
            CASE WHEN n %% 20 BETWEEN 12 AND 16 THEN -(1 + n %% 7)
                ELSE 1 + n %% 50 END,
            0, DATE '%(start)s' + (n %% 31)::int, 'terminal', 'm-' || n,
            CASE WHEN n %% 20 < 17 THEN %(first_store)s + n %% %(stores)s
                END,
            CASE WHEN n %% 20 >= 17 THEN 'hirakata.programme,' ||
                (%(first_programme)s + n %% %(programmes)s) END,
            0, now()
        FROM generate_series(1, %(n)s) n
        JOIN hirakata_point_account a ON a.id = (SELECT min(id)
            FROM hirakata_point_account) + n %% (SELECT count(*)
            FROM hirakata_point_account WHERE kind = 'holder')
        """ % {'n': entries, 'start': MONTH.isoformat(),
            'first_store': min(stores), 'stores': len(stores),
            'first_programme': min(programmes),
            'programmes': len(programmes)}, bulk=True)
    bench.psql("""
        INSERT INTO hirakata_point_entry (account, kind, points,
            balance_after, date, channel, idempotency_key, reversal_of,
            create_uid, create_date)
        SELECT account, 'reversal', -points, 0, date + 1, 'terminal',
            'r-' || id, id, 0, now()
        FROM hirakata_point_entry WHERE idempotency_key LIKE 'm-%%%%'
            AND id %% 100 = 0 AND date < DATE '%s'
        """ % MONTH_END.isoformat(), bulk=True)
    bench.psql("VACUUM ANALYZE", bulk=True)


def load_history(total):
    "Older entries until the ledger holds total entries."
    bench.psql("""
        INSERT INTO hirakata_point_entry (account, kind, points,
            balance_after, date, channel, idempotency_key, create_uid,
            create_date)
        SELECT a.id, 'grant', 1 + n %% 30, 0,
            DATE '%(before)s' - (n %% 500)::int, 'terminal', 'h-' || n, 0, now()
        FROM generate_series(1, greatest(0, %(total)s - (SELECT count(*)
            FROM hirakata_point_entry))) n
        JOIN hirakata_point_account a ON a.id = (SELECT min(id)
            FROM hirakata_point_account) + n %% (SELECT count(*)
            FROM hirakata_point_account WHERE kind = 'holder')
        """ % {'total': total, 'before': MONTH.isoformat()}, bulk=True)
    bench.psql("VACUUM ANALYZE", bulk=True)


def timed(func):
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def settle():
    "Book the days, compute, review and confirm: their times."
    from trytond.modules.hirakata_points import clock
    from trytond.pool import Pool
    pool = Pool(bench.DB)
    Booking = pool.get('hirakata.settlement.booking')
    Period = pool.get('hirakata.settlement.period')
    moment = dt.datetime(2026, 11, 10, 3)  # UTC: noon in Hirakata
    times = {}
    with clock.frozen(moment):
        times['book the month (daily moves)'], _ = timed(
            lambda: bench._run(lambda: Booking.book_until(MONTH_END)))
        period_id = bench._run(
            lambda: Period.create([{'month': MONTH}])[0].id)
        times['compute'], _ = timed(lambda: bench._run(
                lambda: Period.compute([Period(period_id)])))
        times['review and confirm (invoices posted)'], invoices = timed(
            lambda: bench._run(lambda: confirm(Period, period_id)))
    return times, invoices


def confirm(Period, period_id):
    Period.review([Period(period_id)])
    Period.confirm([Period(period_id)])
    return len(Period(period_id).invoices)


def liability(date, runs=5):
    "Medians of the report and of the raw-SQL ledger sum, in seconds."
    from trytond.modules.hirakata_points_settlement.posting import (
        liability_on_books, outstanding_points)
    import psycopg
    report = statistics.median(timed(lambda: bench._run(lambda: (
                    outstanding_points(date), liability_on_books(date))))[0]
        for _ in range(runs))
    with psycopg.connect(bench.URI + bench.DB) as conn:
        raw = statistics.median(timed(lambda: conn.execute(
                    "SELECT sum(e.points) FROM hirakata_point_entry e JOIN "
                    "hirakata_point_account a ON a.id = e.account "
                    "WHERE a.kind = 'holder' AND e.date <= %s",
                    (date,)).fetchone())[0] for _ in range(runs))
    return report, raw


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--holders', type=int, default=20000)
    parser.add_argument('--entries', type=int, default=1000000)
    parser.add_argument('--history', type=int, default=10000000)
    parser.add_argument('--stores', type=int, default=400)
    parser.add_argument('--programmes', type=int, default=200)
    args = parser.parse_args()
    print("creating the database (all modules)…", flush=True)
    bench.create_database(modules=('hirakata_points_settlement',))
    bench.load(args.holders)
    bench._init()
    stores, programmes = bench._run(
        lambda: load_parties(args.stores, args.programmes))
    load_month(args.entries, stores, programmes)
    times, invoices = settle()
    print("%d entries in the month, %d stores, %d programmes: %d invoices"
        % (args.entries, args.stores, args.programmes, invoices))
    for name, seconds in times.items():
        print("  %-40s %6.1f s" % (name, seconds))
    print("  %-40s %6.1f s" % ("compute + confirm", times['compute']
            + times['review and confirm (invoices posted)']))
    load_history(args.history)
    for date in [MONTH_END, MONTH_END - dt.timedelta(days=365)]:
        report, raw = liability(date)
        print("liability at %s, %d entries: report %.2f s (median of 5),"
            " raw SQL ledger sum %.2f s" % (date, args.history, report, raw))


if __name__ == '__main__':
    main()
