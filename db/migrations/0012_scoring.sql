CREATE TABLE `contact_scores` (
	`contact_id` text PRIMARY KEY NOT NULL,
	`fit` integer NOT NULL,
	`engagement` integer NOT NULL,
	`engagement_exact` real NOT NULL,
	`grade` text,
	`rules_version` integer NOT NULL,
	`explanation` text NOT NULL,
	`computed_at` integer NOT NULL,
	`version` integer NOT NULL,
	FOREIGN KEY (`contact_id`) REFERENCES `contacts`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `scoring_events` (
	`event_id` text PRIMARY KEY NOT NULL,
	`contact_id` text NOT NULL,
	`kind` text NOT NULL,
	`at` integer NOT NULL,
	`form_id` text,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `scoring_events_contact_idx` ON `scoring_events` (`contact_id`,`at`);--> statement-breakpoint
CREATE TABLE `scoring_job_chunks` (
	`job_id` text NOT NULL,
	`chunk` integer NOT NULL,
	`contacts` integer NOT NULL,
	`finished_at` integer NOT NULL,
	PRIMARY KEY(`job_id`, `chunk`),
	FOREIGN KEY (`job_id`) REFERENCES `scoring_jobs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `scoring_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`rules_version` integer NOT NULL,
	`as_of` integer NOT NULL,
	`total` integer DEFAULT 0 NOT NULL,
	`done` integer DEFAULT 0 NOT NULL,
	`chunks` integer DEFAULT 0 NOT NULL,
	`chunks_done` integer DEFAULT 0 NOT NULL,
	`changed` integer DEFAULT 0 NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `scoring_jobs_status_idx` ON `scoring_jobs` (`status`,`created_at`) WHERE "scoring_jobs"."status" != 'done';--> statement-breakpoint
CREATE TABLE `scoring_rule_sets` (
	`version` integer PRIMARY KEY NOT NULL,
	`rules` text NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL
);
