"""``alprd eval DIR`` (implemented with the inference stage)."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="measure detection and reading accuracy on a labelled folder")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    print("alprd eval: not implemented yet")
    return 2
