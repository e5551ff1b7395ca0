-- mt5tray (issue 13): "seconds, not minutes".
--
-- 1. The web journal's "Sync now" reaches the agent at once: the agent
--    subscribes to INSERTs on sync_requests over Supabase Realtime
--    (postgres_changes, filtered by user_id; Realtime checks every change
--    against the subscriber's row level security, so a trader hears only
--    their own requests). Realtime streams the tables of the
--    `supabase_realtime` publication, which every Supabase project has (it
--    starts empty); the guard also lets this run on a database without it,
--    and on one whose publication is FOR ALL TABLES (nothing to add then).
-- 2. Watch mode syncs a change in the terminal at once; its sync_logs rows
--    carry trigger = 'watch'.

do $$
begin
  if not exists (select from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
  if not exists (select from pg_publication where pubname = 'supabase_realtime' and puballtables)
     and not exists (select from pg_publication_tables
                      where pubname = 'supabase_realtime'
                        and schemaname = 'public' and tablename = 'sync_requests') then
    alter publication supabase_realtime add table public.sync_requests;
  end if;
end;
$$;

alter table public.sync_logs drop constraint sync_logs_trigger_check;
alter table public.sync_logs add constraint sync_logs_trigger_check
  check (trigger in ('schedule', 'manual', 'startup', 'remote', 'cli', 'watch'));
