"""Optional cloud verifier: ask Google Gemini to re-read plates the local OCR is unsure of.

Never required. Off unless ``inference.ocr.gemini.enabled``; the API key comes from the
environment variable the config names. It calls the Gemini API's REST endpoint
(``POST {base_url}/v1beta/models/{model}:generateContent``, header ``x-goog-api-key``,
the same endpoint the ``google-genai`` SDK uses) with the standard library, so the
``cloud`` extra is not needed. Any failure — timeout, HTTP error, unreadable answer —
keeps the local read, is logged, and pauses cloud calls for 30 s (an offline box must
not wait out the timeout on every frame). Tests point ``base_url`` at a local fake server.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from alprd.config import GeminiConfig
from alprd.domain.messages import OcrResult
from alprd.log import get_logger
from alprd.vision.ocr import normalise_text

log = get_logger(__name__)

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com"
DEFAULT_CONFIDENCE = 0.9  # when the answer gives none
COOLDOWN_S = 30.0  # no cloud calls this long after a failure
MAX_CROP_WIDTH_PX = 640
PROMPT = (
    "The image is a cropped photo of one vehicle licence plate. A local OCR read it as "
    "'{local}' but is unsure. Read the plate's registration characters exactly (ignore "
    "country bands, dates, dealer names and stickers). Answer JSON only: "
    '{{"plate": "<letters and digits, no spaces>", "confidence": <0..1>}}; '
    'use "plate": "" when no plate is readable.'
)
RESPONSE_SCHEMA = {
    "type": "OBJECT",
    "properties": {"plate": {"type": "STRING"}, "confidence": {"type": "NUMBER"}},
    "required": ["plate"],
}
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


class GeminiError(Exception):
    """The cloud read failed; the caller keeps the local read."""


def encode_crop(crop: np.ndarray) -> str:
    """A BGR crop as base64 JPEG, downscaled to at most 640 px wide."""
    if crop.shape[1] > MAX_CROP_WIDTH_PX:
        scale = MAX_CROP_WIDTH_PX / crop.shape[1]
        crop = cv2.resize(crop, (MAX_CROP_WIDTH_PX, max(1, round(crop.shape[0] * scale))), interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 92])
    if not ok:
        raise GeminiError("cannot encode the crop as JPEG")
    return base64.b64encode(jpeg.tobytes()).decode("ascii")


def build_request(jpeg_b64: str, local_text: str) -> dict[str, Any]:
    """The generateContent body: the prompt, the crop, JSON output at temperature 0."""
    return {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"text": PROMPT.format(local=local_text)},
                    {"inline_data": {"mime_type": "image/jpeg", "data": jpeg_b64}},
                ],
            }
        ],
        "generationConfig": {
            "temperature": 0,
            "responseMimeType": "application/json",
            "responseSchema": RESPONSE_SCHEMA,
        },
    }


def parse_response(body: Mapping[str, Any]) -> tuple[str, float]:
    """(normalised plate text, confidence) from a generateContent response."""
    try:
        parts = body["candidates"][0]["content"]["parts"]
        text = "".join(p.get("text", "") for p in parts).strip()
    except (KeyError, IndexError, TypeError) as exc:
        raise GeminiError(f"unexpected response shape: {str(body)[:200]}") from exc
    text = _FENCE.sub("", text)
    try:
        answer = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GeminiError(f"answer is not JSON: {text[:100]!r}") from exc
    if not isinstance(answer, dict) or not isinstance(answer.get("plate"), str):
        raise GeminiError(f"answer has no 'plate' string: {text[:100]!r}")
    confidence = answer.get("confidence", DEFAULT_CONFIDENCE)
    confidence = float(confidence) if isinstance(confidence, (int, float)) else DEFAULT_CONFIDENCE
    return normalise_text(answer["plate"]), min(1.0, max(0.0, confidence))


def merge(local: OcrResult, cloud_text: str, cloud_confidence: float) -> OcrResult:
    """The cloud read, the local candidates kept after it; the local read if the cloud saw none."""
    if not cloud_text:
        return local
    if cloud_text == local.text:
        return OcrResult(
            local.text,
            max(local.confidence, cloud_confidence),
            local.char_confidences,
            local.candidates,
            f"{local.engine}+gemini",
        )
    others = tuple(c for c in local.candidates if c[0] != cloud_text)
    return OcrResult(
        cloud_text, cloud_confidence, (), ((cloud_text, cloud_confidence), *others), f"{local.engine}+gemini"
    )


class Breaker:
    """After a failure, calls are skipped for ``cooldown_s``: an offline gate box must
    not wait ``timeout_s`` on every unsure read. Thread-safe."""

    def __init__(self, cooldown_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._lock = threading.Lock()
        self._open_until_s = 0.0

    def allows(self) -> bool:
        with self._lock:
            return self._clock() >= self._open_until_s

    def failed(self) -> None:
        with self._lock:
            self._open_until_s = self._clock() + self.cooldown_s

    def succeeded(self) -> None:
        with self._lock:
            self._open_until_s = 0.0


@dataclass(frozen=True)
class GeminiVerifier:
    """Callable ``(crop, local read) -> read``; blocking, thread-safe."""

    api_key: str
    model: str = "gemini-2.5-flash"
    base_url: str = DEFAULT_BASE_URL
    timeout_s: float = 5.0
    breaker: Breaker = field(default_factory=lambda: Breaker(COOLDOWN_S), compare=False, repr=False)

    @classmethod
    def from_config(cls, config: GeminiConfig, environ: Mapping[str, str] = os.environ) -> GeminiVerifier | None:
        """None (logged) when disabled or when the key's environment variable is empty."""
        if not config.enabled:
            return None
        key = environ.get(config.api_key_env, "")
        if not key:
            log.warning("ocr.gemini_disabled", reason=f"environment variable {config.api_key_env} is not set")
            return None
        return cls(key, config.model, config.base_url or DEFAULT_BASE_URL, config.timeout_s)

    @property
    def url(self) -> str:
        return f"{self.base_url.rstrip('/')}/v1beta/models/{self.model}:generateContent"

    def ask(self, crop: np.ndarray, local_text: str) -> tuple[str, float]:
        """One cloud read; raises GeminiError on any failure."""
        data = json.dumps(build_request(encode_crop(crop), local_text)).encode("utf-8")
        request = urllib.request.Request(
            self.url,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json", "x-goog-api-key": self.api_key},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                body = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise GeminiError(f"HTTP {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise GeminiError(f"request failed: {getattr(exc, 'reason', exc)}") from exc
        except json.JSONDecodeError as exc:
            raise GeminiError("response is not JSON") from exc
        return parse_response(body)

    def __call__(self, crop: np.ndarray, local: OcrResult) -> OcrResult:
        if not self.breaker.allows():
            return local
        try:
            text, confidence = self.ask(crop, local.text)
        except GeminiError as exc:
            self.breaker.failed()
            log.warning("ocr.gemini_failed", error=str(exc), local=local.text, paused_s=self.breaker.cooldown_s)
            return local
        self.breaker.succeeded()
        log.info("ocr.gemini_read", local=local.text, cloud=text, confidence=confidence)
        return merge(local, text, confidence)
