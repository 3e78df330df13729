CREATE TABLE `report_activity_monthly` (
	`month` text NOT NULL,
	`user_id` text NOT NULL,
	`type` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`month`, `user_id`, `type`)
);
--> statement-breakpoint
CREATE TABLE `report_attribution_monthly` (
	`month` text NOT NULL,
	`dimension` text NOT NULL,
	`value` text NOT NULL,
	`pipeline_id` text NOT NULL,
	`owner_id` text NOT NULL,
	`team_id` text NOT NULL,
	`currency` text NOT NULL,
	`won` integer NOT NULL,
	`won_amount` integer NOT NULL,
	PRIMARY KEY(`month`, `dimension`, `value`, `pipeline_id`, `owner_id`, `team_id`, `currency`)
);
--> statement-breakpoint
CREATE TABLE `report_customer_monthly` (
	`month` text NOT NULL,
	`owner_id` text NOT NULL,
	`team_id` text NOT NULL,
	`currency` text NOT NULL,
	`customers` integer NOT NULL,
	`purchases` integer NOT NULL,
	`revenue` integer NOT NULL,
	`lifespan_ms` integer NOT NULL,
	PRIMARY KEY(`month`, `owner_id`, `team_id`, `currency`)
);
--> statement-breakpoint
CREATE TABLE `report_deal_monthly` (
	`month` text NOT NULL,
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
	PRIMARY KEY(`month`, `pipeline_id`, `owner_id`, `team_id`, `currency`)
);
--> statement-breakpoint
CREATE TABLE `report_lead_monthly` (
	`month` text NOT NULL,
	`dimension` text NOT NULL,
	`value` text NOT NULL,
	`owner_id` text NOT NULL,
	`team_id` text NOT NULL,
	`leads` integer NOT NULL,
	`converted` integer NOT NULL,
	PRIMARY KEY(`month`, `dimension`, `value`, `owner_id`, `team_id`)
);
--> statement-breakpoint
CREATE TABLE `report_lifecycle_monthly` (
	`month` text NOT NULL,
	`from_stage` text NOT NULL,
	`to_stage` text NOT NULL,
	`owner_id` text NOT NULL,
	`team_id` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`month`, `from_stage`, `to_stage`, `owner_id`, `team_id`)
);
--> statement-breakpoint
CREATE TABLE `report_sla_monthly` (
	`month` text NOT NULL,
	`owner_id` text NOT NULL,
	`started` integer NOT NULL,
	`responded` integer NOT NULL,
	`within_sla` integer NOT NULL,
	`breached` integer NOT NULL,
	`response_ms` integer NOT NULL,
	PRIMARY KEY(`month`, `owner_id`)
);
--> statement-breakpoint
CREATE TABLE `report_stage_monthly` (
	`month` text NOT NULL,
	`pipeline_id` text NOT NULL,
	`stage_id` text NOT NULL,
	`next_stage_id` text NOT NULL,
	`owner_id` text NOT NULL,
	`team_id` text NOT NULL,
	`entered` integer NOT NULL,
	`exited` integer NOT NULL,
	`exited_ms` integer NOT NULL,
	PRIMARY KEY(`month`, `stage_id`, `next_stage_id`, `owner_id`, `team_id`)
);--> statement-breakpoint
-- The months of the days already rolled up: each monthly row sums its month's daily rows of the same groups.
INSERT INTO `report_deal_monthly` (`month`, `pipeline_id`, `owner_id`, `team_id`, `currency`, `created`, `created_amount`, `won`, `won_amount`, `lost`, `lost_amount`, `won_cycle_ms`) SELECT substr(`day`, 1, 7), `pipeline_id`, `owner_id`, `team_id`, `currency`, sum(`created`), sum(`created_amount`), sum(`won`), sum(`won_amount`), sum(`lost`), sum(`lost_amount`), sum(`won_cycle_ms`) FROM `report_deal_daily` GROUP BY substr(`day`, 1, 7), `pipeline_id`, `owner_id`, `team_id`, `currency`;
--> statement-breakpoint
INSERT INTO `report_stage_monthly` (`month`, `pipeline_id`, `stage_id`, `next_stage_id`, `owner_id`, `team_id`, `entered`, `exited`, `exited_ms`) SELECT substr(`day`, 1, 7), `pipeline_id`, `stage_id`, `next_stage_id`, `owner_id`, `team_id`, sum(`entered`), sum(`exited`), sum(`exited_ms`) FROM `report_stage_daily` GROUP BY substr(`day`, 1, 7), `pipeline_id`, `stage_id`, `next_stage_id`, `owner_id`, `team_id`;
--> statement-breakpoint
INSERT INTO `report_lead_monthly` (`month`, `dimension`, `value`, `owner_id`, `team_id`, `leads`, `converted`) SELECT substr(`day`, 1, 7), `dimension`, `value`, `owner_id`, `team_id`, sum(`leads`), sum(`converted`) FROM `report_lead_daily` GROUP BY substr(`day`, 1, 7), `dimension`, `value`, `owner_id`, `team_id`;
--> statement-breakpoint
INSERT INTO `report_lifecycle_monthly` (`month`, `from_stage`, `to_stage`, `owner_id`, `team_id`, `count`) SELECT substr(`day`, 1, 7), `from_stage`, `to_stage`, `owner_id`, `team_id`, sum(`count`) FROM `report_lifecycle_daily` GROUP BY substr(`day`, 1, 7), `from_stage`, `to_stage`, `owner_id`, `team_id`;
--> statement-breakpoint
INSERT INTO `report_activity_monthly` (`month`, `user_id`, `type`, `count`) SELECT substr(`day`, 1, 7), `user_id`, `type`, sum(`count`) FROM `report_activity_daily` GROUP BY substr(`day`, 1, 7), `user_id`, `type`;
--> statement-breakpoint
INSERT INTO `report_sla_monthly` (`month`, `owner_id`, `started`, `responded`, `within_sla`, `breached`, `response_ms`) SELECT substr(`day`, 1, 7), `owner_id`, sum(`started`), sum(`responded`), sum(`within_sla`), sum(`breached`), sum(`response_ms`) FROM `report_sla_daily` GROUP BY substr(`day`, 1, 7), `owner_id`;
--> statement-breakpoint
INSERT INTO `report_customer_monthly` (`month`, `owner_id`, `team_id`, `currency`, `customers`, `purchases`, `revenue`, `lifespan_ms`) SELECT substr(`day`, 1, 7), `owner_id`, `team_id`, `currency`, sum(`customers`), sum(`purchases`), sum(`revenue`), sum(`lifespan_ms`) FROM `report_customer_daily` GROUP BY substr(`day`, 1, 7), `owner_id`, `team_id`, `currency`;
--> statement-breakpoint
INSERT INTO `report_attribution_monthly` (`month`, `dimension`, `value`, `pipeline_id`, `owner_id`, `team_id`, `currency`, `won`, `won_amount`) SELECT substr(`day`, 1, 7), `dimension`, `value`, `pipeline_id`, `owner_id`, `team_id`, `currency`, sum(`won`), sum(`won_amount`) FROM `report_attribution_daily` GROUP BY substr(`day`, 1, 7), `dimension`, `value`, `pipeline_id`, `owner_id`, `team_id`, `currency`;
