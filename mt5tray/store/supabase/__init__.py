"""The Supabase side of the store, one module a job.

- session: the signed-in session (refresh token in the keyring) and the client;
- flush: drains the encrypted outbox into PostgREST upserts, in order;
- requests: the web journal's Sync Now requests (claim, finish);
- agent: the Store adapter that ties the journal, outbox and uploads together;
- errors: PostgREST/httpx errors translated into the core's errors.
"""
