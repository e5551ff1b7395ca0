// Which Supabase project this dashboard reads. Fill in both values before you
// host the page (both are public: row level security keeps each trader's rows
// private). Left empty, the page asks for them and keeps them in this
// browser's localStorage instead.
window.MT5TRAY_DASHBOARD_CONFIG = {
  supabaseUrl: "",      // https://PROJECT.supabase.co
  publishableKey: "",   // sb_publishable_... (or the legacy anon key); never a secret key
  pollIntervalMs: 1500, // how often a running Sync Now asks for its request's status
};
