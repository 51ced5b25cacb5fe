"""From plate tracks to vehicle passes, and from passes to plate events.

The tracker (:mod:`tracker`) follows boxes; it splits one vehicle into several tracks
when a detection is missed for longer than ``track_timeout_s``, when the view jumps, or
when two boxes cover one plate. A **pass** is what the gate reports: the tracks of one
plate that overlap in time or follow each other within ``pass_gap_s`` (texts equal, or
one OCR edit apart). Each pass gives at most one preview and one final event, voted over
the reads of all its tracks:

* **preview**: when the pass's vote is confident (``preview_min_confidence``, at least
  ``preview_min_reads`` reads) and fits the format, so a gate can open at once;
* **final**: when every track of the pass ended and ``pass_gap_s`` passed without a new
  fragment, or at the latest ``max_event_delay_s`` after the pass began. A final needs
  support: ``final_min_reads`` reads, ``final_min_agreeing`` of them reading the voted
  text exactly, and vote confidence ``final_min_confidence``. A pass without it is
  **dropped** (counted in :attr:`PassBuilder.unsure`), unless it already sent a
  preview: the gate acted on that one, so its final is always stored;
* **duplicates** (previews and finals alike): a pass whose plate (OCR twins O/0, B/8...
  folded) was reported by another pass last seen less than ``dedupe_window_s`` ago is
  merged into it silently. "Last seen", not "reported": a car that stays in view keeps
  its pass alive, however long it stays. A plate that stood still (``stationary``) and
  is seen again at the same place within ``stationary_memory_s`` is the same stay, even
  after a long occlusion.

Time comes only from the frames, so the builder is deterministic; the helpers are pure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from alprd.domain.messages import Box, EventKind, Frame, PlateEvent, PlateRead
from alprd.domain.packs import CONFUSABLE_PAIRS
from alprd.domain.text import edit_distance
from alprd.gate.events import EventPolicy, direction_of
from alprd.gate.tracker import Observation, PlateTracker, Track
from alprd.gate.view import ViewPicker
from alprd.gate.vote import Vote, vote

_FOLD = str.maketrans({letter: digit for letter, digit in CONFUSABLE_PAIRS})
SAME_SPOT_WIDTHS = 1.0  # a box whose centre is this many plate widths away is at the same spot
MAX_CLOSED_TRACKS = 8  # a closed pass that absorbs more sightings keeps only its latest tracks
STATIONARY_AFTER_S = 5.0  # a pass in view this long that moved less than a plate width stood still


def fold(text: str) -> str:
    """The plate text with each OCR-confusable letter replaced by its digit twin."""
    return text.translate(_FOLD)


def same_plate(a: str, b: str) -> bool:
    """Equal once OCR twins are folded: the rule of the dedupe window."""
    return bool(a) and fold(a) == fold(b)


def likely_same_plate(a: str, b: str, max_edits: int = 1) -> bool:
    """Same plate, or one OCR edit apart: the rule for fragments of one pass."""
    return same_plate(a, b) or (bool(a) and bool(b) and edit_distance(fold(a), fold(b)) <= max_edits)


def same_spot(a: Box, b: Box, widths: float = SAME_SPOT_WIDTHS) -> bool:
    (ax, ay), (bx, by) = a.center, b.center
    return ((ax - bx) ** 2 + (ay - by) ** 2) ** 0.5 <= widths * max(a.width, b.width, 1.0)


def is_stationary(observations: Sequence[Observation], after_s: float = STATIONARY_AFTER_S) -> bool:
    """The plate stood still at its last place for ``after_s`` or longer: every
    observation of that last span is within a plate width of the last one. A vehicle
    that drove off in view ends moving, so it is not stationary."""
    if len(observations) < 2:
        return False
    last = observations[-1]
    since_s = last.t_s
    for obs in reversed(observations):
        if not same_spot(last.box, obs.box):
            break
        since_s = obs.t_s
    return last.t_s - since_s >= after_s


def has_support(result: Vote, policy: EventPolicy) -> bool:
    """Enough evidence for a final: reads, exact agreement and vote confidence."""
    return (
        result.reads >= policy.final_min_reads
        and result.agreeing >= policy.final_min_agreeing
        and result.confidence >= policy.final_min_confidence
    )


@dataclass(eq=False)
class Pass:
    """One vehicle pass of one camera (mutable state, local to the builder)."""

    pass_id: int
    tracks: dict[int, Track] = field(default_factory=dict)
    live: set[int] = field(default_factory=set)  # ids of its tracks the tracker still follows
    texts: set[str] = field(default_factory=set)  # texts it reported (preview and final)
    preview_sent: bool = False
    closed: bool = False  # final decided (emitted, dropped, or merged as a duplicate)
    reported: bool = False  # sent a preview or a final: the dedupe window applies to it
    views: ViewPicker = field(default_factory=ViewPicker)

    def hold(self, track: Track) -> None:
        """Keep ``track`` (its latest state); a decided pass keeps it without its frame."""
        self.tracks[track.track_id] = without_frame(track) if self.closed else track

    def close(self) -> None:
        """The final is decided: no more pictures are needed. A closed pass lives on for
        the dedupe window or a parked car's whole stay (hours), holding only texts, boxes
        and times, not megabytes of frames."""
        self.closed = True
        self.views.clear()
        self.tracks = {tid: without_frame(t) for tid, t in self.tracks.items()}

    @property
    def observations(self) -> list[Observation]:
        return sorted((o for t in self.tracks.values() for o in t.observations), key=lambda o: o.t_s)

    @property
    def first_seen_s(self) -> float:
        return min(t.first_seen_s for t in self.tracks.values())

    @property
    def last_seen_s(self) -> float:
        return max(t.last_seen_s for t in self.tracks.values())

    @property
    def last_box(self) -> Box:
        return max(self.tracks.values(), key=lambda t: t.last_seen_s).observations[-1].box


NO_IMAGE = np.zeros((0, 0, 3), np.uint8)


def without_frame(track: Track) -> Track:
    """The track with an empty picture (texts, boxes and times kept)."""
    if track.best_frame.image.size == 0:
        return track
    return replace(track, best_frame=replace(track.best_frame, image=NO_IMAGE))


class PassBuilder:
    """The tracker, pass grouping and event decisions of one camera."""

    def __init__(
        self,
        camera_id: str,
        policy: EventPolicy,
        fits: Callable[[str], bool] | None = None,
        on_unsure: Callable[[Vote, float, float], None] | None = None,
    ) -> None:
        self.camera_id = camera_id
        self.policy = policy
        self._fits = fits
        self._on_unsure = on_unsure  # (vote, first_seen_s, last_seen_s) of each dropped final
        self.tracking = False  # the tracker follows a plate now
        self._tracker = PlateTracker(policy.track_timeout_s)
        self._passes: list[Pass] = []
        self._of_track: dict[int, Pass] = {}
        self._next_id = 1
        self.suppressed = 0  # sightings of a reported plate after a break, merged into its event
        self.unsure = 0  # finals dropped for lack of support

    def on_frame(self, frame: Frame, reads: Sequence[PlateRead]) -> list[PlateEvent]:
        t_s = frame.timestamp_s
        update = self._tracker.update(t_s, reads, frame)
        self.tracking = bool(update.active)
        for track in update.active:
            self._follow(track, frame, t_s)
        for track in update.ended:
            self._end_track(track)
        events: list[PlateEvent] = []
        for p in list(self._passes):
            events += self._decide(p, t_s)
        self._forget(t_s)
        return events

    def flush(self, t_s: float) -> list[PlateEvent]:
        """Final events for every open pass (shutdown, end of a clip: nothing is lost)."""
        for track in self._tracker.flush():
            self._end_track(track)
        self.tracking = False
        events: list[PlateEvent] = []
        for p in list(self._passes):
            if not p.closed:
                events += self._final(p, t_s)
        return events

    # -- grouping tracks into passes ---------------------------------------------------

    def _follow(self, track: Track, frame: Frame, t_s: float) -> None:
        p = self._of_track.get(track.track_id)
        if p is None:
            result = self._vote(track.observations)
            if result is None or len(result.text) < self.policy.min_text_length:
                return  # no usable text yet: not a pass (yet)
            p = self._pass_for(track, result.text)
            self._of_track[track.track_id] = p
            if track.best_frame is not frame and not p.closed:
                p.views.offer(track.best_read, track.best_frame)
        p.hold(track)
        p.live.add(track.track_id)
        if p.closed and len(p.tracks) > MAX_CLOSED_TRACKS:  # a stay of hours: keep the latest tracks
            for tid in sorted(p.tracks, key=lambda k: p.tracks[k].last_seen_s)[: len(p.tracks) - MAX_CLOSED_TRACKS]:
                if tid not in p.live:
                    del p.tracks[tid]
        last = track.observations[-1]
        if last.t_s == t_s and not p.closed:  # a decided pass needs no more pictures
            p.views.offer(last.read, frame)

    def _pass_for(self, track: Track, text: str) -> Pass:
        """The pass a new track with ``text`` belongs to: an open fragment, a report of the
        same plate still in the dedupe window, or a new pass."""
        gap_s = self.policy.pass_gap_s
        for p in self._passes:
            if p.closed or not p.tracks:
                continue
            current = self._pass_text(p)
            if current and likely_same_plate(text, current) and p.last_seen_s >= track.first_seen_s - gap_s:
                return p
        earlier = self._reported(text, track.observations[-1].box, track.first_seen_s, exclude=None)
        if earlier is not None:
            self.suppressed += 1  # seen again after a break: merged into its event
            return earlier
        p = Pass(self._next_id)
        self._next_id += 1
        self._passes.append(p)
        return p

    def _end_track(self, track: Track) -> None:
        p = self._of_track.pop(track.track_id, None)
        if p is not None:
            p.hold(track)
            p.live.discard(track.track_id)

    def _reported(self, text: str, box: Box, t_s: float, exclude: Pass | None) -> Pass | None:
        """Another pass that reported this plate and still holds it (dedupe window or a stay)."""
        for p in self._passes:
            if p is exclude or not p.reported or not p.tracks:
                continue
            if not any(same_plate(text, t) for t in p.texts):
                continue
            if t_s - p.last_seen_s < self.policy.dedupe_window_s:
                return p
            stationary = is_stationary(p.observations)
            if stationary and t_s - p.last_seen_s < self.policy.stationary_memory_s and same_spot(p.last_box, box):
                return p
        return None

    def _forget(self, t_s: float) -> None:
        keep_s = max(self.policy.dedupe_window_s, self.policy.pass_gap_s)
        # a pass without tracks was merged into an earlier one
        self._passes = [p for p in self._passes if p.tracks and not self._done(p, t_s, keep_s)]

    def _done(self, p: Pass, t_s: float, keep_s: float) -> bool:
        """Closed, unseen for ``keep_s``, and not a stay still remembered."""
        idle_s = t_s - p.last_seen_s
        if not p.closed or p.live or idle_s < keep_s:
            return False
        return not (p.reported and idle_s < self.policy.stationary_memory_s and is_stationary(p.observations))

    # -- decisions ----------------------------------------------------------------------

    def _vote(self, observations: Sequence[Observation]) -> Vote | None:
        return vote([o.read.ocr for o in observations], self._fits)

    def _pass_text(self, p: Pass) -> str:
        result = self._vote(p.observations)
        return result.text if result else ""

    def _decide(self, p: Pass, t_s: float) -> list[PlateEvent]:
        if p.closed or not p.tracks:
            return []
        if t_s - p.first_seen_s >= self.policy.max_event_delay_s:
            return self._final(p, t_s)
        if not p.live and t_s - p.last_seen_s > self.policy.pass_gap_s:
            return self._final(p, t_s)
        if p.preview_sent or not p.live:
            return []
        return self._preview(p, t_s)

    def _preview(self, p: Pass, t_s: float) -> list[PlateEvent]:
        result = self._vote(p.observations)
        policy = self.policy
        if (
            result is None
            or not result.fits_format
            or len(result.text) < policy.min_text_length
            or result.reads < policy.preview_min_reads
            or result.confidence < policy.preview_min_confidence
        ):
            return []
        if self._merge_if_duplicate(p, result.text, t_s):
            return []
        p.preview_sent = p.reported = True
        p.texts.add(result.text)
        return [self._event(p, result, "preview")]

    def _final(self, p: Pass, t_s: float) -> list[PlateEvent]:
        events = self._final_decision(p, t_s)
        p.close()
        return events

    def _final_decision(self, p: Pass, t_s: float) -> list[PlateEvent]:
        result = self._vote(p.observations)
        if result is None or len(result.text) < self.policy.min_text_length:
            return []
        if not p.preview_sent:
            if self._merge_if_duplicate(p, result.text, t_s):
                return []
            if not has_support(result, self.policy):
                self.unsure += 1
                if self._on_unsure:
                    self._on_unsure(result, p.first_seen_s, p.last_seen_s)
                return []
        p.reported = True
        p.texts.add(result.text)
        return [self._event(p, result, "final")]

    def _merge_if_duplicate(self, p: Pass, text: str, t_s: float) -> bool:
        earlier = self._reported(text, p.last_box, p.first_seen_s, exclude=p)
        if earlier is None:
            return False
        for tid, track in p.tracks.items():  # the earlier report now holds these tracks
            earlier.hold(track)
            if tid in p.live:
                earlier.live.add(tid)
                self._of_track[tid] = earlier
        if not earlier.closed:
            earlier.views.merge(p.views)
        p.close()
        p.tracks, p.live = {}, set()
        self.suppressed += 1
        return True

    def _event(self, p: Pass, result: Vote, kind: EventKind) -> PlateEvent:
        observations = p.observations
        read, frame = p.views.best(result.text)
        as_track = Track(p.pass_id, tuple(observations), read, frame)
        return PlateEvent(
            camera_id=self.camera_id,
            track_id=p.pass_id,
            kind=kind,
            text=result.text,
            confidence=result.confidence,
            read=read,
            frame=frame,
            first_seen_s=observations[0].t_s,
            last_seen_s=observations[-1].t_s,
            reads_count=len(observations),
            direction=direction_of(as_track, self.policy.entry_direction, self.policy.min_motion_px),
            location=self.policy.location,
        )
