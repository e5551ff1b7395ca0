-- mt5tray: the tables the tray agent writes and the web journal reads.
--
-- Table and column names follow docs/data-contract.md: add, never rename.
-- Every row carries user_id (default auth.uid()); row level security lets a
-- signed-in user see and change only their own rows; anon gets nothing.
-- Child rows reference trading_accounts through (account_id, user_id), so a
-- row can only be attached to an account of the same user.
--
-- MT5-derived words (deal type/entry/reason, trade/margin mode) are not
-- CHECKed: the agent stores values MT5 adds later as `unknown_<n>`.
-- The app's own enumerations are.

-- ---------------------------------------------------------------------------
-- helper trigger functions
-- ---------------------------------------------------------------------------

create function public.mt5tray_touch_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

comment on function public.mt5tray_touch_updated_at() is
  'mt5tray: keeps updated_at current on every update.';

-- A child row written with the service role (auth.uid() is null) takes its
-- owner from the account; under RLS the default auth.uid() already did.
create function public.mt5tray_fill_user_id()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.user_id is null then
    select a.user_id into new.user_id
      from public.trading_accounts a
     where a.id = new.account_id;
  end if;
  return new;
end;
$$;

comment on function public.mt5tray_fill_user_id() is
  'mt5tray: fills a child row''s user_id from its trading account when missing.';

-- ---------------------------------------------------------------------------
-- trading_accounts
-- ---------------------------------------------------------------------------

create table public.trading_accounts (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  login bigint not null,
  server text not null,
  name text,
  company text,
  currency text,
  leverage integer,
  trade_mode text,
  margin_mode text,
  balance numeric,
  credit numeric,
  equity numeric,
  margin numeric,
  margin_free numeric,
  margin_level numeric,
  floating_profit numeric,
  server_utc_offset_minutes integer,
  is_active boolean not null default true,
  last_sync_at timestamptz,
  last_successful_sync_at timestamptz,
  last_connection_error text,
  sync_failure_count integer not null default 0,
  agent_last_seen_at timestamptz,
  agent_version text,
  agent_host text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint trading_accounts_user_server_login_key unique (user_id, server, login),
  -- target of the children's (account_id, user_id) foreign keys
  constraint trading_accounts_id_user_key unique (id, user_id),
  constraint trading_accounts_sync_failure_count_check check (sync_failure_count >= 0)
);

comment on table public.trading_accounts is 'mt5tray: one row per MT5 account.';

create trigger trading_accounts_touch_updated_at
  before update on public.trading_accounts
  for each row execute function public.mt5tray_touch_updated_at();

-- ---------------------------------------------------------------------------
-- deals
-- ---------------------------------------------------------------------------

create table public.deals (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid(),
  account_id uuid not null,
  ticket bigint not null,
  order_ticket bigint,
  position_id bigint,
  time timestamptz not null,
  time_msc bigint,
  type text not null,
  entry text,
  reason text,
  symbol text,
  volume numeric,
  price numeric,
  commission numeric,
  swap numeric,
  profit numeric,
  fee numeric,
  magic bigint,
  comment text,
  external_id text,
  synced_at timestamptz not null default now(),
  constraint deals_account_ticket_key unique (account_id, ticket),
  constraint deals_account_fkey foreign key (account_id, user_id)
    references public.trading_accounts (id, user_id) on delete cascade
);

comment on table public.deals is 'mt5tray: every deal as MT5 reports it.';

create index deals_account_time_idx on public.deals (account_id, time desc);
create index deals_account_position_idx on public.deals (account_id, position_id);
create index deals_user_time_idx on public.deals (user_id, time desc);

-- ---------------------------------------------------------------------------
-- trades
-- ---------------------------------------------------------------------------

create table public.trades (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid(),
  account_id uuid not null,
  ticket bigint not null,
  symbol text,
  side text not null,
  status text not null,
  volume numeric,
  closed_volume numeric,
  open_time timestamptz,
  open_price numeric,
  close_time timestamptz,
  close_price numeric,
  sl numeric,
  tp numeric,
  current_price numeric,
  floating_profit numeric,
  profit numeric,
  commission numeric,
  swap numeric,
  fee numeric,
  net_profit numeric,
  magic bigint,
  comment text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint trades_account_ticket_key unique (account_id, ticket),
  constraint trades_account_fkey foreign key (account_id, user_id)
    references public.trading_accounts (id, user_id) on delete cascade,
  constraint trades_side_check check (side in ('buy', 'sell')),
  constraint trades_status_check check (status in ('open', 'closed'))
);

comment on table public.trades is 'mt5tray: one row per MT5 position, open or closed.';

create index trades_account_open_time_idx on public.trades (account_id, open_time desc);
create index trades_account_close_time_idx on public.trades (account_id, close_time desc);
create index trades_account_open_idx on public.trades (account_id) where status = 'open';
create index trades_user_close_time_idx on public.trades (user_id, close_time desc);

create trigger trades_touch_updated_at
  before update on public.trades
  for each row execute function public.mt5tray_touch_updated_at();

-- ---------------------------------------------------------------------------
-- sync_logs
-- ---------------------------------------------------------------------------

