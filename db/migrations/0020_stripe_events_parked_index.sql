-- The parked events, newest first, for the treasury page and the metrics: without it each read
-- scanned every event ever received. Building it holds back new events' inserts (a SHARE lock on
-- stripe_events) for as long as it reads the table: Stripe retries those webhooks. On a large
-- inbox, build it beforehand with CREATE INDEX CONCURRENTLY (this then finds it and goes on).
SET LOCAL lock_timeout = '10s';--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "stripe_events_parked_idx" ON "stripe_events" USING btree ("received_at") WHERE "stripe_events"."status" = 'parked';
