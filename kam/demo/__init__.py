"""The demo company: a deterministic, realistic data set for trying KAM out (``kam demo``)."""

from .generator import DemoError, DemoSummary, build_demo, default_as_of, wipe_demo

__all__ = ["DemoError", "DemoSummary", "build_demo", "default_as_of", "wipe_demo"]
