CREATE TABLE `assignments` (
	`event_id` text PRIMARY KEY NOT NULL,
	`contact_id` text NOT NULL,
	`claim` text NOT NULL,
	`reason` text NOT NULL,
	`rule_id` text,
	`team_id` text,
	`previous_owner_id` text,
	`user_id` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `assignments_contact_idx` ON `assignments` (`contact_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `rotation_members` (
	`rotation` text NOT NULL,
	`user_id` text NOT NULL,
	`weight` integer DEFAULT 1 NOT NULL,
	`credit` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`rotation`, `user_id`)
);
--> statement-breakpoint
CREATE TABLE `rotation_state` (
	`rotation` text PRIMARY KEY NOT NULL,
	`seq` integer DEFAULT 0 NOT NULL,
	`picked` text,
	`last_claim` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `routing_rulesets` (
	`kind` text PRIMARY KEY NOT NULL,
	`definition` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text
);
--> statement-breakpoint
CREATE TABLE `sla_breaches` (
	`clock_id` text PRIMARY KEY NOT NULL,
	`contact_id` text NOT NULL,
	`owner_id` text,
	`claim` text NOT NULL,
	`reassign` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sla_clocks` (
	`id` text PRIMARY KEY NOT NULL,
	`contact_id` text NOT NULL,
	`owner_id` text,
	`rule_id` text NOT NULL,
	`started_at` integer NOT NULL,
	`due_at` integer NOT NULL,
	`responded_at` integer,
	`responded_by` text,
	`response_ms` integer,
	`within_sla` integer,
	`breached_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sla_clocks_waiting_idx` ON `sla_clocks` (`contact_id`) WHERE "sla_clocks"."responded_at" is null;--> statement-breakpoint
CREATE INDEX `sla_clocks_due_idx` ON `sla_clocks` (`due_at`) WHERE "sla_clocks"."responded_at" is null and "sla_clocks"."breached_at" is null;--> statement-breakpoint
CREATE INDEX `sla_clocks_owner_response_idx` ON `sla_clocks` (`owner_id`,`response_ms`) WHERE "sla_clocks"."response_ms" is not null;--> statement-breakpoint
CREATE TABLE `sla_rep_stats` (
	`user_id` text PRIMARY KEY NOT NULL,
	`responses` integer DEFAULT 0 NOT NULL,
	`within_sla` integer DEFAULT 0 NOT NULL,
	`breaches` integer DEFAULT 0 NOT NULL,
	`total_response_ms` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `user_availability` (
	`user_id` text PRIMARY KEY NOT NULL,
	`working_hours` text,
	`out_of_office` text DEFAULT '[]' NOT NULL,
	`max_open_leads` integer,
	`version` integer DEFAULT 1 NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
