"""``alprd eval-video`` on a real clip with the real models (../shared/videos, read by path)."""

import json
from pathlib import Path

import pytest

from alprd.cli import main
from alprd.errors import BadInputError
from alprd.ops.eval_video import clip_frames, clip_paths

VIDEOS = Path(__file__).resolve().parents[2].parent / "shared" / "videos"
UK = VIDEOS / "uk_junction_approach.mp4"
CONFIG = Path(__file__).resolve().parents[2] / "config" / "alprd.yaml"

pytestmark = pytest.mark.skipif(not UK.is_file(), reason="../shared/videos not present")


def test_frame_times_come_from_the_index_and_fps():
    frames = clip_frames(UK, "uk")
    first = [next(frames) for _ in range(4)]
    frames.close()
    assert [f.index for f in first] == [0, 1, 2, 3]
    assert [round(f.timestamp_s, 4) for f in first] == [0.0, round(1 / 30, 4), round(2 / 30, 4), 0.1]


def test_the_uk_clip_gives_one_right_event_and_scores_it(capsys):
    assert main(["eval-video", str(UK), "--config", str(CONFIG), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["clips"] == 1 and report["plates"] == 1
    assert (report["found_once"], report["duplicates"], report["missed"]) == (1, 0, 0)
    assert (report["wrong"], report["extra"]) == (0, 0)
    clip = report["per_clip"]["uk_junction_approach"]
    assert clip["frames"] == 140 and clip["analysed"] == 24  # 4.67 s at detect_fps 5
    assert clip["finals"] == ["LS15EBC"] and clip["previews"] == ["LS15EBC"]


def test_the_same_run_twice_gives_the_same_events(capsys):
    outs = []
    for _ in range(2):
        main(["eval-video", str(UK), "--config", str(CONFIG), "--set", "detect_fps=3"])
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1] and "final   LS15EBC" in outs[0]


def test_bad_input_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(BadInputError, match="no such file"):
        clip_paths([tmp_path / "nope.mp4"])
    assert main(["eval-video", str(tmp_path)]) == 1
    assert "no video files found" in capsys.readouterr().err
    assert main(["eval-video", str(UK), "--set", "detect_fps=-1"]) == 1
    assert "detect_fps" in capsys.readouterr().err


CILACAP = VIDEOS / "id_etle_motorcycles_cilacap.mp4"


def test_plates_found_as_text_add_the_motorcycle_plate_the_detector_misses(capsys):
    """The dark two-row plate R 2333 RK is never boxed by the plate detector; with
    ``--text-plates on`` it is found once, and nothing wrong or extra is stored."""
    scores = {}
    for switch in ("off", "on"):
        assert main(["eval-video", str(CILACAP), "--config", str(CONFIG), "--json", "--text-plates", switch]) == 0
        scores[switch] = json.loads(capsys.readouterr().out)["per_clip"]["id_etle_motorcycles_cilacap"]["score"]
    assert scores["off"]["outcome"]["R2333RK"] == "missed"
    assert scores["on"]["outcome"]["R2333RK"] == "found_once"
    assert (scores["on"]["wrong"], scores["on"]["extra"], scores["on"]["duplicates"]) == (0, 0, 0)
