-- mt5tray: the web journal's side of "Sync Now" and sync status.
--
-- What this adds (README "For the web journal" shows the calls and their JSON):
--   request_sync(p_account_id, p_sync_type, p_history_days)  -> json   (POST)
--   sync_request_status(p_request_id)                       -> json   (POST or GET)
--   sync_status(p_account_id)                               -> json   (POST or GET)
--   the agents table: one heartbeat row per mt5tray install
--   guards on sync_requests that hold for the RPC and for direct inserts alike
--   the result of a served request (its sync_logs counts) on the request itself
--
-- Every function is SECURITY INVOKER: it runs with the caller's rights, so row
-- level security decides which accounts, requests and agents a caller sees.
--
-- Errors a client can test for (PostgREST turns a SQLSTATE of the form PTnnn
-- into HTTP status nnn and sends the code in the body: "Raise errors with HTTP
-- Status Codes", docs.postgrest.org/en/stable/references/errors.html, and
-- PostgREST's own test "works with raise sqlstate custom error": PT402 -> 402
-- with {"code": "PT402", "message": ...}). PTnnn was picked over the fuller
-- RAISE SQLSTATE 'PGRST' form because it also reads well in plain SQL and
-- needs no JSON in the message; the seconds to wait travel in `details`.
--   PT429 (HTTP 429)  rate limit: one request per account per minute;
--                     details = '{"retry_after_seconds": n}'
--   PT409 (HTTP 409)  the account is switched off (is_active = false)
--   PT404 (HTTP 404)  no such sync request among the caller's
--   23505 (HTTP 409)  a direct insert while a request of the account is pending
--   42501 (HTTP 403)  not one of the caller's accounts
--   22023 (HTTP 400)  invalid sync type or history days
--
-- Expiry: a request still pending 10 minutes after it was made becomes
-- `expired`. It is done inside the functions that already write requests
-- (request_sync, the direct-insert trigger and claim_sync_request), and the
-- read functions report such a request as expired even before anyone wrote
-- it. Not a scheduled job: pg_cron is an optional extension on hosted
-- projects and runs as a privileged role outside RLS, while these updates run
-- as the caller, under RLS, touch only that caller's own pending rows (found
-- through the partial pending index), and need no extension, superuser or
-- background worker. A stored row may stay `pending` past 10 minutes while
-- nobody calls anything; every function above treats it as expired.

-- ---------------------------------------------------------------------------
-- sync_requests: expired status, result counts, one pending per account
-- ---------------------------------------------------------------------------

alter table public.sync_requests drop constraint sync_requests_status_check;
alter table public.sync_requests add constraint sync_requests_status_check
  check (status in ('pending', 'running', 'done', 'failed', 'expired'));

-- The sync that served a request, as the agent reported it on finishing (the
-- sync_logs row may reach the server later, or never if its upload failed).
alter table public.sync_requests
  add column positions_created integer,
  add column positions_updated integer,
  add column positions_closed integer,
  add column deals_inserted integer,
  add column trades_upserted integer;

-- Not valid: rows written before this migration are left as they are; every
-- new or changed row is checked.
alter table public.sync_requests add constraint sync_requests_history_days_range_check
  check (history_days is null or history_days between 1 and 36500) not valid;

-- A backlog from before these guards (the review found 5,000 pending requests
-- for one account): keep each account's newest pending request, expire the rest.
update public.sync_requests r
   set status = 'expired',
       finished_at = now(),
       error = 'Expired when mt5tray allowed one pending request per account.'
 where r.status = 'pending'
   and exists (select 1 from public.sync_requests n
                where n.account_id = r.account_id and n.status = 'pending'
                  and (n.requested_at, n.id) > (r.requested_at, r.id));

-- At most one pending request per account, even for two calls at the same instant.
create unique index sync_requests_one_pending_idx on public.sync_requests (account_id)
  where status = 'pending';

