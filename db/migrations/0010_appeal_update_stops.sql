CREATE TABLE "update_stop_tokens" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"appeal_id" uuid NOT NULL,
	"email" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "outbox_emails" ADD COLUMN "list_unsubscribe_url" text;--> statement-breakpoint
ALTER TABLE "update_stop_tokens" ADD CONSTRAINT "update_stop_tokens_appeal_id_appeals_id_fk" FOREIGN KEY ("appeal_id") REFERENCES "public"."appeals"("id") ON DELETE no action ON UPDATE no action;