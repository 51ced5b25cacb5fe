"""``alprd eval``: metrics as pure functions, folder loading, and real runs on temp folders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from alprd.cli import main as cli_main
from alprd.domain.messages import Box
from alprd.errors import BadInputError
from alprd.ops.eval_metrics import (
    LabelledPlate,
    Tally,
    apply_errata,
    char_accuracy,
    edit_distance,
    load_box_texts,
    load_errata,
    load_folder,
    match_boxes,
    parse_openalpr_line,
    tally_image,
    tally_reads,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("a", "b", "d"),
    [
        ("", "", 0),
        ("ABC", "ABC", 0),
        ("ABC", "AXC", 1),
        ("ABC", "AC", 1),
        ("", "AB", 2),
        ("KITTEN", "SITTING", 3),
    ],
)
def test_edit_distance(a: str, b: str, d: int) -> None:
    assert edit_distance(a, b) == d == edit_distance(b, a)


@pytest.mark.parametrize(
    ("pred", "truth", "acc"),
    [
        ("B1234XY", "B1234XY", 1.0),
        ("B1234XZ", "B1234XY", 6 / 7),
        ("", "B12", 0.0),
        ("", "", 1.0),
        ("XB1234XY", "B1234XY", 7 / 8),
    ],
)
def test_char_accuracy(pred: str, truth: str, acc: float) -> None:
    assert char_accuracy(pred, truth) == pytest.approx(acc)


def test_parse_openalpr_line() -> None:
    name, plate = parse_openalpr_line("eu1.jpg\t396\t340\t203\t46\tM5XSX")
    assert name == "eu1.jpg" and plate == LabelledPlate(Box(396, 340, 599, 386), "M5XSX")
    with pytest.raises(BadInputError):
        parse_openalpr_line("eu1.jpg 1 2 3")


def test_match_boxes_is_one_to_one_by_iou() -> None:
    truth = [Box(0, 0, 10, 10), Box(100, 100, 110, 110)]
    found = [Box(0, 0, 10, 9.5), Box(0, 0, 9, 9), Box(50, 50, 60, 60)]
    assert match_boxes(truth, found) == {0: 0}


def test_tally_image_counts_detection_and_reads() -> None:
    truth = [LabelledPlate(Box(0, 0, 100, 20), "AB123"), LabelledPlate(Box(200, 0, 300, 20), "CD456")]
    # one tight match read right; one loose box (IoU < 0.5) over the 2nd plate read right; one false alarm
    found = [Box(2, 1, 100, 20), Box(180, -20, 340, 60), Box(500, 500, 520, 510)]
    t = tally_image(truth, found, ["AB123", "CD456", "ZZ"])
    assert (t.plates, t.found, t.matched, t.exact) == (2, 3, 1, 2)
    assert t.recall == 0.5 and t.precision == pytest.approx(1 / 3) and t.exact_rate == 1.0
    missed = tally_image(truth, [], [])
    assert (missed.exact, missed.char_accuracy, missed.precision) == (0, 0.0, 0.0)
    total = t + missed + tally_reads(["X1"], ["X1"])
    assert total.plates == 5 and total.exact == 3 and total == Tally(5, 4, 2, 3, 3.0)


def test_load_folder_layouts(tmp_path: Path, datasets_dir: Path) -> None:
    eu = load_folder(datasets_dir / "openalpr-eu")
    assert len(eu) == 108 and all(s.plates and s.plates[0].box is not None for s in eu)
    us = load_folder(datasets_dir / "openalpr-us-crops")
    assert len(us) == 745 and us[0].plates[0] == LabelledPlate(None, "FUW999")
    ind = load_folder(datasets_dir / "indonesia-plate-crops")  # header row skipped
    assert ind[0].path.name == "train001_1.jpg" and ind[0].plates[0].text == "G9058EJ"
    extra = load_folder(datasets_dir / "indonesia-plates-extra")  # file,plate,source: the plate column
    assert extra[0].path.name == "exstreet_0001.jpg" and extra[0].plates[0].text == "AA2217CT"
    with pytest.raises(BadInputError):
        load_folder(tmp_path)


OPENLPR_TEXTS = REPO / "training" / "labels" / "openlpr-plates-text.csv"


def test_box_texts_leave_out_photos_with_an_unread_plate(tmp_path: Path) -> None:
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        (tmp_path / "images" / "val").mkdir(parents=True, exist_ok=True)
        (tmp_path / "images" / "val" / name).write_bytes(b"")
    texts = tmp_path / "texts.csv"
    texts.write_text(
        "image,box,x,y,w,h,plate\n"
        "images/val/a.jpg,0,10,20,100,30,ab-123\n"
        "images/val/b.jpg,0,0,0,50,20,XY1\n"
        "images/val/b.jpg,1,60,0,50,20,\n"  # unreadable: photo b is left out whole
        "images/val/c.jpg,0,5,5,40,10,Q9\n"
        "images/val/c.jpg,1,50,5,40,10,Q8\n"
    )
    samples = load_box_texts(tmp_path, texts)
    assert [s.path.name for s in samples] == ["a.jpg", "c.jpg"]
    assert samples[0].plates == (LabelledPlate(Box(10, 20, 110, 50), "AB123"),)
    assert samples[0].group == "val" and [p.text for p in samples[1].plates] == ["Q9", "Q8"]
    (tmp_path / "images" / "val" / "c.jpg").unlink()
    with pytest.raises(BadInputError, match="not found"):
        load_box_texts(tmp_path, texts)
    texts.write_text("image,plate\nimages/val/a.jpg,AB1\n")
    with pytest.raises(BadInputError, match="columns"):
        load_box_texts(tmp_path, texts)


@pytest.mark.parametrize("option", ["--texts", "--files", "--errata"])
def test_eval_names_a_missing_list_file(tmp_path: Path, capsys: pytest.CaptureFixture, option: str) -> None:
    missing = tmp_path / "nowhere.csv"
    assert cli_main(["eval", str(tmp_path), option, str(missing)]) == 1
    assert f"{option} {missing}: no such file" in capsys.readouterr().err


def test_committed_openlpr_texts_name_every_box_of_the_set(datasets_dir: Path) -> None:
    """The project's text labels cover each box of openlpr-plates' YOLO labels once, in
    the set's own pixel frame, and stay plate-like (A-Z 0-9, at most 10)."""
    import csv

    root = datasets_dir / "openlpr-plates"
    with OPENLPR_TEXTS.open(newline="") as f:
        rows = list(csv.DictReader(f))
    boxes = {(r["image"], int(r["box"])) for r in rows}
    expected = {
        (f"images/{lab.parent.name}/{img.name}", k)
        for lab in sorted((root / "labels").glob("*/*.txt"))
        for img in (root / "images" / lab.parent.name).glob(lab.stem + ".*")
        for k, line in enumerate(lab.read_text().splitlines())
        if line.strip()
    }
    assert len(rows) == len(boxes) == len(expected) == 1477 and boxes == expected
    texts = [r["plate"] for r in rows if r["plate"]]
    assert len(texts) == 1271 and all(t.isalnum() and t.isupper() or t.isdigit() for t in texts)
    assert all(len(t) <= 10 for t in texts)
    samples = load_box_texts(root, OPENLPR_TEXTS)
    assert {s.group for s in samples} == {"train", "val"}
    assert sum(len(s.plates) for s in samples if s.group == "val") == 131