-- The newest request of an account (the rate limit) and the served ones.
create index sync_requests_account_requested_idx
  on public.sync_requests (account_id, requested_at desc);

-- How long a request may wait for an agent.
create function public.mt5tray_pending_ttl()
returns interval
language sql
immutable
set search_path = ''
as $$ select interval '10 minutes' $$;

-- One request per account per this many seconds.
create function public.mt5tray_request_interval_s()
returns integer
language sql
immutable
set search_path = ''
as $$ select 60 $$;

-- Marks the caller's requests pending for longer than the TTL as expired
-- (those of p_account_ids, or all the caller can see); returns how many.
create function public.mt5tray_expire_sync_requests(p_account_ids uuid[] default null)
returns integer
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  expired integer;
begin
  update public.sync_requests r
     set status = 'expired',
         finished_at = now(),
         error = 'No mt5tray agent picked this request up within 10 minutes. Check that '
                 'mt5tray runs, is signed in and syncs this account, then ask again.'
   where r.status = 'pending'
     and r.requested_at < now() - public.mt5tray_pending_ttl()
     and (p_account_ids is null or r.account_id = any (p_account_ids));
  get diagnostics expired = row_count;
  return expired;
end;
$$;

comment on function public.mt5tray_expire_sync_requests(uuid[]) is
  'mt5tray: pending requests older than 10 minutes -> expired (the caller''s own, under RLS).';

-- The status a reader should see: a stored `pending` past the TTL is expired.
create function public.mt5tray_effective_status(p_status text, p_requested_at timestamptz)
returns text
language sql
stable
set search_path = ''
as $$
  select case when p_status = 'pending'
                   and p_requested_at < now() - public.mt5tray_pending_ttl()
              then 'expired' else p_status end
$$;

-- ---------------------------------------------------------------------------
-- the rules every new request follows (the RPC and direct inserts alike)
-- ---------------------------------------------------------------------------

-- Serialises the requests of one account inside the current transaction, so
-- "one pending" and "one per minute" hold for concurrent callers too.
create function public.mt5tray_lock_account_requests(p_account_id uuid)
returns void
language sql
volatile
set search_path = ''
as $$
  select pg_advisory_xact_lock(hashtext('mt5tray.sync_requests'), hashtext(p_account_id::text))
$$;

-- Raises the error a client gets when a new request for the account is not
-- allowed now; returns the pending request's id when one is pending (the
-- caller decides: request_sync returns it, a direct insert is refused).
create function public.mt5tray_check_new_request(
  p_account_id uuid,
  p_sync_type text,
  p_history_days integer
)
returns uuid
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  active boolean;
  pending_id uuid;
  last_at timestamptz;
  wait_s integer;
