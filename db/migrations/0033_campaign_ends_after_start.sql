-- A campaign may not end before it starts. Added NOT VALID: a campaign saved that way before this
-- release would make validation fail the deploy; such a row keeps its dates until an organizer
-- edits it, and any edit of it must then put them right (new and updated rows are checked).
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_ends_after_start" CHECK ("campaigns"."ends_at" IS NULL OR "campaigns"."starts_at" IS NULL OR "campaigns"."ends_at" > "campaigns"."starts_at") NOT VALID;
