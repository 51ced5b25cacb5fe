"""``alprd models list|fetch|export|quantize``: model files in place, converted, quantized."""

from __future__ import annotations

import argparse
from pathlib import Path

from alprd.config import DEFAULT_CONFIG_PATH, Config, load_config
from alprd.ops import model_registry
from alprd.ops.model_fetch import fetch, file_digest, status


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list, fetch, export and quantize models")
    p.add_argument(
        "--config",
        "-c",
        type=Path,
        default=DEFAULT_CONFIG_PATH,
        help=f"main YAML config, for inference.models_dir (default: {DEFAULT_CONFIG_PATH})",
    )
    p.add_argument("--models-dir", type=Path, help="override inference.models_dir")
    p.set_defaults(func=main, models_command=None)
    cmds = p.add_subparsers(dest="models_command", required=True)

    cmds.add_parser("list", help="registered models, where they go, whether they are in place")

    f = cmds.add_parser("fetch", help="put models in place from pinned sources (sha-checked)")
    f.add_argument("names", nargs="*", help="models to fetch (default: the default set)")
    f.add_argument("--all", action="store_true", help="every registered model")
    f.add_argument("--mirror", type=Path, help="folder with copies of publisher files (offline)")
    f.add_argument("--base-url", help="download publisher files from this folder URL instead")

    e = cmds.add_parser("export", help=".pt/.onnx -> OpenVINO IR (FP16 by default)")
    e.add_argument("source", type=Path)
    e.add_argument("--out", type=Path, required=True, help="output .xml")
    e.add_argument("--imgsz", type=int, default=640, help="square input size")
    e.add_argument("--fp32", action="store_true", help="keep FP32 weights")

    q = cmds.add_parser("quantize", help="IR -> INT8 IR with NNCF on calibration images")
    q.add_argument("source", type=Path, help="FP32 (best: export --fp32) or FP16 IR (.xml)")
    q.add_argument("--images", type=Path, required=True, help="folder of calibration images")
    q.add_argument("--out", type=Path, required=True, help="output .xml")
    q.add_argument("--subset", type=int, default=300, help="number of calibration images")
    q.add_argument(
        "--preset",
        choices=("performance", "mixed"),
        default="performance",
        help="NNCF preset: performance = symmetric activations (fast on CPU), "
        "mixed = asymmetric (zero point; slower on AMX CPUs)",
    )


def _models_dir(args: argparse.Namespace) -> Path:
    if args.models_dir is not None:
        return args.models_dir
    config = load_config(args.config) if args.config.is_file() else Config(base_dir=Path("config").resolve())
    return config.resolve(config.inference.models_dir).resolve()


def _list(models_dir: Path) -> int:
    print(f"models dir: {models_dir}")
    for source in model_registry.SOURCES:
        mark = "*" if source.default else " "
        print(f"{mark} {source.name:46} {status(source, models_dir):8} {source.licence}")
        print(f"    {source.what}")
    print("* = fetched by a plain 'alprd models fetch'")
    return 0


def _fetch(args: argparse.Namespace, models_dir: Path) -> int:
    if args.all:
        sources = list(model_registry.SOURCES)
    elif args.names:
        try:
            sources = [model_registry.find(n) for n in args.names]
        except KeyError as exc:
            known = ", ".join(s.name for s in model_registry.SOURCES)
            print(f"alprd models fetch: unknown model {exc}; known: {known}")
            return 2
    else:
        sources = [s for s in model_registry.SOURCES if s.default]
    for source in sources:
        for result in fetch(source, models_dir, mirror=args.mirror, base_url=args.base_url):
            print(f"{source.name}: {result.dest} ({result.how})")
    return 0


def main(args: argparse.Namespace) -> int:
    from alprd.ops import model_export

    models_dir = _models_dir(args)
    if args.models_command == "list":
        return _list(models_dir)
    if args.models_command == "fetch":
        return _fetch(args, models_dir)
    if args.models_command == "export":
        out = model_export.export_ir(args.source, args.out, args.imgsz, fp16=not args.fp32)
    else:
        out = model_export.quantize_ir(args.source, args.images, args.out, subset_size=args.subset, preset=args.preset)
    for path in (out, out.with_suffix(".bin")):
        print(f"{path}  sha256 {file_digest(path)}")
    return 0
