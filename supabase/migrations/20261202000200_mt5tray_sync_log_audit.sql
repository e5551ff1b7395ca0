-- mt5tray (issue 9): a full sync reports what it found instead of keeping silent.
-- deals_archived: stored deals inside the window the full sync read that the
--   terminal's history no longer returns (the broker archived them); the deals
--   stay in the journal.
-- balance_difference: the sum of all stored deals' money (profit + commission +
--   swap + fee, credit deals excluded) minus the account balance; null when not
--   checked (incremental syncs).
alter table public.sync_logs
    add column if not exists deals_archived integer not null default 0,
    add column if not exists balance_difference numeric;
