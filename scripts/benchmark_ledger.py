"""Benchmark of the ledger service on PostgreSQL (issue: foundation).

Loads 200,000 holders with cards and a year of history (10 grants each:
2,000,000 lots, a tenth of them past their expiry date), then measures:

1. grant/redeem transactions per second through the ledger service with 1
   and 4 parallel workers (processes, as the production server runs), next
   to a raw-SQL minimum doing the same statements in the same run;
2. a card look-up by identifier (median and p95, in ms);
3. the nightly expiry over the 2,000,000 lots.

Usage: .venv/bin/python scripts/benchmark_ledger.py [--holders N] [--ops N]
Not a test: it prints figures for docs/performance.md.
"""
import argparse
import datetime as dt
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import time
import uuid

URI = os.environ.get('BENCH_URI', 'postgresql://postgres@127.0.0.1:5432/')
DB = os.environ.get('BENCH_DB', 'bench_points')
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def psql(sql, db=DB, bulk=False):
    """Run sql; bulk: as a superuser's bulk load, which the ledger's
    triggers (ledger_guard.py) do not check."""
    import psycopg
    with psycopg.connect(URI + db, autocommit=True) as conn:
        if bulk:
            conn.execute('SET session_replication_role = replica')
        conn.execute(sql)


def create_database(modules=('hirakata_points',)):
    psql('DROP DATABASE IF EXISTS %s' % DB, db='postgres')
    psql('CREATE DATABASE %s' % DB, db='postgres')
    _admin('--all', '--email', 'a@example.jp')
    activate(modules)


def activate(modules):
    "Activate modules, and those they depend on, in the database."
    _admin('-u', *modules, '--activate-dependencies')


def _admin(*args):
    env = dict(os.environ, TRYTOND_DATABASE__URI=URI,
        TRYTONPASSFILE=os.path.join(ROOT, 'var', 'bench.pass'))
    os.makedirs(os.path.join(ROOT, 'var'), exist_ok=True)
    with open(env['TRYTONPASSFILE'], 'w') as f:
        f.write('admin\n')
    subprocess.run([os.path.join(BIN, 'trytond-admin'), '-d', DB, *args],
        env=env, check=True, capture_output=True)


def load(holders, all_due=False):
    """Bulk-load with set-based SQL: the benchmark measures the ledger, not
    this. With all_due, the history is two years older, so every lot is
    past its expiry date."""
    today = dt.date.today()
    history_end = today - dt.timedelta(days=800 if all_due else 0)
    statements = [
        """INSERT INTO hirakata_holder (number, name, name_kana, birth_date,
            relation, create_uid, create_date)
        SELECT 'B' || lpad(n::text, 8, '0'), '利用者 ' || n, 'リヨウシャ',
            DATE '1940-01-01' + (n %% 25000), 'resident', 0, now()
        FROM generate_series(1, %(h)s) n""",
        """INSERT INTO hirakata_point_account (holder, kind, balance,
            create_uid, create_date)
        SELECT id, 'holder', 0, 0, now() FROM hirakata_holder""",
        """INSERT INTO hirakata_card (holder, account, technology, identifier,
            state, issue_date, create_uid, create_date)
        SELECT a.holder, a.id, 'felica', upper(lpad(to_hex(a.holder), 16, '0')),
            'active', DATE '%(today)s', 0, now()
        FROM hirakata_point_account a WHERE a.kind = 'holder'""",
        # 10 grants a holder over the past 400 days, 12 months validity:
        # the ones older than a year are due to expire.
        """INSERT INTO hirakata_point_entry (account, kind, points,
            balance_after, date, channel, idempotency_key, create_uid,
            create_date)
        SELECT a.id, 'grant', 10, 10 * g,
            DATE '%(history_end)s' - (400 - g * 40 + a.id %% 37),
            'terminal', 'bench-' || a.id || '-' || g, 0, now()
        FROM hirakata_point_account a, generate_series(1, 10) g
        WHERE a.kind = 'holder'""",
        """INSERT INTO hirakata_point_lot (account, entry, points, remaining,
            grant_date, expiry_date, create_uid, create_date)
        SELECT account, id, points, points, date,
            (date + INTERVAL '12 months')::date, 0, now()
        FROM hirakata_point_entry WHERE kind = 'grant'""",
        """UPDATE hirakata_point_account a SET balance = s.total
        FROM (SELECT account, sum(points) total FROM hirakata_point_entry
            GROUP BY account) s WHERE s.account = a.id""",
        "VACUUM ANALYZE",
        ]
    for sql in statements:
        psql(sql % {'h': holders, 'today': today.isoformat(),
                'history_end': history_end.isoformat()}, bulk=True)


