"""Old import paths that ``training/`` still uses, aliased to the modules' new homes.

The layout move (issue 16) left ``training/`` alone while the lead trains in it; its scripts
import ``alprd.packs`` and ``alprd.inference.*``. This finder maps exactly those names to the
new modules (the same module objects, so classes compare equal). Delete this file, and its
import in ``alprd/__init__.py``, once ``training/`` imports the new paths.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types

MOVED = {
    "alprd.packs": "alprd.domain.packs",
    "alprd.inference.eval_metrics": "alprd.ops.eval_metrics",
    "alprd.inference.ocr": "alprd.vision.ocr",
    "alprd.inference.ocr_plate": "alprd.vision.ocr_plate",
    "alprd.inference.ocr_ppocr": "alprd.vision.ocr_ppocr",
    "alprd.inference.rerank": "alprd.vision.rerank",
}
_OLD_PACKAGE = "alprd.inference"


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname in MOVED or fullname == _OLD_PACKAGE:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=fullname == _OLD_PACKAGE)
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        if spec.name == _OLD_PACKAGE:
            module = types.ModuleType(spec.name, "Old name kept for training/ (see alprd._moved).")
            module.__path__ = []
            return module
        return importlib.import_module(MOVED[spec.name])

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def install() -> None:
    if not any(isinstance(f, _Alias) for f in sys.meta_path):
        sys.meta_path.append(_Alias())
