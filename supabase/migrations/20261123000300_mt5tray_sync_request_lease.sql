-- mt5tray: a claimed "Sync Now" request is a lease, not a lock forever.
--
-- An agent that claimed a request and then vanished (the PC slept, the
-- process was killed, the claim's reply was lost on the way back) left the
-- request `running` for good: no agent would touch it again and the web
-- journal's button stayed busy. claim_sync_request now also takes a request
-- that has been `running` for longer than p_stale_after_s seconds (default
-- 30 minutes, far beyond a sync), so the next agent that polls serves it.
-- A slow first agent that finishes after all is harmless: the sync is an
-- idempotent upsert and the request's first finish wins (finish_sync_request
-- only changes a running request).
--
-- Called through PostgREST as
--   POST /rest/v1/rpc/claim_sync_request {"p_account_ids": ["<uuid>", ...]}
--   (optionally "p_stale_after_s": 1800)

drop function public.claim_sync_request(uuid[]);

create function public.claim_sync_request(
  p_account_ids uuid[] default null,
  p_stale_after_s integer default 1800
)
returns setof public.sync_requests
language sql
volatile
security invoker
set search_path = ''
as $$
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
$$;

comment on function public.claim_sync_request(uuid[], integer) is
  'mt5tray: claim the oldest pending (or abandoned running) sync request of the caller''s '
  'accounts (-> running).';

-- Finding abandoned requests without scanning the finished ones.
create index sync_requests_running_idx on public.sync_requests (started_at)
  where status = 'running';

revoke all on function public.claim_sync_request(uuid[], integer) from public, anon;
grant execute on function public.claim_sync_request(uuid[], integer)
  to authenticated, service_role;
