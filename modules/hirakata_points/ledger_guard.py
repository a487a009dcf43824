"""The ledger's rules kept by PostgreSQL itself (R5), not only by Python.

Code running as root through the ORM, a script or a hand-typed statement
can reach the tables around the ledger service. These triggers make the
database refuse what the service never does:
- entries and lot moves are never updated or deleted, no ledger table is
  truncated, a lot is never deleted, an account never changes its kind or
  holder;
- each new entry's balance_after is the account's previous balance_after
  plus its points (entries chain, so the last one holds the ledger's sum),
  and at commit the account's balance is its last entry's balance_after;
- a lot move belongs to an entry booked in the same transaction, and a
  lot's remaining points change only with such a move of that amount;
- a lot's account, grant entry, points and dates never change; its expiry
  entry is set once, emptying it, to an expire entry of its account booked
  in the same transaction;
- at commit, a holder's balance is the sum of its lots' remaining points.
Together: a balance, a lot or a lot's history cannot move without the
entries that explain it. What they cannot tell is a whole forged movement
(a chained entry, its balance, its lot and moves, all consistent), nor
anything done by a superuser who disables them: production must not
connect as one (docs/operations.md).

SQLite (the demo and the unit tests) has no deferred triggers; there the
ORM's refusals (account.py) are the guard. A bulk load that writes the
tables directly (the benchmarks) sets session_replication_role = replica,
which only a superuser may.
"""
from trytond import backend
from trytond.transaction import Transaction

ACCOUNT = 'hirakata_point_account'
ENTRY = 'hirakata_point_entry'
LOT = 'hirakata_point_lot'
MOVE = 'hirakata_point_lot_move'

_FUNCTIONS = """
CREATE OR REPLACE FUNCTION hirakata_ledger_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'hirakata ledger: % on % refused (append-only)',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;

CREATE OR REPLACE FUNCTION hirakata_entry_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE previous integer;
BEGIN
    SELECT balance_after INTO previous FROM {entry}
        WHERE account = NEW.account ORDER BY id DESC LIMIT 1;
    IF NEW.balance_after IS DISTINCT FROM
            COALESCE(previous, 0) + NEW.points THEN
        RAISE EXCEPTION 'hirakata ledger: entry of account % breaks the '
            'chain (% after %, % points)', NEW.account, NEW.balance_after,
            previous, NEW.points USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION hirakata_lot_expired() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Expired by an expire entry of its account booked in this
    -- transaction, which must match the account's balance at commit.
    IF NEW.remaining <> 0 OR NOT EXISTS (SELECT 1 FROM {entry} e
            WHERE e.id = NEW.expiry_entry AND e.account = NEW.account
            AND e.kind = 'expire'
            AND e.xmin = pg_current_xact_id()::xid) THEN
        RAISE EXCEPTION 'hirakata ledger: lot % expired without its '
            'entry', OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION hirakata_lot_moved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM {move} m WHERE m.lot = NEW.id
            AND m.points = NEW.remaining - OLD.remaining
            AND m.xmin = pg_current_xact_id()::xid) THEN
        RAISE EXCEPTION 'hirakata ledger: lot % changed without its move',
            OLD.id USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION hirakata_move_of_new_entry() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM {entry} e WHERE e.id = NEW.entry
            AND e.xmin = pg_current_xact_id()::xid) THEN
        RAISE EXCEPTION 'hirakata ledger: a lot move belongs to an entry '
            'booked with it' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION hirakata_entry_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    balance integer;
    last_after integer;
BEGIN
    SELECT a.balance INTO balance FROM {account} a WHERE a.id = NEW.account;
    SELECT e.balance_after INTO last_after FROM {entry} e
        WHERE e.account = NEW.account ORDER BY e.id DESC LIMIT 1;
    IF balance IS DISTINCT FROM last_after THEN
        RAISE EXCEPTION 'hirakata ledger: balance of account % is % but '
            'its entries say %', NEW.account, balance, last_after
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION hirakata_account_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    account_id integer;
    balance integer;
    last_after integer;
    lots integer;
BEGIN
    IF TG_TABLE_NAME = '{account}' THEN
        account_id := NEW.id;
    ELSE
        account_id := NEW.account;
    END IF;
    SELECT a.balance INTO balance FROM {account} a WHERE a.id = account_id;
    SELECT e.balance_after INTO last_after FROM {entry} e
        WHERE e.account = account_id ORDER BY e.id DESC LIMIT 1;
    IF balance IS DISTINCT FROM COALESCE(last_after, 0) THEN
        RAISE EXCEPTION 'hirakata ledger: balance of account % is % but '
            'its entries say %', account_id, balance, COALESCE(last_after, 0)
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM {account} a
            WHERE a.id = account_id AND a.kind = 'holder') THEN
        SELECT COALESCE(SUM(l.remaining), 0) INTO lots FROM {lot} l
            WHERE l.account = account_id AND l.remaining > 0;
        IF lots <> balance THEN
            RAISE EXCEPTION 'hirakata ledger: lots of account % hold % '
                'points, its balance is %', account_id, lots, balance
                USING ERRCODE = 'restrict_violation';
        END IF;
    END IF;
    RETURN NULL;
END $$;
"""

