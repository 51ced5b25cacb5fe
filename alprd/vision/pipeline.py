"""One image -> every vehicle and plate in it, read: the path of a still image or a frame.

vehicles -> plates -> crops (small margin) -> OCR batch -> re-rank by the country packs
-> optional plates found as text where the detector found none (``text_plates.py``)
-> optional cloud verification of unsure reads -> region, plate type, colours -> each
plate tied to the vehicle box holding it -> :class:`~alprd.domain.messages.PlateRead`.
``ImagePipeline.read_image`` blocks and is thread-safe (the models are, and the
pipeline keeps no state between calls); the web handler and the camera workers share
one instance. The steps are pure functions, tested on their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from alprd.config import PlateOcrConfig, ocr_config_as
from alprd.domain.messages import Box, Detection, ImageResult, OcrResult, PlateRead
from alprd.domain.packs import Packs, load_packs, plate_facts
from alprd.errors import ModelError
from alprd.log import get_logger
from alprd.vision import annotate as annotate_mod
from alprd.vision.colors import PlateColors, plate_colors
from alprd.vision.rerank import rerank
from alprd.vision.second_opinion import CALIBRATION_FILE, SecondOpinion, load_calibrations
from alprd.vision.text_plates import BOX_VARIANTS, TextLineDetector, box_variants, text_plate_read_ok
from alprd.vision.views import crop_views, vote

if TYPE_CHECKING:
    import openvino as ov

    from alprd.config import Config
    from alprd.vision.ocr import OcrEngine

log = get_logger(__name__)

CROP_MARGIN_X = 0.02  # of the plate box width, each side
CROP_MARGIN_Y = 0.05  # of the plate box height, each side
MAX_PLATES_PER_IMAGE = 16


class Detector(Protocol):
    def detect(self, image: np.ndarray) -> list[Detection]: ...


# (plate crop, local read) -> a verified read (or the local one, unchanged).
Verifier = Callable[[np.ndarray, OcrResult], OcrResult]
Reranker = Callable[[OcrResult, Packs], OcrResult]


def crop_box(
    image: np.ndarray, box: Box, margin_x: float = CROP_MARGIN_X, margin_y: float = CROP_MARGIN_Y
) -> np.ndarray:
    """The box's pixels plus a margin, clipped to the image (may be empty)."""
    h, w = image.shape[:2]
    dx, dy = box.width * margin_x, box.height * margin_y
    x1, y1 = max(0, int(box.x1 - dx)), max(0, int(box.y1 - dy))
    x2, y2 = min(w, int(round(box.x2 + dx))), min(h, int(round(box.y2 + dy)))
    return image[y1:y2, x1:x2]


def vehicle_for(plate: Box, vehicles: Sequence[Detection]) -> Detection | None:
    """The vehicle whose box holds the plate's centre; the smallest such box wins."""
    cx, cy = plate.center
    holding = [v for v in vehicles if v.box.contains_point(cx, cy)]
    return min(holding, key=lambda v: v.box.area) if holding else None


def plate_read(
    plate: Detection, ocr: OcrResult, vehicle: Detection | None, packs: Packs, colors: PlateColors
) -> PlateRead:
    """Assemble a read with the region and plate type of the pack its text fits."""
    facts = plate_facts(packs, ocr.text, colors.background)
    return PlateRead(
        plate=plate,
        ocr=ocr,
        vehicle=vehicle,
        region_code=facts.region_code,
        region_name=facts.region_name,
        plate_type=facts.plate_type,
        text_color=colors.text,
        background_color=colors.background,
    )


def keep_read(ocr: OcrResult, min_confidence: float) -> bool:
    return bool(ocr.text) and ocr.confidence >= min_confidence


class _Timer:
    """Collects (stage, ms) in order; local to one call."""

    def __init__(self) -> None:
        self.stages: list[tuple[str, float]] = []
        self._t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages.append((stage, round((now - self._t) * 1000.0, 2)))
        self._t = now


WARM_UP_PX = 320
NO_COLORS = PlateColors("", "")


@dataclass(frozen=True, slots=True)
class PipelineOutput:
    result: ImageResult
    plates: tuple[Detection, ...]  # every plate detection, also those whose read was dropped


