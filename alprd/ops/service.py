"""``alprd service install|uninstall``: alprd as a systemd service, in one idempotent step.

``install`` puts in place, under ``--root`` (default ``/``; another root stages the tree,
e.g. for a test or an image build):
- the system user ``alprd`` (a sysusers.d file applied by ``systemd-sysusers``; it is also
  put in the ``video`` and ``render`` groups the unit names, which are created if missing);
- ``/etc/alprd/alprd.yaml`` (paths into ``/var/lib/alprd``) and ``/etc/alprd/cameras/`` with
  an example camera, never overwriting the administrator's files;
- ``/var/lib/alprd`` with the models (the committed ones copied from the installed package,
  the others fetched from their pinned sources unless ``--offline``);
- the unit ``/etc/systemd/system/alprd.service``, whose ExecStart runs this installation's
  ``alprd``; then ``daemon-reload``, ``enable`` and ``restart`` when systemd runs the root.
``uninstall`` stops and removes the unit and the sysusers file; the config and the data
stay unless ``--purge``. The user stays (Debian practice: a system uid is never reused).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath

from alprd.errors import AlprdError
from alprd.ops import model_registry
from alprd.ops.model_fetch import fetch
from alprd.ops.model_registry import Committed

USER = "alprd"
CONFIG_DIR = PurePosixPath("/etc/alprd")
STATE_DIR = PurePosixPath("/var/lib/alprd")
UNIT = PurePosixPath("/etc/systemd/system/alprd.service")
SYSUSERS = PurePosixPath("/etc/sysusers.d/alprd.conf")
TEMPLATE_EXEC = "/opt/alprd/venv/bin/alprd"  # ExecStart's placeholder in alprd/ops/alprd.service

SYSUSERS_TEXT = f"""\
# alprd's system user (written by 'alprd service install'); systemd-sysusers applies it.
u {USER} - "alprd licence plate recognition daemon" {STATE_DIR} /usr/sbin/nologin
# USB cameras (/dev/video*) and an Intel iGPU (/dev/dri/*): the unit's SupplementaryGroups.
m {USER} video
m {USER} render
"""

CONFIG_TEXT = f"""\
# alprd service config (written once by 'alprd service install'; kept on reinstall and
# uninstall). Every field: README "Configuration reference".
# After editing: alprd check-config --config {CONFIG_DIR}/alprd.yaml && systemctl restart alprd
server:
  host: 0.0.0.0
  port: 8000
  # api_key: change-me-please    # or ALPRD_API_KEY; mutating routes then need X-API-Key
  static_dir: {STATE_DIR}/static
storage:
  database: {STATE_DIR}/alprd.db
  outputs_dir: {STATE_DIR}/outputs
  retention_days: 90
inference:
  device: AUTO
  models_dir: {STATE_DIR}/models
regions:
  pack: id
# One YAML file per camera in {CONFIG_DIR}/cameras/ (see gate.yaml.example).
cameras_dir: cameras
"""

CAMERA_EXAMPLE = """\
# A camera: copy to <id>.yaml (letters, digits, _ and -), then 'systemctl reload alprd'.
source: rtsp://user:password@192.0.2.10:554/stream1   # or usb:0, /dev/video0
name: Main gate
location: Main Gate
detect_fps: 5
entry_direction: right     # image motion of an entering vehicle: down, up, left, right
"""


class ServiceError(AlprdError):
    """The service could not be installed or removed (not root, a tool missing, ...)."""


@dataclass(frozen=True, slots=True)
class Target:
    """The filesystem being installed into: ``/`` or a staging root."""

    root: Path

    def path(self, target: PurePosixPath) -> Path:
        return self.root / target.relative_to("/")

    @property
    def live(self) -> bool:
        """The running system (not a staging root): systemctl and useradd act on it."""
        return self.root.resolve() == Path("/")

    @property
    def systemd_running(self) -> bool:
        return self.live and Path("/run/systemd/system").is_dir()


def alprd_executable() -> Path:
    """This installation's ``alprd`` script (beside the interpreter in a virtual environment)."""
    beside = Path(sys.executable).parent / "alprd"  # not resolved: the venv's path, not /usr/bin
    found = beside if beside.is_file() else (Path(w) if (w := shutil.which("alprd")) else None)
    if found is None:
        raise ServiceError("the alprd command is not installed (pip install alprd into a virtual environment)")
    return found.absolute()


def unit_text(executable: Path) -> str:
    template = resources.files("alprd.ops").joinpath("alprd.service").read_text(encoding="utf-8")
    return template.replace(TEMPLATE_EXEC, str(executable))


def _write(path: Path, text: str, mode: int, *, keep: bool = False) -> str:
    """Write ``text`` unless identical (or ``keep`` and the file exists); the action taken."""
    if path.is_file() and (keep or path.read_text(encoding="utf-8") == text):
        return "kept" if keep else "unchanged"
    existed = path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(mode)
    tmp.replace(path)
    return "updated" if existed else "created"


def _ids(target: Target) -> tuple[int, int] | None:
    """uid and gid of the alprd user in the target's /etc/passwd, when we may chown."""
    if os.geteuid() != 0:
        return None
    passwd = target.path(PurePosixPath("/etc/passwd"))
    for line in passwd.read_text(encoding="utf-8").splitlines() if passwd.is_file() else []:
        fields = line.split(":")
        if fields[0] == USER:
            return int(fields[2]), int(fields[3])
    raise ServiceError(f"user {USER} missing from {passwd} after systemd-sysusers")


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ServiceError(f"{' '.join(cmd)} failed: {(proc.stderr or proc.stdout).strip()}")


