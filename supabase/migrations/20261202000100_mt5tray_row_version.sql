-- mt5tray: an upload never replaces a newer row with an older one (issue 8).
--
-- Two mt5tray processes on one PC (the tray and `mt5tray sync`), or an upload
-- replayed after a lost reply, can land an older version of a row after a
-- newer one; PostgREST's upsert would then keep the older row for good (a
-- sync log stuck at `processing`, a closed trade shown open). The agent now
-- stamps every row it queues with `row_version`, a number that grows with
-- each local commit (microseconds since the epoch, or one more than the last
-- one handed out), and this trigger keeps the stored row when an update
-- brings a smaller one. Rows without a version (the web app's own updates,
-- which leave the column alone, or an older agent) are never held back.
--
-- Data contract: a column added to each uploaded table, nothing renamed.

alter table public.trading_accounts add column row_version bigint;
alter table public.deals add column row_version bigint;
alter table public.trades add column row_version bigint;
alter table public.equity_snapshots add column row_version bigint;
alter table public.sync_logs add column row_version bigint;

comment on column public.trading_accounts.row_version is
  'mt5tray: grows with each local commit of the row; an update with a smaller one is ignored.';
comment on column public.deals.row_version is
  'mt5tray: grows with each local commit of the row; an update with a smaller one is ignored.';
comment on column public.trades.row_version is
  'mt5tray: grows with each local commit of the row; an update with a smaller one is ignored.';
comment on column public.equity_snapshots.row_version is
  'mt5tray: grows with each local commit of the row; an update with a smaller one is ignored.';
comment on column public.sync_logs.row_version is
  'mt5tray: grows with each local commit of the row; an update with a smaller one is ignored.';

-- Returning OLD from a BEFORE UPDATE trigger writes the stored row back
-- unchanged, so an upsert still returns it (the agent reads the account id
-- from that reply). The WHEN clause keeps the function off the common path.
create function public.mt5tray_keep_newer_row()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  return old;
end;
$$;

comment on function public.mt5tray_keep_newer_row() is
  'mt5tray: keeps the stored row when an update carries an older row_version.';

revoke all on function public.mt5tray_keep_newer_row() from public, anon, authenticated;
grant execute on function public.mt5tray_keep_newer_row() to service_role;

-- Named to sort after the <table>_touch_updated_at triggers (triggers fire in
-- name order), so a stale update leaves updated_at alone as well.
create trigger trading_accounts_version_guard before update on public.trading_accounts
  for each row when (new.row_version < old.row_version)
  execute function public.mt5tray_keep_newer_row();
create trigger deals_version_guard before update on public.deals
  for each row when (new.row_version < old.row_version)
  execute function public.mt5tray_keep_newer_row();
create trigger trades_version_guard before update on public.trades
  for each row when (new.row_version < old.row_version)
  execute function public.mt5tray_keep_newer_row();
create trigger equity_snapshots_version_guard before update on public.equity_snapshots
  for each row when (new.row_version < old.row_version)
  execute function public.mt5tray_keep_newer_row();
create trigger sync_logs_version_guard before update on public.sync_logs
  for each row when (new.row_version < old.row_version)
  execute function public.mt5tray_keep_newer_row();
