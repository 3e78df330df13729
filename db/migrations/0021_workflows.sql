CREATE TABLE `workflow_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`workflow_id` text NOT NULL,
	`version` integer NOT NULL,
	`trigger_key` text NOT NULL,
	`event_type` text NOT NULL,
	`record_type` text,
	`record_id` text,
	`status` text NOT NULL,
	`reason` text,
	`depth` integer DEFAULT 0 NOT NULL,
	`next_step` integer DEFAULT 0 NOT NULL,
	`resume_at` integer,
	`wake_at` integer,
	`failed_step` integer,
	`error` text,
	`context` text DEFAULT '{}' NOT NULL,
	`started_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `workflow_runs_trigger_idx` ON `workflow_runs` (`workflow_id`,`trigger_key`);--> statement-breakpoint
CREATE INDEX `workflow_runs_workflow_idx` ON `workflow_runs` (`workflow_id`,`id`);--> statement-breakpoint
CREATE INDEX `workflow_runs_record_idx` ON `workflow_runs` (`record_id`,`id`);--> statement-breakpoint
CREATE INDEX `workflow_runs_wake_idx` ON `workflow_runs` (`wake_at`) WHERE "workflow_runs"."status" in ('running', 'waiting');--> statement-breakpoint
CREATE TABLE `workflow_steps` (
	`run_id` text NOT NULL,
	`step` integer NOT NULL,
	`action` text NOT NULL,
	`status` text NOT NULL,
	`claim` text NOT NULL,
	`input` text DEFAULT '{}' NOT NULL,
	`result` text,
	`error` text,
	`attempts` integer DEFAULT 1 NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer NOT NULL,
	PRIMARY KEY(`run_id`, `step`)
);
--> statement-breakpoint
CREATE TABLE `workflow_versions` (
	`workflow_id` text NOT NULL,
	`version` integer NOT NULL,
	`definition` text NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`workflow_id`, `version`)
);
--> statement-breakpoint
CREATE TABLE `workflows` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`enabled` integer DEFAULT false NOT NULL,
	`trigger_type` text NOT NULL,
	`current_version` integer DEFAULT 1 NOT NULL,
	`signing_secret` text NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE INDEX `workflows_trigger_idx` ON `workflows` (`trigger_type`) WHERE "workflows"."enabled" = 1 and "workflows"."deleted_at" is null;