-- Indexes on columns that are mostly null become partial (NOT NULL): a one-off gift has no invoice
-- or subscription, and almost no ledger transaction reverses another, so the poster's writes add
-- no entry to them. Uniqueness is unchanged (nulls never conflicted). The new indexes are built
-- first under other names, which only holds back writes to the two tables; the old ones are
-- dropped last, so reads wait only for the rename and the commit, not for the builds.
SET LOCAL lock_timeout = '10s';--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_transactions_reverses_id_partial" ON "ledger_transactions" USING btree ("reverses_id") WHERE "ledger_transactions"."reverses_id" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "donations_invoice_partial" ON "donations" USING btree ("invoice_id") WHERE "donations"."invoice_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "donations_subscription_partial" ON "donations" USING btree ("subscription_id") WHERE "donations"."subscription_id" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "ledger_transactions" DROP CONSTRAINT "ledger_transactions_reverses_id_unique";--> statement-breakpoint
DROP INDEX "donations_invoice_idx";--> statement-breakpoint
DROP INDEX "donations_subscription_idx";--> statement-breakpoint
ALTER INDEX "ledger_transactions_reverses_id_partial" RENAME TO "ledger_transactions_reverses_id_unique";--> statement-breakpoint
ALTER INDEX "donations_invoice_partial" RENAME TO "donations_invoice_idx";--> statement-breakpoint
ALTER INDEX "donations_subscription_partial" RENAME TO "donations_subscription_idx";
