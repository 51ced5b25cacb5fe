"""letterbox / unletterbox: table-driven, no model."""

from __future__ import annotations

import numpy as np
import pytest

from alprd.vision.preprocess import Letterbox, letterbox, letterbox_params, to_batch, unletterbox_boxes


@pytest.mark.parametrize(
    ("width", "height", "size", "expected"),
    [
        (640, 640, 640, Letterbox(1.0, 0, 0, 640, 640)),
        (1280, 720, 640, Letterbox(0.5, 0, 140, 640, 360)),
        (720, 1280, 640, Letterbox(0.5, 140, 0, 360, 640)),
        (320, 240, 640, Letterbox(2.0, 0, 80, 640, 480)),
        (100, 50, 416, Letterbox(4.16, 0, 104, 416, 208)),
        (3, 1000, 320, Letterbox(0.32, 159, 0, 1, 320)),  # never a zero-width image
    ],
)
def test_letterbox_params(width: int, height: int, size: int, expected: Letterbox) -> None:
    got = letterbox_params(width, height, size)
    assert got.scale == pytest.approx(expected.scale)
    assert (got.pad_x_px, got.pad_y_px, got.resized_w_px, got.resized_h_px) == (
        expected.pad_x_px,
        expected.pad_y_px,
        expected.resized_w_px,
        expected.resized_h_px,
    )


@pytest.mark.parametrize(("width", "height"), [(0, 10), (10, 0), (-1, 5)])
def test_letterbox_params_rejects_empty(width: int, height: int) -> None:
    with pytest.raises(ValueError):
        letterbox_params(width, height, 640)


def test_letterbox_places_image_and_pads_grey() -> None:
    image = np.zeros((720, 1280, 3), np.uint8)
    image[:, :, 2] = 200  # red in BGR
    square, lb = letterbox(image, 640)
    assert square.shape == (640, 640, 3) and square.dtype == np.uint8
    assert (square[: lb.pad_y_px] == 114).all() and (square[lb.pad_y_px + lb.resized_h_px :] == 114).all()
    inner = square[lb.pad_y_px : lb.pad_y_px + lb.resized_h_px]
    assert (inner[:, :, 2] == 200).all() and (inner[:, :, 0] == 0).all()


@pytest.mark.parametrize(
    ("width", "height", "size", "box"),
    [
        (1280, 720, 640, (100.0, 200.0, 300.0, 260.0)),
        (720, 1280, 416, (10.0, 1000.0, 700.0, 1270.0)),
        (500, 375, 320, (0.0, 0.0, 500.0, 375.0)),
    ],
)
def test_unletterbox_inverts_the_mapping(width: int, height: int, size: int, box: tuple) -> None:
    lb = letterbox_params(width, height, size)
    x1, y1, x2, y2 = box
    in_model = np.array(
        [
            [
                x1 * lb.scale + lb.pad_x_px,
                y1 * lb.scale + lb.pad_y_px,
                x2 * lb.scale + lb.pad_x_px,
                y2 * lb.scale + lb.pad_y_px,
            ]
        ]
    )
    back = unletterbox_boxes(in_model, lb, width, height)
    np.testing.assert_allclose(back[0], box, atol=1e-3)


def test_unletterbox_clips_to_the_image() -> None:
    lb = letterbox_params(1280, 720, 640)
    back = unletterbox_boxes(np.array([[-50.0, 0.0, 700.0, 640.0]]), lb, 1280, 720)
    np.testing.assert_allclose(back[0], [0.0, 0.0, 1280.0, 720.0])


def test_to_batch_stacks_nhwc() -> None:
    batch = to_batch([np.zeros((32, 32, 3), np.uint8), np.ones((32, 32, 3), np.uint8)])
    assert batch.shape == (2, 32, 32, 3) and batch.flags.c_contiguous and batch[1].max() == 1
