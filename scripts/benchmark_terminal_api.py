"""Benchmark of the terminal API on PostgreSQL (issue: stores and terminals).

Loads 200,000 holders (as benchmark_ledger.py) and 400 active stores with
a terminal each, runs the server as in production (gunicorn, several
worker processes) and drives it with 16 simulated terminals doing a
realistic mix: 50 % card look-ups, 30 % grants, 20 % redemptions.

1. Closed loop: the 16 terminals as fast as the server answers, for
   --seconds: transactions per second and p50/p95/p99 latency, next to the
   raw-SQL minimum of the same work (same statements over psycopg, 16
   connections) measured in the same run.
2. Open loop: 100 requests a second offered on a fixed schedule; latency
   counted from when each request was due (no coordinated omission).
3. Phone codes (R1b): the 16 terminals each look a customer up and grant,
   the customer showing a portal code, then a card, for --phone-seconds
   each; the two paths' latencies side by side. The codes are issued
   first, as the portal does, and that rate is printed too.

Usage: .venv/bin/python scripts/benchmark_terminal_api.py [--holders N]
Not a test: it prints figures for docs/performance.md.
"""
import argparse
import http.client
import json
import multiprocessing
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid

os.environ.setdefault('BENCH_DB', 'bench_pos')
import benchmark_ledger as ledger_bench  # noqa: E402

DB = ledger_bench.DB
URI = ledger_bench.URI
PORT = int(os.environ.get('BENCH_PORT', 8799))
TERMINALS = 16
MIX = [('lookup', 0.5), ('grant', 0.3), ('redeem', 0.2)]


def setup(holders, stores):
    "A database with both modules, the holders, stores and terminals."
    ledger_bench.create_database(modules=['hirakata_points_pos'])
    ledger_bench.load(holders)
    ledger_bench._init()
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(DB, 0) as transaction:
        pool = Pool()
        Category = pool.get('hirakata.store.category')
        Store = pool.get('hirakata.store')
        Terminal = pool.get('hirakata.terminal')
        category, = Category.create([{'name': "ベンチ"}])
        created = Store.create([{'name': "店舗%s" % i,
                    'category': category.id, 'address': "枚方市"}
                for i in range(stores)])
        Store.approve(created)
        Store.activate(created)
        terminals = Terminal.create([{'name': "端末", 'store': s.id}
                for s in created])
        credentials = [Terminal.activate(t.activation_code)[1]
            for t in terminals]
        transaction.commit()
    return credentials


def start_server(workers):
    env = dict(os.environ, TRYTOND_DATABASE__URI=URI,
        TRYTOND_DATABASE_NAMES=DB, TRYTOND_DATABASE__RETRY='10',
        TRYTOND_CACHE__CLEAN_TIMEOUT='0',
        # The benchmark is one client address driving 16 terminals.
        TRYTOND_HIRAKATA_POS__LOOKUPS_PER_MINUTE_BY_ADDRESS='10000000',
        TRYTOND_HIRAKATA_POS__LOOKUPS_PER_MINUTE='10000000',
        TRYTOND_HIRAKATA_POS__WRITES_PER_MINUTE='10000000')
    server = subprocess.Popen([os.path.join(ledger_bench.BIN, 'gunicorn'),
            '--no-control-socket', '--workers', str(workers),
            '--bind', '127.0.0.1:%s' % PORT, '--log-level', 'warning',
            'trytond.application:app'], env=env, start_new_session=True)
    for _ in range(120):
        try:
            conn = http.client.HTTPConnection('127.0.0.1', PORT, timeout=2)
            conn.request('GET', '/%s/hirakata/api/v1/terminal' % DB)
            conn.getresponse().read()
            return server
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("server did not start")


def _request(rng, holders):
    kind = rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
    card = {'technology': 'felica',
        'identifier': '%016X' % rng.randint(1, holders)}
    if kind == 'lookup':
        return kind, '/cards/lookup', {'card': card}
    if kind == 'grant':
        return kind, '/grants', {'card': card,
            'amount': rng.randint(100, 5000)}
    return kind, '/redemptions', {'card': card, 'points': rng.randint(1, 5)}


