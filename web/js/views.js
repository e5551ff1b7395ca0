// What the journal view draws: one card per account (sync status, Sync Now),
// the recent syncs, the trades and the equity curve of the selected account.
// Pure functions of the data they are given; app.js owns the state.
(function (ns) {
  "use strict";

  const el = ns.el;
  const f = ns.format;
  const FINAL = new Set(["done", "failed", "expired", "error"]);

  function badge(text, tone, title) {
    return el("span", { class: `badge badge-${tone}`, title }, text);
  }

  // agent_state (sync_status): online, paused, offline, or none (no agent lists the account).
  function agentBadges(account, status) {
    const badges = [];
    if (!status) return badges;
    const agent = status.agent || {};
    const host = agent.host || account.agent_host;
    const state = status.agent_state ||
      (status.agent_online ? (status.agent_paused ? "paused" : "online") : "offline");
    if (state === "paused") {
      badges.push(badge("Agent paused", "warn", `mt5tray${host ? ` on ${host}` : ""} is paused: ` +
        "no automatic syncs, Sync Now still works"));
    } else if (state === "online") {
      badges.push(badge("Agent online", "ok",
        host ? `mt5tray ${agent.version || ""} on ${host}` : null));
    } else if (state === "none") {
      badges.push(badge("No agent", "muted",
        "No mt5tray install syncs this account: add it on the PC next to MetaTrader 5."));
    } else {
      badges.push(badge("Agent offline", "bad",
        `No heartbeat${host ? ` from ${host}` : ""} recently: is mt5tray running on the PC?`));
    }
    if (status.enabled === false) {
      badges.push(badge("Switched off", "muted", "is_active = false: no agent syncs it"));
    }
    if (status.terminal_connected === false) {
      badges.push(badge("Terminal not reached", "bad",
        "The last sync could not reach MetaTrader 5"));
    }
    return badges;
  }

  function lastSyncLine(status) {
    if (!status) return null;
    const parts = [`Last sync ${f.minutesAgo(status.last_sync_minutes_ago)}`];
    if (status.next_sync_expected_at) {
      const left = (Date.parse(status.next_sync_expected_at) - Date.now()) / 60000;
      parts.push(left >= 1 ? `next in ${Math.round(left)} min` : "next due now");
    }
    if (status.pending_uploads) parts.push(f.plural(status.pending_uploads, "upload") + " pending");
    return el("p", { class: "last-sync", "data-testid": "last-sync" }, parts.join(" · "));
  }

  function stat(label, value, tone) {
    return el("div", { class: `stat ${tone ? `stat-${tone}` : ""}` },
      el("span", { class: "stat-value" }, value), el("span", { class: "stat-label" }, label));
  }

  function statsRow(stats) {
    if (!stats) return null;
    return el("div", { class: "stats", "data-testid": "sync-stats" },
      stat("syncs", f.number(stats.total_syncs || 0, 0)),
      stat("succeeded", f.number(stats.successful_syncs || 0, 0), "ok"),
      stat("failed", f.number(stats.failed_syncs || 0, 0), stats.failed_syncs ? "bad" : null),
      stat("deals", f.number(stats.deals_inserted || 0, 0)),
      stat("opened", f.number(stats.positions_created || 0, 0)),
      stat("closed", f.number(stats.positions_closed || 0, 0)));
  }

  function syncLine(state) {
    if (!state) return el("p", { class: "sync-result", role: "status" });
    const line = (tone, text) => el("p", {
      class: `sync-result sync-${tone}`, role: "status", "data-state": state.status,
    }, text);
    switch (state.status) {
      case "requesting": return line("busy", "Asking for a sync…");
      case "pending": {
        let text = state.note ||
          "Waiting for the agent to pick it up (it checks about once a minute)…";
        if (state.agent_state === "none") {
          text = "No agent syncs this account; the request waits up to 10 minutes for one.";
        } else if (state.agent_online === false) {
          text = "The agent is offline; the request waits up to 10 minutes for it.";
        }
        return line("busy", text);
      }
      case "running": {
        const estimate = state.estimated_duration_seconds
          ? ` (usually about ${Math.max(1, Math.round(state.estimated_duration_seconds))} s)` : "";
        return line("busy", state.note || `The agent is syncing${estimate}…`);
      }
      case "done": return line("ok", `Synced: ${ns.countsLine(state)}`);
      case "failed":
        return line("bad", `Sync failed: ${state.error || (state.result && state.result.error) ||
          "no reason given"}`);
      case "expired":
        return line("bad", state.error || "No agent picked up the request within 10 minutes. " +
          "Is mt5tray running and signed in on the PC?");
      case "error": return line("bad", state.message);
      default: return line("busy", state.status);
    }
  }

  function accountCard(account, status, syncState, selected, handlers) {
    const busy = Boolean(syncState && !FINAL.has(syncState.status));
    const title = account.name || `Account ${account.login}`;
    const button = el("button", {
      class: "sync-now", type: "button", disabled: busy, "aria-busy": busy ? "true" : "false",
      onclick: (event) => { event.stopPropagation(); handlers.onSync(account.id); },
    }, busy ? el("span", { class: "spinner", "aria-hidden": "true" }) : null,
    busy ? "Syncing…" : "Sync now");
    const statusError = status && status.error;
    return el("article", {
      class: `account ${selected ? "selected" : ""}`, "data-account-id": account.id,
      "aria-current": selected ? "true" : null, tabindex: 0,
      onclick: () => handlers.onSelect(account.id),
      onkeydown: (event) => { if (event.key === "Enter") handlers.onSelect(account.id); },
    },
    el("header", { class: "account-head" },
      el("div", {},
        el("h3", {}, title),
        el("p", { class: "account-sub" }, `#${account.login} · ${account.server}`,
          account.company ? ` · ${account.company}` : "")),
      el("div", { class: "badges" }, agentBadges(account, status && !statusError ? status : null))),
    el("dl", { class: "money" },
      el("div", {}, el("dt", {}, "Balance"),
        el("dd", {}, f.money(account.balance, account.currency))),
      el("div", {}, el("dt", {}, "Equity"),
        el("dd", {}, f.money(account.equity, account.currency))),
      el("div", {}, el("dt", {}, "Floating"), el("dd", { class: pnlClass(account.floating_profit) },
        f.signedMoney(account.floating_profit, account.currency)))),
    statusError ? el("p", { class: "sync-bad" }, statusError) : lastSyncLine(status),
    statusError ? null : statsRow(status && status.stats),
    currentError(status)
      ? el("p", { class: "last-error", title: currentError(status) },
        `Last error: ${currentError(status)}`) : null,
    el("footer", { class: "account-foot" }, button, syncLine(syncState)));
  }

  // The error that still stands: the account's last connection error (cleared by
  // a success), else the failed last sync's; an old failure since recovered is not shown.
  function currentError(status) {
    if (!status || status.error) return null;
    if (status.last_connection_error) return status.last_connection_error;
    return status.terminal_connected === false && status.stats ? status.stats.last_error : null;
  }

  function sum(...values) {
    return values.reduce((total, v) => total + Number(v || 0), 0);
  }

  function level(price) {
    return price ? f.number(price) : "—";
  }

  function pnlClass(value) {
    const n = Number(value);
    return n > 0 ? "pnl pos" : n < 0 ? "pnl neg" : "pnl";
  }

  function table(columns, rows, empty) {
    if (!rows.length) return el("p", { class: "empty" }, empty);
    return el("div", { class: "table-wrap" }, el("table", {},
      el("thead", {}, el("tr", {},
        columns.map((c) => el("th", { class: c.num ? "num" : "" }, c.label)))),
      el("tbody", {}, rows.map((row) => el("tr", {}, columns.map((c) => {
        const value = c.render(row);
        const cls = `${c.num ? "num" : ""} ${c.cls ? c.cls(row) : ""}`.trim();
        return el("td", { class: cls }, value);
      }))))));
  }

  function syncsTable(logs) {
    const statusTone = {
      success: "ok", partial: "warn", failed: "bad", skipped: "muted", processing: "info",
    };
    const positions = (r) =>
      `+${r.positions_created || 0} / ~${r.positions_updated || 0} / −${r.positions_closed || 0}`;
    return table([
      { label: "Started", render: (r) => f.dateTime(r.started_at) },
      { label: "Type", render: (r) => r.sync_type },
      { label: "Trigger", render: (r) => r.trigger },
      { label: "Result", render: (r) => badge(r.status, statusTone[r.status] || "muted") },
      { label: "Duration", num: true, render: (r) => f.duration(r.duration_ms) },
      { label: "Deals", num: true, render: (r) => f.number(r.deals_inserted || 0, 0) },
      { label: "Positions +/~/−", num: true, render: positions },
      { label: "Error", cls: () => "error-cell", render: (r) => r.error || "" },
    ], logs, "No syncs yet.");
  }

  function tradesTable(trades, open, currency) {
    const side = (r) => el("span", { class: `side side-${r.side}` }, r.side);
    const money = (v) => f.signedMoney(v, currency);
    const common = [
      { label: "Ticket", render: (r) => r.ticket },
      { label: "Symbol", render: (r) => r.symbol },
      { label: "Side", render: side },
      { label: "Volume", num: true, render: (r) => f.number(r.volume) },
      { label: "Opened", render: (r) => f.dateTime(r.open_time) },
      { label: "Open price", num: true, render: (r) => f.number(r.open_price) },
    ];
    const columns = open ? common.concat([
      { label: "Current", num: true, render: (r) => f.number(r.current_price) },
      { label: "SL / TP", num: true, render: (r) => `${level(r.sl)} / ${level(r.tp)}` },
      { label: "Floating P&L", num: true, cls: (r) => pnlClass(r.floating_profit),
        render: (r) => money(r.floating_profit) },
    ]) : common.concat([
      { label: "Closed", render: (r) => f.dateTime(r.close_time) },
      { label: "Close price", num: true, render: (r) => f.number(r.close_price) },
      { label: "Costs", num: true, render: (r) => money(sum(r.commission, r.swap, r.fee)) },
      { label: "Net P&L", num: true, cls: (r) => pnlClass(r.net_profit),
        render: (r) => money(r.net_profit) },
    ]);
    return table(columns, trades, open ? "No open positions." : "No closed trades yet.");
  }

  // Balance after every deal, anchored so that it ends at the account's current
  // balance (a journal that holds only recent history still shows true levels).
  function balanceSeries(moves, currentBalance) {
    let running = 0;
    const points = moves.map((d) => {
      running += sum(d.profit, d.commission, d.swap, d.fee);
      return { t: Date.parse(d.time), v: running };
    });
    const known = currentBalance !== null && currentBalance !== undefined;
    const offset = known ? Number(currentBalance) - running : 0;
    return points.map((p) => ({ t: p.t, v: p.v + offset }));
  }

  function equityPanel(account, moves, snapshots) {
    const series = [
      { name: "Balance (from deals)", className: "balance", step: true, fill: true,
        points: balanceSeries(moves, account.balance) },
      { name: "Equity (at each sync)", className: "equity",
        points: snapshots.map((s) => ({ t: Date.parse(s.time), v: Number(s.equity) })) },
    ];
    const chart = ns.equityChart(series, account.currency);
    if (!chart) return el("p", { class: "empty" }, "Not enough history for a curve yet.");
    return el("figure", { class: "chart-figure" }, chart,
      el("figcaption", { class: "legend" }, series.filter((s) => s.points.length).map((s) =>
        el("span", { class: `key key-${s.className}` }, s.name))));
  }

  ns.views = { accountCard, syncsTable, tradesTable, equityPanel };
})(window.Mt5Dashboard = window.Mt5Dashboard || {});
