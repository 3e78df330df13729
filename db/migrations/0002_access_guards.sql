-- Access guards. A write batch starts by inserting the verdict on its caller here: NULL lets it through,
-- anything else makes the trigger abort, and with it every statement of the batch (a batch is a transaction).
-- So the caller's identity, role and scopes are checked fresh, in the same round trip as the write.
CREATE VIEW `access_guard` AS SELECT NULL AS `denied`;
--> statement-breakpoint
CREATE TRIGGER `access_guard_unauthenticated` INSTEAD OF INSERT ON `access_guard`
WHEN NEW.`denied` = 'unauthenticated'
BEGIN SELECT RAISE(ABORT, 'access_guard:unauthenticated'); END;
--> statement-breakpoint
CREATE TRIGGER `access_guard_forbidden` INSTEAD OF INSERT ON `access_guard`
WHEN NEW.`denied` = 'forbidden'
BEGIN SELECT RAISE(ABORT, 'access_guard:forbidden'); END;
--> statement-breakpoint
CREATE TRIGGER `access_guard_not_found` INSTEAD OF INSERT ON `access_guard`
WHEN NEW.`denied` = 'not_found'
BEGIN SELECT RAISE(ABORT, 'access_guard:not_found'); END;
--> statement-breakpoint
-- The audit log is append-only: nothing updates or deletes an entry.
CREATE TRIGGER `audit_log_no_update` BEFORE UPDATE ON `audit_log`
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
--> statement-breakpoint
CREATE TRIGGER `audit_log_no_delete` BEFORE DELETE ON `audit_log`
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