def _init():
    from trytond import config
    config.set('database', 'uri', URI)
    config.set('database', 'retry', '20')
    from trytond.pool import Pool
    Pool(DB).init()


def _run(func):
    "One committed transaction, restarted as the dispatcher does."
    from trytond import backend
    from trytond.transaction import Transaction, TransactionError
    extras, attempts = {}, 0
    while True:
        try:
            with Transaction().start(DB, 0, **extras) as transaction:
                try:
                    return func()
                except TransactionError as e:
                    transaction.rollback()
                    e.fix(extras)
        except backend.DatabaseOperationalError:
            attempts += 1
            time.sleep(0.001 * attempts)


def _service_worker(args):
    seed, ops, accounts = args
    _init()
    from trytond.pool import Pool
    rng = random.Random(seed)
    _run(lambda: Pool().get('hirakata.point.account')(1).balance)

    def one(account_id, grant, key):
        pool = Pool()
        Ledger = pool.get('hirakata.point.ledger')
        account = pool.get('hirakata.point.account')(account_id)
        if grant:
            Ledger.grant(account, 10, key=key, channel='terminal')
        else:
            Ledger.redeem(account, 5, key=key, channel='terminal')
    start = time.perf_counter()
    for _ in range(ops):
        # Drawn outside the transaction: a restart repeats the same request.
        request = (rng.randint(3, accounts + 2), rng.random() < 0.5,
            uuid.uuid4().hex)
        _run(lambda: one(*request))
    return time.perf_counter() - start


RAW_GRANT = [
    "SELECT 1 FROM hirakata_point_account WHERE id = %(a)s FOR UPDATE",
    "SELECT id FROM hirakata_point_entry WHERE idempotency_key = %(k)s",
    "UPDATE hirakata_point_account SET balance = balance + %(p)s "
    "WHERE id = %(a)s AND balance + %(p)s >= 0 RETURNING balance",
    "INSERT INTO hirakata_point_entry (account, kind, points, balance_after, "
    "date, channel, idempotency_key, create_uid, create_date) VALUES "
    "(%(a)s, 'grant', %(p)s, %(b)s, CURRENT_DATE, 'terminal', %(k)s, 0, "
    "now()) "
    "RETURNING id",
    "INSERT INTO hirakata_point_lot (account, entry, points, remaining, "
    "grant_date, expiry_date, create_uid, create_date) VALUES (%(a)s, "
    "%(e)s, %(p)s, %(p)s, CURRENT_DATE, DATE '2028-03-31', 0, now())",
    ]
RAW_REDEEM = [
    RAW_GRANT[0], RAW_GRANT[1],
    "SELECT id, remaining FROM hirakata_point_lot WHERE account = %(a)s "
    "AND remaining > 0 AND expiry_date >= CURRENT_DATE "
    "ORDER BY expiry_date, id",
    "UPDATE hirakata_point_account SET balance = balance - %(p)s "
    "WHERE id = %(a)s AND balance - %(p)s >= 0 RETURNING balance",
    "INSERT INTO hirakata_point_entry (account, kind, points, balance_after, "
    "date, channel, idempotency_key, create_uid, create_date) VALUES "
    "(%(a)s, 'redeem', -%(p)s, %(b)s, CURRENT_DATE, 'terminal', %(k)s, 0, "
    "now()) "
    "RETURNING id",
    # The move first: the database lets a lot change only with its move.
    "INSERT INTO hirakata_point_lot_move (entry, lot, points, create_uid, "
    "create_date) VALUES (%(e)s, %(l)s, -%(p)s, 0, now())",
    "UPDATE hirakata_point_lot SET remaining = remaining - %(p)s "
    "WHERE id = %(l)s",
    ]


def raw_movement(cursor, grant, params):
    """Run the raw-SQL grant or redemption of params['p'] points on account
    params['a'] with key params['k'] (a redemption stops when no lot has
    enough points)."""
    for sql in (RAW_GRANT if grant else RAW_REDEEM):
        cursor.execute(sql, params)
        if sql.startswith('SELECT id, remaining'):
            params['l'] = next((lot for lot, remaining in cursor.fetchall()
                    if remaining >= params['p']), None)
            if params['l'] is None:
                return
        elif 'RETURNING id' in sql:
            params['e'] = cursor.fetchone()[0]
        elif 'RETURNING balance' in sql:
            row = cursor.fetchone()
            if row is None:
                return
            params['b'] = row[0]


