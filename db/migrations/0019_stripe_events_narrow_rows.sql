-- The poster writes every event's row twice (its claim, then processed). With the body inline
-- (Stripe's events run to 2-5 KB, about 1.5 KB compressed), each write copied it into a new row
-- version and into the write-ahead log. toast_tuple_target = 128 keeps a body out of line once
-- its row passes Postgres's fixed TOAST threshold (about 2 KB; smaller bodies stay inline), and a
-- write then copies an 18-byte pointer. Room left on each page (fillfactor) lets the claim's write
-- stay on its page: a HOT update, no new index entries. Rows already stored move at their next
-- write. Only a lock that leaves reads and writes running (SHARE UPDATE EXCLUSIVE).
SET LOCAL lock_timeout = '10s';--> statement-breakpoint
ALTER TABLE "stripe_events" SET (toast_tuple_target = 128, fillfactor = 50);
