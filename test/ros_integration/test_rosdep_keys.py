"""package.xml names only rosdep keys that resolve on Ubuntu 24.04 for Jazzy and Kilted.

rosdep_keys.yaml, next to this file, records what each key resolves to, as `rosdep resolve`
printed it against ros/rosdistro. Where rosdep and a rosdistro snapshot are at hand
(ROSDEP_SOURCE_PATH set, as the ROS tools harness does), the keys are resolved again here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TABLE = yaml.safe_load((Path(__file__).with_name("rosdep_keys.yaml")).read_text())["keys"]
DISTROS = ("jazzy", "kilted")
# Keys of rosdep's base.yaml: system packages, not ROS ones.
SYSTEM_KEYS = {"nodejs", "npm"}


def package_keys() -> dict[str, str]:
    """Return {rosdep key: the tag that names it} for every dependency in package.xml."""
    root = ET.parse(ROOT / "package.xml").getroot()
    return {e.text or "": e.tag for e in root if e.tag.endswith("depend")}


def test_every_key_of_package_xml_is_in_the_table_and_no_other() -> None:
    keys = package_keys()
    assert sorted(set(keys) - set(TABLE)) == [], "keys without a recorded resolution"
    assert sorted(set(TABLE) - set(keys)) == [], "recorded keys package.xml no longer names"


def test_each_key_resolves_on_noble_for_both_distros() -> None:
    for key, entry in TABLE.items():
        assert entry["installer"] in ("apt", "pip"), key
        for distro in DISTROS:
            package = entry[distro]
            assert package, (key, distro)
            if not key.startswith("python3-") and key not in SYSTEM_KEYS:
                # A ROS package key is its released package: ros-<distro>-<name>.
                assert package == f"ros-{distro}-{key.replace('_', '-')}", (key, distro)


def test_the_build_type_is_a_build_type_not_a_dependency() -> None:
    root = ET.parse(ROOT / "package.xml").getroot()
    assert root.findtext("export/build_type") == "ament_python"
    # ament_python is no rosdep key: as a buildtool_depend it made `rosdep install` fail.
    assert "ament_python" not in package_keys()


@pytest.mark.skipif(
    not (os.environ.get("ROSDEP_SOURCE_PATH") and shutil.which("rosdep")),
    reason="rosdep and a rosdistro snapshot come with a ROS install (or the tools harness)",
)
@pytest.mark.parametrize("distro", DISTROS)
def test_rosdep_resolves_every_key_as_recorded(distro: str) -> None:
    if os.environ.get("ROS_DISTRO", distro) != distro:
        pytest.skip(f"rosdep here is set up for {os.environ['ROS_DISTRO']} (ROS_DISTRO)")
    for key, entry in TABLE.items():
        out = subprocess.run(
            ["rosdep", "resolve", key, "--rosdistro", distro, "--os=ubuntu:noble"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert out.returncode == 0, (key, out.stderr)
        lines = out.stdout.split()
        assert lines == [f"#{entry['installer']}", entry[distro]], (key, out.stdout)
