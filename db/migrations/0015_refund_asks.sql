CREATE TYPE "public"."refund_ask_status" AS ENUM('asking', 'asked', 'refused');--> statement-breakpoint
CREATE TABLE "refund_asks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"donation_id" uuid NOT NULL,
	"idempotency_key" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"reason" text NOT NULL,
	"asked_by" text,
	"asked_at" timestamp with time zone DEFAULT now() NOT NULL,
	"status" "refund_ask_status" DEFAULT 'asking' NOT NULL,
	"refund_id" text,
	"refused_code" text,
	"answered_at" timestamp with time zone,
	CONSTRAINT "refund_asks_amount_positive" CHECK ("refund_asks"."amount_minor" > 0),
	CONSTRAINT "refund_asks_asked_has_refund" CHECK ("refund_asks"."status" <> 'asked' OR "refund_asks"."refund_id" IS NOT NULL),
	CONSTRAINT "refund_asks_asking_has_none" CHECK ("refund_asks"."status" <> 'asking' OR "refund_asks"."refund_id" IS NULL)
);
--> statement-breakpoint
ALTER TABLE "refund_asks" ADD CONSTRAINT "refund_asks_donation_id_donations_id_fk" FOREIGN KEY ("donation_id") REFERENCES "public"."donations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refund_asks" ADD CONSTRAINT "refund_asks_asked_by_users_id_fk" FOREIGN KEY ("asked_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "refund_asks_key_idx" ON "refund_asks" USING btree ("donation_id","idempotency_key");--> statement-breakpoint
CREATE UNIQUE INDEX "refund_asks_refund_idx" ON "refund_asks" USING btree ("refund_id");--> statement-breakpoint
-- Refunds were asked on the audit log's word until now: each becomes an ask Stripe answered, so a
-- refund on its way when this runs is still counted, and an old form sent again is still that
-- refund. One Stripe said had failed or was canceled holds nothing back.
INSERT INTO "refund_asks" ("donation_id", "idempotency_key", "amount_minor", "reason", "asked_by", "asked_at", "status", "refund_id", "refused_code", "answered_at")
SELECT d."id", coalesce(a."after"->>'idempotencyKey', 'audit-' || a."id"::text), (a."after"->>'amountMinor')::bigint,
       coalesce(a."after"->>'reason', 'requested_by_customer'), a."actor_user_id", a."at",
       CASE WHEN a."after"->>'status' IN ('failed', 'canceled') THEN 'refused'::"refund_ask_status" ELSE 'asked'::"refund_ask_status" END,
       a."after"->>'refundId',
       CASE WHEN a."after"->>'status' IN ('failed', 'canceled') THEN 'refund_' || (a."after"->>'status') END,
       a."at"
  FROM "audit_log" a
  JOIN "donations" d ON d."id"::text = lower(a."subject_id")
 WHERE a."action" = 'donation.refund' AND a."subject_type" = 'donation'
   AND a."after"->>'refundId' ~ '^(re|pyr)_[A-Za-z0-9_]{1,250}$'
   AND a."after"->>'amountMinor' ~ '^[1-9][0-9]{0,17}$'
 ORDER BY a."id"
ON CONFLICT DO NOTHING;
