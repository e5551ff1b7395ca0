-- mt5tray: fire the fill-user_id triggers only when user_id is missing.
--
-- The agent sends user_id with every row (row level security checks it
-- against the caller), so the trigger has nothing to do for its writes. As a
-- plain FOR EACH ROW trigger it still ran a PL/pgSQL call per row, about a
-- third of the database's time on a 100,000-deal upload. A WHEN clause is
-- checked without calling the function. Rows written without a user_id (the
-- service role, SQL by hand) are still filled from their account.

drop trigger deals_fill_user_id on public.deals;
create trigger deals_fill_user_id before insert on public.deals
  for each row when (new.user_id is null) execute function public.mt5tray_fill_user_id();

drop trigger trades_fill_user_id on public.trades;
create trigger trades_fill_user_id before insert on public.trades
  for each row when (new.user_id is null) execute function public.mt5tray_fill_user_id();

drop trigger sync_logs_fill_user_id on public.sync_logs;
create trigger sync_logs_fill_user_id before insert on public.sync_logs
  for each row when (new.user_id is null) execute function public.mt5tray_fill_user_id();

drop trigger equity_snapshots_fill_user_id on public.equity_snapshots;
create trigger equity_snapshots_fill_user_id before insert on public.equity_snapshots
  for each row when (new.user_id is null) execute function public.mt5tray_fill_user_id();

drop trigger sync_requests_fill_user_id on public.sync_requests;
create trigger sync_requests_fill_user_id before insert on public.sync_requests
  for each row when (new.user_id is null) execute function public.mt5tray_fill_user_id();
