"""Vision: stateless, one image at a time (detect -> crop -> OCR -> re-rank)."""
