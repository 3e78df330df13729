-- Lead capture: form definitions and the submission log (db/schema/forms.ts).
CREATE TABLE `form_submissions` (
	`id` text PRIMARY KEY NOT NULL,
	`form_id` text NOT NULL,
	`status` text NOT NULL,
	`spam_reasons` text DEFAULT '[]' NOT NULL,
	`payload` text NOT NULL,
	`email` text,
	`name` text,
	`page_url` text,
	`referrer` text,
	`utm` text,
	`user_agent` text,
	`client_ip` text,
	`origin` text,
	`visitor_id` text,
	`fingerprint` text,
	`duplicate_of` text,
	`contact_id` text,
	`deal_id` text,
	`error` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`claim` text,
	`received_at` integer NOT NULL,
	`processed_at` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `form_submissions_form_idx` ON `form_submissions` (`form_id`,`received_at`,`id`);--> statement-breakpoint
CREATE INDEX `form_submissions_form_status_idx` ON `form_submissions` (`form_id`,`status`,`received_at`,`id`);--> statement-breakpoint
CREATE INDEX `form_submissions_fingerprint_idx` ON `form_submissions` (`form_id`,`fingerprint`,`received_at`);--> statement-breakpoint
CREATE INDEX `form_submissions_ip_idx` ON `form_submissions` (`form_id`,`client_ip`,`received_at`);--> statement-breakpoint
CREATE INDEX `form_submissions_visitor_idx` ON `form_submissions` (`visitor_id`,`received_at`) WHERE "form_submissions"."visitor_id" is not null;--> statement-breakpoint
CREATE INDEX `form_submissions_pending_idx` ON `form_submissions` (`updated_at`) WHERE "form_submissions"."status" = 'received';--> statement-breakpoint
CREATE TABLE `forms` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`definition` text NOT NULL,
	`turnstile_secret` text,
	`default_owner_id` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`archived_at` integer,
	FOREIGN KEY (`default_owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `forms_name_idx` ON `forms` (`name`,`id`);--> statement-breakpoint
CREATE INDEX `forms_updated_idx` ON `forms` (`updated_at`,`id`);