-- A monthly gift paused at Stripe (pause_collection): whether, until when, and the charge after it.
-- The check is added NOT VALID: validating it would read every gift under a lock that stops every
-- query on donations, and no existing row can break it (the columns are new: false and null).
-- New and updated rows are checked all the same.
ALTER TABLE "donations" ADD COLUMN "collection_paused" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "donations" ADD COLUMN "paused_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "donations" ADD COLUMN "paused_next_charge_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "donations" ADD COLUMN "pause_said_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "donations" ADD CONSTRAINT "donations_pause" CHECK ("donations"."collection_paused" OR ("donations"."paused_until" IS NULL AND "donations"."paused_next_charge_at" IS NULL)) NOT VALID;