begin
  if p_account_id is null then
    raise exception 'No account given: pass p_account_id, the id of one of your trading_accounts.'
      using errcode = '22023';
  end if;
  if p_sync_type is null or p_sync_type not in ('full', 'incremental') then
    raise exception 'The sync type must be ''full'' or ''incremental'', not %.',
      coalesce('''' || p_sync_type || '''', 'null')
      using errcode = '22023', hint = 'Pass p_sync_type => ''full'' or ''incremental''.';
  end if;
  if p_history_days is not null and (p_history_days < 1 or p_history_days > 36500) then
    raise exception 'History days must be between 1 and 36500 (or null for the agent''s '
                    'default), not %.', p_history_days
      using errcode = '22023', hint = 'Pass p_history_days => 30, or leave it out.';
  end if;

  -- Row level security: another user's account is invisible, like a missing one.
  select a.is_active into active from public.trading_accounts a where a.id = p_account_id;
  if not found then
    raise exception 'Trading account % is not one of your accounts.', p_account_id
      using errcode = '42501',
            hint = 'Sign in as the account''s owner, or pick one of your trading_accounts.';
  end if;
  if not active then
    raise exception 'This account is switched off (is_active = false), so no agent syncs it.'
      using errcode = 'PT409',
            hint = 'Set trading_accounts.is_active = true to sync it again.';
  end if;

  perform public.mt5tray_lock_account_requests(p_account_id);
  perform public.mt5tray_expire_sync_requests(array[p_account_id]);

  select r.id into pending_id
    from public.sync_requests r
   where r.account_id = p_account_id and r.status = 'pending';
  if found then
    return pending_id;
  end if;

  select max(r.requested_at) into last_at
    from public.sync_requests r
   where r.account_id = p_account_id;
  if last_at is not null
     and last_at > now() - make_interval(secs => public.mt5tray_request_interval_s()) then
    wait_s := greatest(ceil(extract(epoch from
      last_at + make_interval(secs => public.mt5tray_request_interval_s()) - now()))::integer, 1);
    raise exception 'A sync of this account was requested % s ago; try again in % s.',
      floor(extract(epoch from now() - last_at))::integer, wait_s
      using errcode = 'PT429',
            detail = json_build_object('retry_after_seconds', wait_s)::text,
            hint = format('Wait %s s: each account can be asked to sync once a minute.',
                          wait_s);
  end if;
  return null;
end;
$$;

-- BEFORE INSERT on sync_requests for the API roles (anon, authenticated): a
-- client that writes the table directly instead of calling request_sync gets
-- the same rules, and cannot pre-date, pre-finish or flood requests. The
-- service role and the table owner (maintenance, restoring history) are not
-- held to them.
create function public.mt5tray_guard_new_sync_request()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
declare
  pending_id uuid;
begin
  if current_user not in ('anon', 'authenticated') then
    return new;
  end if;
  new.status := 'pending';
  new.requested_at := now();
  new.started_at := null;
  new.finished_at := null;
  new.sync_id := null;
  new.error := null;
  new.positions_created := null;
  new.positions_updated := null;
  new.positions_closed := null;
  new.deals_inserted := null;
  new.trades_upserted := null;
  pending_id := public.mt5tray_check_new_request(new.account_id, new.sync_type,
                                                  new.history_days);
  if pending_id is not null then
    raise exception 'A sync of this account is already pending (request %).', pending_id
      using errcode = '23505',
            detail = json_build_object('request_id', pending_id)::text,
            hint = 'Wait for it (sync_request_status), or call request_sync, which returns it.';
  end if;
  return new;
end;
$$;

create trigger sync_requests_guard_insert before insert on public.sync_requests
  for each row execute function public.mt5tray_guard_new_sync_request();

-- BEFORE UPDATE / DELETE for the API roles: the rate limit must not be dodged
-- by re-dating a request, re-opening a finished one, or deleting the newest.
create function public.mt5tray_guard_sync_request_change()
returns trigger
language plpgsql
security invoker
set search_path = ''
as $$
begin
  if current_user not in ('anon', 'authenticated') then
    return case when tg_op = 'DELETE' then old else new end;
  end if;
  if tg_op = 'DELETE' then
    if old.requested_at > now() - make_interval(secs => public.mt5tray_request_interval_s()) then
      raise exception 'A sync request can be deleted once it is a minute old.'
        using errcode = 'PT409', hint = 'Try again in a minute.';
    end if;
    return old;
  end if;
  if new.account_id is distinct from old.account_id
     or new.requested_at is distinct from old.requested_at then
    raise exception 'A sync request''s account and request time cannot be changed.'
      using errcode = '22023', hint = 'Ask for a new sync with request_sync instead.';
  end if;
  if new.status = 'pending' and old.status <> 'pending' then
    raise exception 'A % sync request cannot be made pending again.', old.status
      using errcode = '22023', hint = 'Ask for a new sync with request_sync instead.';
  end if;
  return new;
end;
$$;

create trigger sync_requests_guard_update before update on public.sync_requests
  for each row execute function public.mt5tray_guard_sync_request_change();
create trigger sync_requests_guard_delete before delete on public.sync_requests
  for each row execute function public.mt5tray_guard_sync_request_change();

-- ---------------------------------------------------------------------------
-- agents: one heartbeat row per mt5tray install
-- ---------------------------------------------------------------------------

create table public.agents (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  -- chosen once by the install and kept in its local journal
  install_id text not null,
  host text,
  version text,
  paused boolean not null default false,
  sync_interval_s integer,
  heartbeat_interval_s integer,
  -- the trading_accounts ids this agent syncs (enabled on it and active)
  account_ids uuid[] not null default '{}',
  -- rows waiting in its outbox for upload
  pending_uploads integer not null default 0,
  -- set by the server on every write, so the agent's clock does not matter
  last_seen_at timestamptz not null default now(),
  started_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint agents_user_install_key unique (user_id, install_id),
  constraint agents_install_id_check check (length(install_id) between 1 and 200),
  constraint agents_intervals_check
    check ((sync_interval_s is null or sync_interval_s > 0)
           and (heartbeat_interval_s is null or heartbeat_interval_s > 0)),
  constraint agents_pending_uploads_check check (pending_uploads >= 0)
);

comment on table public.agents is
  'mt5tray: one row per agent install (host, version, paused, interval, accounts, '
  'pending uploads, last seen), written by the agent''s heartbeat.';

create index agents_accounts_idx on public.agents using gin (account_ids);

create function public.mt5tray_agent_seen()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.last_seen_at := now();
  new.updated_at := now();
  return new;
end;
$$;

create trigger agents_seen before insert or update on public.agents
  for each row execute function public.mt5tray_agent_seen();

alter table public.agents enable row level security;
create policy agents_select_own on public.agents for select to authenticated
  using (user_id = (select auth.uid()));
create policy agents_insert_own on public.agents for insert to authenticated
  with check (user_id = (select auth.uid()));
create policy agents_update_own on public.agents for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
create policy agents_delete_own on public.agents for delete to authenticated
  using (user_id = (select auth.uid()));
revoke all on table public.agents from anon, public;
grant select, insert, update, delete on table public.agents to authenticated;
grant all on table public.agents to service_role;

-- The agent that syncs an account, as the web app sees it: online when its
-- heartbeat is fresher than two sync intervals (and never less than two
-- heartbeat intervals: a paused agent only heartbeats). When several list the
-- account, an online one wins, then one that is not paused, then the newest.
create function public.mt5tray_account_agent(p_account_id uuid)
returns json
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce(
    (select json_build_object(
              'state', case when not s.online then 'offline'
                            when s.paused then 'paused' else 'online' end,
              'online', s.online,
              'paused', s.paused,
              'host', s.host,
              'version', s.version,
              'last_seen_at', s.last_seen_at,
              'sync_interval_s', s.sync_interval_s,
              'pending_uploads', s.pending_uploads)
       from (select a.*,
                    a.last_seen_at > now() - make_interval(secs => 2 * greatest(
                      coalesce(a.sync_interval_s, 300), coalesce(a.heartbeat_interval_s, 180))
                    ) as online
               from public.agents a
              where a.account_ids @> array[p_account_id]) s
      order by s.online desc, s.paused, s.last_seen_at desc
      limit 1),
    json_build_object('state', 'none', 'online', false, 'paused', false, 'host', null,
                      'version', null, 'last_seen_at', null, 'sync_interval_s', null,
                      'pending_uploads', null))
$$;

-- Median duration of the account's last 10 finished syncs of this type, in
-- whole seconds (rounded up); null before the first one.
create function public.mt5tray_estimated_sync_seconds(p_account_id uuid, p_sync_type text)
returns integer
language sql
stable
security invoker
set search_path = ''
as $$
  select ceil(percentile_cont(0.5) within group (order by d.duration_ms) / 1000.0)::integer
    from (select l.duration_ms
            from public.sync_logs l
           where l.account_id = p_account_id
             and l.sync_type = p_sync_type
             and l.status in ('success', 'partial')
             and l.duration_ms is not null
           order by l.started_at desc
           limit 10) d
$$;

-- ---------------------------------------------------------------------------
-- the web app's RPCs
-- ---------------------------------------------------------------------------

-- A request's JSON, the shape request_sync and sync_request_status share.
create function public.mt5tray_request_json(r public.sync_requests)
returns json
language sql
stable
security invoker
set search_path = ''
as $$
  select json_build_object(
    'request_id', r.id,
    'account_id', r.account_id,
    'status', public.mt5tray_effective_status(r.status, r.requested_at),
    'sync_type', r.sync_type,
    'history_days', r.history_days,
    'requested_at', r.requested_at,
    'started_at', r.started_at,
    'finished_at', r.finished_at,
    'expires_at', case when r.status = 'pending'
                       then r.requested_at + public.mt5tray_pending_ttl() end,
    'sync_id', r.sync_id,
    'error', case when public.mt5tray_effective_status(r.status, r.requested_at) = 'expired'
                  then coalesce(r.error, 'No mt5tray agent picked this request up within '
                                         '10 minutes.')
                  else r.error end,
    'result', case when r.status in ('done', 'failed') then (
      select json_build_object(
        'sync_id', r.sync_id,
        'sync_status', l.status,
        'duration_ms', l.duration_ms,
        'positions_created', coalesce(r.positions_created, l.positions_created),
        'positions_updated', coalesce(r.positions_updated, l.positions_updated),
        'positions_closed', coalesce(r.positions_closed, l.positions_closed),
        'deals_inserted', coalesce(r.deals_inserted, l.deals_inserted),
        'trades_upserted', coalesce(r.trades_upserted, l.trades_upserted),
        'error', coalesce(r.error, l.error))
        from (select 1) one
        left join public.sync_logs l on l.id = r.sync_id) end)
$$;

-- "Sync Now" from the web app: validates, refuses another user's account and
-- a switched-off one, returns the pending request when there is one (no new
-- row), refuses a second request within a minute (PT429, seconds to wait in
-- details), and otherwise queues one. Answers at once; the agent serves it.
create function public.request_sync(
  p_account_id uuid,
  p_sync_type text default 'incremental',
  p_history_days integer default null
)
returns json
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  pending_id uuid;
  req public.sync_requests;
  agent json;
begin
  pending_id := public.mt5tray_check_new_request(p_account_id, p_sync_type, p_history_days);
  if pending_id is not null then
    select * into req from public.sync_requests where id = pending_id;
  else
    insert into public.sync_requests (account_id, sync_type, history_days)
    values (p_account_id, p_sync_type, p_history_days)
    returning * into req;
  end if;
  agent := public.mt5tray_account_agent(p_account_id);
  return (public.mt5tray_request_json(req)::jsonb || jsonb_build_object(
    'created', pending_id is null,
    'estimated_duration_seconds',
      public.mt5tray_estimated_sync_seconds(p_account_id, req.sync_type),
    'agent_online', (agent ->> 'online')::boolean,
    'agent_paused', (agent ->> 'paused')::boolean,
    'agent_state', agent ->> 'state'))::json;
end;
$$;

comment on function public.request_sync(uuid, text, integer) is
  'mt5tray: ask the agent to sync an account now (one pending per account, one a minute).';

-- A request's progress: pending, running, done, failed or expired, with the
-- sync's id and counts once it has finished.
create function public.sync_request_status(p_request_id uuid)
returns json
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  req public.sync_requests;
begin
  select * into req from public.sync_requests where id = p_request_id;
  if not found then
    raise exception 'No sync request % among yours.', p_request_id
      using errcode = 'PT404', hint = 'Use the request_id that request_sync returned.';
  end if;
  return public.mt5tray_request_json(req);
end;
$$;

comment on function public.sync_request_status(uuid) is
  'mt5tray: a sync request''s status, and its sync''s id and counts once finished.';

-- What the dashboard shows for one account.
create function public.sync_status(p_account_id uuid)
returns json
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  acc public.trading_accounts;
  agent json;
  latest public.sync_logs;
  stats json;
  pending public.sync_requests;
begin
  if p_account_id is null then
    raise exception 'No account given: pass p_account_id, the id of one of your trading_accounts.'
      using errcode = '22023';
  end if;
  select * into acc from public.trading_accounts where id = p_account_id;
  if not found then
    raise exception 'Trading account % is not one of your accounts.', p_account_id
      using errcode = '42501',
            hint = 'Sign in as the account''s owner, or pick one of your trading_accounts.';
  end if;
  agent := public.mt5tray_account_agent(p_account_id);

  select * into latest from public.sync_logs l
   where l.account_id = p_account_id and l.status in ('success', 'partial', 'failed')
   order by l.started_at desc limit 1;

  select json_build_object(
           'total_syncs', count(*) filter (where l.status <> 'skipped'),
           'successful_syncs', count(*) filter (where l.status in ('success', 'partial')),
           'failed_syncs', count(*) filter (where l.status = 'failed'),
           'skipped_syncs', count(*) filter (where l.status = 'skipped'),
           'positions_created', coalesce(sum(l.positions_created), 0),
           'positions_updated', coalesce(sum(l.positions_updated), 0),
           'positions_closed', coalesce(sum(l.positions_closed), 0),
           'deals_inserted', coalesce(sum(l.deals_inserted), 0),
           'last_error', (select e.error from public.sync_logs e
                           where e.account_id = p_account_id and e.status = 'failed'
                           order by e.started_at desc limit 1),
           'last_error_at', (select e.finished_at from public.sync_logs e
                              where e.account_id = p_account_id and e.status = 'failed'
                              order by e.started_at desc limit 1))
    into stats
    from public.sync_logs l
   where l.account_id = p_account_id and l.status in ('success', 'partial', 'failed', 'skipped');

  select * into pending from public.sync_requests r
   where r.account_id = p_account_id and r.status in ('pending', 'running')
   order by r.requested_at desc limit 1;

  return json_build_object(
    'account_id', acc.id,
    'enabled', acc.is_active,
    'agent_online', (agent ->> 'online')::boolean,
    'agent_paused', (agent ->> 'paused')::boolean,
    'agent_state', agent ->> 'state',
    'agent', agent,
    'terminal_connected', case when latest.id is null then null
                               else latest.status in ('success', 'partial') end,
    'last_sync_time', acc.last_sync_at,
    'last_successful_sync_time', acc.last_successful_sync_at,
    'last_sync_minutes_ago',
      floor(extract(epoch from now() - acc.last_sync_at) / 60)::integer,
    'next_sync_expected_at',
      case when acc.is_active and agent ->> 'state' = 'online' and acc.last_sync_at is not null
           then acc.last_sync_at + make_interval(secs => coalesce(
                  (agent ->> 'sync_interval_s')::integer, 300)) end,
    'last_connection_error', acc.last_connection_error,
    'sync_failure_count', acc.sync_failure_count,
    'stats', stats,
    'pending_uploads', (agent ->> 'pending_uploads')::integer,
    'active_request', case when pending.id is null then null
                           else public.mt5tray_request_json(pending) end,
    'server_time', now());
end;
$$;

comment on function public.sync_status(uuid) is
  'mt5tray: an account''s sync state for the dashboard (agent, last sync, stats).';

-- ---------------------------------------------------------------------------
-- the agent's side: claims expire stale requests; finishes carry the counts
-- ---------------------------------------------------------------------------

-- Same signature and claim as the lease migration, now expiring the caller's
-- stale pending requests first. Claims stay oldest-first: with at most one
-- pending request per account, an account can have no backlog, so each of
-- an agent's accounts waits behind at most one request of each other account.
create or replace function public.claim_sync_request(
  p_account_ids uuid[] default null,
  p_stale_after_s integer default 1800
)
returns setof public.sync_requests
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  perform public.mt5tray_expire_sync_requests(p_account_ids);
  return query
    update public.sync_requests r
       set status = 'running',
           started_at = now(),
           finished_at = null,
           error = null
     where r.id = (
       select q.id
         from public.sync_requests q
        where (q.status = 'pending'
               or (q.status = 'running'
                   and q.started_at < now() - make_interval(secs => greatest(p_stale_after_s, 60))))
          and (q.user_id = (select auth.uid()) or (select auth.role()) = 'service_role')
          and (p_account_ids is null or q.account_id = any (p_account_ids))
        order by q.requested_at, q.id
        limit 1
        for update skip locked
     )
    returning r.*;
end;
$$;

drop function public.finish_sync_request(uuid, text, uuid, text);

-- Finishes a running request: running -> done | failed, with the sync's id,
-- error and counts ({"positions_created": n, ...} as in sync_logs).
create function public.finish_sync_request(
  p_id uuid,
  p_status text,
  p_sync_id uuid default null,
  p_error text default null,
  p_counts jsonb default null
)
returns setof public.sync_requests
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  if p_status is null or p_status not in ('done', 'failed') then
    raise exception 'finish_sync_request: status must be done or failed, not %',
      coalesce(p_status, 'null')
      using errcode = '22023',
            hint = 'Pass p_status => ''done'' or ''failed''.';
  end if;

  return query
    update public.sync_requests r
       set status = p_status,
           finished_at = now(),
           sync_id = coalesce(p_sync_id, r.sync_id),
           error = case when p_status = 'failed' then p_error else null end,
           positions_created = (p_counts ->> 'positions_created')::integer,
           positions_updated = (p_counts ->> 'positions_updated')::integer,
           positions_closed = (p_counts ->> 'positions_closed')::integer,
           deals_inserted = (p_counts ->> 'deals_inserted')::integer,
           trades_upserted = (p_counts ->> 'trades_upserted')::integer
     where r.id = p_id
       and r.status = 'running'
    returning r.*;
end;
$$;

comment on function public.finish_sync_request(uuid, text, uuid, text, jsonb) is
  'mt5tray: finish a running sync request (running -> done | failed) with its counts.';

-- ---------------------------------------------------------------------------
-- grants: the API functions to signed-in users; trigger functions to nobody
-- ---------------------------------------------------------------------------

do $$
declare
  fn text;
begin
  foreach fn in array array[
    'public.request_sync(uuid, text, integer)',
    'public.sync_request_status(uuid)',
    'public.sync_status(uuid)',
    'public.finish_sync_request(uuid, text, uuid, text, jsonb)',
    'public.mt5tray_expire_sync_requests(uuid[])',
    'public.mt5tray_check_new_request(uuid, text, integer)',
    'public.mt5tray_lock_account_requests(uuid)',
    'public.mt5tray_account_agent(uuid)',
    'public.mt5tray_estimated_sync_seconds(uuid, text)',
    'public.mt5tray_request_json(public.sync_requests)',
    'public.mt5tray_effective_status(text, timestamptz)',
    'public.mt5tray_pending_ttl()',
    'public.mt5tray_request_interval_s()'
  ] loop
    execute format('revoke all on function %s from public, anon', fn);
    execute format('grant execute on function %s to authenticated, service_role', fn);
  end loop;
  foreach fn in array array[
    'public.mt5tray_guard_new_sync_request()',
    'public.mt5tray_guard_sync_request_change()',
    'public.mt5tray_agent_seen()'
  ] loop
    execute format('revoke all on function %s from public, anon, authenticated', fn);
    execute format('grant execute on function %s to service_role', fn);
  end loop;
end;
$$;
