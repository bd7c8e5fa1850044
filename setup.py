"""Build the reachy_mini ament_python package, with the Rust core built by maturin.

``colcon build`` runs this file; its build step asks maturin for a wheel of
``reachy_mini_core_rs`` and puts the compiled module next to the Python packages, so that the
installed package needs nothing else. ``make`` builds the core with ``maturin develop``
instead and sets REACHY_MINI_SKIP_CORE_BUILD=1.

The dashboard (``web/dist``) is built with npm when it is missing and npm is on the PATH
(package.xml declares nodejs and npm), and installed with the package; without npm, or when
its build fails, the package is built without it and the bridge's ``/`` says how to build
it. REACHY_MINI_SKIP_WEB_BUILD=1 leaves it alone.
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

PACKAGE = "reachy_mini"
HERE = os.path.dirname(os.path.abspath(__file__))


class BuildWithCore(build_py):
    """Build the Python packages, then the Rust core with maturin."""

    def run(self) -> None:
        super().run()
        if os.environ.get("REACHY_MINI_SKIP_CORE_BUILD") == "1":
            return
        manifest = os.path.join(HERE, "reachy_mini_core_rs", "Cargo.toml")
        # colcon's PYTHONPATH holds a sitecustomize that moves sys.prefix to the install
        # prefix, where `python -m maturin` cannot find its binary: run it without that path.
        env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
        with tempfile.TemporaryDirectory() as out:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "maturin",
                    "build",
                    "--release",
                    "-m",
                    manifest,
                    "-o",
                    out,
                    "--interpreter",
                    sys.executable,
                ],
                check=True,
                env=env,
            )
            wheels = glob.glob(os.path.join(out, "*.whl"))
            if len(wheels) != 1:
                raise RuntimeError(f"maturin produced {len(wheels)} wheels, expected one")
            with zipfile.ZipFile(wheels[0]) as wheel:
                for member in wheel.namelist():
                    if member.startswith("reachy_mini_core_rs/"):
                        wheel.extract(member, self.build_lib)


def tree(target: str, source: str) -> list[tuple[str, list[str]]]:
    """List (install dir, files) pairs for every file below source."""
    pairs = []
    for root, _dirs, files in os.walk(os.path.join(HERE, source)):
        if files:
            rel = os.path.relpath(root, HERE)
            pairs.append((os.path.join(target, rel), [os.path.join(rel, f) for f in files]))
    return pairs


def build_dashboard() -> None:
    """Build web/dist with npm if it is missing and npm is here; warn when it cannot."""
    web = os.path.join(HERE, "web")
    if os.environ.get("REACHY_MINI_SKIP_WEB_BUILD") == "1":
        return
    if not os.path.isfile(os.path.join(web, "package.json")):
        return
    if os.path.isfile(os.path.join(web, "dist", "index.html")):
        return
    npm = shutil.which("npm")
    if npm is None:
        print("reachy_mini: npm not found: building without the dashboard", file=sys.stderr)
        return
    for step in (["ci", "--no-audit", "--no-fund", "--loglevel=error"], ["run", "build"]):
        # To stderr: colcon reads this file's stdout for the package's setup data.
        done = subprocess.run([npm, *step], cwd=web, check=False, stdout=sys.stderr)
        if done.returncode != 0:
            print(
                f"reachy_mini: npm {step[0]} failed: building without the dashboard",
                file=sys.stderr,
            )
            return


build_dashboard()
data_files = [
    ("share/ament_index/resource_index/packages", ["resource/" + PACKAGE]),
    ("share/" + PACKAGE, ["package.xml"]),
]
for folder in ("launch", "config", "urdf"):
    data_files += tree("share/" + PACKAGE, folder)
if os.path.isdir(os.path.join(HERE, "web", "dist")):
    data_files += tree("share/" + PACKAGE, os.path.join("web", "dist"))

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(include=["reachy_mini_ros", "reachy_mini_ros.*"]),
    package_data={
        "reachy_mini_ros": [
            "py.typed",
            "interface/robot_table.json",
            "db/migrations/*.ini",
            "db/migrations/**/*",
        ]
    },
    data_files=data_files,
    install_requires=["setuptools"],
    zip_safe=False,
    maintainer="reachy_mini maintainers",
    maintainer_email="maintainers@reachy-mini.dev",
    description="ROS 2 driver, web bridge and dashboard for the Reachy Mini robot",
    license="Apache-2.0",
    tests_require=["pytest"],
    cmdclass={"build_py": BuildWithCore},
    entry_points={
        "console_scripts": [
            "hardware_node = reachy_mini_ros.hardware.node:main",
            "bridge_node = reachy_mini_ros.bridge.node:main",
            "reachy-mini = reachy_mini_ros.cli:main",
        ],
    },
)
