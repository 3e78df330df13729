DROP INDEX `tasks_owner_due_idx`;--> statement-breakpoint
CREATE INDEX `tasks_owner_due_idx` ON `tasks` (`owner_id`,`status`,`due_at`,`id`);--> statement-breakpoint
CREATE INDEX `activities_occurred_idx` ON `activities` (`occurred_at`,`id`);