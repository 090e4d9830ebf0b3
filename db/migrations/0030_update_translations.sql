-- An update's title and text in other languages, as the appeal's story has them: a reader of one
-- gets it on the page, and a donor who reads one gets the update's mail in it.
CREATE TABLE "appeal_update_translations" (
	"update_id" uuid NOT NULL,
	"language" text NOT NULL,
	"title" text NOT NULL,
	"body_markdown" text NOT NULL,
	"body_html" text NOT NULL,
	"body_html_version" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "appeal_update_translations_update_id_language_pk" PRIMARY KEY("update_id","language")
);
--> statement-breakpoint
ALTER TABLE "appeal_update_translations" ADD CONSTRAINT "appeal_update_translations_update_id_appeal_updates_id_fk" FOREIGN KEY ("update_id") REFERENCES "public"."appeal_updates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "appeal_update_translations_body_html_version_idx" ON "appeal_update_translations" USING btree ("body_html_version");