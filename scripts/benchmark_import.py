"""Benchmark of the participant import (city programmes issue).

Uses the database of benchmark_ledger.py (run it first: 200,000 holders),
activates the programme module there, opens a programme and imports a list of --rows holders: the preview, then
the grant, each timed. Usage:
    .venv/bin/python scripts/benchmark_import.py [--rows 10000]
Not a test: it prints figures for docs/performance.md.
"""
import argparse
import datetime as dt
import time
import uuid

import benchmark_ledger as ledger_bench


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--rows', type=int, default=10000)
    args = parser.parse_args()
    ledger_bench.activate(['hirakata_points_programme'])
    ledger_bench._init()
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    today = dt.date.today()
    with Transaction().start(ledger_bench.DB, 0) as transaction:
        pool = Pool()
        Programme = pool.get('hirakata.programme')
        Department = pool.get('hirakata.department')
        Type = pool.get('hirakata.programme.type')
        department, = Department.create([{'code': uuid.uuid4().hex[:8],
                    'name': "ベンチ課"}])
        kind, = Type.create([{'name': "ベンチ"}])
        programme, = Programme.create([{'code': uuid.uuid4().hex[:8],
                    'name': "ベンチ事業", 'type': kind.id,
                    'department': department.id,
                    'start_date': today, 'end_date': today, 'points': 10,
                    'budget': 10 * args.rows,
                    'sessions': [('create', [{'name': "1", 'date': today}])],
                    }])
        Programme.submit([programme])
        Programme.approve([programme])
        Programme.open([programme])
        transaction.commit()
        csv = ('holder\n' + ''.join('B%08d\n' % i
                for i in range(1, args.rows + 1))).encode()

        Import = pool.get('hirakata.programme.import', type='wizard')
        session_id, _, _ = Import.create()
        wizard = Import(session_id)
        wizard.start.session = programme.sessions[0]
        wizard.start.file = csv
        wizard.start.filename = 'list.csv'
        start = time.perf_counter()
        preview = wizard.default_preview(None)
        previewed = time.perf_counter() - start
        start = time.perf_counter()
        wizard.transition_grant()
        transaction.commit()
        granted = time.perf_counter() - start
    print("import of %s rows: preview %.1f s (%s ok), grant %.1f s"
        % (args.rows, previewed, preview['ok'], granted))


if __name__ == '__main__':
    main()
