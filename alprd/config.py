"""Configuration: YAML files validated into typed, immutable pydantic objects.

The main file (default ``config/alprd.yaml``) holds ``server``, ``storage``,
``inference``, ``regions``, ``lists`` and optionally a ``cameras:`` map; each
``*.yaml`` file under ``cameras_dir`` adds one camera (its id is the file stem).
Any error is raised as :class:`ConfigError` naming the file, line and field.
Relative paths are resolved against the directory of the main config file.
A camera's settings are :class:`~alprd.config_camera.CameraConfig` (re-exported here).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, TypeAdapter, ValidationError, field_validator, model_validator

from alprd.config_actions import ActionRule
from alprd.config_camera import CameraConfig, CameraId, StrictModel  # noqa: F401 (CameraConfig: re-exported)
from alprd.config_ocr import (  # noqa: F401 (re-exported)
    GeminiConfig,
    OcrConfig,
    PlateOcrConfig,
    PpOcrConfig,
    SecondOpinionConfig,
    TextPlatesConfig,
    ocr_config,
    ocr_config_as,
)
from alprd.config_storage import StorageConfig  # noqa: F401 (re-exported)
from alprd.config_yaml import format_errors, read_yaml
from alprd.domain.packs import NO_PACK, check_pack_codes
from alprd.errors import ConfigError

DEFAULT_CONFIG_PATH = Path("config/alprd.yaml")


class _Strict(StrictModel):
    pass


class ServerConfig(_Strict):
    host: str = Field("0.0.0.0", description="Address the REST API binds to.")
    port: int = Field(8000, ge=1, le=65535, description="TCP port of the REST API.")
    cors_origins: tuple[str, ...] = Field(
        ("*",),
        description="Dashboard origins (scheme://host[:port]) that may read through CORS ('*': any) and, "
        "when listed by name, write; writes from any other page are refused.",
    )
    api_key: str | None = Field(
        None,
        min_length=8,
        description="When set, mutating routes need header 'X-API-Key'. "
        "The environment variable ALPRD_API_KEY overrides it.",
    )
    read_key: str | None = Field(
        None,
        min_length=8,
        description="When set, GETs of data need header 'X-API-Key' with this key (or api_key); "
        "the root, docs and /static stay open. ALPRD_READ_KEY overrides it.",
    )
    max_upload_mb: float = Field(20.0, gt=0, le=200, description="Largest accepted upload.")
    body_timeout_s: float = Field(60.0, gt=0, le=3600, description="A request body not received by then gets 408.")
    idle_timeout_s: float = Field(
        15.0, gt=0, le=3600, description="A connection that sends no complete request headers this long is closed."
    )
    max_connections: int = Field(
        256,
        ge=8,
        le=60_000,
        description="Open API connections at most: at the cap a new one replaces the longest-idle one "
        "(no request yet, or between keep-alive requests), or gets 503 when all are in requests.",
    )
    static_dir: Path = Field(Path("static"), description="Folder served under /static.")


class PlateDetectorConfig(_Strict):
    model: Path = Field(Path("plate-detector/plate-yolov8n.xml"), description="OpenVINO IR or ONNX (in models_dir).")
    input_size: int = Field(640, ge=160, le=1280, multiple_of=32, description="Square model input.")
    confidence: float = Field(0.25, gt=0, lt=1, description="Minimum plate confidence.")
    iou: float = Field(0.45, gt=0, lt=1, description="NMS IoU threshold.")


class _VehicleDetectorBase(_Strict):
    enabled: bool = Field(True, description="Run the vehicle stage when its model exists.")
    confidence: float = Field(0.5, gt=0, lt=1, description="Minimum vehicle confidence.")


class SsdVehicleDetectorConfig(_VehicleDetectorBase):
    type: Literal["ssd"] = Field("ssd", description="Intel vehicle-detection-0200 with a vehicle type classifier.")
    model: Path = Field(
        Path("vehicle/vehicle-detection-0200.xml"),
        description="Vehicle detector model (OpenVINO IR, in models_dir; 'alprd models fetch').",
    )
    classifier: Path | None = Field(
        Path("vehicle-type/vehicle-type-head.npz"),
        description="Vehicle type classifier: alprd's head (.npz, on the plate detector's backbone) "
        "or Intel's vehicle/vehicle-attributes-recognition-barrier-0039.xml; null: labels 'vehicle'. "
        "Accuracy of each: docs/accuracy.md.",
    )
    type_min_confidence: float = Field(
        0.5, ge=0, le=1, description="Below this the classifier's type is dropped ('vehicle')."
    )


class YoloVehicleDetectorConfig(_VehicleDetectorBase):
    type: Literal["yolo"] = Field(description="A COCO YOLO IR (e.g. yolo11n): car/motorcycle/bus/truck classes.")
    model: Path = Field(description="The YOLO model (OpenVINO IR, in models_dir).")
    input_size: int = Field(640, ge=160, le=1280, multiple_of=32, description="Square model input.")


def _vehicle_detector_type(value: Any) -> str:
    """The plugin a vehicle_detector section names; 'ssd' when it names none."""
    found = value.get("type", "ssd") if isinstance(value, dict) else getattr(value, "type", "ssd")
    return str(found)


# A plugin per detector type, picked by its ``type`` field (as Frigate's detectors are).
VehicleDetectorConfig = Annotated[
    Annotated[SsdVehicleDetectorConfig, Tag("ssd")] | Annotated[YoloVehicleDetectorConfig, Tag("yolo")],
    Discriminator(_vehicle_detector_type),
]


class InferenceConfig(_Strict):
    device: Literal["AUTO", "CPU", "GPU"] = Field("AUTO", description="OpenVINO device.")
    models_dir: Path = Field(
        Path("../models"),
        description="Folder of model files ('alprd models fetch' fills it); relative model paths "
        "below are inside it. Default: the repository's models/ seen from config/.",
    )
    plate_detector: PlateDetectorConfig = PlateDetectorConfig()
    vehicle_detector: VehicleDetectorConfig = SsdVehicleDetectorConfig()
    ocr: OcrConfig = PlateOcrConfig()
    text_plates: TextPlatesConfig = TextPlatesConfig()
    workers: int = Field(2, ge=1, le=16, description="Parallel inference requests.")
    performance: Literal["auto", "latency", "throughput"] = Field(
        "auto",
        description="OpenVINO's hint: 'latency' (each inference on every core), 'throughput' (one per "
        "core, several at once: more fps from several cameras); 'auto': throughput for 2+ cameras.",
    )


PackCode = Annotated[str, Field(pattern=r"^[a-z]{2,8}$")]


class RegionsConfig(_Strict):
    pack: PackCode = Field(
        "id",
        description="Country pack (alprd/data/packs), or 'none': no re-ranking, no regions; the same as packs: [CODE].",
    )
    packs: tuple[PackCode, ...] | None = Field(
        None,
        description="Several country packs, ranked in this order (a read that fits an earlier "
        "pack's format ranks above one that fits a later pack's); []: none. Replaces pack.",
    )

    @field_validator("pack")
    @classmethod
    def _known_pack(cls, v: str) -> str:
        if v != NO_PACK:
            _check_packs((v,))
        return v

    @field_validator("packs")
    @classmethod
    def _known_packs(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if v is not None:
            if NO_PACK in v:
                raise ValueError(f"'{NO_PACK}' is not a pack: write packs: [] (or pack: {NO_PACK})")
            _check_packs(v)
        return v

    @model_validator(mode="after")
    def _pack_or_packs(self) -> RegionsConfig:
        if self.packs is not None and "pack" in self.model_fields_set:
            raise ValueError("set regions.pack or regions.packs, not both")
        return self

    @property
    def codes(self) -> tuple[str, ...]:
        """The packs in rank order; () for none."""
        if self.packs is not None:
            return self.packs
        return () if self.pack == NO_PACK else (self.pack,)


def _check_packs(codes: tuple[str, ...]) -> None:
    try:
        check_pack_codes(codes)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None


class ListsConfig(_Strict):
    max_confusions: int = Field(
        1, ge=0, le=3, description="OCR confusions (O/0, B/8, ...) tolerated when matching lists."
    )
    refresh_s: float = Field(
        30.0, ge=1, le=3600, description="The gate re-reads the lists this often (fleet mode: edited elsewhere)."
    )


class WebhookConfig(_Strict):
    url: str = Field(pattern=r"^https?://[^\s]+$", max_length=2000, description="Receiver: each event is POSTed here.")
    name: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Name in GET /api/webhooks and the outbox (default: url)."
    )
    events: tuple[Literal["preview", "detection"], ...] = Field(
        ("detection",), min_length=1, description="detection (stored, from the outbox), preview (best-effort)."
    )
    secret: str = Field(min_length=8, description="HMAC-SHA256 key of the X-Alprd-Signature header.")
    include_image: bool = Field(False, description="Add the plate crop and original image, base64 JPEG.")
    timeout_s: float = Field(10.0, gt=0, le=300, description="A delivery not answered by then failed.")
    retry_initial_s: float = Field(1.0, gt=0, le=3600, description="First back-off after a failure.")
    retry_max_s: float = Field(300.0, gt=0, le=86_400, description="Longest back-off (doubling, with jitter).")

    @property
    def key(self) -> str:
        """The webhook's identity in the outbox and the API."""
        return self.name or self.url


