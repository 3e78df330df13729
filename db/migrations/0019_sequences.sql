CREATE TABLE `sequence_enrolments` (
	`id` text PRIMARY KEY NOT NULL,
	`sequence_id` text NOT NULL,
	`contact_id` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`current_step` integer DEFAULT 0 NOT NULL,
	`step_base_at` integer NOT NULL,
	`next_run_at` integer,
	`lease_claim` text,
	`lease_until` integer,
	`enrolled_at` integer NOT NULL,
	`enrolled_by` text,
	`cause` text,
	`stopped_at` integer,
	`stop_reason` text,
	`completed_at` integer,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`sequence_id`) REFERENCES `sequences`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sequence_enrolments_active_idx` ON `sequence_enrolments` (`sequence_id`,`contact_id`) WHERE "sequence_enrolments"."status" = 'active';--> statement-breakpoint
CREATE INDEX `sequence_enrolments_due_idx` ON `sequence_enrolments` (`next_run_at`) WHERE "sequence_enrolments"."status" = 'active';--> statement-breakpoint
CREATE INDEX `sequence_enrolments_contact_idx` ON `sequence_enrolments` (`contact_id`,`id`);--> statement-breakpoint
CREATE INDEX `sequence_enrolments_sequence_idx` ON `sequence_enrolments` (`sequence_id`,`id`);--> statement-breakpoint
CREATE TABLE `sequence_step_runs` (
	`enrolment_id` text NOT NULL,
	`step` integer NOT NULL,
	`type` text NOT NULL,
	`claim` text NOT NULL,
	`outcome` text NOT NULL,
	`detail` text,
	`outbox_id` text,
	`task_id` text,
	`ran_at` integer NOT NULL,
	PRIMARY KEY(`enrolment_id`, `step`),
	FOREIGN KEY (`enrolment_id`) REFERENCES `sequence_enrolments`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `sequences` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`steps` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE INDEX `sequences_name_idx` ON `sequences` (`name`,`id`);