"""A poison row never stops the upload queue (issue 8, section 2).

Through the real stack: simulated terminal -> engine -> journal and outbox ->
flusher -> supabase-py -> test gateway -> PostgreSQL. Each case is one a
fault-injection run met: a row PostgreSQL refuses (22P05, a NUL in text), the
outbox key replaced in the keyring, one byte flipped in an entry on disk.
"""

from __future__ import annotations

import base64
import json
import os

import pytest

from mt5tray import cli
from mt5tray.core.models import AccountRef, SyncType, Trigger
from mt5tray.secrets import SERVICE
from mt5tray.store.outbox_crypto import OUTBOX_KEY_NAME
from tests.integration.agent_setup import agent, supabase_app
from tests.integration.test_supabase_sync import assert_mirrored, remote_rows

pytestmark = pytest.mark.postgres


def _queue_poison_deal(app) -> int:
    """A deal row as an older mt5tray wrote and queued it: a NUL byte in its
    comment, which PostgreSQL cannot store in text (22P05). Returns its ticket."""
    store = app.store
    (deal,) = [dict(r) for r in store.query("select * from deals order by ticket limit 1")]
    deal.update(ticket=99_000_001, comment="bad\x00comment")
    columns = ", ".join(deal)
    with store.transaction() as conn:
        conn.execute(f"insert into deals ({columns}) values ({', '.join('?' * len(deal))})",
                     tuple(deal.values()))
        store.outbox.enqueue(conn, "deals", deal["account_id"], [deal])
    return deal["ticket"]


def test_a_row_supabase_refuses_is_set_aside_and_everything_else_uploads(
        tmp_path, pg, gateway, make_user, memory_keyring, caplog, monkeypatch) -> None:
    user = make_user()
    home = tmp_path / "pc"
    app = supabase_app(home, gateway, user, batch_size=4)
    try:
        app.service.listeners.remove(agent(app).on_sync_event)  # queue, upload later
        app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        poison = _queue_poison_deal(app)
        app.service.sync_one(AccountRef(None), SyncType.INCREMENTAL, Trigger.CLI)  # after it

        agent(app).flush()  # does not stop at the poison row

        assert agent(app).pending_uploads() == 0
        # Every other journal row arrived, the later sync's too; the poison row did not.
        assert_mirrored(pg, app.store, user.id, skip=("deals",))
        local = {r[0] for r in app.store.query("select ticket from deals")}
        assert {r["ticket"] for r in remote_rows(pg, "deals", user.id, "ticket")} == \
            local - {poison}
        state = agent(app).upload_state()
        assert state["quarantined_rows"] == 1
        (reason,) = state["reasons"]
        assert "22P05" in reason["reason"]
        assert "Set aside 1 deals row(s)" in caplog.text and "22P05" in caplog.text
        health = _health(app)
        assert health.state == "warning" and "1 row could not be uploaded" in health.headline
    finally:
        app.close()

    # What a user sees: status (text and --json) and uploads status name it.
    monkeypatch.setenv("MT5TRAY_HOME", str(home))
    status = _cli_json(["status", "--simulate", str(_scenario()), "--store", "supabase",
                        "--json"])
    assert status["uploads"]["quarantined_rows"] == 1
    assert "22P05" in status["uploads"]["reasons"][0]["reason"]
    text = _cli_text(["status", "--simulate", str(_scenario()), "--store", "supabase"])
    assert "Uploads: 1 row set aside, not uploaded" in text and "22P05" in text
    assert "mt5tray uploads requeue" in text
    synced = _cli_json(["sync", "--simulate", str(_scenario()), "--store", "supabase",
                        "--json"])
    upload = synced[0]["upload"]  # a script can tell what did not reach Supabase
    assert upload["quarantined_rows"] == 1 and upload["pending_rows"] == 0
    assert upload["last_error"] is None and "22P05" in upload["reasons"][0]["reason"]
    listed = _cli_json(["uploads", "status", "--simulate", str(_scenario()), "--store",
                        "supabase", "--json"])
    (entry,) = listed["set_aside"]
    assert entry["kind"] == "deals" and entry["cause"] == "refused" and entry["rows"] == 1

    # The repair: queued again from the journal, cleaned the way new syncs are.
    requeued = _cli_json(["uploads", "requeue", "--simulate", str(_scenario()), "--store",
                          "supabase", "--json"])
    assert requeued["requeued"]["rows_queued"] == 1
    assert "cleaned in the journal" in requeued["requeued"]["message"]
    assert requeued["uploads"]["quarantined_rows"] == 0 and requeued["uploaded_rows"] >= 1
    again = supabase_app(home, gateway, None)
    try:
        assert_mirrored(pg, again.store, user.id)
        (comment,) = again.store.query("select comment from deals where ticket = ?",
                                       (poison,))[0]
        assert comment == "badcomment"
    finally:
        again.close()