class MqttConfig(_Strict):
    host: str = Field(min_length=1, max_length=255, description="Broker host name or address.")
    port: int = Field(1883, ge=1, le=65535, description="Broker port (8883 is usual with tls).")
    username: str | None = Field(None, max_length=255, description="Login, when the broker asks for one.")
    password: str | None = Field(None, max_length=255, description="Password of username (never logged).")
    topic_prefix: str = Field(
        "alprd", pattern=r"^[A-Za-z0-9_./-]{1,64}$", description="Topics: <prefix>/events, <prefix>/status, ..."
    )
    tls: bool = Field(False, description="TLS to the broker, checked against the system CAs (or tls_ca_file).")
    tls_ca_file: Path | None = Field(None, description="CA (PEM) of a private broker; implies tls.")
    keepalive_s: int = Field(30, ge=5, le=3600, description="MQTT keep-alive: a dead broker is noticed after ~1.5x.")


_CAMERA_ID: TypeAdapter[str] = TypeAdapter(CameraId)


class Config(_Strict):
    server: ServerConfig = ServerConfig()
    storage: StorageConfig = StorageConfig()
    inference: InferenceConfig = InferenceConfig()
    regions: RegionsConfig = RegionsConfig()
    lists: ListsConfig = ListsConfig()
    log_format: Literal["auto", "json", "console"] = Field(
        "auto", description="Log lines: json (journal), console (readable), auto (json unless on a TTY)."
    )
    cameras_dir: Path | None = Field(Path("cameras"), description="One YAML file per camera.")
    cameras: dict[CameraId, CameraConfig] = {}
    webhooks: tuple[WebhookConfig, ...] = Field((), description="Receivers of events (README: Webhooks).")
    mqtt: MqttConfig | None = Field(None, description="Broker of events, Home Assistant discovery (README: MQTT).")
    actions: tuple[ActionRule, ...] = Field((), description="Gate actions: HTTP calls or commands (README: Actions).")
    base_dir: Path = Field(Path("."), exclude=True, description="Directory of the main file.")

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        keys = [w.key for w in self.webhooks]
        if len(set(keys)) != len(keys):
            raise ValueError("two webhooks have the same name (or url): set a distinct name on each")
        names = [a.name for a in self.actions]
        if len(set(names)) != len(names):
            raise ValueError("two actions have the same name: set a distinct name on each")
        return self

    def resolve(self, path: Path) -> Path:
        """A path from the config, made absolute against the config's directory."""
        return path if path.is_absolute() else (self.base_dir / path)

    @property
    def database(self) -> Path | str:
        """The SQLite file (absolute) or the PostgreSQL URL (with its password: never log it)."""
        db = self.storage.database
        return db if isinstance(db, str) else self.resolve(db)

    @property
    def database_file(self) -> Path | None:
        """The SQLite file; None on PostgreSQL."""
        return db if isinstance(db := self.database, Path) else None

    def model_path(self, path: Path) -> Path:
        """A model path from the config: relative ones are inside ``inference.models_dir``."""
        return path if path.is_absolute() else (self.resolve(self.inference.models_dir) / path)

    @property
    def api_key(self) -> str | None:
        return os.environ.get("ALPRD_API_KEY") or self.server.api_key

    @property
    def read_key(self) -> str | None:
        return os.environ.get("ALPRD_READ_KEY") or self.server.read_key


