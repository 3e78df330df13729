-- Speed-to-lead: a person's first call, email, meeting or note on a contact stops its first-response clock and
-- counts towards the clock owner's figures, in the statement that logs it (no extra round trip anywhere).
CREATE TRIGGER `sla_first_response` AFTER INSERT ON `activities`
WHEN NEW.actor_user_id IS NOT NULL AND NEW.contact_id IS NOT NULL AND NEW.deleted_at IS NULL
  AND NEW.type IN ('call', 'email', 'meeting', 'note')
BEGIN
  INSERT INTO sla_rep_stats (user_id, responses, within_sla, breaches, total_response_ms, updated_at)
    SELECT owner_id, 1, NEW.occurred_at <= due_at, 0, max(0, NEW.occurred_at - started_at), NEW.created_at
    FROM sla_clocks WHERE contact_id = NEW.contact_id AND responded_at IS NULL AND owner_id IS NOT NULL
  ON CONFLICT (user_id) DO UPDATE SET responses = responses + 1, within_sla = within_sla + excluded.within_sla,
    total_response_ms = total_response_ms + excluded.total_response_ms, updated_at = excluded.updated_at;
  UPDATE sla_clocks SET responded_at = NEW.occurred_at, responded_by = NEW.actor_user_id,
    response_ms = max(0, NEW.occurred_at - started_at), within_sla = NEW.occurred_at <= due_at
  WHERE contact_id = NEW.contact_id AND responded_at IS NULL;
END;
