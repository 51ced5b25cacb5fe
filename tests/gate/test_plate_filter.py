"""Which reads count: whole plates, in the ROI, outside the mask, plate-shaped (table-driven)."""

import pytest

from alprd.domain.messages import Box, Detection, OcrResult, PlateRead
from alprd.gate.plate_filter import PlateRules, counting, why_not

ROI = ((0, 0), (350, 0), (350, 360), (0, 360))
CLOCK = ((400, 0), (640, 0), (640, 40), (400, 40))  # a clock overlay in the top-right corner


def read(box: Box, text: str = "B1234ABC") -> PlateRead:
    return PlateRead(Detection(box, 0.9, "plate"), OcrResult(text, 0.9))


@pytest.mark.parametrize(
    "box,text,rules,expected",
    [
        (Box(100, 100, 200, 130), "B1234ABC", PlateRules(), None),
        (Box(0, 100, 100, 130), "B1234ABC", PlateRules(), "cut_by_border"),
        (Box(550, 100, 640, 130), "B1234ABC", PlateRules(), "cut_by_border"),
        (Box(100, 330, 200, 360), "B1234ABC", PlateRules(), "cut_by_border"),
        (Box(100, 100, 130, 110), "B12", PlateRules(), "too_small"),
        (Box(400, 100, 500, 125), "B1234ABC", PlateRules(roi=ROI), "outside_roi"),
        (Box(100, 100, 200, 125), "B1234ABC", PlateRules(roi=ROI), None),
        # overlay text: a clock in the mask, a caption line far wider than any plate
        (Box(450, 5, 600, 30), "120159", PlateRules(mask=(CLOCK,)), "masked"),
        (Box(450, 5, 600, 30), "120159", PlateRules(), "not_letters_and_digits"),  # a clock
        (Box(450, 5, 600, 30), "120159", PlateRules(plate_text_mixed=False), None),  # plate-like: mask it
        (Box(450, 5, 600, 30), "CAM01", PlateRules(), None),  # a label: only the mask knows
        (Box(450, 5, 600, 30), "CILACAP", PlateRules(), "not_letters_and_digits"),
        (Box(20, 320, 400, 350), "ALUNALUNCILACAP", PlateRules(), "not_plate_shaped"),
        (Box(20, 300, 330, 330), "2019021312", PlateRules(), "not_plate_shaped"),  # aspect 10
        (Box(100, 100, 150, 200), "B1234ABC", PlateRules(), "not_plate_shaped"),  # tall: a pole, a sign
        (Box(100, 100, 190, 160), "KL31K3137", PlateRules(), None),  # two-line motorcycle plate, aspect 1.5
        (Box(100, 100, 300, 140), "B1234ABCDEFG", PlateRules(), "text_too_long"),
    ],
)
def test_why_not(box, text, rules, expected):
    assert why_not(read(box, text), 640, 360, rules) == expected


def test_counting_keeps_only_counting_reads_in_order():
    good1, good2 = read(Box(100, 100, 200, 130)), read(Box(200, 200, 300, 230), "D77XY")
    caption = read(Box(20, 320, 400, 350), "ALUNALUNCILACAP")
    assert counting([good1, caption, good2], 640, 360, PlateRules()) == (good1, good2)