create table public.sync_logs (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid(),
  account_id uuid not null,
  sync_type text not null,
  trigger text not null,
  status text not null,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  duration_ms integer,
  positions_created integer not null default 0,
  positions_updated integer not null default 0,
  positions_closed integer not null default 0,
  deals_inserted integer not null default 0,
  trades_upserted integer not null default 0,
  error text,
  app_version text,
  host text,
  constraint sync_logs_account_fkey foreign key (account_id, user_id)
    references public.trading_accounts (id, user_id) on delete cascade,
  constraint sync_logs_sync_type_check check (sync_type in ('full', 'incremental')),
  constraint sync_logs_trigger_check
    check (trigger in ('schedule', 'manual', 'startup', 'remote', 'cli')),
  constraint sync_logs_status_check
    check (status in ('processing', 'success', 'partial', 'failed', 'skipped'))
);

comment on table public.sync_logs is 'mt5tray: one row per sync of one account; id is the sync_id.';

create index sync_logs_account_started_idx on public.sync_logs (account_id, started_at desc);
create index sync_logs_user_started_idx on public.sync_logs (user_id, started_at desc);

-- ---------------------------------------------------------------------------
-- equity_snapshots
-- ---------------------------------------------------------------------------

create table public.equity_snapshots (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid(),
  account_id uuid not null,
  time timestamptz not null,
  balance numeric,
  equity numeric,
  margin numeric,
  margin_free numeric,
  floating_profit numeric,
  constraint equity_snapshots_account_time_key unique (account_id, time),
  constraint equity_snapshots_account_fkey foreign key (account_id, user_id)
    references public.trading_accounts (id, user_id) on delete cascade
);

comment on table public.equity_snapshots is 'mt5tray: one row per account per sync.';

create index equity_snapshots_user_time_idx on public.equity_snapshots (user_id, time desc);

-- ---------------------------------------------------------------------------
-- sync_requests
-- ---------------------------------------------------------------------------

create table public.sync_requests (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid(),
  account_id uuid not null,
  sync_type text not null default 'incremental',
  history_days integer,
  status text not null default 'pending',
  requested_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  -- no foreign key: the sync_logs row may reach the server after this one
  sync_id uuid,
  error text,
  constraint sync_requests_account_fkey foreign key (account_id, user_id)
    references public.trading_accounts (id, user_id) on delete cascade,
  constraint sync_requests_sync_type_check check (sync_type in ('full', 'incremental')),
  constraint sync_requests_status_check
    check (status in ('pending', 'running', 'done', 'failed')),
  constraint sync_requests_history_days_check check (history_days is null or history_days > 0)
);

comment on table public.sync_requests is
  'mt5tray: "Sync Now" requests from the web app; claimed with claim_sync_request().';

create index sync_requests_pending_idx on public.sync_requests (account_id, requested_at)
  where status = 'pending';
create index sync_requests_user_requested_idx on public.sync_requests (user_id, requested_at desc);

-- ---------------------------------------------------------------------------
-- child rows: fill a missing user_id from the account (service role writes)
-- ---------------------------------------------------------------------------

create trigger deals_fill_user_id before insert on public.deals
  for each row execute function public.mt5tray_fill_user_id();
create trigger trades_fill_user_id before insert on public.trades
  for each row execute function public.mt5tray_fill_user_id();
create trigger sync_logs_fill_user_id before insert on public.sync_logs
  for each row execute function public.mt5tray_fill_user_id();
create trigger equity_snapshots_fill_user_id before insert on public.equity_snapshots
  for each row execute function public.mt5tray_fill_user_id();
create trigger sync_requests_fill_user_id before insert on public.sync_requests
  for each row execute function public.mt5tray_fill_user_id();

-- ---------------------------------------------------------------------------
-- row level security, policies and grants
-- ---------------------------------------------------------------------------

do $$
declare
  t text;
begin
  foreach t in array array[
    'trading_accounts', 'deals', 'trades', 'sync_logs', 'equity_snapshots', 'sync_requests'
  ] loop
    execute format('alter table public.%I enable row level security', t);

    execute format(
      'create policy %I on public.%I for select to authenticated '
      'using (user_id = (select auth.uid()))', t || '_select_own', t);
    execute format(
      'create policy %I on public.%I for insert to authenticated '
      'with check (user_id = (select auth.uid()))', t || '_insert_own', t);
    execute format(
      'create policy %I on public.%I for update to authenticated '
      'using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()))',
      t || '_update_own', t);
    execute format(
      'create policy %I on public.%I for delete to authenticated '
      'using (user_id = (select auth.uid()))', t || '_delete_own', t);

    -- Supabase's default privileges hand every new table to anon: take it back.
    execute format('revoke all on table public.%I from anon, public', t);
    execute format(
      'grant select, insert, update, delete on table public.%I to authenticated', t);
    execute format('grant all on table public.%I to service_role', t);
  end loop;
end;
$$;

-- Trigger functions need no EXECUTE grant to fire; keep them off the API.
revoke all on function public.mt5tray_touch_updated_at() from public, anon, authenticated;
revoke all on function public.mt5tray_fill_user_id() from public, anon, authenticated;
grant execute on function public.mt5tray_touch_updated_at() to service_role;
grant execute on function public.mt5tray_fill_user_id() to service_role;
