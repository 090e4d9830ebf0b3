ALTER TABLE "donations" ADD COLUMN "pending_balance_transaction_id" text;--> statement-breakpoint
ALTER TABLE "donations" ADD COLUMN "funds_available_on" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "donations_funds_due_idx" ON "donations" USING btree ("funds_available_on") WHERE "donations"."funds_available_on" IS NOT NULL;