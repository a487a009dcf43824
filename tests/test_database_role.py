"""Production's database role (docs/operations.md): an owner of the
database and its schema that is not a superuser can set the database up,
install the ledger guard's triggers and grant points."""
import os
import subprocess
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
URI = os.environ.get('TRYTOND_DATABASE_URI', '')


@unittest.skipUnless(URI.startswith('postgresql'), "a PostgreSQL server")
class DatabaseRoleTestCase(unittest.TestCase):
    "The database as a role that owns it but is not a superuser"

    def test_owner_without_superuser_sets_up_and_grants(self):
        result = subprocess.run([sys.executable,
                os.path.join(ROOT, 'scripts', 'check_database_role.py'),
                '--uri', URI], capture_output=True, text=True, timeout=900)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn('superuser: False', result.stdout)
        self.assertIn('granted: 100 balance: 100', result.stdout)
        self.assertIn('refused: UPDATE hirakata_point_entry', result.stdout)
        self.assertIn('refused: SET session_replication_role',
            result.stdout)