def load_camera(path: Path) -> CameraConfig:
    data, node = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: line 1: a camera file must be a mapping")
    try:
        return CameraConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_errors(exc, path, node)) from exc


def load_config(path: Path | str = DEFAULT_CONFIG_PATH) -> Config:
    """Read and validate the main config and every camera file beside it."""
    path = Path(path)
    data, node = read_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: line 1: the config must be a mapping")
    base_dir = path.resolve().parent
    try:
        config = Config.model_validate({**data, "base_dir": base_dir})
    except ValidationError as exc:
        raise ConfigError(format_errors(exc, path, node)) from exc
    files = _camera_files(config)
    if not files:
        return config
    # With the camera files in, the whole config is validated again, as the main file was.
    try:
        return Config.model_validate({**data, "base_dir": base_dir, "cameras": {**config.cameras, **files}})
    except ValidationError as exc:
        raise ConfigError(format_errors(exc, path, node)) from exc


def _camera_files(config: Config) -> dict[str, CameraConfig]:
    if config.cameras_dir is None:
        return {}
    folder = config.resolve(config.cameras_dir)
    if not folder.is_dir():
        return {}
    cameras = {}
    for file in sorted(folder.glob("*.yaml")):
        try:
            _CAMERA_ID.validate_python(file.stem)
        except ValidationError as exc:
            raise ConfigError(
                f"{file}: line 1: the file name is the camera id: '{file.stem}' must be 1-64 letters, digits, _ or -"
            ) from exc
        if file.stem in config.cameras:
            raise ConfigError(f"{file}: line 1: camera '{file.stem}' is also defined in the main file")
        cameras[file.stem] = load_camera(file)
    return cameras
