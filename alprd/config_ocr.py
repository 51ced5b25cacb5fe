"""The OCR part of the configuration: ``inference.ocr`` (engine, second opinion, Gemini)
and ``inference.text_plates`` (plates found as text). Re-exported by :mod:`alprd.config`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, TypeAdapter

from alprd.config_camera import StrictModel as _Strict


class GeminiConfig(_Strict):
    enabled: bool = Field(False, description="Verify low-confidence reads with Google Gemini.")
    api_key_env: str = Field("GEMINI_API_KEY", description="Environment variable holding the key.")
    model: str = Field("gemini-2.5-flash", description="Gemini model name.")
    base_url: str | None = Field(None, description="Override of the API endpoint (tests).")
    timeout_s: float = Field(5.0, gt=0, le=60, description="Give up and keep the local read.")
    verify_below: float = Field(0.8, gt=0, le=1, description="Ask Gemini below this confidence.")


class SecondOpinionConfig(_Strict):
    engine: Literal["ppocr", "none"] = Field(
        "ppocr",
        description="Engine that reads again what the main engine is unsure of (or what fits no pack format); "
        "'none': no second read. Skipped, with a warning, when its model is not in place.",
    )
    below: float = Field(0.9, gt=0, le=1, description="A main-engine read below this confidence gets a second opinion.")


class _OcrBase(_Strict):
    min_confidence: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Reads the OCR engine is less sure of are dropped (judged before the country pack's corrections).",
    )
    second_opinion: SecondOpinionConfig = SecondOpinionConfig()
    gemini: GeminiConfig = GeminiConfig()


class PlateOcrConfig(_OcrBase):
    engine: Literal["plate"] = Field("plate", description="alprd's own plate OCR model.")
    model: Path = Field(Path("plate-ocr/plate_ocr.xml"), description="Model file (in models_dir).")
    views: Literal[1, 3] = Field(
        3, description="3: also read a tighter and a looser copy of each crop, keep the voted text; 1: the crop alone."
    )


class PpOcrConfig(_OcrBase):
    engine: Literal["ppocr"] = Field(description="General PP-OCR text recognition.")
    model: Path = Field(Path("ppocr/ch_PP-OCRv4_rec_infer.onnx"), description="Model file (in models_dir).")


def _ocr_engine(value: Any) -> str:
    """The engine an ocr section names; 'plate' when it names none."""
    found = value.get("engine", "plate") if isinstance(value, dict) else getattr(value, "engine", "plate")
    return str(found)


# An OCR engine per ``engine`` value, each with its own default model.
OcrConfig = Annotated[
    Annotated[PlateOcrConfig, Tag("plate")] | Annotated[PpOcrConfig, Tag("ppocr")],
    Discriminator(_ocr_engine),
]
_OCR_CONFIG: TypeAdapter[PlateOcrConfig | PpOcrConfig] = TypeAdapter(OcrConfig)


def ocr_config(**fields: Any) -> PlateOcrConfig | PpOcrConfig:
    """An OCR section from field values, e.g. ``ocr_config(engine="ppocr")``; a bad one raises."""
    return _OCR_CONFIG.validate_python(fields)


def ocr_config_as(base: PlateOcrConfig | PpOcrConfig, engine: str) -> PlateOcrConfig | PpOcrConfig:
    """``base``'s common settings under another engine, with that engine's own model and options."""
    return ocr_config(**base.model_dump(include=set(_OcrBase.model_fields)), engine=engine)


class TextPlatesConfig(_Strict):
    enabled: bool = Field(
        False,
        description="Also look for plates as text (PP-OCR's text detector) where the plate detector finds "
        "none: motorcycle and dark plates it is blind to. A plate found this way is kept only when its read "
        "fits a home format of a configured pack (never with regions.pack: none). Costs about 3x the "
        "pipeline's time per image (docs/benchmarks.md).",
    )
    model: Path = Field(Path("ppocr/ch_PP-OCRv4_det_infer.onnx"), description="Model file (in models_dir).")
    input_side: int = Field(
        1280,
        ge=320,
        le=2560,
        multiple_of=32,
        description="The image is scaled (up or down) so that its longer side is this many pixels.",
    )
    min_confidence: float = Field(
        0.8,
        ge=0,
        le=1,
        description="A text-found plate's read must be at least this sure (and fit a home format of a pack).",
    )

    def switched(self, switch: str | None) -> TextPlatesConfig:
        """This section turned "on" or "off" (a command line's override; None: as is)."""
        return self if switch is None else self.model_copy(update={"enabled": switch == "on"})
