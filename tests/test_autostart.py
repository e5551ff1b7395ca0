"""Autostart: the command line of each install kind, and each OS mechanism's outcomes.

XDG and macOS run against real files in temporary directories. Windows runs
against `FakeRegistry`, an in-memory `RegistryBackend`: there is no Windows
registry on the machines these tests run on, so this is the one fake standing in
for an OS service here; everything above it (the Run value, the Task Manager
switch, the command line) is the real code.
"""

from __future__ import annotations

import plistlib
import sys
from pathlib import Path

import pytest

from mt5tray.autostart import (
    AutostartDisabledByUser,
    AutostartError,
    AutostartStatus,
    LaunchAgent,
    WindowsRunKey,
    XdgAutostart,
    autostart_for_platform,
    launch_argv,
    windows_command_line,
)
from mt5tray.autostart.windows import APPROVED_KEY, RUN_KEY, VALUE_NAME
from mt5tray.autostart.xdg import exec_line

# --- the command line ----------------------------------------------------------------


def test_frozen_app_starts_itself() -> None:
    assert launch_argv("/opt/mt5tray/mt5tray", frozen=True) == ["/opt/mt5tray/mt5tray", "tray"]


def test_python_install_runs_the_module() -> None:
    argv = launch_argv("/usr/bin/python3", frozen=False)
    assert argv == ["/usr/bin/python3", "-m", "mt5tray", "tray"]


def test_defaults_describe_this_interpreter() -> None:
    assert launch_argv()[0] == sys.executable


def test_windows_frozen_exe_is_quoted() -> None:
    command = windows_command_line(r"C:\Program Files\mt5tray\mt5tray.exe", frozen=True)
    assert command == r'"C:\Program Files\mt5tray\mt5tray.exe" tray'


def test_windows_python_install_uses_pythonw_beside_python() -> None:
    command = windows_command_line(r"C:\Users\Ann Lee\venv\Scripts\python.exe", frozen=False)
    assert command == r'"C:\Users\Ann Lee\venv\Scripts\pythonw.exe" -m mt5tray tray'


def test_windows_arguments_with_spaces_are_quoted() -> None:
    command = windows_command_line(r"C:\app\mt5tray.exe", frozen=True, args=("tray", "a b"))
    assert command == r'"C:\app\mt5tray.exe" tray "a b"'


def test_windows_command_without_arguments_has_no_trailing_space() -> None:
    assert windows_command_line(r"C:\app\mt5tray.exe", frozen=True, args=()) == (
        r'"C:\app\mt5tray.exe"'
    )


def test_desktop_exec_quotes_and_escapes() -> None:
    line = exec_line(["/opt/my apps/python", "-m", "mt5tray", "50%", 'say "$hi"'])
    assert line == r'"/opt/my apps/python" -m mt5tray 50%% "say \\"\\$hi\\""'


def test_factory_picks_the_mechanism_for_each_platform() -> None:
    assert isinstance(autostart_for_platform("win32"), WindowsRunKey)
    assert isinstance(autostart_for_platform("darwin"), LaunchAgent)
    assert isinstance(autostart_for_platform("linux"), XdgAutostart)


# --- Windows: Run key and Task Manager's switch --------------------------------------


