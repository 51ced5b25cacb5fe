"""Uploaded images: read the multipart form within the size limit, check the header, decode.

The image's dimensions are read from its header before anything is decoded, so a
small file that would expand to gigabytes of pixels (a decompression bomb) is refused
for the price of reading a few bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import cv2
import numpy as np
from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from alprd.errors import BadInputError
from alprd.web.endpoint import RequestValidationError
from alprd.web.middleware import UnsupportedImageError, UploadTooLargeError

MAX_IMAGE_PIXELS = 40_000_000  # 40 MP: bigger than any camera alprd is pointed at
MAX_LOCATION_CHARS = 255
_CHUNK_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class Upload:
    data: bytes
    filename: str
    location: str


async def read_upload(request: web.Request, *, max_bytes: int) -> Upload:
    """The ``file`` and ``location`` fields of a multipart form; 422 when ``file`` is missing."""
    if request.content_type != "multipart/form-data":
        raise _missing_file()
    try:
        reader = await request.multipart()
    except (ValueError, AssertionError, HttpProcessingError) as exc:
        raise BadInputError(f"malformed multipart body: {exc}") from exc
    data: bytes | None = None
    filename = ""
    location = ""
    try:
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "file" and data is None:
                filename = part.filename or ""
                data = await _read_limited(part, max_bytes)
            elif part.name == "location":
                location = (await _read_location(part)).decode("utf-8", "replace").strip()
            else:
                await part.release()
    except (ValueError, AssertionError, UnicodeDecodeError, HttpProcessingError) as exc:
        raise BadInputError(f"malformed multipart body: {exc}") from exc
    if data is None:
        raise _missing_file()
    if "\x00" in location:
        raise RequestValidationError(
            [{"loc": ["body", "location"], "msg": "String should not contain NUL characters", "type": "string_nul"}]
        )
    if len(location) > MAX_LOCATION_CHARS:
        raise _location_too_long()
    return Upload(data=data, filename=filename, location=location)


def _missing_file() -> RequestValidationError:
    return RequestValidationError([{"loc": ["body", "file"], "msg": "Field required", "type": "missing"}])


def _location_too_long() -> RequestValidationError:
    return RequestValidationError(
        [
            {
                "loc": ["body", "location"],
                "msg": f"String should have at most {MAX_LOCATION_CHARS} characters",
                "type": "string_too_long",
            }
        ]
    )


async def _read_location(part: BodyPartReader) -> bytes:
    """The location field's bytes; more than its longest UTF-8 form is a 422 like any
    over-long string (not the upload's 413: the file is not what is too large)."""
    try:
        return await _read_limited(part, MAX_LOCATION_CHARS * 4)
    except UploadTooLargeError:
        raise _location_too_long() from None


async def _read_limited(part: BodyPartReader, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := await part.read_chunk(_CHUNK_BYTES):
            size += len(chunk)
            if size > max_bytes:
                raise UploadTooLargeError(f"upload is larger than the limit of {max_bytes} bytes")
            chunks.append(chunk)
    except BaseException:
        # An aborted or refused upload: the exception's traceback keeps this frame alive
        # (until a full garbage collection), so it must not keep the megabytes read so far.
        chunks.clear()
        raise
    return b"".join(chunks)


def image_dimensions(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG, PNG, BMP or WebP header, without decoding pixels."""
    if not data:
        raise BadInputError("the uploaded file is empty")
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:2] == b"\xff\xd8":
        return _jpeg_dimensions(data)
    if data[:2] == b"BM" and len(data) >= 26:
        w, h = struct.unpack("<ii", data[18:26])
        return abs(w), abs(h)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        return _webp_dimensions(data)
    raise UnsupportedImageError("the uploaded file is not a supported image (JPEG, PNG, BMP or WebP)")


def _jpeg_dimensions(data: bytes) -> tuple[int, int]:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        length = struct.unpack(">H", data[i + 2 : i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return w, h
        i += 2 + length
    raise BadInputError("the JPEG image is malformed: no frame header found")


def _webp_dimensions(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    if chunk == b"VP8X":
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return w, h
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 ":
        w, h = struct.unpack("<HH", data[26:30])
        return w & 0x3FFF, h & 0x3FFF
    raise BadInputError("the WebP image is malformed")


def check_dimensions(width: int, height: int, max_pixels: int = MAX_IMAGE_PIXELS) -> None:
    if width <= 0 or height <= 0:
        raise BadInputError(f"the image header gives an impossible size {width}x{height}")
    if width * height > max_pixels:
        raise UploadTooLargeError(
            f"the image is {width}x{height} ({width * height / 1e6:.0f} MP); the limit is {max_pixels / 1e6:.0f} MP"
        )


def decode_image(data: bytes, max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    """Check the header, then decode to BGR; blocking (run it in an executor)."""
    check_dimensions(*image_dimensions(data), max_pixels=max_pixels)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise BadInputError("the image could not be decoded (truncated or corrupt file)")
    return image
