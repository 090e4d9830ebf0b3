CREATE TYPE "public"."donation_frequency" AS ENUM('one_off', 'monthly');--> statement-breakpoint
CREATE TYPE "public"."donation_status" AS ENUM('pending', 'succeeded', 'partially_refunded', 'refunded', 'disputed', 'failed', 'canceled');--> statement-breakpoint
CREATE TYPE "public"."message_status" AS ENUM('none', 'pending', 'approved', 'hidden');--> statement-breakpoint
CREATE TYPE "public"."stripe_event_status" AS ENUM('pending', 'processed', 'ignored', 'parked');--> statement-breakpoint
CREATE TABLE "appeal_donors" (
	"appeal_id" uuid NOT NULL,
	"donor_key" text NOT NULL,
	CONSTRAINT "appeal_donors_appeal_id_donor_key_pk" PRIMARY KEY("appeal_id","donor_key")
);
--> statement-breakpoint
CREATE TABLE "donations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"appeal_id" uuid NOT NULL,
	"currency" char(3) NOT NULL,
	"amount_minor" bigint NOT NULL,
	"cover_fees_minor" bigint DEFAULT 0 NOT NULL,
	"fee_minor" bigint,
	"refunded_minor" bigint DEFAULT 0 NOT NULL,
	"frequency" "donation_frequency" DEFAULT 'one_off' NOT NULL,
	"status" "donation_status" DEFAULT 'pending' NOT NULL,
	"donor_name" text,
	"donor_email" text,
	"anonymous" boolean DEFAULT false NOT NULL,
	"message" text,
	"message_status" "message_status" DEFAULT 'none' NOT NULL,
	"locale" text DEFAULT 'en' NOT NULL,
	"request_key" text NOT NULL,
	"checkout_session_id" text,
	"payment_intent_id" text,
	"charge_id" text,
	"subscription_id" text,
	"invoice_id" text,
	"parent_donation_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"succeeded_at" timestamp with time zone,
	CONSTRAINT "donations_amount_positive" CHECK ("donations"."amount_minor" > 0),
	CONSTRAINT "donations_refund_within_amount" CHECK ("donations"."refunded_minor" >= 0 AND "donations"."refunded_minor" <= "donations"."amount_minor" + "donations"."cover_fees_minor")
);
--> statement-breakpoint
CREATE TABLE "outbox_emails" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"dedupe_key" text NOT NULL,
	"to_address" text NOT NULL,
	"subject" text NOT NULL,
	"text_body" text NOT NULL,
	"kind" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "stripe_events" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"api_version" text,
	"stripe_created_at" timestamp with time zone NOT NULL,
	"payload" jsonb NOT NULL,
	"status" "stripe_event_status" DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "appeal_donors" ADD CONSTRAINT "appeal_donors_appeal_id_appeals_id_fk" FOREIGN KEY ("appeal_id") REFERENCES "public"."appeals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "donations" ADD CONSTRAINT "donations_appeal_id_appeals_id_fk" FOREIGN KEY ("appeal_id") REFERENCES "public"."appeals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "donations_request_key_idx" ON "donations" USING btree ("request_key");--> statement-breakpoint
CREATE UNIQUE INDEX "donations_checkout_session_idx" ON "donations" USING btree ("checkout_session_id");--> statement-breakpoint
CREATE UNIQUE INDEX "donations_charge_idx" ON "donations" USING btree ("charge_id");--> statement-breakpoint
CREATE UNIQUE INDEX "donations_invoice_idx" ON "donations" USING btree ("invoice_id");--> statement-breakpoint
CREATE INDEX "donations_appeal_idx" ON "donations" USING btree ("appeal_id","created_at");--> statement-breakpoint
CREATE INDEX "donations_subscription_idx" ON "donations" USING btree ("subscription_id");--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_emails_dedupe_idx" ON "outbox_emails" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "stripe_events_pending_idx" ON "stripe_events" USING btree ("next_attempt_at","stripe_created_at") WHERE "stripe_events"."status" = 'pending';