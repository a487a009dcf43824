"""The production database role, proved: a role that owns the database
and its schema but is not a superuser sets the database up, activates the
modules (the ledger guard's triggers included), grants points, and is
refused what only a superuser may do around the guard
(session_replication_role = replica, disabling the system triggers).
As the tables' owner it could still drop or disable its own triggers
(docs/operations.md).

Usage: .venv/bin/python scripts/check_database_role.py \
           [--uri postgresql://postgres@127.0.0.1:5432/] [--role R] [--db D]

The URI is a superuser's, used only to create (and at the end drop) the
role and its database, as docs/operations.md's production steps do; every
other step connects as the role. Prints each step; exits non-zero when one
fails. tests/test_database_role.py runs it.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)

# Run as the role, in a fresh interpreter with the role's URI.
AS_OWNER = r'''
import datetime as dt, sys, uuid
from trytond.pool import Pool
from trytond.transaction import Transaction
db = sys.argv[1]
Pool.start()
Pool(db).init()
with Transaction().start(db, 0) as transaction:
    pool = Pool()
    Holder = pool.get('hirakata.holder')
    Ledger = pool.get('hirakata.point.ledger')
    holder, = Holder.create([{'name': "枚方 太郎", 'name_kana': "ヒラカタ タロウ",
        'birth_date': dt.date(1950, 1, 1), 'phone': '072-000-0000',
        'address': "枚方市大垣内町"}])
    entry = Ledger.grant(holder.account, 100, key=uuid.uuid4().hex,
        channel='backoffice', reason="役割の確認")
    transaction.commit()
    cursor = transaction.connection.cursor()
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    print("superuser:", cursor.fetchone()[0])
    cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'hirakata%'")
    print("ledger guard triggers:", cursor.fetchone()[0])
    print("granted:", entry.points, "balance:", holder.account.balance)
    for statement in [
            "UPDATE hirakata_point_entry SET points = 0",
            "SET session_replication_role = replica",
            "ALTER TABLE hirakata_point_entry DISABLE TRIGGER ALL"]:
        cursor.execute("SAVEPOINT try")
        try:
            cursor.execute(statement)
            print("ALLOWED:", statement)
        except Exception as error:
            print("refused:", statement, "(%s)" % type(error).__name__)
        cursor.execute("ROLLBACK TO SAVEPOINT try")
'''


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--uri', default=os.environ.get(
            'TRYTOND_DATABASE_URI', 'postgresql://postgres@127.0.0.1:5432/'))
    parser.add_argument('--role', default='hirakata_role_check')
    parser.add_argument('--db', default='hirakata_role_check')
    args = parser.parse_args()

    import psycopg
    from psycopg import sql
    admin = psycopg.connect(args.uri + 'postgres', autocommit=True)

    def as_superuser(statement, *names):
        admin.execute(sql.SQL(statement).format(
                *(sql.Identifier(n) for n in names)))

    def drop():
        as_superuser('DROP DATABASE IF EXISTS {}', args.db)
        as_superuser('DROP ROLE IF EXISTS {}', args.role)
    drop()
    # As docs/operations.md: a login role, no superuser, no role or
    # database creation, owner of its database (and so of its public
    # schema, which PostgreSQL 15 gives the database's owner).
    as_superuser('CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE',
        args.role)
    as_superuser('CREATE DATABASE {} OWNER {}', args.db, args.role)
    uri = urllib.parse.urlsplit(args.uri)
    role_uri = urllib.parse.urlunsplit(uri._replace(
            netloc='%s@%s' % (args.role, uri.netloc.rsplit('@', 1)[-1])))
    env = dict(os.environ, TRYTOND_DATABASE__URI=role_uri,
        TRYTOND_DATABASE__LANGUAGE='ja')
    env.pop('TRYTOND_CONFIG', None)
    env.pop('TRYTOND_DATABASE_URI', None)
    try:
        with tempfile.NamedTemporaryFile('w', suffix='.pass') as passfile:
            passfile.write('role-check-admin-password\n')
            passfile.flush()
            for command in [
                    ['trytond-admin', '-d', args.db, '--all',
                        '--email', 'ops@example.jp'],
                    ['trytond-admin', '-d', args.db, '-u', 'hirakata_points',
                        '--activate-dependencies']]:
                print("==", ' '.join(command), flush=True)
                subprocess.run([os.path.join(BIN, command[0])] + command[1:],
                    env=dict(env, TRYTONPASSFILE=passfile.name),
                    stdin=subprocess.DEVNULL, check=True, cwd=ROOT)
        print("== a grant as", args.role, flush=True)
        result = subprocess.run([sys.executable, '-c', AS_OWNER, args.db],
            env=env, check=True, cwd=ROOT, capture_output=True, text=True)
        print(result.stdout, end='')
    finally:
        admin.close()
        admin = psycopg.connect(args.uri + 'postgres', autocommit=True)
        drop()
    lines = result.stdout.splitlines()
    ok = ('superuser: False' in lines and 'granted: 100 balance: 100' in lines
        and not any(line.startswith('ALLOWED') for line in lines)
        and any(line.startswith('ledger guard triggers: ') and not
            line.endswith(' 0') for line in lines))
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
