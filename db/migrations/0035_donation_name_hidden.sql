-- An organizer can take a donor name off the public wall (an insult, an advert); instant: a constant default.
ALTER TABLE "donations" ADD COLUMN "name_hidden" boolean DEFAULT false NOT NULL;