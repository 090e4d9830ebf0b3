-- Stories and updates are rendered to HTML when saved; a change to the renderer left the HTML
-- saved before it as the old renderer made it. Each rendered HTML now records the renderer's
-- version (markdownRenderVersion), and a background job renders older ones again. Rows saved
-- before this migration are version 0: all of them are rendered again once. The indexes let the
-- job find the few rows left behind without reading whole tables at every start.
ALTER TABLE "appeal_translations" ADD COLUMN "story_html_version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "appeal_updates" ADD COLUMN "body_html_version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "appeals" ADD COLUMN "story_html_version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "appeal_translations_story_html_version_idx" ON "appeal_translations" USING btree ("story_html_version");--> statement-breakpoint
CREATE INDEX "appeal_updates_body_html_version_idx" ON "appeal_updates" USING btree ("body_html_version");--> statement-breakpoint
CREATE INDEX "appeals_story_html_version_idx" ON "appeals" USING btree ("story_html_version");