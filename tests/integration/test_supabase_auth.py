"""Signing in, staying signed in unattended, and the readable errors."""

from __future__ import annotations

import time

import pytest

from mt5tray.core.errors import (
    SettingsError,
    StoreAuthRequired,
    StoreMisconfigured,
    StoreRejected,
)
from mt5tray.core.models import AccountRef, SyncType, Trigger
from mt5tray.secrets import SERVICE
from mt5tray.store.outbox_crypto import OUTBOX_KEY_NAME
from mt5tray.store.supabase.session import REFRESH_TOKEN_KEY, SupabaseSession
from tests.integration.agent_setup import agent, supabase_app
from tests.support.gateway import Gateway
from tests.support.postgres import BOOTSTRAP_SQL

pytestmark = pytest.mark.postgres


def test_only_the_refresh_token_goes_to_the_keyring_and_it_rotates(
        tmp_path, gateway, make_user, memory_keyring) -> None:
    user = make_user()
    app = supabase_app(tmp_path / "sb", gateway, user)
    try:
        first = memory_keyring.values[(SERVICE, REFRESH_TOKEN_KEY)]
        # Besides the token: only the outbox's own AES key (44 base64 characters).
        assert set(memory_keyring.values) == {(SERVICE, REFRESH_TOKEN_KEY),
                                              (SERVICE, OUTBOX_KEY_NAME)}
        assert len(memory_keyring.values[(SERVICE, OUTBOX_KEY_NAME)]) == 44
        assert "{" not in first and len(first) < 100  # a bare token, not the session JSON
        agent(app).session.refresh()
        second = memory_keyring.values[(SERVICE, REFRESH_TOKEN_KEY)]
        assert second != first  # rotated, and the new one saved at once
    finally:
        app.close()

    # A new process (a restart) resumes from the keyring alone, without a password.
    again = supabase_app(tmp_path / "sb", gateway)
    try:
        again.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        assert agent(again).pending_uploads() == 0
        assert agent(again).signed_in_user() == user.email
    finally:
        again.close()


def test_an_expired_access_token_is_refreshed_unattended(
        tmp_path, gateway, make_user, memory_keyring) -> None:
    gateway.access_token_ttl = 1
    app = supabase_app(tmp_path / "sb", gateway, make_user())
    try:
        time.sleep(1.5)
        app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        assert agent(app).pending_uploads() == 0
        # PostgREST refusing the token (PGRST303) leads to one refresh and a retry.
        gateway.access_token_ttl = 3600
        agent(app).session.refresh()
        gateway.inject_fault(status=401, times=1, path_prefix="/rest/v1/",
                             body={"code": "PGRST303", "message": "JWT expired",
                                   "details": None, "hint": None})
        assert agent(app).heartbeat() == 1
        assert agent(app).pending_uploads() == 0
    finally:
        app.close()


def test_transient_5xx_and_429_are_retried(tmp_path, gateway, make_user,
                                           memory_keyring) -> None:
    app = supabase_app(tmp_path / "sb", gateway, make_user())
    try:
        gateway.inject_fault(status=503, times=2)
        gateway.inject_fault(status=429, times=1)
        app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        assert agent(app).pending_uploads() == 0
        assert sorted(r.status for r in gateway.requests if r.status >= 400) == [429, 503, 503]
    finally:
        app.close()


def test_a_revoked_session_asks_to_sign_in_again(tmp_path, gateway, make_user,
                                                 memory_keyring) -> None:
    user = make_user()
    app = supabase_app(tmp_path / "sb", gateway, user)
    try:
        gateway.auth.revoke_sessions(user.id)
        app.close()
        app = supabase_app(tmp_path / "sb", gateway)
        app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        error = agent(app).last_error
        assert isinstance(error, StoreAuthRequired)
        assert "sign in again (Settings… > Sign in… in the tray" in error.message
        assert agent(app).pending_uploads() > 0  # the rows wait
    finally:
        app.close()


def test_a_wrong_key_gives_a_readable_message(tmp_path, gateway, make_user,
                                              memory_keyring) -> None:
    user = make_user()
    session = SupabaseSession(gateway.url, "sb_publishable_wrong", _secrets())
    try:
        with pytest.raises(StoreMisconfigured, match="Invalid API key"):
            session.sign_in(user.email, user.password)
    finally:
        session.close()
    with pytest.raises(StoreAuthRequired, match="email or password"):
        ok = SupabaseSession(gateway.url, gateway.anon_key, _secrets())
        try:
            ok.sign_in(user.email, "not-the-password")
        finally:
            ok.close()