@dataclass(frozen=True)
class ImagePipeline:
    plates: Detector
    ocr: OcrEngine
    vehicles: Detector | None = None
    packs: Packs = Packs()
    rerank: Reranker | None = None
    verifier: Verifier | None = None
    verify_below: float = 0.0
    min_confidence: float = 0.3
    second_opinion: SecondOpinion | None = None
    views: bool = False  # read a tighter and a looser copy of each crop too, keep the voted text
    text_plates: TextLineDetector | None = None  # plates found as text where the detector finds none

    @classmethod
    def from_config(cls, config: Config, core: ov.Core) -> ImagePipeline:
        """Load every model the config names; a missing plate or OCR model raises ModelError."""
        from alprd.vision.plate_detector import PlateDetector
        from alprd.vision.vehicle_detector import VehicleDetector

        inference = config.inference
        ocr_cfg = inference.ocr
        pipeline = cls(
            plates=PlateDetector.from_config(config, core),
            ocr=load_ocr(config, core),
            vehicles=VehicleDetector.from_config(config, core),
            packs=load_packs(config.regions.codes),
            rerank=rerank,
            verifier=_load_verifier(config),
            verify_below=ocr_cfg.gemini.verify_below,
            min_confidence=ocr_cfg.min_confidence,
            second_opinion=_load_second_opinion(config, core),
            views=getattr(ocr_cfg, "views", 1) > 1,
            text_plates=TextLineDetector.from_config(config, core),
        )
        log.info(
            "inference.pipeline_ready",
            ocr=pipeline.ocr.name,
            vehicles=pipeline.vehicles is not None,
            packs=",".join(config.regions.codes) or "none",
            verifier=pipeline.verifier is not None,
            second_opinion=pipeline.second_opinion.engine.name if pipeline.second_opinion else "none",
            views=3 if pipeline.views else 1,
            text_plates=pipeline.text_plates is not None,
        )
        return pipeline

    @property
    def algorithm(self) -> str:
        """The plate detector that runs ("YOLOv8n (OpenVINO)"), as the API reports it."""
        return getattr(self.plates, "algorithm", type(self.plates).__name__)

    def warm_up(self) -> None:
        """One inference through every model, before cameras and the API share them.

        The first inferences of two threads at once can deadlock inside OpenVINO's Python
        binding (about one start in 50-100 hung for good); one warm-up inference first made
        150 restarts in a row come up clean (issue 15).
        """
        image = np.full((WARM_UP_PX, WARM_UP_PX, 3), 127, np.uint8)
        if self.vehicles is not None:
            self.vehicles.detect(image)
        self.plates.detect(image)
        self.ocr.read_batch([image[:48, :160]])
        if self.second_opinion is not None:
            self.second_opinion.engine.read_batch([image[:48, :160]])
        if self.text_plates is not None:
            self.text_plates.lines(image)

    def read_image(self, image: np.ndarray) -> ImageResult:
        """Every vehicle and read plate of one BGR image, with per-stage timings."""
        return self.run(image).result

    def read_regions(self, image: np.ndarray, regions: Sequence[Box]) -> ImageResult:
        """``read_image`` with plates looked for only inside ``regions`` (frame pixels: where
        something moves); the whole frame when the plate detector cannot look at regions."""
        return self.run(image, regions).result

    def read_without_details(self, image: np.ndarray, regions: Sequence[Box] | None) -> ImageResult:
        """``read_regions`` (``read_image`` for regions None) with the plate colours left
        empty and the vehicles looked for only when no plate was read (a vehicle whose plate
        is not read yet still shows): a camera's gate names both once per event
        (``with_details``), not on every frame (together they cost more than the OCR)."""
        return self.run(image, regions, colors=False, vehicles=False).result

    def with_details(self, read: PlateRead, image: np.ndarray) -> PlateRead:
        """``read`` with its plate's colours (and the plate type they give) from ``image``,
        and its vehicle there when the read has none yet."""
        crop = crop_box(image, read.plate.box)
        vehicle = read.vehicle
        if vehicle is None and self.vehicles is not None:
            vehicle = vehicle_for(read.plate.box, self.vehicles.detect(image))
        return plate_read(read.plate, read.ocr, vehicle, self.packs, plate_colors(crop))

    def run(
        self, image: np.ndarray, regions: Sequence[Box] | None = None, colors: bool = True, vehicles: bool = True
    ) -> PipelineOutput:
        """``read_image`` plus what evaluation needs: every plate found, read or not. With
        ``vehicles`` False the vehicle detector runs only when no plate was read."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"expected an HxWx3 uint8 BGR image, got {image.shape} {image.dtype}")
        timer = _Timer()
        found_vehicles = tuple(self.vehicles.detect(image)) if self.vehicles and vehicles else ()
        timer.lap("vehicles")
        found = self._detect_plates(image, regions)
        plates = [p for p in found[:MAX_PLATES_PER_IMAGE] if p.box.area >= 4]
        timer.lap("plates")
        crops = [crop_box(image, p.box) for p in plates]
        engine_reads, results = self.read_engine(crops)
        timer.lap("ocr")
        if self.second_opinion:
            results = self.second_opinion.apply(crops, results, self.packs.matches_format, self._rerank_one)
            timer.lap("second_opinion")
        if self.text_plates is not None and (regions is None or regions):
            for plate, crop, engine_read, read in self._text_plate_reads(image, plates, regions):
                plates.append(plate)
                crops.append(crop)
                engine_reads.append(engine_read)
                results.append(read)
            timer.lap("text_plates")
        if self.verifier:
            results = [self.verifier(c, r) if r.confidence < self.verify_below else r for c, r in zip(crops, results)]
            timer.lap("verify")
        reads = tuple(
            plate_read(p, r, vehicle_for(p.box, found_vehicles), self.packs, plate_colors(c) if colors else NO_COLORS)
            for p, r, c, engine_read in zip(plates, results, crops, engine_reads)
            if self._kept(r, engine_read)
        )
        timer.lap("regions")
        if self.vehicles and not vehicles and not reads:  # a vehicle whose plate is not read yet
            found_vehicles = tuple(self.vehicles.detect(image))
            timer.lap("vehicles_unread")
        height, width = image.shape[:2]
        return PipelineOutput(ImageResult(width, height, found_vehicles, reads, tuple(timer.stages)), tuple(plates))

    def _kept(self, read: OcrResult, engine_read: OcrResult) -> bool:
        """The certainty of the engine whose read is kept decides (before the pack's corrections)."""
        judged = engine_read if read.engine == engine_read.engine else read
        return bool(read.text) and keep_read(judged, self.min_confidence)

    def _text_plate_reads(
        self, image: np.ndarray, found: Sequence[Detection], regions: Sequence[Box] | None = None
    ) -> list[tuple[Detection, np.ndarray, OcrResult, OcrResult]]:
        """The plates found as text where the detector found none, each as (plate, crop,
        engine read, read) of its box variant whose read passes ``text_plate_read_ok``
        (the longest, then the surest). Read by the main engine alone, each variant once:
        most text is no plate, and the variants are views already."""
        assert self.text_plates is not None
        candidates = self.text_plates.new_plates(image, found, regions)[: max(0, MAX_PLATES_PER_IMAGE - len(found))]
        boxes = [b for c in candidates for b in box_variants(c.box)]
        crops = [crop_box(image, b) for b in boxes]
        engine_reads = self.ocr.read_batch(crops) if crops else []
        results = self.reranked(engine_reads)
        chosen, per = [], len(BOX_VARIANTS)
        height, width = image.shape[:2]
        for n, candidate in enumerate(candidates):
            passing = [
                i
                for i in range(n * per, (n + 1) * per)
                if self._kept(results[i], engine_reads[i])
                and text_plate_read_ok(results[i], self._fits_home(results[i].text), self.text_plates.min_confidence)
            ]
            if passing:
                i = max(passing, key=lambda k: (len(results[k].text), results[k].confidence))
                plate = Detection(boxes[i].clipped(width, height), candidate.confidence, candidate.label)
                chosen.append((plate, crops[i], engine_reads[i], results[i]))
        return chosen

    def _fits_home(self, text: str) -> bool:
        """Fits a home format of a pack; without packs nothing does: a text-found box read
        as letters and digits is as often a badge or a sign (``text_plates.py``)."""
        return self.packs.matches_home_format(text)

    def _detect_plates(self, image: np.ndarray, regions: Sequence[Box] | None) -> list[Detection]:
        """The plates in the regions (none for no region), or in the whole frame (regions None,
        or a detector that cannot look at regions: ``PlateDetector.detect_regions``)."""
        detect_regions = getattr(self.plates, "detect_regions", None)
        if regions is None or detect_regions is None:
            return self.plates.detect(image)
        return list(detect_regions(image, regions)) if regions else []

    def read_crops(self, crops: Sequence[np.ndarray]) -> list[OcrResult]:
        """OCR, re-ranking and second opinion of plate crops (no verification, nothing dropped)."""
        results = self.read_engine(crops)[1]
        if self.second_opinion and crops:
            results = self.second_opinion.apply(crops, results, self.packs.matches_format, self._rerank_one)
        return results

    def read_engine(self, crops: Sequence[np.ndarray]) -> tuple[list[OcrResult], list[OcrResult]]:
        """Per crop, the main engine's read and the same re-ranked by the packs; with
        ``views``, of the crop's view whose re-ranked text won the vote (``views.py``)."""
        if not crops:
            return [], []
        if not self.views:
            engine_reads = self.ocr.read_batch(crops)
            return engine_reads, self.reranked(engine_reads)
        per_crop = [crop_views(c) for c in crops]
        flat = self.ocr.read_batch([v for views in per_crop for v in views])
        ranked = self.reranked(flat)
        engine_reads, results, start = [], [], 0
        for views in per_crop:
            chosen = start + vote(ranked[start : start + len(views)])
            engine_reads.append(flat[chosen])
            results.append(ranked[chosen])
            start += len(views)
        return engine_reads, results

    def _rerank_one(self, result: OcrResult) -> OcrResult:
        return self.reranked([result])[0]

    def reranked(self, results: Sequence[OcrResult]) -> list[OcrResult]:
        """The engine's reads re-ranked by the country packs (unchanged without one)."""
        if self.rerank and self.packs.packs:
            return [self.rerank(r, self.packs) for r in results]
        return list(results)

    def annotate(self, image: np.ndarray, result: ImageResult) -> np.ndarray:
        return annotate_mod.annotate(image, result)


def load_ocr(config: Config, core: ov.Core) -> OcrEngine:
    """The configured OCR engine; when the plate model is missing and no model path was
    set, the general 'ppocr' engine instead (logged), so a machine without it still reads."""
    from alprd.vision.ocr import make_ocr_engine

    ocr_cfg, device = config.inference.ocr, config.inference.device
    models_dir = config.model_path(Path("."))
    try:
        return make_ocr_engine(ocr_cfg, core, device, models_dir)
    except ModelError as exc:
        if not isinstance(ocr_cfg, PlateOcrConfig) or "model" in ocr_cfg.model_fields_set:
            raise
        log.warning("inference.ocr_fallback", engine="ppocr", reason=str(exc))
        fallback = ocr_config_as(ocr_cfg, "ppocr")
        return make_ocr_engine(fallback, core, device, models_dir)


def _load_verifier(config: Config) -> Verifier | None:
    if not config.inference.ocr.gemini.enabled:
        return None
    from alprd.vision.gemini import GeminiVerifier

    return GeminiVerifier.from_config(config.inference.ocr.gemini)


def _load_second_opinion(config: Config, core: ov.Core) -> SecondOpinion | None:
    """The configured second engine, or None (configured off, the same engine as the main
    one, or its model missing: logged, the pipeline reads with the main engine alone)."""
    from alprd.vision.ocr import make_ocr_engine

    ocr_cfg = config.inference.ocr
    second = ocr_cfg.second_opinion
    if second.engine == "none" or second.engine == ocr_cfg.engine:
        return None
    engine_cfg = ocr_config_as(ocr_cfg, second.engine)
    try:
        engine = make_ocr_engine(engine_cfg, core, config.inference.device, config.model_path(Path(".")))
        main_model = config.model_path(ocr_cfg.model)
        calibrations = load_calibrations(main_model.parent / CALIBRATION_FILE)
    except ModelError as exc:
        log.warning("inference.second_opinion_unavailable", engine=second.engine, error=str(exc))
        return None
    return SecondOpinion(engine, below=second.below, calibrations=calibrations)
