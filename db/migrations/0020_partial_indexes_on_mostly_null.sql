ALTER TABLE "ledger_transactions" DROP CONSTRAINT "ledger_transactions_reverses_id_unique";--> statement-breakpoint
DROP INDEX "donations_invoice_idx";--> statement-breakpoint
DROP INDEX "donations_subscription_idx";--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_transactions_reverses_id_unique" ON "ledger_transactions" USING btree ("reverses_id") WHERE "ledger_transactions"."reverses_id" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "donations_invoice_idx" ON "donations" USING btree ("invoice_id") WHERE "donations"."invoice_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "donations_subscription_idx" ON "donations" USING btree ("subscription_id") WHERE "donations"."subscription_id" IS NOT NULL;