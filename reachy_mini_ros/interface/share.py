"""Find the package's installed files: the share directory and the parameter file."""

from __future__ import annotations

from pathlib import Path

PACKAGE = "reachy_mini"
PARAMS_FILE = "reachy_mini.yaml"


def share_dir() -> Path:
    """Return the package's share directory: the installed one, else the source tree."""
    try:
        from ament_index_python.packages import get_package_share_directory

        installed = Path(get_package_share_directory(PACKAGE))
        if (installed / "config" / PARAMS_FILE).is_file():
            return installed
    except Exception:  # not installed with colcon: use the source tree
        pass
    return Path(__file__).resolve().parents[2]


def default_params_file() -> Path:
    """Return the path of config/reachy_mini.yaml."""
    return share_dir() / "config" / PARAMS_FILE
