"""Benchmark of the monthly settlement and the liability report on
PostgreSQL (issue 13).

Loads holders (scripts/benchmark_ledger.py's bulk load), --stores stores
and --programmes programmes through Tryton, the operator's books, then with
set-based SQL (INSERT ... SELECT generate_series) the ledger: a history
before the month (store grants and redemptions) up to --history entries in
all, and a month of --entries entries (grants and redemptions at the
stores, grants of the programmes, 1 % of them cancelled the next day), the
holders' balances set to the sum of their entries as the ledger service
keeps them. Then it runs Tryton's own code and measures, in the same run:

1. booking the history (setup) and the month's days (daily moves per day
   and kind, posting.py);
2. computing the month (--runs times) next to the raw-SQL aggregate that
   computing needs;
3. reviewing and confirming the month (invoices created and posted):
   --confirm-runs runs, each rolled back but the last (committed);
   --profile prints cProfile's top functions of one confirm;
4. the liability report (ledger's outstanding points and the books'
   liability) at the month's end and a year back, next to the raw-SQL
   sums.

Each step reports wall time, the CPU time of this Python process and the
CPU time of its PostgreSQL backend (same machine, from /proc).
Targets: compute + confirm ≤ 30 s for 1,000,000 entries, 400 stores, 200
programmes; liability report ≤ 2 s at 10,000,000 entries.

Usage: BENCH_URI=postgresql://postgres@127.0.0.1:5432/ \
    .venv/bin/python scripts/benchmark_settlement.py [--holders N]
    [--entries N] [--history N] [--stores N] [--programmes N] [--runs N]
    [--confirm-runs N] [--profile] [--rollback] [--skip-load]
Not a test: it prints figures for docs/performance.md.
"""
import argparse
import cProfile
import datetime as dt
import os
import pstats
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



def load_entries(history, entries, stores, programmes):
    """The ledger's entries, as the ledger service would have written them
    (balances included; no lots: neither the books nor the settlement
    reads them; balance_after, which nothing here reads, is left 0).

    History: entries dated over the 400 days before the month, until the
    ledger holds history entries in all (70 % store grants of 1–30
    points, 30 % redemptions of 1–7). The month: 60 % store grants, 25 %
    redemptions at stores, 15 % programme grants; 1 % of them cancelled
    the next day (in the month). n picks the kind (n % 10 or n % 20) and
    n / 10 or n / 20 the store or programme, so that every store both
    grants and redeems and every programme grants."""
    first_account = ("(SELECT min(id) FROM hirakata_point_account "
        "WHERE kind = 'holder')")
    holders = ("(SELECT count(*) FROM hirakata_point_account "
        "WHERE kind = 'holder')")
    values = {'start': MONTH.isoformat(), 'end': MONTH_END.isoformat(),
        'first_store': min(stores), 'stores': len(stores),
        'first_programme': min(programmes), 'programmes': len(programmes),
        'n': entries, 'history': history, 'first_account': first_account,
        'holders': holders}
    bench.psql("""
        INSERT INTO hirakata_point_entry (account, kind, points,
            balance_after, date, channel, idempotency_key, store,
            create_uid, create_date)
        SELECT %(first_account)s + n %% %(holders)s,
            CASE WHEN n %% 10 < 7 THEN 'grant' ELSE 'redeem' END,
            CASE WHEN n %% 10 < 7 THEN 1 + n %% 30 ELSE -(1 + n %% 7) END,
            0, DATE '%(start)s' - 1 - (n %% 400)::int, 'terminal',
            'h-' || n, %(first_store)s + n / 10 %% %(stores)s, 0, now()
        FROM generate_series(1, greatest(0, %(history)s - %(n)s
            - %(n)s / 100 - (SELECT count(*) FROM hirakata_point_entry))) n
        """ % values, bulk=True)
    bench.psql("""
        INSERT INTO hirakata_point_entry (account, kind, points,
            balance_after, date, channel, idempotency_key, store, origin,
            create_uid, create_date)
        SELECT %(first_account)s + n %% %(holders)s,
            CASE WHEN n %% 20 < 12 THEN 'grant' WHEN n %% 20 < 17
                THEN 'redeem' ELSE 'grant' END,
            CASE WHEN n %% 20 BETWEEN 12 AND 16 THEN -(1 + n %% 7)
                ELSE 1 + n %% 50 END,
            0, DATE '%(start)s' + (n %% 31)::int, 'terminal', 'm-' || n,
            CASE WHEN n %% 20 < 17 THEN %(first_store)s
                + n / 20 %% %(stores)s END,
            CASE WHEN n %% 20 >= 17 THEN 'hirakata.programme,' ||
                (%(first_programme)s + n / 20 %% %(programmes)s) END,
            0, now()
        FROM generate_series(1, %(n)s) n
        """ % values, bulk=True)
    bench.psql("""
        INSERT INTO hirakata_point_entry (account, kind, points,
            balance_after, date, channel, idempotency_key, reversal_of,
            create_uid, create_date)
        SELECT account, 'reversal', -points, 0, date + 1, 'terminal',
            'r-' || id, id, 0, now()
        FROM hirakata_point_entry WHERE idempotency_key LIKE 'm-%%'
            AND id %% 100 = 0 AND date < DATE '%(end)s'
        """ % values, bulk=True)
    # A holder gets only grants or only redemptions here (n picks both
    # the account and the kind); one whose entries would leave a negative
    # balance gets an opening grant before them all, as the ledger would
    # have needed.
    bench.psql("""
        INSERT INTO hirakata_point_entry (account, kind, points,
            balance_after, date, channel, idempotency_key, store,
            create_uid, create_date)
        SELECT account, 'grant', 100 - sum(points), 0,
            DATE '%(start)s' - 450, 'terminal', 'o-' || account,
            %(first_store)s, 0, now()
        FROM hirakata_point_entry GROUP BY account HAVING sum(points) < 0
        """ % values, bulk=True)
    bench.psql("""
        UPDATE hirakata_point_account a SET balance = s.total
        FROM (SELECT account, sum(points) AS total
            FROM hirakata_point_entry GROUP BY account) s
        WHERE s.account = a.id AND a.balance != s.total""", bulk=True)
    bench.psql("VACUUM ANALYZE", bulk=True)


