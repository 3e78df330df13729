-- The search indexes of 0005 again, now with prefix indexes for two and three letters: the last word of a
-- search is a prefix (search as you type), and without these FTS5 merges the lists of every word that starts
-- with it (at a million contacts, "van*" took 3 ms to find the first page; with them, 0.4 ms). The triggers
-- on the *_search tables write to these by name, so they go on working.
DROP TABLE `contacts_fts`;--> statement-breakpoint
CREATE VIRTUAL TABLE `contacts_fts` USING fts5(`text`, content='contacts_search', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2', prefix='2 3');--> statement-breakpoint
INSERT INTO `contacts_fts` (`contacts_fts`) VALUES ('rebuild');--> statement-breakpoint
DROP TABLE `companies_fts`;--> statement-breakpoint
CREATE VIRTUAL TABLE `companies_fts` USING fts5(`text`, content='companies_search', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2', prefix='2 3');--> statement-breakpoint
INSERT INTO `companies_fts` (`companies_fts`) VALUES ('rebuild');--> statement-breakpoint
DROP TABLE `deals_fts`;--> statement-breakpoint
CREATE VIRTUAL TABLE `deals_fts` USING fts5(`text`, content='deals_search', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2', prefix='2 3');--> statement-breakpoint
INSERT INTO `deals_fts` (`deals_fts`) VALUES ('rebuild');
