CREATE TABLE `webhook_inbox` (
	`id` text PRIMARY KEY NOT NULL,
	`source_id` text NOT NULL,
	`delivery_id` text NOT NULL,
	`status` text NOT NULL,
	`event_type` text,
	`event_count` integer DEFAULT 0 NOT NULL,
	`content_type` text,
	`headers` text DEFAULT '{}' NOT NULL,
	`query_params` text DEFAULT '{}' NOT NULL,
	`body` text NOT NULL,
	`body_encoding` text DEFAULT 'utf8' NOT NULL,
	`verification` text NOT NULL,
	`error` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`replays` integer DEFAULT 0 NOT NULL,
	`claim` text,
	`received_at` integer NOT NULL,
	`processed_at` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_inbox_delivery_idx` ON `webhook_inbox` (`source_id`,`delivery_id`);--> statement-breakpoint
CREATE INDEX `webhook_inbox_source_idx` ON `webhook_inbox` (`source_id`,`received_at`,`id`);--> statement-breakpoint
CREATE INDEX `webhook_inbox_status_idx` ON `webhook_inbox` (`status`,`received_at`,`id`);--> statement-breakpoint
CREATE INDEX `webhook_inbox_received_idx` ON `webhook_inbox` (`received_at`,`id`);--> statement-breakpoint
CREATE INDEX `webhook_inbox_pending_idx` ON `webhook_inbox` (`updated_at`) WHERE "webhook_inbox"."status" = 'received';--> statement-breakpoint
CREATE TABLE `webhook_inbox_events` (
	`inbox_id` text NOT NULL,
	`idx` integer NOT NULL,
	`event_type` text,
	`event_id` text NOT NULL,
	`status` text NOT NULL,
	`contact_id` text,
	`actions` text DEFAULT '[]' NOT NULL,
	PRIMARY KEY(`inbox_id`, `idx`)
);
--> statement-breakpoint
CREATE INDEX `webhook_inbox_events_contact_idx` ON `webhook_inbox_events` (`contact_id`);--> statement-breakpoint
CREATE TABLE `webhook_sources` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`verification` text NOT NULL,
	`verification_config` text DEFAULT '{}' NOT NULL,
	`secrets` text NOT NULL,
	`mapping` text NOT NULL,
	`preset` text,
	`attribution` text DEFAULT '{}' NOT NULL,
	`default_owner_id` text,
	`retention_days` integer DEFAULT 30 NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`archived_at` integer,
	FOREIGN KEY (`default_owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `webhook_sources_updated_idx` ON `webhook_sources` (`updated_at`,`id`);