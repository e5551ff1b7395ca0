-- mt5tray: claiming and finishing "Sync Now" requests.
--
-- Both functions are SECURITY INVOKER: they run with the caller's rights, so
-- row level security decides which requests a caller can see and change.
-- Called through PostgREST as
--   POST /rest/v1/rpc/claim_sync_request  {"p_account_ids": ["<uuid>", ...]}  (or {})
--   POST /rest/v1/rpc/finish_sync_request {"p_id": "<uuid>", "p_status": "done",
--                                          "p_sync_id": "<uuid>", "p_error": null}
-- Each returns a JSON array holding the changed request, or an empty array.

-- Claims the oldest pending request of the caller's accounts (all of them, or
-- those in p_account_ids): pending -> running. Two agents calling at once
-- never get the same request: the row is locked FOR UPDATE SKIP LOCKED and
-- re-checked after the lock, so exactly one of them wins it.
create function public.claim_sync_request(p_account_ids uuid[] default null)
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
      where q.status = 'pending'
        and (q.user_id = (select auth.uid()) or (select auth.role()) = 'service_role')
        and (p_account_ids is null or q.account_id = any (p_account_ids))
      order by q.requested_at, q.id
      limit 1
      for update skip locked
   )
  returning r.*;
$$;

comment on function public.claim_sync_request(uuid[]) is
  'mt5tray: claim the oldest pending sync request of the caller''s accounts (pending -> running).';

-- Finishes a running request: running -> done | failed. Returns nothing when
-- the request is not the caller's, does not exist, or is not running.
create function public.finish_sync_request(
  p_id uuid,
  p_status text,
  p_sync_id uuid default null,
  p_error text default null
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
           error = case when p_status = 'failed' then p_error else null end
     where r.id = p_id
       and r.status = 'running'
    returning r.*;
end;
$$;

comment on function public.finish_sync_request(uuid, text, uuid, text) is
  'mt5tray: finish a running sync request (running -> done | failed).';

revoke all on function public.claim_sync_request(uuid[]) from public, anon;
revoke all on function public.finish_sync_request(uuid, text, uuid, text) from public, anon;
grant execute on function public.claim_sync_request(uuid[]) to authenticated, service_role;
grant execute on function public.finish_sync_request(uuid, text, uuid, text)
  to authenticated, service_role;
