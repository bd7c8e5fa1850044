"""Run the vendor's own software (PyPI reachy_mini 1.13.0, in .venv-vendor) from the tests.

The vendor's code is the reference for what a real robot does: its kinematics, its SDK and its
daemon. It lives in a venv of its own, made by ``make test``; the product never imports it, so
the tests reach it through a child process. A missing venv is an error, not a skip: without it
the comparison would silently prove nothing.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENDOR_VENV = ROOT / ".venv-vendor"
VENDOR_PYTHON = VENDOR_VENV / "bin" / "python"
VENDOR_VERSION = "1.13.0"


def vendor_python() -> Path:
    """Return the vendor venv's interpreter; fail with the command that makes it."""
    if not VENDOR_PYTHON.exists():
        raise RuntimeError(f"{VENDOR_PYTHON} is missing: run `make .stamps/vendor-venv`")
    return VENDOR_PYTHON


def run_vendor(script: str, payload: Any = None, timeout: float = 300.0) -> Any:
    """Run a Python script in the vendor venv with payload as JSON on stdin; return its JSON.

    The script reads ``json.load(sys.stdin)`` and prints one JSON document on stdout.
    """
    result = subprocess.run(
        [str(vendor_python()), "-c", script],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"HF_HUB_OFFLINE": "1", "REACHY_MINI_TELEMETRY": "0", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"vendor script failed ({result.returncode}):\n{result.stderr}")
    return json.loads(result.stdout)


def installed_vendor_version() -> str:
    """Return the version of reachy_mini installed in the vendor venv."""
    return str(
        run_vendor(
            "import json, importlib.metadata as m; print(json.dumps(m.version('reachy_mini')))"
        )
    )
