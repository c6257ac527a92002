-- Per-owner quotas (seed 000 "Rate Limits").

-- An owner's quotas: its hookpost.quotas row, else the defaults.
CREATE OR REPLACE FUNCTION hookpost.quota_for(p_owner text,
	OUT max_subscriptions integer,
	OUT max_events_per_minute integer,
	OUT max_subscription_requests_per_minute integer,
	OUT max_subscription_requests_per_day integer)
LANGUAGE sql STABLE AS $$
	SELECT coalesce(q.max_subscriptions, 10),
	    coalesce(q.max_events_per_minute, 12),
	    coalesce(q.max_subscription_requests_per_minute, 10),
	    coalesce(q.max_subscription_requests_per_day, 20)
	FROM (SELECT 1) one
	LEFT JOIN hookpost.quotas q ON q.owner_id = p_owner
$$;