class Rollback(Exception):
    pass


def backend_cpu(pid):
    "CPU seconds (user + system) of the PostgreSQL backend pid."
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def measured(func, commit=True, profile=None, then=None):
    """Run func in one transaction (rolled back unless commit), restarted
    as the dispatcher does when it asks for locks: (wall s, this process's
    CPU s, its database backend's CPU s, result). then(), if given, runs
    after func in the same transaction, untimed (its time is taken off),
    and its result is the result."""
    from trytond.transaction import Transaction, TransactionError
    extras, result = {}, None
    cpu, wall = time.process_time(), time.perf_counter()
    untimed = [0.0, 0.0, 0.0]
    while True:
        try:
            with Transaction().start(bench.DB, 0, **extras) as transaction:
                cursor = transaction.connection.cursor()
                cursor.execute('SELECT pg_backend_pid()')
                pid, = cursor.fetchone()
                db_cpu = backend_cpu(pid)
                try:
                    if profile:
                        profile.enable()
                    result = func()
                finally:
                    if profile:
                        profile.disable()
                if then:
                    start = (time.perf_counter(), time.process_time(),
                        backend_cpu(pid))
                    result = then()
                    end = (time.perf_counter(), time.process_time(),
                        backend_cpu(pid))
                    untimed = [e - s for s, e in zip(start, end)]
                if not commit:
                    raise Rollback
            break
        except TransactionError as e:
            # the dispatcher's restart, e.g. to take the locks asked for
            e.fix(extras)
            measured.restarts += 1
            if os.environ.get('BENCH_RESTARTS'):
                import traceback
                frames = [f for f in traceback.extract_tb(e.__traceback__)
                    if 'site-packages/trytond/transaction' not in f.filename]
                print('    restart: %s %s at %s' % (type(e).__name__,
                        getattr(e, '_table', ''), ' <- '.join(
                            '%s:%d' % (f.filename.split('/')[-1], f.lineno)
                            for f in frames[-4:])), flush=True)
        except Rollback:
            break
    wall = time.perf_counter() - wall - untimed[0]
    cpu = time.process_time() - cpu - untimed[1]
    try:
        db_cpu = backend_cpu(pid) - db_cpu - untimed[2]
    except FileNotFoundError:  # the backend ended with its connection
        db_cpu = float('nan')
    return wall, cpu, db_cpu, result


measured.restarts = 0


def raw_timed(sql, params=(), runs=3):
    "Median wall time of sql over psycopg (no framework), and its rows."
    import psycopg
    times = []
    with psycopg.connect(bench.URI + bench.DB) as conn:
        for _ in range(runs):
            start = time.perf_counter()
            rows = conn.execute(sql, params).fetchall()
            times.append(time.perf_counter() - start)
    return statistics.median(times), rows


