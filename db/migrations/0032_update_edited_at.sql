-- When an organizer corrected a posted update's title or text; null for one as posted.
-- A nullable column without a default: only the catalogue changes, no row is rewritten, and the
-- lock on appeal_updates lasts as long as that takes.
ALTER TABLE "appeal_updates" ADD COLUMN "edited_at" timestamp with time zone;
