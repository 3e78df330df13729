-- A fourth access-guard verdict: the organisation requires 2FA and the caller's session has not enrolled yet
-- (db/access.ts `accessGuard`). Its own message, so that the answer can say how to enrol.
CREATE TRIGGER `access_guard_totp_required` INSTEAD OF INSERT ON `access_guard`
WHEN NEW.`denied` = 'totp_required'
BEGIN SELECT RAISE(ABORT, 'access_guard:totp_required'); END;
--> statement-breakpoint
-- A verdict for a change the current state does not allow (e.g. requiring 2FA for everyone while the admin
-- asking has none): the route that added the guard says why.
CREATE TRIGGER `access_guard_conflict` INSTEAD OF INSERT ON `access_guard`
WHEN NEW.`denied` = 'conflict'
BEGIN SELECT RAISE(ABORT, 'access_guard:conflict'); END;
