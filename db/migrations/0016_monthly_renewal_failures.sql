ALTER TABLE "donations" ADD COLUMN "renewal_failed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "donations" ADD COLUMN "renewal_failed_invoice_id" text;--> statement-breakpoint
ALTER TABLE "donations" ADD COLUMN "renewal_next_attempt_at" timestamp with time zone;