-- An update is posted once per key: a double click or a resent manage form used to post it twice
-- and mail every subscriber twice. The key is per appeal; updates posted before keys keep a null,
-- which Postgres counts as distinct, so they never collide.
ALTER TABLE "appeal_updates" ADD COLUMN "idempotency_key" text;--> statement-breakpoint
CREATE UNIQUE INDEX "appeal_updates_key_idx" ON "appeal_updates" USING btree ("appeal_id","idempotency_key");