class FakeRegistry:
    """In-memory HKEY_CURRENT_USER values: {(key, name): value}."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], str | bytes | int] = {}
        self.fail_with: OSError | None = None

    def get_value(self, key: str, name: str) -> str | bytes | int | None:
        self._maybe_fail()
        return self.values.get((key, name))

    def set_value(self, key: str, name: str, value: str) -> None:
        self._maybe_fail()
        self.values[(key, name)] = value

    def delete_value(self, key: str, name: str) -> None:
        self._maybe_fail()
        self.values.pop((key, name), None)

    def _maybe_fail(self) -> None:
        if self.fail_with is not None:
            raise self.fail_with


COMMAND = r'"C:\app\mt5tray.exe" tray'


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry()


@pytest.fixture
def run_key(registry: FakeRegistry) -> WindowsRunKey:
    return WindowsRunKey(registry, command=COMMAND)


def test_windows_is_off_without_a_run_value(run_key: WindowsRunKey) -> None:
    assert run_key.is_enabled().status is AutostartStatus.OFF


def test_windows_enable_writes_the_command(run_key: WindowsRunKey, registry: FakeRegistry) -> None:
    run_key.enable()
    assert registry.values[(RUN_KEY, VALUE_NAME)] == COMMAND
    assert run_key.is_enabled().enabled


def test_windows_disable_removes_the_value_twice_safely(
    run_key: WindowsRunKey, registry: FakeRegistry
) -> None:
    run_key.enable()
    run_key.disable()
    run_key.disable()
    assert (RUN_KEY, VALUE_NAME) not in registry.values
    assert run_key.is_enabled().status is AutostartStatus.OFF


def test_windows_enable_refreshes_a_moved_install(
    run_key: WindowsRunKey, registry: FakeRegistry
) -> None:
    registry.values[(RUN_KEY, VALUE_NAME)] = r'"D:\old\mt5tray.exe" tray'
    run_key.enable()
    assert registry.values[(RUN_KEY, VALUE_NAME)] == COMMAND


@pytest.mark.parametrize("first_byte", [0x02, 0x06])
def test_windows_task_manager_enabled_flags_read_as_on(
    run_key: WindowsRunKey, registry: FakeRegistry, first_byte: int
) -> None:
    run_key.enable()
    registry.values[(APPROVED_KEY, VALUE_NAME)] = bytes([first_byte]) + bytes(11)
    assert run_key.is_enabled().status is AutostartStatus.ON


@pytest.mark.parametrize("first_byte", [0x03, 0x07])
def test_windows_task_manager_disabled_flags_read_as_disabled_by_user(
    run_key: WindowsRunKey, registry: FakeRegistry, first_byte: int
) -> None:
    run_key.enable()
    registry.values[(APPROVED_KEY, VALUE_NAME)] = bytes([first_byte]) + bytes(11)
    state = run_key.is_enabled()
    assert state.status is AutostartStatus.DISABLED_BY_USER
    assert "Task Manager" in state.explanation


def test_windows_enable_never_flips_the_task_manager_switch(
    run_key: WindowsRunKey, registry: FakeRegistry
) -> None:
    disabled = bytes([0x03]) + bytes(11)
    registry.values[(APPROVED_KEY, VALUE_NAME)] = disabled
    with pytest.raises(AutostartDisabledByUser, match="Task Manager"):
        run_key.enable()
    assert registry.values[(APPROVED_KEY, VALUE_NAME)] == disabled
    # The Run value is written so the entry is listed in Task Manager to be turned on.
    assert registry.values[(RUN_KEY, VALUE_NAME)] == COMMAND
    assert run_key.is_enabled().status is AutostartStatus.DISABLED_BY_USER


def test_windows_registry_failure_is_a_user_error(
    run_key: WindowsRunKey, registry: FakeRegistry
) -> None:
    registry.fail_with = PermissionError(5, "Access is denied")
    with pytest.raises(AutostartError, match="Access is denied"):
        run_key.enable()


@pytest.mark.skipif(sys.platform == "win32", reason="checks the off-Windows guard")
def test_real_registry_backend_explains_it_needs_windows() -> None:
    with pytest.raises(AutostartError, match="only available on Windows"):
        WindowsRunKey(command=COMMAND).is_enabled()


# --- XDG autostart file ---------------------------------------------------------------

ARGV = ["/opt/my apps/bin/python", "-m", "mt5tray", "tray"]


@pytest.fixture
def xdg(tmp_path: Path) -> XdgAutostart:
    return XdgAutostart(config_home=tmp_path, argv=ARGV)


def test_xdg_is_off_without_the_file(xdg: XdgAutostart) -> None:
    assert xdg.is_enabled().status is AutostartStatus.OFF


def test_xdg_enable_writes_a_desktop_entry(xdg: XdgAutostart, tmp_path: Path) -> None:
    xdg.enable()
    assert xdg.path == tmp_path / "autostart" / "mt5tray.desktop"
    text = xdg.path.read_text(encoding="utf-8")
    assert text.startswith("[Desktop Entry]\n")
    assert 'Exec="/opt/my apps/bin/python" -m mt5tray tray\n' in text
    assert "Type=Application\n" in text
    icon = next(line for line in text.splitlines() if line.startswith("Icon="))
    assert Path(icon.removeprefix("Icon=")).is_file()
    assert xdg.is_enabled().enabled


def test_xdg_disable_removes_the_file_twice_safely(xdg: XdgAutostart) -> None:
    xdg.enable()
    xdg.disable()
    xdg.disable()
    assert not xdg.path.exists()
    assert xdg.is_enabled().status is AutostartStatus.OFF


@pytest.mark.parametrize("line", ["Hidden=true", "X-GNOME-Autostart-enabled=false"])
def test_xdg_desktop_switch_reads_as_disabled_by_user(xdg: XdgAutostart, line: str) -> None:
    xdg.enable()
    with xdg.path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    state = xdg.is_enabled()
    assert state.status is AutostartStatus.DISABLED_BY_USER
    assert "startup applications" in state.explanation


def test_xdg_keys_outside_the_desktop_entry_group_are_ignored(xdg: XdgAutostart) -> None:
    xdg.path.parent.mkdir(parents=True)
    xdg.path.write_text(
        "[Desktop Entry]\nExec=mt5tray\n[Desktop Action x]\nHidden=true\n", encoding="utf-8"
    )
    assert xdg.is_enabled().enabled


def test_xdg_enable_is_the_users_explicit_choice(xdg: XdgAutostart) -> None:
    xdg.enable()
    xdg.path.write_text("[Desktop Entry]\nHidden=true\n", encoding="utf-8")
    xdg.enable()
    assert xdg.is_enabled().enabled


def test_xdg_defaults_to_xdg_config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert XdgAutostart().path == tmp_path / "cfg" / "autostart" / "mt5tray.desktop"


def test_xdg_ignores_a_relative_xdg_config_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/cfg")
    assert XdgAutostart().path == Path.home() / ".config" / "autostart" / "mt5tray.desktop"


def test_xdg_unwritable_directory_is_a_user_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(AutostartError, match="Could not write"):
        XdgAutostart(config_home=blocker, argv=ARGV).enable()


# --- macOS LaunchAgent ------------------------------------------------------------------


@pytest.fixture
def agent(tmp_path: Path) -> LaunchAgent:
    return LaunchAgent(agents_dir=tmp_path, argv=ARGV)


def test_launchagent_is_off_without_the_plist(agent: LaunchAgent) -> None:
    assert agent.is_enabled().status is AutostartStatus.OFF


def test_launchagent_enable_writes_a_run_at_load_plist(agent: LaunchAgent, tmp_path: Path) -> None:
    agent.enable()
    assert agent.path == tmp_path / "dev.mt5tray.agent.plist"
    plist = plistlib.loads(agent.path.read_bytes())
    assert plist["Label"] == "dev.mt5tray.agent"
    assert plist["ProgramArguments"] == ARGV
    assert plist["RunAtLoad"] is True
    assert agent.is_enabled().enabled


def test_launchagent_disable_removes_the_plist_twice_safely(agent: LaunchAgent) -> None:
    agent.enable()
    agent.disable()
    agent.disable()
    assert agent.is_enabled().status is AutostartStatus.OFF


def test_launchagent_disabled_key_reads_as_disabled_by_user(agent: LaunchAgent) -> None:
    agent.enable()
    plist = plistlib.loads(agent.path.read_bytes())
    agent.path.write_bytes(plistlib.dumps({**plist, "Disabled": True}))
    assert agent.is_enabled().status is AutostartStatus.DISABLED_BY_USER


def test_launchagent_unreadable_plist_reads_as_off(agent: LaunchAgent) -> None:
    agent.path.write_bytes(b"not a plist")
    state = agent.is_enabled()
    assert state.status is AutostartStatus.OFF
    assert "cannot be read" in state.explanation
