ALTER TABLE `scoring_job_chunks` ADD `changed` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `scoring_jobs` ADD `boundaries` text;