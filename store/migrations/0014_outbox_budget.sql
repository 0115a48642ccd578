-- outbox_automatic answers the budget of automatic mail (CountAutomatic,
-- asked once per mail taken in) from the index alone: by kind, the hour's
-- rows, and their state. Without it SQLite read every row of the kind from
-- the table for its state, a cost that grew with the outbox during a
-- catch-up (issue 19).
CREATE INDEX outbox_automatic ON outbox(kind, created_at, state);