# What computing needs at least: the month's movements by kind, store and
# origin, a reversal under its original's (period.month_movements).
RAW_MONTH = """
    SELECT coalesce(o.kind, e.kind), coalesce(o.store, e.store),
        coalesce(o.origin, e.origin), sum(e.points)
    FROM hirakata_point_entry e
    JOIN hirakata_point_account a ON a.id = e.account
    LEFT JOIN hirakata_point_entry o ON o.id = e.reversal_of
    WHERE a.kind = 'holder' AND e.date BETWEEN %s AND %s
    GROUP BY 1, 2, 3"""
# The report's own method: today's balances less the later entries.
RAW_OUTSTANDING = """
    SELECT (SELECT coalesce(sum(balance), 0) FROM hirakata_point_account
            WHERE kind = 'holder')
        - (SELECT coalesce(sum(e.points), 0) FROM hirakata_point_entry e
            JOIN hirakata_point_account a ON a.id = e.account
            WHERE a.kind = 'holder' AND e.date > %s)"""
# The plain sum of every entry up to the date.
RAW_SUM = """
    SELECT sum(e.points) FROM hirakata_point_entry e
    JOIN hirakata_point_account a ON a.id = e.account
    WHERE a.kind = 'holder' AND e.date <= %s"""


class Results:
    def __init__(self):
        self.rows = []

    def add(self, name, runs, raw=None, note=''):
        """runs: [(wall, cpu, db_cpu)]; raw: the raw-SQL median."""
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        db_cpu = statistics.median(r[2] for r in runs)
        self.rows.append((name, len(runs), wall, cpu, db_cpu, raw, note))
        self.print_row(self.rows[-1])

    @staticmethod
    def print_row(row):
        name, n, wall, cpu, db_cpu, raw, note = row
        text = "  %-44s n=%d wall %7.2f s  cpu %7.2f s  db cpu %7.2f s" % (
            name, n, wall, cpu, db_cpu)
        if raw is not None:
            text += "  raw SQL %.3f s (%.1fx)" % (raw, wall / raw)
        print(text + ('  ' + note if note else ''), flush=True)

    def print(self):
        print("\nmedians:")
        for row in self.rows:
            self.print_row(row)


def settle(args, results):
    "Book the days, compute, review and confirm, measured."
    from trytond.modules.hirakata_points import clock
    from trytond.pool import Pool
    pool = Pool(bench.DB)
    Booking = pool.get('hirakata.settlement.booking')
    Period = pool.get('hirakata.settlement.period')
    Invoice = pool.get('account.invoice')
    moment = dt.datetime(2026, 11, 10, 3)  # UTC: noon in Hirakata
    with clock.frozen(moment):
        # (nothing left to book on a database booked by a previous run)
        wall, cpu, db_cpu, bookings = measured(lambda: Booking.book_until(
                MONTH - dt.timedelta(days=1)))
        results.add('book the history (setup)', [(wall, cpu, db_cpu)],
            note='%d daily bookings' % len(bookings))
        wall, cpu, db_cpu, bookings = measured(
            lambda: Booking.book_until(MONTH_END))
        results.add('book the month (daily moves)', [(wall, cpu, db_cpu)],
            note='%d daily bookings' % len(bookings))
        period_id = measured(lambda: (
                Period.search([('month', '=', MONTH)])
                or Period.create([{'month': MONTH}]))[0].id)[-1]
        state = measured(lambda: Period(period_id).state)[-1]
        if state == 'confirmed':
            sys.exit("the month is confirmed already: load again")
        raw, rows = raw_timed(RAW_MONTH, (MONTH, MONTH_END), args.runs)
        runs = []
        for _ in range(args.runs):
            runs.append(measured(lambda: Period.compute(
                        [Period(period_id)]))[:3])
        lines = measured(lambda: len(Period(period_id).lines))[-1]
        results.add('compute', runs, raw=raw,
            note='%d lines from %d groups' % (lines, len(rows)))
        measured(lambda: Period.review([Period(period_id)]))

        def confirm():
            Period.confirm([Period(period_id)])

        def count():
            "What confirm made (read after it, untimed)."
            invoices = Period(period_id).invoices
            return (len(invoices), sum(len(i.lines) for i in invoices),
                sum(len(i.move.lines) for i in invoices))
        if args.profile:
            # one more, first and rolled back, under the profiler
            profile = cProfile.Profile()
            wall = measured(lambda: Period.confirm([Period(period_id)]),
                commit=False, profile=profile)[0]
            print("\nprofile of one confirm (%.1f s under the profiler)"
                % wall)
            path = os.path.join(bench.ROOT, 'var', 'confirm.prof')
            profile.dump_stats(path)
            print("(pstats file: %s)" % path)
            stats = pstats.Stats(profile)
            stats.sort_stats('cumulative').print_stats(50)
            stats.sort_stats('tottime').print_stats(30)
        runs = []
        for n in range(args.confirm_runs):
            last = n == args.confirm_runs - 1 and not args.rollback
            restarts = measured.restarts
            *times, counts = measured(confirm, commit=last, then=count)
            runs.append(times)
            print("    confirm run %d: %.2f s, %d restarts%s" % (n + 1,
                    times[0], measured.restarts - restarts,
                    '' if last else ' (rolled back)'), flush=True)
        if runs:
            results.add('confirm (invoices created and posted)', runs,
                note='%d invoices, %d invoice lines, %d move lines'
                % counts)
        posted = measured(lambda: Invoice.search_count(
                [('hirakata_period', '=', period_id),
                    ('state', '=', 'posted')]))[-1]
        print("  posted invoices of the month: %d" % posted)


