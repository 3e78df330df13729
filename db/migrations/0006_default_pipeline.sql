-- The default "Sales" pipeline, so a new organisation can create deals at once. Fixed ids, so that seeds, docs
-- and tests can name it; admins rename, reorder or archive it like any other.
INSERT INTO `pipelines` (`id`, `name`, `position`, `archived_at`, `created_at`, `updated_at`)
VALUES ('01900000-0000-7000-8000-000000000001', 'Sales', 0, NULL, unixepoch() * 1000, unixepoch() * 1000);
--> statement-breakpoint
INSERT INTO `stages` (`id`, `pipeline_id`, `name`, `position`, `probability`, `forecast_category`, `outcome`, `archived_at`, `created_at`, `updated_at`)
VALUES
  ('01900000-0000-7000-8000-000000000011', '01900000-0000-7000-8000-000000000001', 'Qualification', 0, 10, 'pipeline', NULL, NULL, unixepoch() * 1000, unixepoch() * 1000),
  ('01900000-0000-7000-8000-000000000012', '01900000-0000-7000-8000-000000000001', 'Meeting', 1, 20, 'pipeline', NULL, NULL, unixepoch() * 1000, unixepoch() * 1000),
  ('01900000-0000-7000-8000-000000000013', '01900000-0000-7000-8000-000000000001', 'Proposal', 2, 50, 'best_case', NULL, NULL, unixepoch() * 1000, unixepoch() * 1000),
  ('01900000-0000-7000-8000-000000000014', '01900000-0000-7000-8000-000000000001', 'Negotiation', 3, 80, 'commit', NULL, NULL, unixepoch() * 1000, unixepoch() * 1000),
  ('01900000-0000-7000-8000-000000000015', '01900000-0000-7000-8000-000000000001', 'Won', 4, 100, 'closed_won', 'won', NULL, unixepoch() * 1000, unixepoch() * 1000),
  ('01900000-0000-7000-8000-000000000016', '01900000-0000-7000-8000-000000000001', 'Lost', 5, 0, 'omitted', 'lost', NULL, unixepoch() * 1000, unixepoch() * 1000);
