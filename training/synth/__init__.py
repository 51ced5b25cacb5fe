"""Synthetic licence-plate generator: text per country pack, rendering, degradation.

Everything is deterministic from an integer seed: ``make_sample(seed, style)`` returns
the same grey image and text on every run.
"""

from training.synth.generate import STYLES, make_sample, render_clean

__all__ = ["STYLES", "make_sample", "render_clean"]