def liability(date, runs, results):
    "The report's medians next to the raw-SQL sums."
    from trytond.modules.hirakata_points_settlement.posting import (
        liability_report)
    from trytond.modules.hirakata_points import clock
    with clock.frozen(dt.datetime(2026, 11, 10, 3)):
        measured_runs = [measured(lambda: liability_report(date))
            for _ in range(runs)]
    report = measured_runs[-1][-1]
    raw, ((outstanding,),) = raw_timed(RAW_OUTSTANDING, (date,), runs)
    raw_sum, ((total,),) = raw_timed(RAW_SUM, (date,), runs)
    # (SUM of no rows is NULL: a short history does not reach the date)
    outstanding, total = outstanding or 0, total or 0
    results.add('liability report at %s' % date,
        [r[:3] for r in measured_runs], raw=raw,
        note='ledger %d, books %d, raw %d; plain raw sum %.3f s (%d)' % (
            report['ledger_points'], report['books_amount'], outstanding,
            raw_sum, total))
    assert report['ledger_points'] == outstanding == total, report
    assert report['difference'] == 0, report


def main():
    parser = argparse.ArgumentParser(description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--holders', type=int, default=20000)
    parser.add_argument('--entries', type=int, default=1000000,
        help="entries in the month")
    parser.add_argument('--history', type=int, default=10000000,
        help="entries in the ledger in all")
    parser.add_argument('--stores', type=int, default=400)
    parser.add_argument('--programmes', type=int, default=200)
    parser.add_argument('--runs', type=int, default=3,
        help="runs of compute and of the liability report")
    parser.add_argument('--confirm-runs', type=int, default=1,
        help="runs of confirm, all but the last rolled back")
    parser.add_argument('--profile', action='store_true',
        help="profile one more confirm, first and rolled back "
        "(cProfile's top functions; its stats in var/confirm.prof)")
    parser.add_argument('--rollback', action='store_true',
        help="roll every confirm back (to measure again with --skip-load)")
    parser.add_argument('--liability-only', action='store_true',
        help="with --skip-load, measure the liability report only")
    parser.add_argument('--skip-load', action='store_true',
        help="measure again on the database loaded by a previous run")
    args = parser.parse_args()
    results = Results()
    if not args.skip_load:
        print("creating the database (all modules)…", flush=True)
        start = time.perf_counter()
        bench.create_database(modules=('hirakata_points_settlement',))
        bench.load(args.holders)
        bench._init()
        stores, programmes = bench._run(
            lambda: load_parties(args.stores, args.programmes))
        print("  database, holders, stores, programmes: %.0f s"
            % (time.perf_counter() - start), flush=True)
        start = time.perf_counter()
        load_entries(args.history, args.entries, stores, programmes)
        count, = raw_timed("SELECT count(*) FROM hirakata_point_entry",
            runs=1)[1][0]
        print("  %d entries loaded: %.0f s" % (
                count, time.perf_counter() - start), flush=True)
    else:
        bench._init()
    if not args.liability_only:
        settle(args, results)
    for date in [MONTH_END, MONTH_END - dt.timedelta(days=365)]:
        liability(date, args.runs, results)
    results.print()


if __name__ == '__main__':
    main()
