"""Ops: model management, evaluation and sample clips; the daemon never imports this package."""