def _post(conn, credential, path, body):
    "One API call as a terminal, with a new idempotency key; its status."
    conn.request('POST', '/%s/hirakata/api/v1%s' % (DB, path),
        body=json.dumps(body), headers={
            'Authorization': 'Bearer %s' % credential,
            'Idempotency-Key': uuid.uuid4().hex,
            'Content-Type': 'application/json'})
    response = conn.getresponse()
    response.read()
    return response.status


def _terminal(args):
    """One simulated terminal: (kind, status, latency s) per request.

    rate None: closed loop; else requests due every 1/rate s."""
    credential, seed, holders, seconds, rate = args
    rng = random.Random(seed)
    conn = http.client.HTTPConnection('127.0.0.1', PORT, timeout=30)
    results = []
    start = time.perf_counter()
    due = start
    while time.perf_counter() - start < seconds:
        if rate:
            due += rng.expovariate(rate)
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        kind, path, body = _request(rng, holders)
        sent = due if rate else time.perf_counter()
        status = _post(conn, credential, path, body)
        results.append((kind, status, time.perf_counter() - sent))
    return results


def _customer_terminal(args):
    """One terminal serving customers: look up, then grant, with a portal
    code from codes, or with a card when codes is None."""
    credential, seed, holders, seconds, codes = args
    rng = random.Random(seed)
    conn = http.client.HTTPConnection('127.0.0.1', PORT, timeout=30)
    results = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds and (
            codes is None or codes):
        card = ({'technology': 'phone', 'identifier': codes.pop()} if codes
            else {'technology': 'felica',
                'identifier': '%016X' % rng.randint(1, holders)})
        for kind, path, body in [
                ('lookup', '/cards/lookup', {'card': card}),
                ('grant', '/grants', {'card': card,
                        'amount': rng.randint(100, 5000)})]:
            sent = time.perf_counter()
            status = _post(conn, credential, path, body)
            results.append((kind, status, time.perf_counter() - sent))
    return results


def issue_codes(count, holders):
    "Portal codes of count random holders; (codes, seconds taken)."
    from trytond.modules.hirakata_points import phone_code
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    # Issued all before the phase, they must outlive it.
    phone_code.VALID_SECONDS = 3600
    rng = random.Random(7)
    with Transaction().start(DB, 0) as transaction:
        pool = Pool()
        PhoneCode = pool.get('hirakata.phone_code')
        Holder = pool.get('hirakata.holder')
        cursor = transaction.connection.cursor()
        cursor.execute('SELECT id FROM hirakata_holder ORDER BY id LIMIT %s',
            (holders,))
        ids = [id_ for id_, in cursor]
        start = time.perf_counter()
        # One code per holder: a holder's new code retires the last one.
        codes = [PhoneCode.issue(Holder(id_))[0]
            for id_ in rng.sample(ids, count)]
        elapsed = time.perf_counter() - start
        transaction.commit()
    return codes, elapsed


def customers(credentials, holders, seconds, codes=None):
    "The customer phase: (look-up + grant) pairs by phone code or card."
    share = len(codes) // TERMINALS if codes else 0
    args = [(credentials[i], i, holders, seconds,
            codes[i * share:(i + 1) * share] if codes else None)
        for i in range(TERMINALS)]
    ctx = multiprocessing.get_context('spawn')
    started = time.perf_counter()
    with ctx.Pool(TERMINALS) as pool:
        results = [r for rs in pool.map(_customer_terminal, args)
            for r in rs]
    return results, time.perf_counter() - started


def drive(credentials, holders, seconds, rate=None):
    args = [(credentials[i], i, holders, seconds,
            rate / TERMINALS if rate else None) for i in range(TERMINALS)]
    ctx = multiprocessing.get_context('spawn')
    with ctx.Pool(TERMINALS) as pool:
        results = [r for rs in pool.map(_terminal, args) for r in rs]
    return results


