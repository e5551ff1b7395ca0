-- mt5tray (issue 10): the trade server's clock as a rule, and per-row offsets.
--
-- MT5 reports every time on the broker's server wall clock with no zone; the
-- agent converts with a clock rule (GMT+2/US, GMT+2/EU, a fixed offset, an IANA
-- zone) detected from price history or set by the user. Each deal now keeps the
-- offset applied to it (time_msc stays the raw server value, so any time can be
-- recomputed), and the account keeps the clock in use and how it was found.
-- When the clock changes the agent recomputes and re-upserts every deal and
-- trade of the account; the upserts update the time columns on conflict
-- (natural keys hold no time).
--
-- Data contract: columns added, nothing renamed.

alter table public.deals
    add column if not exists server_utc_offset_minutes integer;

alter table public.trading_accounts
    add column if not exists server_timezone text,
    add column if not exists server_timezone_source text,
    add column if not exists server_timezone_checked_at timestamptz,
    add column if not exists server_timezone_evidence text;

alter table public.trading_accounts
    add constraint trading_accounts_server_timezone_source_check
    check (server_timezone_source is null
           or server_timezone_source in ('auto', 'user', 'provisional', 'fallback'));

comment on column public.deals.server_utc_offset_minutes is
  'mt5tray: minutes the server clock was ahead of UTC for this deal (time = time_msc - offset).';
comment on column public.trading_accounts.server_timezone is
  'mt5tray: the server clock rule in use, canonical (GMT+2/US, GMT+2/EU, GMT+0, an IANA key).';
comment on column public.trading_accounts.server_timezone_source is
  'mt5tray: how the clock was found: auto, user, provisional, fallback.';
comment on column public.trading_accounts.server_timezone_checked_at is
  'mt5tray: last live confirmation of the clock against a fresh tick.';
comment on column public.trading_accounts.server_timezone_evidence is
  'mt5tray: JSON: symbol, weeks matched/total, first/last week, detected_at.';
