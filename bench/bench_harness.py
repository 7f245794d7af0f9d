"""What the Python benches share: the e2e harness (tests/e2e/harness.py) pointed at a build
tree."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BUILD = os.path.join(HERE, "..", "build")


def load_harness(build: str):
    """The e2e harness module, using the binaries of `build` unless TOKEND / FAKE_NACOS say
    otherwise (it reads them when imported)."""
    os.environ.setdefault("TOKEND", os.path.join(build, "src", "nacos-tokend"))
    os.environ.setdefault("FAKE_NACOS", os.path.join(build, "tests", "fake_nacos", "fake-nacos"))
    sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
    import harness
    return harness