@pytest.mark.parametrize("key_loss", ["replaced", "deleted"])
def test_a_replaced_or_deleted_outbox_key_is_repaired_from_the_journal(
        key_loss, tmp_path, pg, gateway, make_user, memory_keyring, caplog) -> None:
    user = make_user()
    home = tmp_path / "pc"
    app = supabase_app(home, gateway, user)
    try:
        app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        assert agent(app).pending_uploads() == 0
        gateway.stop()  # the next syncs wait in the outbox...
        app.service.sync_one(AccountRef(None), SyncType.INCREMENTAL, Trigger.CLI)
        app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        assert agent(app).pending_uploads() > 0
    finally:
        app.close()
        gateway.start()
    # ...when the keyring loses the key (a Credential Manager reset, a profile restore).
    if key_loss == "replaced":
        memory_keyring.set_password(SERVICE, OUTBOX_KEY_NAME,
                                    base64.urlsafe_b64encode(os.urandom(32)).decode())
    else:  # mt5tray creates a new key at start-up
        memory_keyring.delete_password(SERVICE, OUTBOX_KEY_NAME)

    again = supabase_app(home, gateway, user)
    try:
        agent(again).flush()
        assert agent(again).pending_uploads() == 0
        assert agent(again).upload_state()["quarantined_rows"] == 0
        assert_mirrored(pg, again.store, user.id)  # the waiting syncs arrived all the same
        message = agent(again).upload_state()["last_repair"]
        assert "no longer in the keyring" in message and "Re-queued" in message
        assert "no longer in the keyring" in caplog.text
    finally:
        again.close()


def test_one_flipped_byte_sets_that_entry_aside_and_it_is_queued_again(
        tmp_path, pg, gateway, make_user, memory_keyring) -> None:
    user = make_user()
    app = supabase_app(tmp_path / "pc", gateway, user, batch_size=3)
    try:
        gateway.stop()
        app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        gateway.start()
        (entry_id, payload) = app.store.query(
            "select id, payload from outbox where kind = 'deals' order by id limit 1")[0]
        damaged = bytearray(payload)
        damaged[len(damaged) // 2] ^= 0x01
        with app.store.transaction() as conn:
            conn.execute("update outbox set payload = ? where id = ?", (bytes(damaged), entry_id))

        agent(app).flush()

        assert agent(app).pending_uploads() == 0
        assert_mirrored(pg, app.store, user.id)
        message = agent(app).upload_state()["last_repair"]
        assert "damaged" in message and "Re-queued" in message
    finally:
        app.close()


def _health(app):
    from mt5tray.core.health import overall_health

    results = list(app.service.last_results.values())
    return overall_health(results, False, False, 1000.0, app.hooks.pending(),
                          quarantined_uploads=app.hooks.quarantined())


def _scenario():
    from tests.integration.agent_setup import SCENARIO

    return SCENARIO


def _cli_text(argv: list[str]) -> str:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(argv) == 0
    return out.getvalue()


def _cli_json(argv: list[str]):
    return json.loads(_cli_text(argv))


def test_a_refused_account_row_is_set_aside_and_the_account_keeps_uploading(
        tmp_path, pg, gateway, make_user, memory_keyring) -> None:
    user = make_user()
    app = supabase_app(tmp_path / "pc", gateway, user)
    try:
        app.service.sync_one(AccountRef(None), SyncType.FULL, Trigger.CLI, None)
        store = app.store
        (account,) = store.list_accounts()
        poisoned = {**store.outbox.account_row(account["id"]), "name": "Demo\x00Trader"}
        with store.transaction() as conn:  # as an older version queued it
            store.outbox.enqueue(conn, "trading_accounts", account["id"], [poisoned])

        agent(app).flush()  # that row alone in its round: refused, set aside, no error

        assert agent(app).upload_state()["quarantined_rows"] == 1
        app.service.sync_one(AccountRef(None), SyncType.INCREMENTAL, Trigger.CLI)
        assert agent(app).pending_uploads() == 0
        assert_mirrored(pg, store, user.id)  # the later sync and the account's snapshot too
    finally:
        app.close()