def summary(results, seconds):
    latencies = sorted(r[2] * 1000 for r in results)
    q = statistics.quantiles(latencies, n=100)
    statuses = {}
    for _, status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    return ("%.0f tx/s, p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, statuses %s"
        % (len(results) / seconds, q[49], q[94], q[98],
            dict(sorted(statuses.items()))))


def _raw_terminal(args):
    "The same work over psycopg: the floor."
    import psycopg
    seed, holders, seconds = args
    rng = random.Random(seed)
    conn = psycopg.connect(URI + DB)
    conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    lookup = [
        "SELECT id, account, state FROM hirakata_card "
        "WHERE technology = 'felica' AND identifier = %(i)s",
        "SELECT expiry_date, sum(remaining) FROM hirakata_point_lot "
        "WHERE account = %(a)s AND remaining > 0 AND expiry_date >= "
        "CURRENT_DATE GROUP BY expiry_date ORDER BY expiry_date",
        ]
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        kind, _, body = _request(rng, holders)
        params = {'i': body['card']['identifier'], 'k': uuid.uuid4().hex,
            'p': body.get('points') or 10}
        try:
            with conn.transaction():
                cur = conn.cursor()
                cur.execute(lookup[0], params)
                params['a'] = cur.fetchone()[1]
                if kind == 'lookup':
                    cur.execute(lookup[1], params)
                    cur.fetchall()
                else:
                    ledger_bench.raw_movement(cur, kind == 'grant', params)
            done += 1
        except psycopg.errors.SerializationFailure:
            continue
    conn.close()
    return done


def raw(holders, seconds):
    ctx = multiprocessing.get_context('spawn')
    with ctx.Pool(TERMINALS) as pool:
        done = pool.map(_raw_terminal,
            [(i, holders, seconds) for i in range(TERMINALS)])
    return sum(done) / seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--holders', type=int, default=200000)
    parser.add_argument('--stores', type=int, default=400)
    parser.add_argument('--workers', type=int, default=4)
    parser.add_argument('--seconds', type=int, default=30)
    parser.add_argument('--rate', type=float, default=100)
    parser.add_argument('--phone-seconds', type=int, default=20)
    parser.add_argument('--codes', type=int, default=8000)
    args = parser.parse_args()
    t = time.perf_counter()
    credentials = setup(args.holders, args.stores)
    print("loaded %s holders, %s stores and terminals in %.0f s" % (
            args.holders, args.stores, time.perf_counter() - t), flush=True)
    server = start_server(args.workers)
    try:
        drive(credentials, args.holders, 5)  # warm the workers up
        results = drive(credentials, args.holders, args.seconds)
        service = len(results) / args.seconds
        print("closed loop, %s terminals, %s workers: %s" % (TERMINALS,
                args.workers, summary(results, args.seconds)), flush=True)
        floor = raw(args.holders, args.seconds)
        print("raw SQL, same mix, %s connections: %.0f tx/s; API at %.0f%% "
            "of it" % (TERMINALS, floor, 100 * service / floor), flush=True)
        results = drive(credentials, args.holders, args.seconds,
            rate=args.rate)
        print("open loop, %.0f tx/s offered: %s" % (args.rate,
                summary(results, args.seconds)), flush=True)
        codes, elapsed = issue_codes(args.codes, args.holders)
        print("issued %s portal codes in %.1f s: %.0f codes/s (one "
            "process, in one transaction)" % (len(codes), elapsed,
                len(codes) / elapsed), flush=True)
        for label, phase_codes in [('phone code', codes), ('card', None)]:
            results, elapsed = customers(credentials, args.holders,
                args.phone_seconds, phase_codes)
            for kind in ['lookup', 'grant']:
                print("%s, %s: %s" % (label, kind, summary(
                            [r for r in results if r[0] == kind],
                            elapsed)), flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()


if __name__ == '__main__':
    sys.exit(main())