def _create_user(target: Target, conf: Path) -> None:
    tool = shutil.which("systemd-sysusers")
    if tool:
        _run([tool, *([] if target.live else [f"--root={target.root}"]), str(conf)])
        return
    if not target.live:
        raise ServiceError("systemd-sysusers is needed to create the user under --root (apt-get install systemd)")
    try:  # no systemd tools: the same with shadow's useradd
        import pwd

        pwd.getpwnam(USER)
    except KeyError:
        _run(["useradd", "--system", "--home-dir", str(STATE_DIR), "--shell", "/usr/sbin/nologin", "-U", USER])
    for group in ("video", "render"):
        _run(["groupadd", "-f", "--system", group])
        _run(["usermod", "-a", "-G", group, USER])


def _dir(path: Path, mode: int, owner: tuple[int, int] | None) -> None:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(mode)
    if owner is not None:
        os.chown(path, *owner)


def _fetch_models(models_dir: Path, offline: bool, mirror: Path | None) -> list[str]:
    lines = []
    for source in (s for s in model_registry.SOURCES if s.default):
        committed = all(isinstance(item, Committed) for item in source.files)
        if offline and not committed:
            lines.append(
                f"model {source.name}: skipped (--offline; later: alprd models fetch --models-dir {models_dir})"
            )
            continue
        try:
            hows = {r.how for r in fetch(source, models_dir, mirror=mirror)}
            lines.append(f"model {source.name}: {', '.join(sorted(hows))}")
        except AlprdError as exc:
            if committed:
                raise
            lines.append(f"model {source.name}: NOT fetched ({exc}); the daemon runs without it")
    return lines


def install(root: Path = Path("/"), *, offline: bool = False, models_mirror: Path | None = None) -> list[str]:
    """Install (or bring up to date) the service under ``root``; one line per action."""
    target = Target(root)
    if target.live and os.geteuid() != 0:
        raise ServiceError("installing the service needs root (sudo alprd service install)")
    unit = unit_text(alprd_executable())
    report = [f"{SYSUSERS}: {_write(target.path(SYSUSERS), SYSUSERS_TEXT, 0o644)}"]
    _create_user(target, target.path(SYSUSERS))
    owner = _ids(target)
    root_group = (0, owner[1]) if owner else None
    config_dir, state_dir = target.path(CONFIG_DIR), target.path(STATE_DIR)
    _dir(config_dir, 0o750, root_group)
    _dir(config_dir / "cameras", 0o750, root_group)
    for path, text in (
        (config_dir / "alprd.yaml", CONFIG_TEXT),
        (config_dir / "cameras" / "gate.yaml.example", CAMERA_EXAMPLE),
    ):
        report.append(f"{CONFIG_DIR / path.relative_to(config_dir)}: {_write(path, text, 0o640, keep=True)}")
        if root_group:
            os.chown(path, *root_group)
    for sub in ("", "models", "outputs", "static"):
        _dir(state_dir / sub if sub else state_dir, 0o750, owner)
    report += _fetch_models(state_dir / "models", offline, models_mirror)
    if owner:
        for path in (state_dir / "models").rglob("*"):
            os.chown(path, *owner)
    report.append(f"{UNIT}: {_write(target.path(UNIT), unit, 0o644)}")
    if target.systemd_running:
        for cmd in (["daemon-reload"], ["enable", "alprd"], ["restart", "alprd"]):
            _run(["systemctl", *cmd])
        report.append("systemctl daemon-reload, enable, restart alprd: done")
    else:
        report.append("systemd is not running this root: daemon-reload/enable skipped")
    return report


def uninstall(root: Path = Path("/"), *, purge: bool = False) -> list[str]:
    """Stop and remove the unit; ``purge`` also deletes the config and the data."""
    target = Target(root)
    if target.live and os.geteuid() != 0:
        raise ServiceError("removing the service needs root (sudo alprd service uninstall)")
    report = []
    if target.systemd_running and target.path(UNIT).is_file():
        _run(["systemctl", "disable", "--now", "alprd"])
        report.append("systemctl disable --now alprd: done")
    for path in (UNIT, SYSUSERS):
        present = target.path(path).is_file()
        target.path(path).unlink(missing_ok=True)
        report.append(f"{path}: {'removed' if present else 'absent'}")
    if target.systemd_running:
        _run(["systemctl", "daemon-reload"])
    for path in (CONFIG_DIR, STATE_DIR):
        if purge:
            shutil.rmtree(target.path(path), ignore_errors=True)
            report.append(f"{path}: removed (--purge)")
        elif target.path(path).exists():
            report.append(f"{path}: kept (--purge removes it)")
    report.append(f"user {USER}: kept")
    return report


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("service", help="install or remove alprd as a systemd service")
    p.set_defaults(func=main)
    cmds = p.add_subparsers(dest="service_command", required=True)
    i = cmds.add_parser("install", help="user, /etc/alprd, /var/lib/alprd, models, unit (idempotent)")
    i.add_argument("--root", type=Path, default=Path("/"), help="install into this root (default: /)")
    i.add_argument("--offline", action="store_true", help="only the models the package carries")
    i.add_argument("--models-mirror", type=Path, help="folder with copies of publisher model files")
    u = cmds.add_parser("uninstall", help="stop and remove the unit; keeps config and data")
    u.add_argument("--root", type=Path, default=Path("/"), help="the root it was installed into")
    u.add_argument("--purge", action="store_true", help="also delete /etc/alprd and /var/lib/alprd")


def main(args: argparse.Namespace) -> int:
    if args.service_command == "install":
        lines = install(args.root, offline=args.offline, models_mirror=args.models_mirror)
    else:
        lines = uninstall(args.root, purge=args.purge)
    print("\n".join(lines))
    return 0
