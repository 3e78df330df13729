CREATE TABLE `report_activity_daily` (
	`day` text NOT NULL,
	`user_id` text NOT NULL,
	`type` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`day`, `user_id`, `type`)
);
--> statement-breakpoint
CREATE TABLE `report_attribution_daily` (
	`day` text NOT NULL,
	`dimension` text NOT NULL,
	`value` text NOT NULL,
	`pipeline_id` text NOT NULL,
	`owner_id` text NOT NULL,
	`team_id` text NOT NULL,
	`currency` text NOT NULL,
	`won` integer NOT NULL,
	`won_amount` integer NOT NULL,
	PRIMARY KEY(`day`, `dimension`, `value`, `pipeline_id`, `owner_id`, `team_id`, `currency`)
);
--> statement-breakpoint
CREATE TABLE `report_costs` (
	`id` text PRIMARY KEY NOT NULL,
	`dimension` text NOT NULL,
	`value` text NOT NULL,
	`month` text NOT NULL,
	`currency` text NOT NULL,
	`amount` integer NOT NULL,
	`updated_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `report_costs_key_idx` ON `report_costs` (`dimension`,`value`,`month`,`currency`);--> statement-breakpoint
CREATE INDEX `report_costs_month_idx` ON `report_costs` (`month`);--> statement-breakpoint
CREATE TABLE `report_customer_daily` (
	`day` text NOT NULL,
	`owner_id` text NOT NULL,
	`team_id` text NOT NULL,
	`currency` text NOT NULL,
	`customers` integer NOT NULL,
	`purchases` integer NOT NULL,
	`revenue` integer NOT NULL,
	`lifespan_ms` integer NOT NULL,
	PRIMARY KEY(`day`, `owner_id`, `team_id`, `currency`)
);
--> statement-breakpoint
CREATE TABLE `report_deal_daily` (
	`day` text NOT NULL,
	`pipeline_id` text NOT NULL,
	`owner_id` text NOT NULL,
	`team_id` text NOT NULL,
	`currency` text NOT NULL,
	`created` integer NOT NULL,
	`created_amount` integer NOT NULL,
	`won` integer NOT NULL,
	`won_amount` integer NOT NULL,
	`lost` integer NOT NULL,
	`lost_amount` integer NOT NULL,
	`won_cycle_ms` integer NOT NULL,
	PRIMARY KEY(`day`, `pipeline_id`, `owner_id`, `team_id`, `currency`)
);
--> statement-breakpoint
CREATE TABLE `report_forecast_totals` (
	`close_month` text NOT NULL,
	`stage_id` text NOT NULL,
	`override` text NOT NULL,
	`owner_id` text NOT NULL,
	`team_id` text NOT NULL,
	`currency` text NOT NULL,
	`count` integer NOT NULL,
	`amount` integer NOT NULL,
	PRIMARY KEY(`close_month`, `stage_id`, `override`, `owner_id`, `team_id`, `currency`)
);
--> statement-breakpoint
CREATE TABLE `report_lead_daily` (
	`day` text NOT NULL,
	`dimension` text NOT NULL,
	`value` text NOT NULL,
	`owner_id` text NOT NULL,
	`team_id` text NOT NULL,
	`leads` integer NOT NULL,
	`converted` integer NOT NULL,
	PRIMARY KEY(`day`, `dimension`, `value`, `owner_id`, `team_id`)
);
--> statement-breakpoint
CREATE TABLE `report_lifecycle_daily` (
	`day` text NOT NULL,
	`from_stage` text NOT NULL,
	`to_stage` text NOT NULL,
	`owner_id` text NOT NULL,
	`team_id` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`day`, `from_stage`, `to_stage`, `owner_id`, `team_id`)
);
--> statement-breakpoint
CREATE TABLE `report_lifecycle_transitions` (
	`seq` integer PRIMARY KEY NOT NULL,
	`contact_id` text NOT NULL,
	`from_stage` text NOT NULL,
	`to_stage` text NOT NULL,
	`at` integer NOT NULL,
	`owner_id` text NOT NULL,
	`team_id` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `report_lifecycle_transitions_at_idx` ON `report_lifecycle_transitions` (`at`);--> statement-breakpoint
CREATE INDEX `report_lifecycle_transitions_contact_idx` ON `report_lifecycle_transitions` (`contact_id`,`at`);--> statement-breakpoint
CREATE TABLE `report_pipeline_snapshots` (
	`day` text NOT NULL,
	`pipeline_id` text NOT NULL,
	`stage_id` text NOT NULL,
	`owner_id` text NOT NULL,
	`team_id` text NOT NULL,
	`currency` text NOT NULL,
	`count` integer NOT NULL,
	`amount` integer NOT NULL,
	`weighted_amount` integer NOT NULL,
	PRIMARY KEY(`day`, `stage_id`, `owner_id`, `team_id`, `currency`)
);
--> statement-breakpoint
CREATE TABLE `report_sla_daily` (
	`day` text NOT NULL,
	`owner_id` text NOT NULL,
	`started` integer NOT NULL,
	`responded` integer NOT NULL,
	`within_sla` integer NOT NULL,
	`breached` integer NOT NULL,
	`response_ms` integer NOT NULL,
	PRIMARY KEY(`day`, `owner_id`)
);
--> statement-breakpoint
CREATE TABLE `report_stage_daily` (
	`day` text NOT NULL,
	`pipeline_id` text NOT NULL,
	`stage_id` text NOT NULL,
	`next_stage_id` text NOT NULL,
	`owner_id` text NOT NULL,
	`team_id` text NOT NULL,
	`entered` integer NOT NULL,
	`exited` integer NOT NULL,
	`exited_ms` integer NOT NULL,
	PRIMARY KEY(`day`, `stage_id`, `next_stage_id`, `owner_id`, `team_id`)
);
--> statement-breakpoint
CREATE TABLE `report_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`event_seq` integer NOT NULL,
	`synced_at` integer NOT NULL,
	`time_zone` text NOT NULL,
	`live_day` text NOT NULL,
	`live_from` integer NOT NULL,
	`offset_ms` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "report_state_one_row" CHECK("report_state"."id" = 1)
);
--> statement-breakpoint
CREATE INDEX `deal_stage_history_entered_idx` ON `deal_stage_history` (`entered_at`);--> statement-breakpoint
CREATE INDEX `deals_created_idx` ON `deals` (`created_at`);--> statement-breakpoint
CREATE INDEX `deals_closed_idx` ON `deals` (`closed_at`) WHERE "deals"."closed_at" is not null;--> statement-breakpoint
CREATE INDEX `sla_clocks_created_idx` ON `sla_clocks` (`created_at`);--> statement-breakpoint
CREATE INDEX `sla_clocks_contact_idx` ON `sla_clocks` (`contact_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `sla_clocks_breached_idx` ON `sla_clocks` (`breached_at`) WHERE "sla_clocks"."breached_at" is not null;