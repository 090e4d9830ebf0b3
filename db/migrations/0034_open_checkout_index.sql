-- The gifts still waiting on a checkout, by appeal: the job that expires the open checkouts of
-- closed appeals reads these (only pending gifts: a few among all, so the index stays small).
-- Building it holds back new gifts' inserts (a SHARE lock on donations) for as long as it reads the
-- table. On a large table, build it beforehand with CREATE INDEX CONCURRENTLY (this then finds it
-- and goes on).
CREATE INDEX IF NOT EXISTS "donations_open_checkout_idx" ON "donations" USING btree ("appeal_id","created_at") WHERE "donations"."status" = 'pending' AND "donations"."checkout_session_id" IS NOT NULL;
