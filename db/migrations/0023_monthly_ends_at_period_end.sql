ALTER TABLE "donations" ADD COLUMN "subscription_ends_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "donations" ADD COLUMN "subscription_ends_said_at" timestamp with time zone;