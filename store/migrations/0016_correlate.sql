-- sightings_correlate answers correlate's scan of the other sightings of
-- an indicator (accepted ones, their ticket and when) from the index
-- alone. Without it SQLite read each sighting's row for its pending flag
-- and first_seen, once per other ticket of each indicator of every new
-- report: a cost that grows with the league's history (issue 19).
CREATE INDEX sightings_correlate ON sightings(indicator, pending, ticket, first_seen);
