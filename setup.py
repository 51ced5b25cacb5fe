"""Build script. The metadata lives in setup.cfg; this adds the committed models
(models/, see models/README.md) to the wheel as the package ``alprd.bundled_models``, so a
non-editable install carries them and ``alprd models fetch`` copies them into any
models folder (sha256-checked)."""

from setuptools import find_packages, setup

MODEL_FILES = [
    "README.md",
    "plate-detector/*.xml",
    "plate-detector/*.bin",
    "plate-ocr/README.md",
    "plate-ocr/*.xml",
    "plate-ocr/*.bin",
    "plate-ocr/*.json",
    "vehicle-type/*.npz",
]

setup(
    packages=[*find_packages(include=["alprd", "alprd.*"]), "alprd.bundled_models"],
    package_dir={"alprd.bundled_models": "models"},
    package_data={
        "alprd": ["data/*", "data/*/*", "data/*/*/*", "web/dashboard/*"],
        "alprd.ops": ["data/*", "*.service"],
        "alprd.bundled_models": MODEL_FILES,
    },
)
