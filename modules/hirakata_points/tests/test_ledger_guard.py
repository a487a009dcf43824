"""The ledger guarded by PostgreSQL itself (ledger_guard.py): plain SQL on
its own connection, as a script or a person at psql would send it, cannot
edit the ledger or move a balance without its entry."""
import os
import unittest

from trytond import backend
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, activate_module

from .test_concurrency import (
    due_lots, grant, new_account, new_accounts, redeem, run, state)


def connect():
    import psycopg
    return psycopg.connect(os.environ['TRYTOND_DATABASE_URI'] + DB_NAME)


@unittest.skipUnless(backend.name == 'postgresql',
    "the database's own guard is PostgreSQL's")
class LedgerGuardTestCase(unittest.TestCase):
    "Plain SQL cannot edit the ledger"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('hirakata_points')

    def setUp(self):
        self.account = new_account(100)

    def refused(self, *statements):
        "Each statement, or their commit, is refused; nothing changes."
        import psycopg
        before = state(self.account)
        with connect() as conn:
            with self.assertRaises(psycopg.errors.RestrictViolation):
                for sql in statements:
                    conn.execute(sql, {'a': self.account})
                conn.commit()
        self.assertEqual(state(self.account), before)

    def test_entry_cannot_be_updated(self):
        self.refused('UPDATE hirakata_point_entry SET points = 1000 '
            'WHERE account = %(a)s')

    def test_entry_cannot_be_deleted(self):
        self.refused('DELETE FROM hirakata_point_entry WHERE account = %(a)s')

    def test_lot_move_cannot_be_updated_or_deleted(self):
        redeem(self.account, 30, 'guard-move')
        self.refused('UPDATE hirakata_point_lot_move SET points = -1 '
            'WHERE lot IN (SELECT id FROM hirakata_point_lot '
            'WHERE account = %(a)s)')
        self.refused('DELETE FROM hirakata_point_lot_move '
            'WHERE lot IN (SELECT id FROM hirakata_point_lot '
            'WHERE account = %(a)s)')

    def test_lot_keeps_its_points_and_dates(self):
        self.refused("UPDATE hirakata_point_lot SET expiry_date = "
            "expiry_date + 365 WHERE account = %(a)s")
        self.refused('UPDATE hirakata_point_lot SET points = 1000 '
            'WHERE account = %(a)s')
        self.refused('DELETE FROM hirakata_point_lot WHERE account = %(a)s')

    def test_balance_cannot_move_without_its_entry(self):
        self.refused('UPDATE hirakata_point_account SET balance = 1000 '
            'WHERE id = %(a)s')

    def test_lot_cannot_move_without_its_entry(self):
        self.refused('UPDATE hirakata_point_lot SET remaining = 0 '
            'WHERE account = %(a)s')

    def test_lot_cannot_be_expired_without_its_entry(self):
        expiry = ('UPDATE hirakata_point_lot SET remaining = 0, '
            'expiry_entry = (SELECT max(id) FROM hirakata_point_entry '
            'WHERE account = %(a)s) WHERE account = %(a)s')
        self.refused(expiry)
        # With the account touched too, its own check sums the lots.
        self.refused('UPDATE hirakata_point_account SET balance = balance '
            'WHERE id = %(a)s', expiry)

    def test_entry_cannot_be_added_without_its_balance(self):
        self.refused("INSERT INTO hirakata_point_entry (account, kind, "
            "points, balance_after, date, channel, idempotency_key) "
            "VALUES (%(a)s, 'grant', 50, 150, CURRENT_DATE, 'api', "
            "'guard-entry-only')")

    def test_lot_move_cannot_be_added_to_an_old_entry(self):
        redeem(self.account, 30, 'guard-old')
        self.refused("INSERT INTO hirakata_point_lot_move (entry, lot, "
            "points) SELECT e.id, l.id, -10 FROM hirakata_point_entry e, "
            "hirakata_point_lot l WHERE e.account = %(a)s "
            "AND l.account = %(a)s AND e.kind = 'redeem'")

    def test_points_cannot_move_between_lots(self):
        grant(self.account, 40)
        self.refused('UPDATE hirakata_point_lot SET remaining = CASE '
            'WHEN points = 100 THEN remaining - 6 ELSE remaining + 6 END '
            'WHERE account = %(a)s')

    def test_account_keeps_its_kind(self):
        self.refused("UPDATE hirakata_point_account SET kind = "
            "'donation_pool' WHERE id = %(a)s")

    def test_entry_must_follow_the_balance_before_it(self):
        self.refused("INSERT INTO hirakata_point_entry (account, kind, "
            "points, balance_after, date, channel, idempotency_key) "
            "VALUES (%(a)s, 'grant', 50, 1000, CURRENT_DATE, 'api', "
            "'guard-chain')")

    def test_entry_and_balance_without_a_lot_refused(self):
        # Chained right and with its balance, but no lot holds the points.
        self.refused("INSERT INTO hirakata_point_entry (account, kind, "
            "points, balance_after, date, channel, idempotency_key) "
            "VALUES (%(a)s, 'grant', 50, 150, CURRENT_DATE, 'api', "
            "'guard-lot')",
            'UPDATE hirakata_point_account SET balance = 150 '
            'WHERE id = %(a)s')

    def test_ledger_tables_cannot_be_truncated(self):
        for table in ['hirakata_point_entry', 'hirakata_point_lot_move',
                'hirakata_point_lot', 'hirakata_point_account']:
            self.refused('TRUNCATE %s CASCADE' % table)

    def test_the_service_still_books(self):
        self.assertIsInstance(redeem(self.account, 40, 'guard-ok'), int)
        self.assertEqual(state(self.account), (60, 60, 60))

    def test_nightly_job_expires_the_others_when_one_account_is_refused(
            self):
        accounts = new_accounts(5, points=10, expired=20)
        with connect() as conn:
            # Broken behind the guard's back, as only a superuser can.
            conn.execute('SET session_replication_role = replica')
            conn.execute('UPDATE hirakata_point_account '
                'SET balance = balance + 5 WHERE id = %s', (accounts[2],))
        expired = run(lambda: Pool().get('hirakata.point.ledger').expire_due(
                commit_chunks=True))
        self.assertEqual(expired, 4 * 20)
        self.assertEqual(due_lots(accounts), 1)