def test_committed_vehicle_types_texts_sit_on_their_photos(datasets_dir: Path) -> None:
    import cv2

    root = datasets_dir / "vehicle-types"
    samples = load_box_texts(root, REPO / "training" / "labels" / "vehicle-types-plate-texts.csv")
    assert len(samples) == 52 and all(len(s.plates) == 1 and s.plates[0].text for s in samples)
    for s in samples:
        h, w = cv2.imread(str(s.path)).shape[:2]
        box = s.plates[0].box
        assert box is not None and 0 <= box.x1 < box.x2 <= w and 0 <= box.y1 < box.y2 <= h


@pytest.fixture()
def five_eu(tmp_path: Path, datasets_dir: Path) -> Path:
    folder = tmp_path / "eu5"
    folder.mkdir()
    for name in ("eu1", "eu2", "eu3", "eu7", "test_002"):
        shutil.copy(datasets_dir / "openalpr-eu" / f"{name}.jpg", folder)
        shutil.copy(datasets_dir / "openalpr-eu" / f"{name}.txt", folder)
    return folder


def _config(tmp_path: Path) -> Path:
    cfg = tmp_path / "alprd.yaml"
    cfg.write_text(f"inference:\n  device: CPU\n  models_dir: {REPO / 'models'}\n  ocr:\n    engine: ppocr\n")
    return cfg


