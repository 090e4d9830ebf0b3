-- An update is written in a language of its own, often not its appeal's (a Spanish message of
-- solidarity on a Japanese appeal); pages mark it with that language. Updates posted before were
-- written, as far as anyone said, in their appeal's language: they keep reading as they did.
ALTER TABLE "appeal_updates" ADD COLUMN "language" text;--> statement-breakpoint
UPDATE "appeal_updates" u SET "language" = a."language" FROM "appeals" a WHERE a."id" = u."appeal_id";--> statement-breakpoint
ALTER TABLE "appeal_updates" ALTER COLUMN "language" SET NOT NULL;
--> statement-breakpoint
-- During a deploy the version before this one still serves for a while, and posts updates without a
-- language: they take their appeal's, as the updates before them did, instead of failing.
CREATE FUNCTION appeal_updates_default_language() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.language IS NULL THEN
    SELECT a.language INTO NEW.language FROM appeals a WHERE a.id = NEW.appeal_id;
  END IF;
  RETURN NEW;
END $$;--> statement-breakpoint
CREATE TRIGGER appeal_updates_default_language BEFORE INSERT ON appeal_updates FOR EACH ROW EXECUTE FUNCTION appeal_updates_default_language();
