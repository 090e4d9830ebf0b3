-- The ledger's invariants, enforced by the database so that no caller (the app, a script, a person
-- in psql) can skip them. Amounts are signed minor units: debits positive, credits negative.

-- 1. Entries and transactions are append-only: corrections are new, reversing transactions.
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger: % on % is not allowed: the ledger is append-only; post a reversing transaction instead', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation', HINT = 'use reverse(transaction) to correct a posting';
END $$;
--> statement-breakpoint
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER ledger_transactions_no_truncate BEFORE TRUNCATE ON ledger_transactions
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint

-- 2. Cached balances are written by the database in the same transaction as the entries, once per
-- account per INSERT statement (so a batch of 1,000 postings to one hot account is one update).
CREATE FUNCTION ledger_apply_entries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE ledger_accounts a
     SET balance_minor = a.balance_minor + d.delta, entry_count = a.entry_count + d.n
    FROM (SELECT account_id, sum(amount_minor) AS delta, count(*) AS n
            FROM new_entries GROUP BY account_id) d
   WHERE a.id = d.account_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER ledger_entries_apply AFTER INSERT ON ledger_entries
  REFERENCING NEW TABLE AS new_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_apply_entries();
--> statement-breakpoint

-- Only that trigger may move a cached balance; an account's identity never changes.
CREATE FUNCTION ledger_guard_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id <> OLD.id OR NEW.code <> OLD.code OR NEW.currency <> OLD.currency OR NEW.type <> OLD.type
     OR NEW.allow_negative <> OLD.allow_negative THEN
    RAISE EXCEPTION 'ledger: account % cannot change its id, code, currency, type or overdraft rule', OLD.code
      USING ERRCODE = 'restrict_violation';
  END IF;
  IF (NEW.balance_minor <> OLD.balance_minor OR NEW.entry_count <> OLD.entry_count) AND pg_trigger_depth() < 2 THEN
    RAISE EXCEPTION 'ledger: the balance of account % is derived from its entries and cannot be set', OLD.code
      USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER ledger_accounts_guard BEFORE UPDATE ON ledger_accounts
  FOR EACH ROW EXECUTE FUNCTION ledger_guard_account();
--> statement-breakpoint
CREATE TRIGGER ledger_accounts_no_delete BEFORE DELETE ON ledger_accounts
  FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE TRIGGER ledger_accounts_no_truncate BEFORE TRUNCATE ON ledger_accounts
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
--> statement-breakpoint
CREATE FUNCTION ledger_guard_new_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.balance_minor <> 0 OR NEW.entry_count <> 0 THEN
    RAISE EXCEPTION 'ledger: account % must open with a zero balance', NEW.code USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER ledger_accounts_open_at_zero BEFORE INSERT ON ledger_accounts
  FOR EACH ROW EXECUTE FUNCTION ledger_guard_new_account();
--> statement-breakpoint

-- 3. The entries of a transaction sum to zero per currency and number at least two, checked at
-- commit (once per transaction) so a transaction may be written entry by entry inside one
-- database transaction.
CREATE FUNCTION ledger_check_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  per_currency record;
  entry_count bigint := 0;
BEGIN
  FOR per_currency IN
    SELECT currency, sum(amount_minor) AS total, count(*) AS n FROM ledger_entries WHERE transaction_id = NEW.id GROUP BY currency
  LOOP
    IF per_currency.total <> 0 THEN
      RAISE EXCEPTION 'ledger: transaction % (%) is unbalanced: its % entries sum to % instead of 0',
        NEW.id, NEW.idempotency_key, per_currency.currency, per_currency.total USING ERRCODE = 'check_violation';
    END IF;
    entry_count := entry_count + per_currency.n;
  END LOOP;
  IF entry_count < 2 THEN
    RAISE EXCEPTION 'ledger: transaction % (%) has fewer than two entries', NEW.id, NEW.idempotency_key
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER ledger_transactions_balanced AFTER INSERT ON ledger_transactions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_transaction();
--> statement-breakpoint

-- The check above runs for transactions created in this database transaction, so entries may
-- only join a transaction that this database transaction (or one of its savepoints) created: a
-- committed one is closed. A visible row's xmin is ours exactly when pg_xact_status calls it in
-- progress (rows of other in-progress transactions are invisible). xmin is a 32-bit xid; it is
-- widened to xid8 from our own full xid, since every live xid lies within 2^31 of it.
CREATE FUNCTION ledger_row_is_own(row_xmin xid) RETURNS boolean LANGUAGE sql STABLE AS $$
  WITH x AS (
    SELECT pg_current_xact_id()::text::bigint AS top, row_xmin::text::bigint AS low
  ), d AS (
    SELECT top, low, ((low - (top & 4294967295)) + 4294967296) % 4294967296 AS ahead FROM x
  ), f AS (
    SELECT low, CASE WHEN ahead < 2147483648 THEN top + ahead ELSE top - (4294967296 - ahead) END AS full_xid FROM d
  )
  SELECT low >= 3 AND full_xid > 0 AND pg_xact_status(full_xid::text::xid8) IS NOT DISTINCT FROM 'in progress' FROM f
$$;
--> statement-breakpoint
CREATE FUNCTION ledger_check_entries_join_open_transactions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT n.transaction_id AS id, t.id IS NULL AS missing INTO bad
    FROM (SELECT DISTINCT transaction_id FROM new_entries) n
    LEFT JOIN ledger_transactions t ON t.id = n.transaction_id
   WHERE t.id IS NULL
      OR (t.xmin <> pg_current_xact_id()::xid   -- the common case, cheap: created at the top level
          AND NOT ledger_row_is_own(t.xmin))    -- else a savepoint of ours, or a closed transaction
   LIMIT 1;
  IF FOUND AND bad.missing THEN
    RAISE EXCEPTION 'ledger: entry refers to transaction %, which does not exist', bad.id
      USING ERRCODE = 'foreign_key_violation';
  ELSIF FOUND THEN
    RAISE EXCEPTION 'ledger: transaction % is already committed; entries cannot be added to it', bad.id
      USING ERRCODE = 'restrict_violation', HINT = 'write a transaction and its entries in the same database transaction';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER ledger_entries_join_open_transactions AFTER INSERT ON ledger_entries
  REFERENCING NEW TABLE AS new_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_entries_join_open_transactions();
--> statement-breakpoint

-- 4. Accounts that may not go negative never do at commit. "Negative" is against the account's
-- normal side: assets and expenses hold debits (positive), the others hold credits (negative).
CREATE FUNCTION ledger_normal_balance(account_type ledger_account_type, balance bigint) RETURNS bigint
  LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN account_type IN ('asset', 'expense') THEN balance ELSE -balance END
$$;
--> statement-breakpoint
CREATE FUNCTION ledger_check_overdraft() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  acct record;
BEGIN
  SELECT code, currency, type, allow_negative, balance_minor INTO acct FROM ledger_accounts WHERE id = NEW.id;
  IF NOT acct.allow_negative AND ledger_normal_balance(acct.type, acct.balance_minor) < 0 THEN
    RAISE EXCEPTION 'ledger: account % (%) would be overdrawn: balance %', acct.code, acct.currency, acct.balance_minor
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER ledger_accounts_no_overdraft AFTER INSERT OR UPDATE ON ledger_accounts
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (NOT NEW.allow_negative AND ledger_normal_balance(NEW.type, NEW.balance_minor) < 0)
  EXECUTE FUNCTION ledger_check_overdraft();
