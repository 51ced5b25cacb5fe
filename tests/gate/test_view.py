"""The stored picture is the best view: sharp, large, frontal, of the reported text."""

import cv2
import numpy as np
import pytest

from alprd.domain.messages import Box, Detection, Frame, OcrResult, PlateRead
from alprd.gate.view import ViewPicker, sharpness, view_score


def plate_image(text: str = "B 1234 ABC", blur: int = 0) -> np.ndarray:
    img = np.full((60, 240, 3), 235, np.uint8)
    cv2.putText(img, text, (8, 42), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (20, 20, 20), 3)
    return cv2.GaussianBlur(img, (blur, blur), 0) if blur else img


def scene(plate: np.ndarray, box: Box) -> np.ndarray:
    img = np.full((720, 1280, 3), 90, np.uint8)
    x1, y1, x2, y2 = (int(v) for v in (box.x1, box.y1, box.x2, box.y2))
    img[y1:y2, x1:x2] = cv2.resize(plate, (x2 - x1, y2 - y1))
    return img


def view(t: float, box: Box, text: str, conf: float, blur: int = 0) -> tuple[PlateRead, Frame]:
    r = PlateRead(Detection(box, 0.9, "plate"), OcrResult(text, conf))
    return r, Frame("cam", int(t * 10), t, scene(plate_image(blur=blur), box))


def test_sharpness_prefers_the_sharp_crop_and_is_zero_for_nothing():
    assert sharpness(plate_image()) > 4 * sharpness(plate_image(blur=9))
    assert sharpness(np.zeros((0, 0, 3), np.uint8)) == 0.0


@pytest.mark.parametrize(
    "a,b",
    [
        ((Box(0, 0, 240, 60), 500.0, 4.0), (Box(0, 0, 120, 30), 500.0, 4.0)),  # larger
        ((Box(0, 0, 240, 60), 500.0, 4.0), (Box(0, 0, 240, 60), 20.0, 4.0)),  # sharper
        ((Box(0, 0, 240, 60), 500.0, 4.0), (Box(0, 0, 180, 60), 500.0, 4.0)),  # frontal: wider for its height
    ],
)
def test_view_score_orders_views(a, b):
    assert view_score(*a) > view_score(*b)


def test_best_view_is_sharp_and_large_not_the_most_confident_read():
    picker = ViewPicker()
    small_blurry = view(0.0, Box(100, 100, 220, 130), "B1234ABC", 0.99, blur=9)
    large_sharp = view(0.4, Box(400, 300, 640, 360), "B1234ABC", 0.90)
    misread = view(0.8, Box(500, 400, 780, 470), "B1Z34ABC", 0.95)  # larger still, but not the text
    for r, f in (small_blurry, large_sharp, misread):
        picker.offer(r, f)
    read, frame = picker.best("B1234ABC")
    assert read is large_sharp[0] and frame.timestamp_s == 0.4
    assert picker.best("UNSEEN")[0] is misread[0]  # no view of that text: the best of any


def test_a_picker_keeps_views_of_a_few_texts_only_and_can_forget_them():
    from alprd.gate.view import MAX_VIEWS

    picker = ViewPicker()
    for i in range(MAX_VIEWS + 3):  # misreads, each a new text; the later ones are larger
        r, f = view(i * 0.2, Box(100, 100, 200 + 20 * i, 130 + 5 * i), f"B{i}234ABC", 0.9)
        picker.offer(r, f)
    assert len(picker.views) == MAX_VIEWS and "B0234ABC" not in picker.views  # the smallest went
    picker.clear()
    assert picker.views == {}
