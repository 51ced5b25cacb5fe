"""Third-party models the tests read by path from ../shared (never copied into the repo)."""

from pathlib import Path

import pytest

OMZ = Path(__file__).resolve().parents[2] / "shared" / "models" / "intel-omz"

# Intel's vehicle models (Apache-2.0), copies kept beside the clone; absent on a lone clone.
needs_omz = pytest.mark.skipif(
    not (OMZ / "vehicle-detection-0200.xml").is_file(),
    reason=f"Intel OMZ vehicle models not found in {OMZ} (third-party copies kept beside the clone)",
)
