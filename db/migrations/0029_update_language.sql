-- An update is written in a language of its own, often not its appeal's (a Spanish message of
-- solidarity on a Japanese appeal); pages mark it with that language. Updates posted before were
-- written, as far as anyone said, in their appeal's language: they keep reading as they did.
ALTER TABLE "appeal_updates" ADD COLUMN "language" text;--> statement-breakpoint
UPDATE "appeal_updates" u SET "language" = a."language" FROM "appeals" a WHERE a."id" = u."appeal_id";--> statement-breakpoint
ALTER TABLE "appeal_updates" ALTER COLUMN "language" SET NOT NULL;
