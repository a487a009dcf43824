"""Run every test of the project once, on the backend TRYTOND_DATABASE_URI
names (SQLite when unset), and end with 'N passed, N failed, N skipped'.

Exits non-zero when a test fails or when no test ran.
"""
import glob
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


def main():
    uri = os.environ.setdefault('TRYTOND_DATABASE_URI', 'sqlite://')
    if uri.startswith('postgresql'):
        # Template databases on the server make the second run fast.
        os.environ.setdefault('DB_CACHE', 'postgresql://')
    else:
        os.environ.setdefault('DB_CACHE', os.path.join(ROOT, 'var', 'cache'))
        os.makedirs(os.environ['DB_CACHE'], exist_ok=True)
    sys.path.insert(0, ROOT)
    names = sys.argv[1:] or test_module_names()
    suite = unittest.defaultTestLoader.loadTestsFromNames(names)
    print("backend: %s, %s test modules" % (uri.split(':')[0], len(names)),
        flush=True)
    result = unittest.TextTestRunner(verbosity=1).run(suite)
    from trytond.tests.test_tryton import DB_NAME, db_exist, drop_db
    if uri.startswith('postgresql') and db_exist(DB_NAME):
        drop_db(DB_NAME)
    failed = len(result.failures) + len(result.errors) + len(
        result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    print("%s passed, %s failed, %s skipped" % (passed, failed, skipped))
    if failed or not passed:
        sys.exit(1)


if __name__ == '__main__':
    main()
