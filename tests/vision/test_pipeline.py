"""ImagePipeline: pure steps table-driven, then real OpenVINO models on real photos."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import openvino as ov
import pytest

from alprd.config import Config, InferenceConfig, PlateOcrConfig, PpOcrConfig, ocr_config
from alprd.domain.messages import Box, Detection, OcrResult
from alprd.domain.packs import Packs, load_packs
from alprd.errors import ModelError
from alprd.vision.colors import PlateColors
from alprd.vision.ocr import make_ocr_engine
from alprd.vision.pipeline import ImagePipeline, crop_box, keep_read, load_ocr, plate_read, vehicle_for

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"


@pytest.mark.parametrize(
    ("box", "shape"),
    [
        (Box(100, 50, 200, 70), (20 + 2, 100 + 4)),  # 2 % of width and 5 % of height each side
        (Box(0, 0, 50, 20), (21, 51)),  # clipped at the top-left corner
        (Box(600, 460, 640, 480), (21, 41)),  # and at the bottom-right
    ],
)
def test_crop_box_margin_and_clipping(box: Box, shape: tuple[int, int]) -> None:
    image = np.zeros((480, 640, 3), np.uint8)
    assert crop_box(image, box).shape[:2] == shape


def det(x1: float, y1: float, x2: float, y2: float, label: str = "car", conf: float = 0.9) -> Detection:
    return Detection(Box(x1, y1, x2, y2), conf, label)


def test_vehicle_for_picks_the_smallest_box_holding_the_plate_centre() -> None:
    big, small, far = det(0, 0, 600, 400, "bus"), det(100, 100, 300, 300), det(400, 0, 600, 100, "truck")
    plate = Box(150, 200, 250, 230)
    assert vehicle_for(plate, [big, small, far]) is small
    assert vehicle_for(Box(610, 410, 630, 420), [big, small, far]) is None


def test_plate_read_uses_the_pack() -> None:
    packs = load_packs(["id"])
    read = plate_read(det(1, 1, 9, 5, "plate"), OcrResult("B1234XYZ", 0.9), None, packs, PlateColors("Yellow", "Black"))
    assert (read.region_code, read.region_name, read.plate_type) == ("B", "Jakarta", "Public")
    assert (read.background_color, read.text_color) == ("Yellow", "Black")
    assert read.region_label == "B (Jakarta)"
    bare = plate_read(det(1, 1, 9, 5, "plate"), OcrResult("XY12", 0.9), None, Packs(), PlateColors("", ""))
    assert (bare.region_code, bare.plate_type) == ("", "Regular")


@pytest.mark.parametrize(
    ("text", "region", "plate_type"),
    [
        ("B1234XYZ", "B (Jakarta)", "Public"),  # fits id (listed first): id's tables
        ("59T146685", "59 (Hồ Chí Minh)", "Commercial"),  # fits vn only: vn's tables
    ],
)
def test_plate_read_uses_the_pack_the_text_fits(text: str, region: str, plate_type: str) -> None:
    packs = load_packs(["id", "vn"])
    read = plate_read(det(1, 1, 9, 5, "plate"), OcrResult(text, 0.9), None, packs, PlateColors("Yellow", "Black"))
    assert (read.region_label, read.plate_type) == (region, plate_type)


@pytest.mark.parametrize(
    ("text", "conf", "keep"),
    [
        ("B1234XY", 0.5, True),
        ("B1234XY", 0.29, False),
        ("", 0.99, False),
    ],
)
def test_keep_read(text: str, conf: float, keep: bool) -> None:
    assert keep_read(OcrResult(text, conf), 0.3) is keep


class Fixed:
    """A detector that always finds the same boxes (to test the steps after detection)."""

    def __init__(self, *found: Detection) -> None:
        self.found = list(found)

    def detect(self, image: np.ndarray) -> list[Detection]:
        return list(self.found)


def scene() -> tuple[np.ndarray, Box]:
    image = np.full((480, 640, 3), 90, np.uint8)
    plate = np.full((70, 300, 3), (20, 210, 235), np.uint8)  # yellow plate, black text
    cv2.putText(plate, "B 1234 XY", (14, 52), cv2.FONT_HERSHEY_DUPLEX, 1.5, (0, 0, 0), 4, cv2.LINE_AA)
    image[300:370, 170:470] = plate
    return image, Box(170, 300, 470, 370)


@pytest.fixture(scope="module")
def ppocr():
    return make_ocr_engine(PpOcrConfig(engine="ppocr"), ov.Core(), "CPU", MODELS_DIR)


def test_steps_after_detection_with_real_ocr(ppocr) -> None:
    image, box = scene()
    car, other = det(100, 100, 540, 470), det(0, 0, 90, 90, "truck")
    pipeline = ImagePipeline(
        plates=Fixed(Detection(box, 0.8, "plate")),
        ocr=ppocr,
        vehicles=Fixed(car, other),
        packs=load_packs(["id"]),
        min_confidence=0.3,
    )
    result = pipeline.read_image(image)
    assert (result.width, result.height) == (640, 480) and result.vehicles == (car, other)
    (read,) = result.reads
    assert read.ocr.text == "B1234XY" and read.vehicle is car
    assert (read.region_code, read.background_color, read.text_color, read.plate_type) == (
        "B",
        "Yellow",
        "Black",
        "Public",
    )
    assert [s for s, _ in result.timings_ms] == ["vehicles", "plates", "ocr", "regions"]
    assert all(ms >= 0 for _, ms in result.timings_ms) and result.total_ms > 0

    strict = replace(pipeline, min_confidence=0.9999)
    assert strict.read_image(image).reads == ()


def test_the_engines_certainty_decides_what_is_dropped(ppocr) -> None:
    # a pack correction lowers the reported confidence but does not drop a sure read
    image, box = scene()

    def unsure_correction(result: OcrResult, pack) -> OcrResult:
        return replace(result, text=result.text[:-1] + "Z", confidence=0.01)

    pipeline = ImagePipeline(
        plates=Fixed(Detection(box, 0.8, "plate")),
        ocr=ppocr,
        packs=load_packs(["id"]),
        rerank=unsure_correction,
        min_confidence=0.3,
    )
    (read,) = pipeline.read_image(image).reads
    assert read.ocr.text == "B1234XZ" and read.ocr.confidence == 0.01
    assert replace(pipeline, min_confidence=0.9999).read_image(image).reads == ()


def test_only_unsure_reads_go_to_the_verifier(ppocr) -> None:
    image, box = scene()
    asked: list[tuple[int, int]] = []

    def verifier(crop: np.ndarray, local: OcrResult) -> OcrResult:
        asked.append(crop.shape[:2])
        return OcrResult("B1234XZ", 0.99, engine="gemini")

    base = ImagePipeline(plates=Fixed(Detection(box, 0.8, "plate")), ocr=ppocr, verifier=verifier)
    sure = replace(base, verify_below=0.01).read_image(image)
    assert asked == [] and sure.reads[0].ocr.engine == "ppocr"
    unsure = replace(base, verify_below=1.0).read_image(image)
    assert len(asked) == 1 and unsure.reads[0].ocr.text == "B1234XZ"
    assert [s for s, _ in unsure.timings_ms] == ["vehicles", "plates", "ocr", "verify", "regions"]


@pytest.fixture(scope="module")
def real_pipeline() -> ImagePipeline:
    config = Config(inference=InferenceConfig(device="CPU", models_dir=MODELS_DIR, ocr=PpOcrConfig(engine="ppocr")))
    pipeline = ImagePipeline.from_config(config, ov.Core())
    assert pipeline.packs.codes == ("id",)
    return replace(pipeline, packs=Packs())  # European plates: no Indonesian re-ranking


def _truth(datasets_dir: Path, name: str) -> tuple[np.ndarray, Box, str]:
    f, x, y, w, h, text = (datasets_dir / "openalpr-eu" / f"{name}.txt").read_text().split("\t")[:6]
    x, y, w, h = map(float, (x, y, w, h))
    return cv2.imread(str(datasets_dir / "openalpr-eu" / f)), Box(x, y, x + w, y + h), text.strip()


def test_reads_real_photos_end_to_end(real_pipeline: ImagePipeline, datasets_dir: Path) -> None:
    names = ["eu1", "eu2", "eu7", "test_002", "test_004"]
    hits = 0
    for name in names:
        image, box, text = _truth(datasets_dir, name)
        result = real_pipeline.read_image(image)
        near = [r for r in result.reads if r.plate.box.contains_point(*box.center)]
        assert near, f"{name}: no plate read over the labelled plate"
        hits += near[0].ocr.text == text
        assert near[0].vehicle is not None and near[0].vehicle.box.contains_point(*box.center)
        assert near[0].background_color and near[0].text_color
    assert hits >= 4


def test_annotate_draws_on_a_copy(real_pipeline: ImagePipeline, datasets_dir: Path) -> None:
    image, _, _ = _truth(datasets_dir, "eu1")
    before = image.copy()
    result = real_pipeline.read_image(image)
    drawn = real_pipeline.annotate(image, result)
    assert np.array_equal(image, before) and drawn.shape == image.shape
    x1, y1, x2, y2 = result.reads[0].plate.box.as_int_list()
    assert not np.array_equal(drawn[y1 - 30 : y2 + 3, x1 - 3 : x2 + 3], image[y1 - 30 : y2 + 3, x1 - 3 : x2 + 3])


def test_read_image_is_thread_safe(real_pipeline: ImagePipeline, datasets_dir: Path) -> None:
    images = [_truth(datasets_dir, n)[0] for n in ("eu1", "eu2", "eu1", "eu2")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        texts = [tuple(r.ocr.text for r in res.reads) for res in pool.map(real_pipeline.read_image, images)]
    assert texts[0] == texts[2] and texts[1] == texts[3] and texts[0]


def test_rejects_a_non_image(real_pipeline: ImagePipeline) -> None:
    with pytest.raises(ValueError, match="HxWx3"):
        real_pipeline.read_image(np.zeros((10, 10), np.uint8))


def test_missing_plate_ocr_model_falls_back_to_ppocr(tmp_path: Path) -> None:
    models = tmp_path / "models"
    (models / "ppocr").mkdir(parents=True)
    for name in ("ch_PP-OCRv4_rec_infer.onnx", "ppocr_keys_v1.txt"):
        (models / "ppocr" / name).symlink_to(MODELS_DIR / "ppocr" / name)
    config = Config(inference=InferenceConfig(device="CPU", models_dir=models))  # engine "plate", no model
    assert load_ocr(config, ov.Core()).name == "ppocr"
    explicit = Config(
        inference=InferenceConfig(
            device="CPU", models_dir=models, ocr=PlateOcrConfig(engine="plate", model=Path("mine.xml"))
        )
    )
    with pytest.raises(ModelError, match="not found"):
        load_ocr(explicit, ov.Core())


class Counting:
    """A real engine, counting the crops it is given."""

    def __init__(self, engine) -> None:
        self.engine, self.name, self.crops = engine, engine.name, 0

    def read_batch(self, crops):
        self.crops += len(crops)
        return self.engine.read_batch(crops)


def test_second_opinion_rereads_only_unsure_reads(ppocr) -> None:
    from alprd.vision.ocr_plate import PlateOcr
    from alprd.vision.second_opinion import SecondOpinion

    image, box = scene()
    second = Counting(ppocr)
    pipeline = ImagePipeline(
        plates=Fixed(Detection(box, 0.8, "plate")),
        ocr=PlateOcr(None, ov.Core(), "CPU"),
        packs=load_packs(["id"]),
        second_opinion=SecondOpinion(second, below=1e-6),
    )
    sure = pipeline.read_image(image)
    assert second.crops == 0 and sure.reads[0].ocr.text == "B1234XY"
    assert [s for s, _ in sure.timings_ms] == ["vehicles", "plates", "ocr", "second_opinion", "regions"]
    unsure = replace(pipeline, second_opinion=SecondOpinion(second, below=1.0)).read_image(image)
    assert second.crops == 1 and unsure.reads[0].ocr.text == "B1234XY"  # both engines agree here
    assert pipeline.read_crops([image[300:370, 170:470]])[0].text == "B1234XY"


def test_second_opinion_from_config(tmp_path: Path) -> None:
    def load(**ocr) -> ImagePipeline:
        config = Config(inference=InferenceConfig(device="CPU", models_dir=MODELS_DIR, ocr=ocr_config(**ocr)))
        return ImagePipeline.from_config(config, ov.Core())

    default = load()
    assert default.ocr.name == "plate" and default.second_opinion is not None
    assert default.second_opinion.engine.name == "ppocr" and default.second_opinion.below == 0.9
    assert load(second_opinion={"engine": "none"}).second_opinion is None
    assert load(engine="ppocr").second_opinion is None  # no second read by the same engine
    models = tmp_path / "models"  # the plate engine's files only: no ppocr model in place
    (models / "plate-ocr").mkdir(parents=True)
    for f in (MODELS_DIR / "plate-ocr").iterdir():
        (models / "plate-ocr" / f.name).symlink_to(f)
    (models / "plate-detector").symlink_to(MODELS_DIR / "plate-detector")
    lone = Config(inference=InferenceConfig(device="CPU", models_dir=models, vehicle_detector={"enabled": False}))
    assert ImagePipeline.from_config(lone, ov.Core()).second_opinion is None


class _Counting:
    """Counts the calls of a detector or OCR engine."""

    name = "counting"

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, image: np.ndarray) -> list[Detection]:
        self.calls += 1
        return []

    def read_batch(self, crops) -> list[OcrResult]:
        self.calls += 1
        return [OcrResult("", 0.0) for _ in crops]


def test_warm_up_runs_every_model_once() -> None:
    from alprd.vision.second_opinion import SecondOpinion

    plates, ocr, vehicles, second = _Counting(), _Counting(), _Counting(), _Counting()
    ImagePipeline(plates=plates, ocr=ocr, vehicles=vehicles, second_opinion=SecondOpinion(second, below=0.9)).warm_up()
    assert (plates.calls, ocr.calls, vehicles.calls, second.calls) == (1, 1, 1, 1)


def test_warm_up_with_the_real_models(real_pipeline: ImagePipeline) -> None:
    real_pipeline.warm_up()  # compiled models accept the warm-up shapes


def test_read_regions_reads_the_plate_in_its_region_only(real_pipeline: ImagePipeline, datasets_dir: Path) -> None:
    image, box, _ = _truth(datasets_dir, "eu2")
    whole = [r for r in real_pipeline.read_image(image).reads if r.plate.box.contains_point(*box.center)]
    region = Box(box.x1 - 120, box.y1 - 80, box.x2 + 120, box.y2 + 80)
    there = [r for r in real_pipeline.read_regions(image, [region]).reads if r.plate.box.contains_point(*box.center)]
    assert whole and there and there[0].ocr.text == whole[0].ocr.text
    assert there[0].plate.box.iou(whole[0].plate.box) >= 0.85
    nowhere = real_pipeline.read_regions(image, [])
    assert nowhere.reads == () and nowhere.vehicles  # the vehicle stage still looks at the whole frame


def test_read_regions_with_a_detector_that_cannot_looks_at_the_whole_frame() -> None:
    image, box = scene()
    pipeline = ImagePipeline(plates=Fixed(Detection(box, 0.9, "plate")), ocr=_Counting())
    assert [p.box for p in pipeline.run(image, [Box(0, 0, 10, 10)]).plates] == [box]


@pytest.mark.parametrize("codes", [(), ("id",)])
def test_colors_and_vehicles_named_later_equal_those_named_at_once(
    real_pipeline: ImagePipeline, datasets_dir: Path, codes: tuple[str, ...]
) -> None:
    """A camera's gate reads frames without the plate colours and without the vehicle
    detector, and names both once per event (``with_details``): the read it gets then is the
    one ``read_image`` gives, colours, the plate type they decide and the vehicle included."""
    assert real_pipeline.vehicles is not None
    pipeline = replace(real_pipeline, packs=load_packs(codes))
    checked = vehicles = 0
    for name in ("eu1", "eu2", "eu7", "test_002"):
        image, _, _ = _truth(datasets_dir, name)
        at_once = pipeline.read_image(image)
        plain = pipeline.read_without_details(image, None)
        assert [(r.plate, r.ocr) for r in plain.reads] == [(r.plate, r.ocr) for r in at_once.reads]
        assert all(r.background_color == r.text_color == "" and r.vehicle is None for r in plain.reads)
        assert plain.reads and plain.vehicles == ()  # the vehicle detector did not run
        assert [pipeline.with_details(r, image) for r in plain.reads] == list(at_once.reads)
        checked += sum(bool(r.background_color and r.text_color) for r in at_once.reads)
        vehicles += sum(r.vehicle is not None for r in at_once.reads)
    assert checked >= 4 and vehicles >= 3


def test_without_details_the_vehicles_show_when_no_plate_is_read(real_pipeline: ImagePipeline, datasets_dir: Path):
    """A vehicle whose plate is not read yet (here: its plate painted over) still shows in a
    frame read without details: the gate's motion gate keeps looking while it stands."""
    image, _, _ = _truth(datasets_dir, "eu1")
    at_once = real_pipeline.read_image(image)
    assert at_once.vehicles and at_once.reads
    hidden = image.copy()
    for r in at_once.reads:
        b = r.plate.box
        hidden[int(b.y1) : int(b.y2) + 1, int(b.x1) : int(b.x2) + 1] = 0
    plain = real_pipeline.read_without_details(hidden, None)
    assert not plain.reads
    assert plain.vehicles == real_pipeline.read_image(hidden).vehicles != ()
