CREATE TABLE `deal_stage_totals` (
	`stage_id` text NOT NULL,
	`owner_id` text NOT NULL,
	`team_id` text NOT NULL,
	`currency` text NOT NULL,
	`count` integer NOT NULL,
	`amount` integer NOT NULL,
	PRIMARY KEY(`stage_id`, `owner_id`, `team_id`, `currency`)
);
--> statement-breakpoint
CREATE INDEX `deals_owner_stage_idx` ON `deals` (`owner_id`,`stage_id`,`id`);--> statement-breakpoint
CREATE INDEX `deals_team_stage_idx` ON `deals` (`team_id`,`stage_id`,`id`);--> statement-breakpoint
-- deal_stage_totals follows every change to a live deal: what a deal stops counting toward is taken out, what it
-- starts counting toward is added, and emptied rows are removed.
CREATE TRIGGER `deal_stage_totals_ai` AFTER INSERT ON `deals` WHEN NEW.deleted_at IS NULL BEGIN
  INSERT INTO `deal_stage_totals` VALUES (NEW.stage_id, coalesce(NEW.owner_id, ''), coalesce(NEW.team_id, ''), NEW.currency, 1, NEW.amount)
    ON CONFLICT DO UPDATE SET count = count + 1, amount = amount + excluded.amount;
END;--> statement-breakpoint
CREATE TRIGGER `deal_stage_totals_ad` AFTER DELETE ON `deals` WHEN OLD.deleted_at IS NULL BEGIN
  UPDATE `deal_stage_totals` SET count = count - 1, amount = amount - OLD.amount
    WHERE stage_id = OLD.stage_id AND owner_id = coalesce(OLD.owner_id, '') AND team_id = coalesce(OLD.team_id, '') AND currency = OLD.currency;
  DELETE FROM `deal_stage_totals`
    WHERE stage_id = OLD.stage_id AND owner_id = coalesce(OLD.owner_id, '') AND team_id = coalesce(OLD.team_id, '') AND currency = OLD.currency AND count = 0;
END;--> statement-breakpoint
CREATE TRIGGER `deal_stage_totals_au_old` AFTER UPDATE OF stage_id, owner_id, team_id, currency, amount, deleted_at ON `deals` WHEN OLD.deleted_at IS NULL BEGIN
  UPDATE `deal_stage_totals` SET count = count - 1, amount = amount - OLD.amount
    WHERE stage_id = OLD.stage_id AND owner_id = coalesce(OLD.owner_id, '') AND team_id = coalesce(OLD.team_id, '') AND currency = OLD.currency;
  DELETE FROM `deal_stage_totals`
    WHERE stage_id = OLD.stage_id AND owner_id = coalesce(OLD.owner_id, '') AND team_id = coalesce(OLD.team_id, '') AND currency = OLD.currency AND count = 0;
END;--> statement-breakpoint
CREATE TRIGGER `deal_stage_totals_au_new` AFTER UPDATE OF stage_id, owner_id, team_id, currency, amount, deleted_at ON `deals` WHEN NEW.deleted_at IS NULL BEGIN
  INSERT INTO `deal_stage_totals` VALUES (NEW.stage_id, coalesce(NEW.owner_id, ''), coalesce(NEW.team_id, ''), NEW.currency, 1, NEW.amount)
    ON CONFLICT DO UPDATE SET count = count + 1, amount = amount + excluded.amount;
END;--> statement-breakpoint
INSERT INTO `deal_stage_totals`
  SELECT stage_id, coalesce(owner_id, ''), coalesce(team_id, ''), currency, count(*), sum(amount) FROM `deals`
  WHERE deleted_at IS NULL GROUP BY 1, 2, 3, 4;
