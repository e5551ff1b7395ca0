// The journal as the dashboard reads it: supabase-js calls on the tables of
// docs/data-contract.md and the RPCs request_sync, sync_request_status and
// sync_status. Row level security decides what a user sees; nothing here
// filters by user. Every failure becomes a JournalError whose message says
// what went wrong and what to do.
(function (ns) {
  "use strict";

  const ACCOUNT_COLUMNS = [
    "id", "login", "server", "name", "company", "currency", "balance", "equity", "margin",
    "margin_free", "margin_level", "floating_profit", "is_active", "last_sync_at",
    "last_successful_sync_at", "last_connection_error", "agent_host", "agent_version",
  ].join(",");
  const TRADE_COLUMNS = [
    "ticket", "symbol", "side", "status", "volume", "closed_volume", "open_time", "open_price",
    "close_time", "close_price", "sl", "tp", "current_price", "floating_profit", "profit",
    "commission", "swap", "fee", "net_profit",
  ].join(",");
  const DEAL_PAGE = 1000;  // PostgREST's default max-rows on a hosted project
  const MAX_DEALS = 20000;  // the curve's window: about 20 requests at most

  class JournalError extends Error {
    constructor(message, cause) {
      super(message);
      this.name = "JournalError";
      this.code = cause && cause.code;
      this.details = cause && cause.details;
      this.hint = cause && cause.hint;
    }
  }

  // A PostgREST/Auth error (or a network failure) -> a JournalError a person can act on.
  function explain(error, what) {
    const message = (error && error.message) || String(error);
    if (/Failed to fetch|NetworkError|Load failed/i.test(message)) {
      return new JournalError(`Could not reach Supabase while loading ${what}: check the ` +
        "project URL and your connection, then reload.", error);
    }
    if (error && error.code === "PGRST202") {
      return new JournalError(`This Supabase project lacks what ${what} needs ` +
        `(${message}). Apply mt5tray's migrations: supabase db push.`, error);
    }
    if (error && (error.code === "PGRST301" || error.code === "PGRST303")) {
      return new JournalError("Your session has expired: sign in again.", error);
    }
    return new JournalError(message, error);
  }

  async function unwrap(promise, what) {
    let result;
    try {
      result = await promise;
    } catch (error) {
      throw explain(error, what);
    }
    if (result.error) throw explain(result.error, what);
    return result.data;
  }

  class Journal {
    constructor(client) {
      this.db = client;
    }

    accounts() {
      return unwrap(this.db.from("trading_accounts").select(ACCOUNT_COLUMNS)
        .order("name").order("login"), "your accounts");
    }

    syncStatus(accountId) {
      // GET: a read, which PostgREST runs in a read-only transaction.
      return unwrap(this.db.rpc("sync_status", { p_account_id: accountId }, { get: true }),
        "the sync status");
    }

    recentSyncs(accountId, limit) {
      return unwrap(this.db.from("sync_logs").select("*").eq("account_id", accountId)
        .order("started_at", { ascending: false }).limit(limit || 15), "recent syncs");
    }

    openTrades(accountId) {
      return unwrap(this.db.from("trades").select(TRADE_COLUMNS).eq("account_id", accountId)
        .eq("status", "open").order("open_time", { ascending: false }), "open trades");
    }

    closedTrades(accountId, limit) {
      return unwrap(this.db.from("trades").select(TRADE_COLUMNS).eq("account_id", accountId)
        .eq("status", "closed").order("close_time", { ascending: false })
        .limit(limit || 50), "closed trades");
    }

    async equitySnapshots(accountId) {
      const rows = await unwrap(this.db.from("equity_snapshots").select("time,balance,equity")
        .eq("account_id", accountId).order("time", { ascending: false }).limit(DEAL_PAGE),
        "the equity snapshots");
      return rows.reverse();
    }

    // The balance effect of the newest MAX_DEALS deals, oldest first, a page at a time
    // (the curve is anchored to the current balance, so a window of history is enough).
    async balanceMoves(accountId) {
      const moves = [];
      for (let from = 0; from < MAX_DEALS; from += DEAL_PAGE) {
        const page = await unwrap(this.db.from("deals")
          .select("time,ticket,profit,commission,swap,fee").eq("account_id", accountId)
          .order("time", { ascending: false }).order("ticket", { ascending: false })
          .range(from, from + DEAL_PAGE - 1), "the deals");
        moves.push(...page);
        if (page.length < DEAL_PAGE) break;
      }
      return moves.reverse();
    }

    requestSync(accountId, syncType) {
      return unwrap(this.db.rpc("request_sync", {
        p_account_id: accountId, p_sync_type: syncType || "incremental",
      }), "Sync Now");
    }

    requestStatus(requestId) {
      return unwrap(this.db.rpc("sync_request_status", { p_request_id: requestId },
        { get: true }), "the sync request");
    }
  }

  ns.Journal = Journal;
  ns.JournalError = JournalError;
})(window.Mt5Dashboard = window.Mt5Dashboard || {});
