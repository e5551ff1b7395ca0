// The dashboard's state and flow: which project (config.js, or the connect form
// kept in localStorage), the supabase-js session (sign in / out), the accounts
// with their sync status, Sync Now per account, and the selected account's
// curve, syncs and trades.
(function (ns) {
  "use strict";

  const PROJECT_KEY = "mt5tray.dashboard.project";
  const REFRESH_MS = 60000;
  const CLOSED_SHOWN = 50;
  const FINAL = new Set(["done", "failed", "expired", "error"]);
  const $ = (id) => document.getElementById(id);

  const state = {
    client: null, journal: null, accounts: [], statuses: {}, syncs: {}, selected: null,
    tradesTab: "open", detail: null, timer: null,
  };

  // -- which project ---------------------------------------------------------

  function projectConfig() {
    const file = window.MT5TRAY_DASHBOARD_CONFIG || {};
    if (file.supabaseUrl && file.publishableKey) {
      return { url: file.supabaseUrl, key: file.publishableKey, fromFile: true };
    }
    try {
      const stored = JSON.parse(localStorage.getItem(PROJECT_KEY) || "null");
      if (stored && stored.url && stored.key) return { ...stored, fromFile: false };
    } catch (_corrupt) {
      localStorage.removeItem(PROJECT_KEY);
    }
    return null;
  }

  // A reason to refuse the key, or null. A secret key bypasses row level
  // security for every trader and must never sit in a web page.
  function keyProblem(key) {
    if (key.startsWith("sb_secret_")) {
      return "That is a secret key: use the project's publishable key (sb_publishable_…).";
    }
    const parts = key.split(".");
    if (parts.length === 3) {
      try {
        const claims = JSON.parse(atob(parts[1].replace(/-/g, "+").replace(/_/g, "/")));
        if (claims.role === "service_role") {
          return "That is the service_role key: use the anon or publishable key.";
        }
      } catch (_notJson) { /* not a JWT we can read: let Supabase judge it */ }
    } else if (!key.startsWith("sb_publishable_")) {
      return "That does not look like a Supabase publishable key (sb_publishable_…) or anon key.";
    }
    return null;
  }

  function urlProblem(url) {
    try {
      const parsed = new URL(url);
      return /^https?:$/.test(parsed.protocol) ? null : "The project URL must start with https://";
    } catch (_bad) {
      return "The project URL must look like https://PROJECT.supabase.co";
    }
  }

  function show(view) {
    for (const id of ["connect-view", "signin-view", "journal-view"]) $(id).hidden = id !== view;
    $("signout").hidden = view !== "journal-view";
  }

  function showError(target, message) {
    $(target).textContent = message || "";
    $(target).hidden = !message;
  }

  function connectForm() {
    show("connect-view");
    $("connect-form").onsubmit = (event) => {
      event.preventDefault();
      const url = $("project-url").value.trim().replace(/\/+$/, "");
      const key = $("project-key").value.trim();
      const problem = urlProblem(url) || keyProblem(key);
      showError("connect-error", problem);
      if (problem) return;
      localStorage.setItem(PROJECT_KEY, JSON.stringify({ url, key }));
      start();
    };
  }

  // -- session ---------------------------------------------------------------

  function start() {
    const project = projectConfig();
    if (!project) return connectForm();
    const problem = urlProblem(project.url) || keyProblem(project.key);
    if (problem) {
      showError("connect-error", `${project.fromFile ? "config.js: " : ""}${problem}`);
      return connectForm();
    }
    $("project-host").textContent = new URL(project.url).host;
    $("change-project").hidden = project.fromFile;
    state.client = window.supabase.createClient(project.url, project.key, {
      auth: { persistSession: true, autoRefreshToken: true, detectSessionInUrl: false,
        storageKey: "mt5tray.dashboard.auth" },
    });
    state.journal = new ns.Journal(state.client);
    state.client.auth.onAuthStateChange((event) => {
      if (event === "SIGNED_OUT" && !$("journal-view").hidden) signedOut();
    });
    resumeSession();
  }

  // A session kept from an earlier visit is checked with the server (GET
  // /auth/v1/user) before it is used: signed out elsewhere, or revoked, it
  // ends here with a word instead of failing call by call. Offline, the
  // kept session is used and the calls say what is wrong.
  async function resumeSession() {
    const { data } = await state.client.auth.getSession();
    if (!data.session) return signedOut();
    const { error } = await state.client.auth.getUser();
    if (error && (error.status === 401 || error.status === 403)) {
      await state.client.auth.signOut({ scope: "local" }).catch(() => null);
      return signedOut("Your session has ended (signed out elsewhere, or revoked): sign in again.");
    }
    signedIn(data.session);
  }

  function signedOut(message) {
    clearInterval(state.timer);
    state.accounts = [];
    $("user-email").textContent = "";
    if (message) showError("signin-error", message);
    show("signin-view");
  }

  async function signIn(event) {
    event.preventDefault();
    const button = $("signin-button");
    button.disabled = true;
    showError("signin-error", "");
    try {
      const { data, error } = await state.client.auth.signInWithPassword({
        email: $("email").value.trim(), password: $("password").value,
      });
      if (error) throw error;
      $("password").value = "";
      signedIn(data.session);
    } catch (error) {
      showError("signin-error", /Failed to fetch/i.test(error.message)
        ? "Could not reach Supabase: check the project URL and your connection."
        : error.message);
    } finally {
      button.disabled = false;
    }
  }

  function signedIn(session) {
    $("user-email").textContent = session.user.email;
    show("journal-view");
    loadAccounts();
    clearInterval(state.timer);
    state.timer = setInterval(() => loadAccounts({ quiet: true }), REFRESH_MS);
  }

  // -- accounts ----------------------------------------------------------------

  async function loadAccounts(options) {
    const quiet = options && options.quiet;
    if (!quiet) showError("journal-error", "");
    $("loading").hidden = quiet || state.accounts.length > 0;
    try {
      state.accounts = await state.journal.accounts();
    } catch (error) {
      showError("journal-error", error.message);
      return;
    } finally {
      $("loading").hidden = true;
    }
    await Promise.all(state.accounts.map(refreshStatus));
    for (const account of state.accounts) {  // a sync asked for before a reload
      const active = state.statuses[account.id] && state.statuses[account.id].active_request;
      if (active && !isBusy(account.id)) syncAccount(account.id, active);
    }
    if (!state.accounts.some((a) => a.id === state.selected)) {
      state.selected = state.accounts.length ? state.accounts[0].id : null;
    }
    renderAccounts();
    await loadDetail();
  }

  async function refreshStatus(account) {
    try {
      state.statuses[account.id] = await state.journal.syncStatus(account.id);
    } catch (error) {
      state.statuses[account.id] = { error: error.message };
    }
  }

  async function refreshAccount(accountId) {
    const fresh = await state.journal.accounts().catch(() => null);
    if (fresh) state.accounts = fresh;
    const account = state.accounts.find((a) => a.id === accountId);
    if (account) await refreshStatus(account);
    renderAccounts();
    if (accountId === state.selected) await loadDetail();
  }

  function renderAccounts() {
    const list = $("accounts");
    list.replaceChildren();
    $("no-accounts").hidden = state.accounts.length > 0;
    for (const account of state.accounts) {
      list.append(ns.views.accountCard(account, state.statuses[account.id],
        state.syncs[account.id], account.id === state.selected,
        { onSync: (id) => syncAccount(id), onSelect: selectAccount }));
    }
  }

  function selectAccount(accountId) {
    if (accountId === state.selected) return;
    state.selected = accountId;
    renderAccounts();
    loadDetail();
  }

  function isBusy(accountId) {
    const current = state.syncs[accountId];
    return Boolean(current && !FINAL.has(current.status));
  }

  // Sync Now (or, with `request`, follow one already made) until it has finished.
  async function syncAccount(accountId, request) {
    if (isBusy(accountId)) return;
    const update = (syncState) => {
      state.syncs[accountId] = syncState;
      renderAccounts();
    };
    try {
      await ns.syncNow(state.journal, accountId, update,
        { pollMs: (window.MT5TRAY_DASHBOARD_CONFIG || {}).pollIntervalMs, request });
    } catch (error) {
      update({ status: "error", message: error.message });
      return;
    }
    await refreshAccount(accountId);
  }

  // -- the selected account ----------------------------------------------------

  async function loadDetail() {
    const account = state.accounts.find((a) => a.id === state.selected);
    $("detail").hidden = !account;
    if (!account) return;
    $("detail-title").textContent = account.name || `Account ${account.login}`;
    try {
      const [logs, open, closed, snapshots, moves] = await Promise.all([
        state.journal.recentSyncs(account.id), state.journal.openTrades(account.id),
        state.journal.closedTrades(account.id, CLOSED_SHOWN),
        state.journal.equitySnapshots(account.id),
        state.journal.balanceMoves(account.id),
      ]);
      if (account.id !== state.selected) return;
      state.detail = { account, logs, open, closed, snapshots, moves };
      showError("detail-error", "");
    } catch (error) {
      showError("detail-error", error.message);
      return;
    }
    renderDetail();
  }

  function renderDetail() {
    const d = state.detail;
    if (!d) return;
    $("equity").replaceChildren(ns.views.equityPanel(d.account, d.moves, d.snapshots));
    $("syncs").replaceChildren(ns.views.syncsTable(d.logs));
    $("tab-open").textContent = `Open (${d.open.length})`;
    $("tab-closed").textContent = d.closed.length >= CLOSED_SHOWN
      ? `Closed (latest ${CLOSED_SHOWN})` : `Closed (${d.closed.length})`;
    for (const tab of ["open", "closed"]) {
      $(`tab-${tab}`).setAttribute("aria-selected", String(state.tradesTab === tab));
    }
    const open = state.tradesTab === "open";
    $("trades").replaceChildren(
      ns.views.tradesTable(open ? d.open : d.closed, open, d.account.currency));
  }

  function init() {
    $("signin-form").addEventListener("submit", signIn);
    $("signout").addEventListener("click", () => state.client.auth.signOut({ scope: "local" }));
    $("change-project").addEventListener("click", async () => {
      localStorage.removeItem(PROJECT_KEY);
      if (state.client) await state.client.auth.signOut({ scope: "local" }).catch(() => null);
      location.reload();
    });
    for (const tab of ["open", "closed"]) {
      $(`tab-${tab}`).addEventListener("click", () => { state.tradesTab = tab; renderDetail(); });
    }
    $("refresh").addEventListener("click", () => loadAccounts());
    if (!window.supabase || !window.supabase.createClient) {
      showError("connect-error",
        "vendor/supabase-js/supabase.js did not load: serve the whole web/ folder.");
      return connectForm();
    }
    start();
  }

  document.addEventListener("DOMContentLoaded", init);
})(window.Mt5Dashboard = window.Mt5Dashboard || {});
