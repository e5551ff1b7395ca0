"""Store adapters: the embedded SQLite journal and Supabase."""