def _raw_worker(args):
    "The same statements over psycopg, no framework: the floor."
    import psycopg
    seed, ops, accounts = args
    rng = random.Random(seed)
    conn = psycopg.connect(URI + DB)
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    start = time.perf_counter()
    done = 0
    while done < ops:
        grant = rng.random() < 0.5
        params = {'a': rng.randint(3, accounts + 2), 'k': uuid.uuid4().hex,
            'p': 10 if grant else 5}  # as the service workers
        try:
            with conn.transaction():
                raw_movement(conn.cursor(), grant, params)
            done += 1
        except psycopg.errors.SerializationFailure:
            continue
    conn.close()
    return time.perf_counter() - start


def throughput(worker, workers, ops, accounts):
    ctx = multiprocessing.get_context('spawn')
    with ctx.Pool(workers) as pool:
        # Each worker times its own loop, after loading its pool.
        elapsed = pool.map(worker, [(i, ops, accounts)
                for i in range(workers)])
    return workers * ops / max(elapsed)


def lookups(accounts, count=2000):
    "Card look-up by identifier, with the balance a terminal shows."
    _init()
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    rng = random.Random(1)
    inner, whole = [], []
    for _ in range(count):
        identifier = '%016X' % rng.randint(1, accounts)
        t0 = time.perf_counter()
        with Transaction().start(DB, 0, readonly=True):
            t1 = time.perf_counter()
            Card = Pool().get('hirakata.card')
            card = Card.lookup('felica', identifier)
            card.account.available
            t2 = time.perf_counter()
        t3 = time.perf_counter()
        inner.append((t2 - t1) * 1000)
        whole.append((t3 - t0) * 1000)
    q = lambda xs, p: statistics.quantiles(xs, n=100)[p - 1]
    return (statistics.median(inner), q(inner, 95),
        statistics.median(whole), q(whole, 95))


def expiry():
    _init()
    import psycopg
    from trytond.pool import Pool
    with psycopg.connect(URI + DB) as conn:
        lots, due = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE remaining > 0 "
            "AND expiry_date < CURRENT_DATE) FROM hirakata_point_lot"
            ).fetchone()
    start = time.perf_counter()
    points = _run(lambda: Pool().get('hirakata.point.ledger').expire_due())
    return lots, due, points, time.perf_counter() - start


def drop_guard():
    "Drop the ledger's database triggers (ledger_guard.py) from the DB."
    _init()  # the backend is chosen on first import: PostgreSQL's
    from trytond.modules.hirakata_points import ledger_guard
    for name, table, _ in ledger_guard._TRIGGERS:
        psql('DROP TRIGGER IF EXISTS %s ON %s' % (name, table))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--holders', type=int, default=200000)
    parser.add_argument('--ops', type=int, default=1000,
        help="transactions per worker and configuration")
    parser.add_argument('--skip-load', action='store_true')
    parser.add_argument('--without-guard', action='store_true',
        help="drop the ledger's triggers first, to measure what they cost")
    parser.add_argument('--expiry-only', action='store_true',
        help="load every lot past its expiry date and time the expiry only")
    args = parser.parse_args()
    if not args.skip_load:
        t = time.perf_counter()
        create_database()
        load(args.holders, all_due=args.expiry_only)
        print("loaded %s holders, %s lots in %.0f s" % (args.holders,
                args.holders * 10, time.perf_counter() - t), flush=True)
    if args.without_guard:
        drop_guard()
    if args.expiry_only:
        print("nightly expiry: %s lots, %s due, %s points expired in %.1f s"
            % expiry(), flush=True)
        return
    for workers in (1, 4):
        raw = throughput(_raw_worker, workers, args.ops, args.holders)
        service = throughput(_service_worker, workers, args.ops,
            args.holders)
        print("grant/redeem, %s worker(s): service %.0f tx/s, raw SQL "
            "%.0f tx/s, ratio %.0f%%" % (workers, service, raw,
                100 * service / raw), flush=True)
    print("card look-up: %.2f ms median, %.2f ms p95 (in transaction); "
        "%.2f ms median, %.2f ms p95 (with transaction start/end)"
        % lookups(args.holders), flush=True)
    print("nightly expiry: %s lots, %s due, %s points expired in %.1f s"
        % expiry(), flush=True)


if __name__ == '__main__':
    main()
