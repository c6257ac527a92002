-- hookpost schema, part 22 (issue 12): every attempt logged.
--
-- An attempt row now says what became of its request (kind):
--   sent      it left on a connection: the answer or the transport
--             error is the row's (every row before this migration);
--   cut_off   it may have reached the receiver, but no answer came: the
--             worker died holding the claim (recorded by the claim that
--             takes the delivery over), or the reused connection died and
--             libcurl sent the request again (the re-send is the next
--             row);
--   not_sent  nothing left: refused by the SSRF guard, no connection,
--             subscription no longer active.
-- The constraint holds for new rows at once; NOT VALID spares a scan of
-- a large table (every existing row has the default).
ALTER TABLE hookpost.delivery_attempts
	ADD COLUMN kind text NOT NULL DEFAULT 'sent';
ALTER TABLE hookpost.delivery_attempts
	ADD CONSTRAINT delivery_attempts_kind
	CHECK (kind IN ('sent', 'cut_off', 'not_sent')) NOT VALID;

-- deliveries.attempts stays the try count (claims not given back), the
-- retry schedule's position; sends counts the requests that left or may
-- have (rows of kind sent and cut_off): the API's attempt_count.  NULL on
-- rows written before, where the tries are the best count (no rewrite of
-- the table here: readers take coalesce(sends, attempts)).
ALTER TABLE hookpost.deliveries ADD COLUMN sends integer;
