// Sync Now: ask for a sync with request_sync, then follow the request with
// sync_request_status until the agent has finished it (done or failed) or the
// server gave up on it (expired: no agent claimed it within 10 minutes).
// `onUpdate` receives each state so the page can show it; the promise resolves
// with the final status. A lost poll is retried; only a run of failures ends
// the wait, and the request itself carries on at the agent regardless.
(function (ns) {
  "use strict";

  const FINAL = new Set(["done", "failed", "expired"]);
  const MAX_POLL_FAILURES = 5;

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  // options: pollMs, syncType, and `request` to follow one already made (a
  // sync_status's active_request after a reload) instead of asking again.
  async function syncNow(journal, accountId, onUpdate, options) {
    const pollMs = (options && options.pollMs) || 1500;
    let request = options && options.request;
    if (!request) {
      onUpdate({ status: "requesting" });
      request = await journal.requestSync(accountId, options && options.syncType);
    }
    onUpdate(request);
    if (FINAL.has(request.status)) return request;
    let failures = 0;
    let last = request;
    for (;;) {
      await sleep(pollMs);
      let state;
      try {
        state = await journal.requestStatus(request.request_id);
        failures = 0;
      } catch (error) {
        failures += 1;
        if (failures >= MAX_POLL_FAILURES) throw error;
        onUpdate({ ...last, note: "Lost contact with Supabase; retrying…" });
        continue;
      }
      last = { ...request, ...state };
      onUpdate(last);
      if (FINAL.has(state.status)) return state;
    }
  }

  // The counts of a finished request as one line: "12 deals · 3 positions closed".
  function countsLine(state) {
    const counts = state.result || state;
    const parts = [];
    const f = ns.format;
    parts.push(f.plural(counts.deals_inserted || 0, "new deal"));
    const positions = [["positions_created", "new"], ["positions_updated", "updated"],
      ["positions_closed", "closed"]]
      .filter(([key]) => counts[key]).map(([key, word]) => `${f.number(counts[key], 0)} ${word}`);
    if (positions.length) parts.push(`positions ${positions.join(", ")}`);
    return parts.join(" · ");
  }

  ns.syncNow = syncNow;
  ns.countsLine = countsLine;
})(window.Mt5Dashboard = window.Mt5Dashboard || {});
