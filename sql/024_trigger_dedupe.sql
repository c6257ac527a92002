-- hookpost schema, part 24 (issue 12): the replay guard for the stripe
-- and slack presets.  Their providers send some requests with no id of
-- their own (a Stripe body without "id"; Slack's slash commands and
-- interactivity), which nothing deduplicated: the same signed request
-- was accepted again, as another event, for as long as its timestamp
-- stayed inside the 5 minutes.
--
-- 'mac': the MAC such a request was accepted with is kept in
-- trigger_events.signature (sql/017's unique index), as hookpost's own
-- timestamped scheme always does, so the same request again answers the
-- first event.  The MAC covers the timestamp and the body: only a
-- byte-identical request signed the same second is held the same, and
-- the providers sign every send anew (a Stripe retry has a new t, every
-- Slack slash command a new trigger_id).  That is why it is the default,
-- for existing triggers too.  'id': the sender's delivery id only, for a
-- sender that means two identical requests in one second as two events.
ALTER TABLE hookpost.triggers ADD COLUMN hmac_dedupe text NOT NULL
	DEFAULT 'mac' CHECK (hmac_dedupe IN ('mac', 'id'));