def test_eval_json_on_five_real_photos(five_eu: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = cli_main(
        [
            "eval",
            str(five_eu),
            "--json",
            "--gt-crops",
            "--pack",
            "none",
            "--config",
            str(_config(tmp_path)),
            "--threads",
            "1",
        ]
    )
    out = capsys.readouterr()
    assert code == 0
    rep = json.loads(out.out)
    for key in (
        "images",
        "detection_recall",
        "detection_precision",
        "exact_read_rate",
        "char_accuracy",
        "ms_per_image",
    ):
        assert key in rep
    assert rep["images"] == 5 and rep["plates"] == 5 and rep["ocr_engine"] == "ppocr"
    assert rep["detection_recall"] >= 0.8 and rep["detection_precision"] >= 0.5
    assert rep["exact_read_rate"] >= 0.6 and rep["char_accuracy"] >= 0.85
    assert rep["gt_crops_exact_read_rate"] >= 0.6
    assert rep["ms_per_image"] > 0 and set(rep["stage_ms"]) >= {"plates", "ocr"}
    assert "eval" in out.err  # the progress bar is on stderr


def test_eval_text_on_a_csv_of_crops(tmp_path: Path, datasets_dir: Path, capsys: pytest.CaptureFixture) -> None:
    crops = tmp_path / "crops"
    crops.mkdir()
    rows = (datasets_dir / "openalpr-us-crops" / "groundtruth.csv").read_text().splitlines()[:6]
    for row in rows:
        shutil.copy(datasets_dir / "openalpr-us-crops" / row.split(",")[0], crops)
    (crops / "groundtruth.csv").write_text("\n".join(rows) + "\n")
    code = cli_main(["eval", str(crops), "--limit", "4", "--pack", "none", "--config", str(_config(tmp_path))])
    text = capsys.readouterr().out
    assert code == 0
    assert "images: 4 (crops)" in text and "exact plate reads:" in text and "ms per image" in text


@pytest.mark.parametrize(("pack", "reported"), [("none", None), ("us", "us"), ("us,id", "us,id")])
def test_eval_pack_option(
    tmp_path: Path, datasets_dir: Path, capsys: pytest.CaptureFixture, pack: str, reported: str | None
) -> None:
    crops = tmp_path / "crops"
    crops.mkdir()
    rows = (datasets_dir / "openalpr-us-crops" / "groundtruth.csv").read_text().splitlines()[:3]
    for row in rows:
        shutil.copy(datasets_dir / "openalpr-us-crops" / row.split(",")[0], crops)
    (crops / "groundtruth.csv").write_text("\n".join(rows) + "\n")
    code = cli_main(["eval", str(crops), "--json", "--pack", pack, "--config", str(_config(tmp_path))])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["pack"] == reported


@pytest.mark.parametrize("pack", ["xx", "id,xx", "id,none", "id,id"])
def test_eval_refuses_unknown_packs(tmp_path: Path, capsys: pytest.CaptureFixture, pack: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["eval", str(tmp_path), "--pack", pack])
    assert exit_info.value.code == 2
    assert "--pack" in capsys.readouterr().err


def test_eval_of_an_unlabelled_folder_fails_cleanly(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli_main(["eval", str(tmp_path), "--config", str(_config(tmp_path))]) == 1
    assert "no openalpr .txt labels" in capsys.readouterr().err


def test_errata_correct_only_matching_labels(tmp_path: Path, datasets_dir: Path) -> None:
    errata = tmp_path / "errata.csv"
    errata.write_text(
        "file,label,corrected,reason\n"
        "test_006.jpg,RKO99AN,RK099AN,format\n"
        "test_001.jpg,NOTTHIS,XX000XX,label already differs\n"
    )
    samples = load_folder(datasets_dir / "openalpr-eu")
    fixed, changed = apply_errata(samples, load_errata(errata))
    assert changed == 1 and len(fixed) == len(samples)
    by_name = {s.path.name: s for s in fixed}
    assert by_name["test_006.jpg"].plates[0].text == "RK099AN"
    assert by_name["test_001.jpg"].plates[0].text == "PP587AO"
    assert (
        by_name["test_006.jpg"].plates[0].box == next(s for s in samples if s.path.name == "test_006.jpg").plates[0].box
    )


def test_committed_errata_name_real_labels(datasets_dir: Path) -> None:
    errata = load_errata(REPO / "docs" / "openalpr-eu-errata.csv")
    _, changed = apply_errata(load_folder(datasets_dir / "openalpr-eu"), errata)
    assert changed == len(errata) >= 1
    assert all(e.reason for e in errata)


def test_errata_without_the_columns_fail_cleanly(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("image,text\na.jpg,AB\n")
    with pytest.raises(BadInputError, match="file,label,corrected,reason"):
        load_errata(bad)


def test_eval_plate_size_reaches_the_detector(five_eu: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    args = ["eval", str(five_eu), "--json", "--pack", "none", "--config", str(_config(tmp_path)), "--threads", "1"]
    assert cli_main([*args, "--plate-size", "416"]) == 1  # the committed IR is fixed at 640: a clear error
    assert "input shape is 1x3x640x640 but 1x3x416x416 is expected" in capsys.readouterr().err


def test_eval_pairs_the_fast_detector_with_its_own_type_head(
    five_eu: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
) -> None:
    models = REPO / "models"
    args = [
        "eval",
        str(five_eu),
        "--json",
        "--pack",
        "none",
        "--config",
        str(_config(tmp_path)),
        "--threads",
        "1",
        "--plate-model",
        str(models / "plate-detector" / "plate-yolov8n-hs416.xml"),
        "--plate-size",
        "416",
    ]
    assert cli_main(args) == 1  # the default type head was trained on the default detector
    assert "trained on another plate detector's backbone" in capsys.readouterr().err
    for head in ("none", str(models / "vehicle-type" / "vehicle-type-head-hs416.npz")):
        assert cli_main([*args, "--vehicle-head", head]) == 0
        rep = json.loads(capsys.readouterr().out)
        assert rep["images"] == 5 and rep["detection_recall"] >= 0.8


def test_eval_one_held_out_source_with_and_without_second_opinion(
    tmp_path: Path, datasets_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    src = datasets_dir / "vietnam-eu-plate-crops"
    crops = tmp_path / "crops"
    crops.mkdir()
    labels = (src / "labels.csv").read_text().splitlines()
    meta = (src / "meta.csv").read_text().splitlines()
    picked = [m for m in meta[1:] if ",VN-CarLongPlate," in m][:3] + [m for m in meta[1:] if ",EU-iwt," in m][:2]
    names = {m.split(",")[0] for m in picked}
    for name in names:
        shutil.copy(src / name, crops)
    (crops / "labels.csv").write_text("\n".join([labels[0], *(r for r in labels[1:] if r.split(",")[0] in names)]))
    (crops / "meta.csv").write_text("\n".join([meta[0], *picked]) + "\n")
    cfg = tmp_path / "alprd.yaml"
    cfg.write_text(f"inference:\n  device: CPU\n  models_dir: {REPO / 'models'}\n")

    def run(*extra: str) -> dict:
        assert cli_main(["eval", str(crops), "--json", "--pack", "vn", "--config", str(cfg), *extra]) == 0
        return json.loads(capsys.readouterr().out)

    both = run()
    assert both["second_opinion"] == "ppocr" and both["images"] == 5
    assert set(both["by_group"]) == {"VN-CarLongPlate", "EU-iwt"} and both["by_group"]["EU-iwt"]["plates"] == 2
    one = run("--groups", "VN-CarLongPlate", "--second-opinion", "none")
    assert one["second_opinion"] is None and one["images"] == 3 and set(one["by_group"]) == {"VN-CarLongPlate"}
    listed = tmp_path / "files.txt"
    listed.write_text(sorted(names)[0] + "\n")
    assert run("--files", str(listed))["images"] == 1


@pytest.mark.parametrize("switch", ["on", "off"])
def test_eval_text_plates_switch_reaches_the_pipeline(
    five_eu: Path, tmp_path: Path, capsys: pytest.CaptureFixture, switch: str
) -> None:
    args = ["eval", str(five_eu), "--json", "--pack", "sk", "--config", str(_config(tmp_path)), "--threads", "1"]
    assert cli_main([*args, "--text-plates", switch]) == 0
    report = json.loads(capsys.readouterr().out)
    assert ("text_plates" in report["stage_ms"]) is (switch == "on")
    assert report["detection_recall"] == 1.0  # the detector's plates are kept as they are
