CREATE TABLE `duplicate_keys` (
	`record_type` text NOT NULL,
	`kind` text NOT NULL,
	`key` text NOT NULL,
	`record_id` text NOT NULL,
	PRIMARY KEY(`record_type`, `kind`, `key`, `record_id`)
);
--> statement-breakpoint
CREATE INDEX `duplicate_keys_record_idx` ON `duplicate_keys` (`record_type`,`record_id`);--> statement-breakpoint
CREATE TABLE `duplicate_pairs` (
	`id` text PRIMARY KEY NOT NULL,
	`record_type` text NOT NULL,
	`a_id` text NOT NULL,
	`b_id` text NOT NULL,
	`reasons` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`resolved_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `duplicate_pairs_records_idx` ON `duplicate_pairs` (`record_type`,`a_id`,`b_id`);--> statement-breakpoint
CREATE INDEX `duplicate_pairs_status_idx` ON `duplicate_pairs` (`record_type`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `duplicate_pairs_b_idx` ON `duplicate_pairs` (`b_id`);--> statement-breakpoint
CREATE TABLE `exports` (
	`id` text PRIMARY KEY NOT NULL,
	`object` text NOT NULL,
	`filter` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `exports_created_by_idx` ON `exports` (`created_by`,`id`);--> statement-breakpoint
CREATE TABLE `import_changes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`import_id` text NOT NULL,
	`chunk` integer NOT NULL,
	`record_type` text NOT NULL,
	`record_id` text NOT NULL,
	`action` text NOT NULL,
	`before` text,
	`after` text,
	FOREIGN KEY (`import_id`) REFERENCES `imports`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `import_changes_record_idx` ON `import_changes` (`import_id`,`record_type`,`action`,`record_id`);--> statement-breakpoint
CREATE INDEX `import_changes_chunk_idx` ON `import_changes` (`import_id`,`chunk`);--> statement-breakpoint
CREATE TABLE `import_mappings` (
	`object` text NOT NULL,
	`source_name` text NOT NULL,
	`mapping` text NOT NULL,
	`updated_by` text,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`object`, `source_name`)
);
--> statement-breakpoint
CREATE TABLE `import_parts` (
	`import_id` text NOT NULL,
	`part` integer NOT NULL,
	`data` blob NOT NULL,
	`bytes` integer NOT NULL,
	`start` integer,
	PRIMARY KEY(`import_id`, `part`),
	FOREIGN KEY (`import_id`) REFERENCES `imports`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `import_row_issues` (
	`import_id` text NOT NULL,
	`row` integer NOT NULL,
	`kind` text NOT NULL,
	`reasons` text NOT NULL,
	`cells` text NOT NULL,
	PRIMARY KEY(`import_id`, `row`),
	FOREIGN KEY (`import_id`) REFERENCES `imports`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `imports` (
	`id` text PRIMARY KEY NOT NULL,
	`object` text NOT NULL,
	`status` text NOT NULL,
	`source_name` text NOT NULL,
	`file_name` text,
	`created_by` text NOT NULL,
	`columns` text,
	`delimiter` text,
	`newline` text,
	`preview` text,
	`data_start` integer DEFAULT 0 NOT NULL,
	`parts` integer DEFAULT 0 NOT NULL,
	`bytes` integer DEFAULT 0 NOT NULL,
	`mapping` text,
	`run` integer DEFAULT 0 NOT NULL,
	`dry_run` integer DEFAULT false NOT NULL,
	`next_chunk` integer DEFAULT 0 NOT NULL,
	`cursor` integer DEFAULT 0 NOT NULL,
	`avg_row_bytes` integer DEFAULT 0 NOT NULL,
	`rows_done` integer DEFAULT 0 NOT NULL,
	`created` integer DEFAULT 0 NOT NULL,
	`updated` integer DEFAULT 0 NOT NULL,
	`skipped` integer DEFAULT 0 NOT NULL,
	`errors` integer DEFAULT 0 NOT NULL,
	`undo_cursor` text,
	`reverted` integer DEFAULT 0 NOT NULL,
	`removed` integer DEFAULT 0 NOT NULL,
	`failure` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer,
	`undone_at` integer
);
--> statement-breakpoint
CREATE INDEX `imports_created_by_idx` ON `imports` (`created_by`,`id`);--> statement-breakpoint
CREATE INDEX `imports_status_idx` ON `imports` (`status`,`updated_at`);--> statement-breakpoint
CREATE TABLE `privacy_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`contact_id` text NOT NULL,
	`status` text NOT NULL,
	`requested_by` text,
	`reason` text,
	`created_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `privacy_requests_status_idx` ON `privacy_requests` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `privacy_requests_contact_idx` ON `privacy_requests` (`contact_id`);--> statement-breakpoint
CREATE TABLE `record_redirects` (
	`old_id` text PRIMARY KEY NOT NULL,
	`record_type` text NOT NULL,
	`new_id` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `record_redirects_new_idx` ON `record_redirects` (`new_id`);--> statement-breakpoint
CREATE TABLE `suppressions` (
	`hash` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`request_id` text,
	`created_at` integer NOT NULL
);
