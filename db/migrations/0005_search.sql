-- Full-text search over contacts, companies and deals. Each record has a row in a `<table>_search` shadow table
-- whose INTEGER PRIMARY KEY is the FTS rowid (the records' own rowids are not stable) and whose text is
-- folded here as JS folds queries (db/search-text.ts): đ/Đ → d, which unicode61 does not fold; the FTS5
-- tokenizer does the rest (case, and diacritics with remove_diacritics 2). Triggers keep all of it in step,
-- and every delete finds its rows by key, never by scanning.
CREATE TABLE `contacts_search` (`rowid` integer PRIMARY KEY, `id` text NOT NULL UNIQUE, `text` text NOT NULL);
--> statement-breakpoint
CREATE VIRTUAL TABLE `contacts_fts` USING fts5(`text`, content='contacts_search', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');
--> statement-breakpoint
CREATE TABLE `companies_search` (`rowid` integer PRIMARY KEY, `id` text NOT NULL UNIQUE, `text` text NOT NULL);
--> statement-breakpoint
CREATE VIRTUAL TABLE `companies_fts` USING fts5(`text`, content='companies_search', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');
--> statement-breakpoint
CREATE TABLE `deals_search` (`rowid` integer PRIMARY KEY, `id` text NOT NULL UNIQUE, `text` text NOT NULL);
--> statement-breakpoint
CREATE VIRTUAL TABLE `deals_fts` USING fts5(`text`, content='deals_search', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');
--> statement-breakpoint
CREATE TRIGGER `contacts_search_ai` AFTER INSERT ON `contacts_search` BEGIN
  INSERT INTO `contacts_fts` (rowid, text) VALUES (NEW.rowid, NEW.text);
END;
--> statement-breakpoint
CREATE TRIGGER `contacts_search_ad` AFTER DELETE ON `contacts_search` BEGIN
  INSERT INTO `contacts_fts` (`contacts_fts`, rowid, text) VALUES ('delete', OLD.rowid, OLD.text);
END;
--> statement-breakpoint
CREATE TRIGGER `contacts_search_au` AFTER UPDATE ON `contacts_search` BEGIN
  INSERT INTO `contacts_fts` (`contacts_fts`, rowid, text) VALUES ('delete', OLD.rowid, OLD.text);
  INSERT INTO `contacts_fts` (rowid, text) VALUES (NEW.rowid, NEW.text);
END;
--> statement-breakpoint
CREATE TRIGGER `companies_search_ai` AFTER INSERT ON `companies_search` BEGIN
  INSERT INTO `companies_fts` (rowid, text) VALUES (NEW.rowid, NEW.text);
END;
--> statement-breakpoint
CREATE TRIGGER `companies_search_ad` AFTER DELETE ON `companies_search` BEGIN
  INSERT INTO `companies_fts` (`companies_fts`, rowid, text) VALUES ('delete', OLD.rowid, OLD.text);
END;
--> statement-breakpoint
CREATE TRIGGER `companies_search_au` AFTER UPDATE ON `companies_search` BEGIN
  INSERT INTO `companies_fts` (`companies_fts`, rowid, text) VALUES ('delete', OLD.rowid, OLD.text);
  INSERT INTO `companies_fts` (rowid, text) VALUES (NEW.rowid, NEW.text);
END;
--> statement-breakpoint
CREATE TRIGGER `deals_search_ai` AFTER INSERT ON `deals_search` BEGIN
  INSERT INTO `deals_fts` (rowid, text) VALUES (NEW.rowid, NEW.text);
END;
--> statement-breakpoint
CREATE TRIGGER `deals_search_ad` AFTER DELETE ON `deals_search` BEGIN
  INSERT INTO `deals_fts` (`deals_fts`, rowid, text) VALUES ('delete', OLD.rowid, OLD.text);
END;
--> statement-breakpoint
CREATE TRIGGER `deals_search_au` AFTER UPDATE ON `deals_search` BEGIN
  INSERT INTO `deals_fts` (`deals_fts`, rowid, text) VALUES ('delete', OLD.rowid, OLD.text);
  INSERT INTO `deals_fts` (rowid, text) VALUES (NEW.rowid, NEW.text);
END;
--> statement-breakpoint
CREATE TRIGGER `contacts_fts_ai` AFTER INSERT ON `contacts` BEGIN
  INSERT INTO `contacts_search` (id, text) VALUES (NEW.id, replace(replace(concat_ws(' ', NEW.name, NEW.first_name, NEW.last_name, NEW.emails, NEW.phones, NEW.job_title), 'đ', 'd'), 'Đ', 'D'));
END;
--> statement-breakpoint
CREATE TRIGGER `contacts_fts_au` AFTER UPDATE OF `name`, `first_name`, `last_name`, `emails`, `phones`, `job_title` ON `contacts` BEGIN
  UPDATE `contacts_search` SET text = replace(replace(concat_ws(' ', NEW.name, NEW.first_name, NEW.last_name, NEW.emails, NEW.phones, NEW.job_title), 'đ', 'd'), 'Đ', 'D') WHERE id = NEW.id;
END;
--> statement-breakpoint
CREATE TRIGGER `contacts_fts_ad` AFTER DELETE ON `contacts` BEGIN
  DELETE FROM `contacts_search` WHERE id = OLD.id;
END;
--> statement-breakpoint
CREATE TRIGGER `companies_fts_ai` AFTER INSERT ON `companies` BEGIN
  INSERT INTO `companies_search` (id, text) VALUES (NEW.id, replace(replace(concat_ws(' ', NEW.name, NEW.domain), 'đ', 'd'), 'Đ', 'D'));
END;
--> statement-breakpoint
CREATE TRIGGER `companies_fts_au` AFTER UPDATE OF `name`, `domain` ON `companies` BEGIN
  UPDATE `companies_search` SET text = replace(replace(concat_ws(' ', NEW.name, NEW.domain), 'đ', 'd'), 'Đ', 'D') WHERE id = NEW.id;
END;
--> statement-breakpoint
CREATE TRIGGER `companies_fts_ad` AFTER DELETE ON `companies` BEGIN
  DELETE FROM `companies_search` WHERE id = OLD.id;
END;
--> statement-breakpoint
CREATE TRIGGER `deals_fts_ai` AFTER INSERT ON `deals` BEGIN
  INSERT INTO `deals_search` (id, text) VALUES (NEW.id, replace(replace(NEW.name, 'đ', 'd'), 'Đ', 'D'));
END;
--> statement-breakpoint
CREATE TRIGGER `deals_fts_au` AFTER UPDATE OF `name` ON `deals` BEGIN
  UPDATE `deals_search` SET text = replace(replace(NEW.name, 'đ', 'd'), 'Đ', 'D') WHERE id = NEW.id;
END;
--> statement-breakpoint
CREATE TRIGGER `deals_fts_ad` AFTER DELETE ON `deals` BEGIN
  DELETE FROM `deals_search` WHERE id = OLD.id;
END;
--> statement-breakpoint
-- A write validated against cached configuration (custom-field definitions, the phone region) inserts
-- 'stale_config' when the configuration changed meanwhile: the batch aborts and the write is redone.
CREATE TRIGGER `access_guard_stale_config` INSTEAD OF INSERT ON `access_guard`
WHEN NEW.`denied` = 'stale_config'
BEGIN SELECT RAISE(ABORT, 'access_guard:stale_config'); END;
