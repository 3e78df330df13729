-- report_forecast_totals follows every change to an open, live deal (as deal_stage_totals does for the board):
-- what a deal stops counting toward is taken out, what it starts counting toward is added, emptied rows removed.
-- Key: expected close month ('' without a date), stage, forecast override ('' for the stage's category), owner,
-- team ('' for none) and currency.
CREATE TRIGGER `report_forecast_totals_ai` AFTER INSERT ON `deals` WHEN NEW.deleted_at IS NULL AND NEW.status = 'open' BEGIN
  INSERT INTO `report_forecast_totals` VALUES (coalesce(substr(NEW.expected_close_date, 1, 7), ''), NEW.stage_id,
    coalesce(NEW.forecast_override, ''), coalesce(NEW.owner_id, ''), coalesce(NEW.team_id, ''), NEW.currency, 1, NEW.amount)
    ON CONFLICT DO UPDATE SET count = count + 1, amount = amount + excluded.amount;
END;--> statement-breakpoint
CREATE TRIGGER `report_forecast_totals_ad` AFTER DELETE ON `deals` WHEN OLD.deleted_at IS NULL AND OLD.status = 'open' BEGIN
  UPDATE `report_forecast_totals` SET count = count - 1, amount = amount - OLD.amount
    WHERE close_month = coalesce(substr(OLD.expected_close_date, 1, 7), '') AND stage_id = OLD.stage_id
      AND override = coalesce(OLD.forecast_override, '') AND owner_id = coalesce(OLD.owner_id, '')
      AND team_id = coalesce(OLD.team_id, '') AND currency = OLD.currency;
  DELETE FROM `report_forecast_totals`
    WHERE close_month = coalesce(substr(OLD.expected_close_date, 1, 7), '') AND stage_id = OLD.stage_id
      AND override = coalesce(OLD.forecast_override, '') AND owner_id = coalesce(OLD.owner_id, '')
      AND team_id = coalesce(OLD.team_id, '') AND currency = OLD.currency AND count = 0;
END;--> statement-breakpoint
CREATE TRIGGER `report_forecast_totals_au_old` AFTER UPDATE OF expected_close_date, stage_id, status, forecast_override, owner_id, team_id, currency, amount, deleted_at ON `deals`
WHEN OLD.deleted_at IS NULL AND OLD.status = 'open' BEGIN
  UPDATE `report_forecast_totals` SET count = count - 1, amount = amount - OLD.amount
    WHERE close_month = coalesce(substr(OLD.expected_close_date, 1, 7), '') AND stage_id = OLD.stage_id
      AND override = coalesce(OLD.forecast_override, '') AND owner_id = coalesce(OLD.owner_id, '')
      AND team_id = coalesce(OLD.team_id, '') AND currency = OLD.currency;
  DELETE FROM `report_forecast_totals`
    WHERE close_month = coalesce(substr(OLD.expected_close_date, 1, 7), '') AND stage_id = OLD.stage_id
      AND override = coalesce(OLD.forecast_override, '') AND owner_id = coalesce(OLD.owner_id, '')
      AND team_id = coalesce(OLD.team_id, '') AND currency = OLD.currency AND count = 0;
END;--> statement-breakpoint
CREATE TRIGGER `report_forecast_totals_au_new` AFTER UPDATE OF expected_close_date, stage_id, status, forecast_override, owner_id, team_id, currency, amount, deleted_at ON `deals`
WHEN NEW.deleted_at IS NULL AND NEW.status = 'open' BEGIN
  INSERT INTO `report_forecast_totals` VALUES (coalesce(substr(NEW.expected_close_date, 1, 7), ''), NEW.stage_id,
    coalesce(NEW.forecast_override, ''), coalesce(NEW.owner_id, ''), coalesce(NEW.team_id, ''), NEW.currency, 1, NEW.amount)
    ON CONFLICT DO UPDATE SET count = count + 1, amount = amount + excluded.amount;
END;--> statement-breakpoint
INSERT INTO `report_forecast_totals`
  SELECT coalesce(substr(expected_close_date, 1, 7), ''), stage_id, coalesce(forecast_override, ''), coalesce(owner_id, ''),
    coalesce(team_id, ''), currency, count(*), sum(amount)
  FROM `deals` WHERE deleted_at IS NULL AND status = 'open' GROUP BY 1, 2, 3, 4, 5, 6;