# (name, table, definition)
_TRIGGERS = [
    ('hirakata_entry_append_only', ENTRY,
        'BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW '
        'EXECUTE FUNCTION hirakata_ledger_refuse()'),
    ('hirakata_entry_chain', ENTRY,
        'BEFORE INSERT ON {table} FOR EACH ROW '
        'EXECUTE FUNCTION hirakata_entry_chain()'),
    ('hirakata_entry_balanced', ENTRY,
        'AFTER INSERT ON {table} DEFERRABLE INITIALLY DEFERRED '
        'FOR EACH ROW EXECUTE FUNCTION hirakata_entry_balanced()'),
    ('hirakata_move_append_only', MOVE,
        'BEFORE UPDATE OR DELETE ON {table} FOR EACH ROW '
        'EXECUTE FUNCTION hirakata_ledger_refuse()'),
    ('hirakata_move_of_new_entry', MOVE,
        'BEFORE INSERT ON {table} FOR EACH ROW '
        'EXECUTE FUNCTION hirakata_move_of_new_entry()'),
    ('hirakata_account_fixed', ACCOUNT,
        'BEFORE UPDATE ON {table} FOR EACH ROW WHEN ('
        '(NEW.kind, NEW.holder) IS DISTINCT FROM (OLD.kind, OLD.holder)) '
        'EXECUTE FUNCTION hirakata_ledger_refuse()'),
    ('hirakata_lot_kept', LOT,
        'BEFORE DELETE ON {table} FOR EACH ROW '
        'EXECUTE FUNCTION hirakata_ledger_refuse()'),
    # WHEN clauses are evaluated without calling a function: the nightly
    # expiry updates millions of lots.
    ('hirakata_lot_fixed', LOT,
        'BEFORE UPDATE ON {table} FOR EACH ROW WHEN ('
        '(NEW.account, NEW.entry, NEW.points, NEW.grant_date, '
        'NEW.expiry_date) IS DISTINCT FROM (OLD.account, OLD.entry, '
        'OLD.points, OLD.grant_date, OLD.expiry_date) '
        'OR (OLD.expiry_entry IS NOT NULL '
        'AND NEW.expiry_entry IS DISTINCT FROM OLD.expiry_entry)) '
        'EXECUTE FUNCTION hirakata_ledger_refuse()'),
    ('hirakata_lot_expired', LOT,
        'BEFORE UPDATE ON {table} FOR EACH ROW WHEN ('
        'OLD.expiry_entry IS NULL AND NEW.expiry_entry IS NOT NULL) '
        'EXECUTE FUNCTION hirakata_lot_expired()'),
    ('hirakata_lot_moved', LOT,
        'BEFORE UPDATE ON {table} FOR EACH ROW WHEN ('
        'NEW.remaining <> OLD.remaining '
        'AND NEW.expiry_entry IS NOT DISTINCT FROM OLD.expiry_entry) '
        'EXECUTE FUNCTION hirakata_lot_moved()'),
    ('hirakata_lot_balanced', LOT,
        'AFTER INSERT OR UPDATE OF remaining ON {table} '
        'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW '
        'WHEN (NEW.expiry_entry IS NULL) '
        'EXECUTE FUNCTION hirakata_account_balanced()'),
    ('hirakata_account_balanced', ACCOUNT,
        'AFTER INSERT OR UPDATE OF balance ON {table} '
        'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW '
        'EXECUTE FUNCTION hirakata_account_balanced()'),
    ] + [('hirakata_no_truncate', table,
            'BEFORE TRUNCATE ON {table} FOR EACH STATEMENT '
            'EXECUTE FUNCTION hirakata_ledger_refuse()')
        for table in [ACCOUNT, ENTRY, LOT, MOVE]]


def install():
    "Create or replace the functions and triggers (module update)."
    if backend.name != 'postgresql':
        return
    cursor = Transaction().connection.cursor()
    cursor.execute(_FUNCTIONS.format(
            account=ACCOUNT, entry=ENTRY, lot=LOT, move=MOVE))
    for name, table, definition in _TRIGGERS:
        constraint = 'CONSTRAINT ' if 'DEFERRABLE' in definition else ''
        cursor.execute('DROP TRIGGER IF EXISTS %s ON %s' % (name, table))
        cursor.execute('CREATE %sTRIGGER %s %s' % (
                constraint, name, definition.format(table=table)))
