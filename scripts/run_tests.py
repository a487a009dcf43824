"""Run every test of the project once, on the backend TRYTOND_DATABASE_URI
names (SQLite when unset), and end with 'N passed, N failed, N skipped'.

Exits non-zero when a test fails or when no test ran.
"""
import glob
import hashlib
import os
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_module_names():
    "Test modules, by import name: each module's tests, then tests/."
    names = []
    for path in sorted(glob.glob(
                os.path.join(ROOT, 'modules', '*', 'tests', 'test_*.py'))):
        module = path.split(os.sep)[-3]
        names.append('trytond.modules.%s.tests.%s'
            % (module, os.path.basename(path)[:-3]))
    for path in sorted(glob.glob(os.path.join(ROOT, 'tests', 'test_*.py'))):
        names.append('tests.%s' % os.path.basename(path)[:-3])
    return names


def modules_digest():
    """A digest of the modules' files.

    Tryton names its cached test databases after the module names only, so
    a cache made before a schema change would be restored after it.
    """
    digest = hashlib.sha256()
    for path in sorted(glob.glob(os.path.join(ROOT, 'modules', '**', '*'),
                recursive=True)):
        if os.path.isfile(path) and '__pycache__' not in path \
                and '.egg-info' not in path:
            digest.update(path[len(ROOT):].encode())
            with open(path, 'rb') as f:
                digest.update(f.read())
    return digest.hexdigest()[:16]


def pg_templates(uri, digest, mark=False):
    """Drop the template databases of other module versions (or, with
    mark, label the ones left with this version)."""
    import psycopg
    from psycopg import sql
    with psycopg.connect(uri + 'postgres', autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname, shobj_description(oid, 'pg_database') "
            "FROM pg_database WHERE datname LIKE 'test-%'").fetchall()
        for name, comment in rows:
            if mark and comment is None:
                conn.execute(sql.SQL('COMMENT ON DATABASE {} IS {}').format(
                        sql.Identifier(name), sql.Literal(digest)))
            elif not mark and comment != digest:
                conn.execute(sql.SQL('DROP DATABASE {}').format(
                        sql.Identifier(name)))


def main():
    uri = os.environ.setdefault('TRYTOND_DATABASE_URI', 'sqlite://')
    digest = modules_digest()
    if uri.startswith('postgresql'):
        # Template databases on the server make the second run fast.
        os.environ.setdefault('DB_CACHE', 'postgresql://')
        pg_templates(uri, digest)
    else:
        # As in config/trytond.conf: on SQLite a cache sync would switch a
        # test's own connection to autocommit, and its rollback would
        # leave its records for the next tests.
        os.environ.setdefault('TRYTOND_CACHE__CLEAN_TIMEOUT', '2147483647')
        os.environ.setdefault('DB_CACHE',
            os.path.join(ROOT, 'var', 'cache', digest))
        os.makedirs(os.environ['DB_CACHE'], exist_ok=True)
    sys.path.insert(0, ROOT)
    names = sys.argv[1:] or test_module_names()
    suite = unittest.defaultTestLoader.loadTestsFromNames(names)
    print("backend: %s, %s test modules" % (uri.split(':')[0], len(names)),
        flush=True)
    result = unittest.TextTestRunner(verbosity=1).run(suite)
    from trytond.tests.test_tryton import DB_NAME, db_exist, drop_db
    if uri.startswith('postgresql'):
        if db_exist(DB_NAME):
            drop_db(DB_NAME)
        pg_templates(uri, digest, mark=True)
    failed = len(result.failures) + len(result.errors) + len(
        result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = max(0, result.testsRun - failed - skipped)
    print("%s passed, %s failed, %s skipped" % (passed, failed, skipped))
    if failed or not passed:
        sys.exit(1)


if __name__ == '__main__':
    main()
