"""Command line: ``alprd run|check-config|models|eval|service``. ``main`` returns the exit code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alprd import __version__
from alprd.config import DEFAULT_CONFIG_PATH, load_config
from alprd.errors import EXIT_CONFIG, AlprdError, ConfigError


def _add_config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config",
        "-c",
        type=Path,
        default=DEFAULT_CONFIG_PATH,
        help=f"main YAML config (default: {DEFAULT_CONFIG_PATH})",
    )


DAEMON_COMMANDS = ("run", "check-config")


def build_parser(*, with_ops: bool = True) -> argparse.ArgumentParser:
    """The whole CLI; ``with_ops=False`` leaves out ``models``, ``eval``, ``service`` and ``eval-video`` so the daemon's
    commands never import ``alprd.ops``."""
    parser = argparse.ArgumentParser(prog="alprd", description="Edge licence plate recognition daemon.")
    parser.add_argument("--version", action="version", version=f"alprd {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the daemon (cameras, inference, storage, REST API)")
    _add_config_arg(run)

    check = sub.add_parser("check-config", help="validate the config and exit (78 when invalid)")
    _add_config_arg(check)

    if with_ops:
        from alprd.ops import eval_video, evaluate, modelcmd, service

        modelcmd.add_parser(sub)
        evaluate.add_parser(sub)
        service.add_parser(sub)
        eval_video.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(with_ops=not argv or argv[0] not in DAEMON_COMMANDS).parse_args(argv)
    try:
        if args.command == "check-config":
            config = load_config(args.config)
            print(f"{args.config}: OK ({len(config.cameras)} camera(s))")
            return 0
        if args.command == "run":
            from alprd.daemon import run_daemon

            return run_daemon(load_config(args.config), config_path=args.config)
        return args.func(args)
    except ConfigError as exc:
        print(f"alprd: config error:\n{exc}", file=sys.stderr)
        return EXIT_CONFIG
    except AlprdError as exc:
        print(f"alprd: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
