"""``alprd models fetch|export|quantize`` (implemented with the inference stage)."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="fetch, export and quantize models")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    print("alprd models: not implemented yet")
    return 2