def test_a_wrong_url_gives_a_readable_message(memory_keyring) -> None:
    with pytest.raises(SettingsError, match="https://"):
        SupabaseSession("ftp://example.test", "sb_publishable_x", _secrets())
    session = SupabaseSession("http://127.0.0.1:9", "sb_publishable_x", _secrets())
    try:
        with pytest.raises(Exception, match="Cannot reach Supabase at http://127.0.0.1:9"):
            session.sign_in("a@example.test", "pw")
    finally:
        session.close()


def test_a_service_role_key_needs_the_explicit_setting(tmp_path, gateway, make_user,
                                                       memory_keyring) -> None:
    with pytest.raises(StoreMisconfigured, match="bypasses row level security"):
        SupabaseSession(gateway.url, gateway.service_role_key, _secrets())
    with pytest.raises(StoreMisconfigured):
        SupabaseSession(gateway.url, gateway.tokens.secret_key, _secrets())
    app = supabase_app(tmp_path / "sb", gateway, make_user(), key=gateway.service_role_key,
                       allow_service_role_key=True)
    try:
        assert "does not belong on a trader's PC" in agent(app).service_role_warning()
    finally:
        app.close()


def test_a_missing_schema_says_to_apply_the_migrations(tmp_path, pg, memory_keyring) -> None:
    with pg.connect(autocommit=True) as conn:
        conn.execute("create database bare")
    pg.apply_files([BOOTSTRAP_SQL], dbname="bare")
    bare = Gateway(pg.dsn_for("authenticator", "bare"), pg.dsn_for("postgres", "bare")).start()
    try:
        bare.create_user("nobody@example.test", "pw-nobody")
        app = supabase_app(tmp_path / "sb", bare)
        app.remote.session.sign_in("nobody@example.test", "pw-nobody")
        app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        error = agent(app).last_error
        assert isinstance(error, StoreMisconfigured)
        assert "apply the migrations in supabase/migrations" in error.message
        app.close()
    finally:
        bare.close()
        with pg.connect(autocommit=True) as conn:
            conn.execute("drop database bare with (force)")


def test_a_row_for_another_users_account_is_refused_readably(
        tmp_path, pg, gateway, make_user, memory_keyring) -> None:
    alice, bob = make_user(), make_user()
    a = supabase_app(tmp_path / "a", gateway, alice)
    a.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
    alice_account = next(iter(a.store.outbox.remote_ids(gateway.url, alice.id).values()))
    # Bob signs in after Alice's upload: the keyring holds one session per OS
    # user, and a running agent follows what the keyring holds (issue 8).
    b = supabase_app(tmp_path / "b", gateway, bob)
    try:
        gateway.stop()
        b.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        gateway.start()
        # Bob's agent is tricked into writing under Alice's account id: refused.
        local_id = b.store.list_accounts()[0]["id"]
        b.store.query("delete from outbox where kind = 'trading_accounts'")
        b.store.outbox.remember_remote_ids(gateway.url, bob.id, {local_id: alice_account})
        with pytest.raises(StoreRejected, match="row level security"):
            agent(b).flush()
        with pg.connect() as conn:
            owners = conn.execute("select distinct user_id::text from deals where account_id = %s",
                                  [alice_account]).fetchall()
        assert owners == [(alice.id,)]
    finally:
        a.close()
        b.close()


def _secrets():
    from mt5tray.secrets import KeyringSecrets

    return KeyringSecrets()


def test_rows_waiting_for_a_sign_in_say_so_in_the_tray(tmp_path, gateway,
                                                       memory_keyring) -> None:
    """C8: configured but never signed in; the warning names its cause, as the
    tooltip and the status window show it."""
    from mt5tray.core.publisher import SnapshotPublisher
    from mt5tray.core.runtime import Runtime
    from mt5tray.core.scheduler import SyncScheduler
    from mt5tray.core.tray_text import tray_tooltip
    from mt5tray.store.local_cards import read_store_facts, upload_cause

    app = supabase_app(tmp_path / "sb", gateway)
    try:
        app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        pending = agent(app).pending_uploads()
        assert pending > 0
        runtime = Runtime(app.service, SyncScheduler(app.service), app.hooks)
        publisher = SnapshotPublisher(runtime, lambda cards, previous: read_store_facts(
            app.store, app.hooks, upload_cause(app.remote, app.hooks)),
            urls=lambda: (app.settings.supabase.url, app.settings.dashboard_url))
        publisher._facts = publisher.read_facts(True, publisher._facts)  # as its reader does
        snap = publisher.compose()
        assert snap.state == "warning"
        assert snap.headline == f"{pending:,} rows waiting to upload: not signed in to Supabase"
        assert tray_tooltip(snap).startswith(f"mt5tray: {snap.headline}")
        assert "not signed in" in snap.supabase_text
    finally:
        app.close()
