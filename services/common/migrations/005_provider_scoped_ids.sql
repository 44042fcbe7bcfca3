-- Rule book v3 §9: referral, placement and evidence ids are the sending provider's own,
-- and "processed once" is per provider.
--
-- Held inputs now wait for <kind>:<provider_id>:<id> (services/common/provider_keys.py)
-- instead of <kind>:<id>: rows held before this migration are rewritten with the
-- provider their event names (a held event passed the provider_mismatch check, so that
-- is the provider of the topic it came from), so what releases them still does.
UPDATE held
SET waiting_for = split_part(waiting_for, ':', 1) || ':'
    || (convert_from(value, 'UTF8')::jsonb ->> 'provider_id') || ':'
    || substr(waiting_for, length(split_part(waiting_for, ':', 1)) + 2)
WHERE split_part(waiting_for, ':', 1) IN ('referral', 'started', 'placement', 'evidence')
  AND convert_from(value, 'UTF8')::jsonb ? 'provider_id';
--
-- The inbox: an input of a provider's topic is now claimed as <provider_id>:<event_id>
-- (services/common/messages.py Received.message_id). Rows claimed before this migration
-- keep the bare event_id: the topic they came from was not recorded, so they cannot be
-- rewritten. A pre-v3 event redelivered after the upgrade is processed again, which the
-- rules make a no-op (the same content again: a re-send, domain.md §9 "Re-sends").
