-- The donor's regional format (es-MX) for their mails; instant: nullable, no default, no rewrite.
ALTER TABLE "donations" ADD COLUMN "format_locale" text;
