-- The poster writes every event's row twice (its claim, then processed). With the body inline
-- (2.4 KB, about 1.5 KB compressed) each write copied the body into a new row version and the
-- write-ahead log. Kept out of line, a write copies an 18-byte pointer; room left on each page
-- lets the claim's write stay on its page (HOT: no new index entries).
ALTER TABLE "stripe_events" SET (toast_tuple_target = 128, fillfactor = 50);
