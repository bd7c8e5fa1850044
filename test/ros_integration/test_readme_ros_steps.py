"""The README's "For ROS users" steps, run as written, as far as this machine allows.

The shell block of that section is read from README.md and run line by line in bash, in a
home of its own, with these stand-ins, each for something this machine does not have:

- `/opt/ros/<distro>/setup.bash`: a script that puts the ROS 2 wheels of the test venv where a
  ROS install puts its Python packages (PYTHONPATH), its libraries (LD_LIBRARY_PATH) and its
  prefix (AMENT_PREFIX_PATH). It
  shows only the ROS side of the venv (rclpy, the messages, colcon...): the packages that the
  README's pip line installs are left out, so that the pip line has to bring them.
- `git clone <this repository>`: a link to this checkout, so that what is tested is the tree
  under test (and cargo reuses its compiled core: CARGO_TARGET_DIR is the crate's own).
- `rosdep install`: neither rosdep nor the rosdistro index is on this machine; the keys of
  package.xml are checked against the committed rosdep table by test_rosdep_keys.py.
- `ros2 launch`: launch is not on PyPI; the installed executables' `--help` runs instead,
  from the environment that `source install/setup.bash` gave.

Every other line runs as written: the venv with the system's packages, the pip line (from
PyPI), `python3 -m colcon build --packages-select reachy_mini` and `source install/setup.bash`.
A line of the block that none of these rules knows fails the test.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from integration_support import ROOT

from reachy_mini_ros.bridge.routes.system import _ros_distro
from reachy_mini_ros.bringup import NODES
from reachy_mini_ros.interface.share import PACKAGE

SITE = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
SITE_PACKAGES = SITE / "site-packages"
# The distro of the venv's ROS wheels, as /api/system/info reports it.
DISTRO = _ros_distro()

pytestmark = [pytest.mark.timeout(1500)]


def readme_block() -> list[str]:
    """Return the commands of the first sh block of the README's ROS section, one per line."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## For ROS users", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    joined = re.sub(r"\\\n\s*", " ", block)
    commands = []
    for line in joined.splitlines():
        command = re.sub(r"\s+#.*$", "", line).strip()
        if command:
            commands.append(command)
    return commands


def requirement_names(dist: importlib.metadata.Distribution) -> set[str]:
    """Return the normalized names of what a distribution needs, extras left out."""
    names = set()
    for requirement in dist.requires or []:
        if "extra ==" in requirement:
            continue
        match = re.match(r"[A-Za-z0-9._-]+", requirement)
        if match:
            names.add(normalize(match.group(0)))
    return names


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(names: set[str], dists: dict[str, importlib.metadata.Distribution]) -> set[str]:
    """Return names and everything they need, transitively, among the installed dists."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen or name not in dists:
            continue
        seen.add(name)
        todo.extend(requirement_names(dists[name]))
    return seen


def pip_line_packages(commands: list[str]) -> set[str]:
    """Return the normalized names the README's pip line installs."""
    line = next(c for c in commands if c.startswith("python3 -m pip install "))
    words = line.removeprefix("python3 -m pip install ").replace('"', "").split()
    return {normalize(re.match(r"[A-Za-z0-9._-]+", w).group(0)) for w in words}  # type: ignore[union-attr]


def ros_prefix(prefix: Path, leave_out: set[str]) -> Path:
    """Lay out prefix as a ROS install made of the test venv, without leave_out's closure.

    prefix/share and prefix/lib are the venv's, linked entry by entry, so that the libraries'
    relative search paths hold; prefix/lib/pythonX.Y/site-packages links the venv's Python
    packages except the pip line's packages and what only they need, this package itself (an
    editable install of the checkout) and its core, and the venv's .pth hooks. Return the
    site-packages folder.
    """
    dists = {
        normalize(d.metadata["Name"]): d
        for d in importlib.metadata.distributions(path=[str(SITE_PACKAGES)])
    }
    ours = {"reachy-mini", "reachy-mini-core-rs"}
    excluded = closure(leave_out, dists) | (ours & set(dists))
    kept = set(dists) - excluded
    excluded -= closure(kept, dists) - ours
    hidden: set[str] = set()
    for name in excluded:
        for file in dists[name].files or []:
            hidden.add(Path(str(file)).parts[0])
        hidden.add(Path(str(dists[name]._path)).name)  # type: ignore[attr-defined]
    (prefix / "share").symlink_to(Path(sys.prefix) / "share")
    lib = prefix / "lib"
    lib.mkdir(parents=True)
    for entry in (Path(sys.prefix) / "lib").iterdir():
        if entry.name != SITE.name:
            (lib / entry.name).symlink_to(entry)
    view = lib / SITE.name / "site-packages"
    view.mkdir(parents=True)
    for entry in SITE_PACKAGES.iterdir():
        if entry.name in hidden or entry.suffix == ".pth" or entry.name.startswith("__editable__"):
            continue
        (view / entry.name).symlink_to(entry)
    return view


# The README's steps that run here exactly as written.
RUN_AS_WRITTEN = (
    "mkdir ",
    "python3 -m venv ",
    "python3 -m pip install ",
    "python3 -m colcon build ",
    "source install/setup.bash",
)


def script(commands: list[str], home: Path) -> str:
    """Return the bash script of the README's steps, with this machine's stand-ins."""
    assert DISTRO in ("jazzy", "kilted"), f"no ROS 2 distro recognised in this venv: {DISTRO}"
    prefix = home / "opt" / "ros" / DISTRO
    prefix.mkdir(parents=True)
    view = ros_prefix(prefix, pip_line_packages(commands))
    # A ROS install's setup puts its lib folder on the library path; the wheels keep some of
    # their libraries in ros_*.libs folders, which the venv's start-up hook adds.
    libraries = [str(prefix / "lib"), *(str(p) for p in sorted(view.glob("ros_*.libs")))]
    setup = prefix / "setup.bash"
    setup.write_text(
        f"export ROS_DISTRO={DISTRO}\n"
        f"export AMENT_PREFIX_PATH={prefix}\n"
        f"export PYTHONPATH={view}\n"
        f"export LD_LIBRARY_PATH={os.pathsep.join(libraries)}\n"
    )
    # Not -u: colcon's setup scripts read variables that may be unset.
    lines = ["set -eo pipefail", "set -x"]
    for command in commands:
        if re.fullmatch(r"source /opt/ros/(jazzy|kilted)/setup\.bash", command):
            lines.append(f"source {setup}")
        elif command.startswith("git clone ") and command.endswith(f" src/{PACKAGE}"):
            lines.append(f"ln -s {ROOT} src/{PACKAGE}")
        elif command.startswith("rosdep install "):
            lines.append(": rosdep is not on this machine")
        elif command.startswith(f"ros2 launch {PACKAGE} "):
            prefix = f"install/{PACKAGE}/lib/{PACKAGE}"
            for node in NODES:
                if node.package == PACKAGE:
                    lines.append(f"echo '== {node.executable}'; {prefix}/{node.executable} --help")
        elif command.startswith(RUN_AS_WRITTEN):
            lines.append(command)
        else:
            raise AssertionError(f"a README step this test does not know: {command!r}")
    return "\n".join(lines) + "\n"


def test_the_readme_ros_steps_build_the_package_and_its_executables_answer_help(
    tmp_path: Path,
) -> None:
    commands = readme_block()
    home = tmp_path / "home"
    home.mkdir()
    text = script(commands, home)
    (tmp_path / "steps.sh").write_text(text)
    env = {
        "HOME": str(home),
        # The machine's python3 (the one the test venv was made from), cargo and npm; nothing
        # of the test venv.
        "PATH": os.pathsep.join(
            [
                str(Path(sys.base_prefix) / "bin"),
                str(Path.home() / ".cargo" / "bin"),
                "/usr/local/bin",
                "/usr/bin",
                "/bin",
            ]
        ),
        "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", str(Path.home() / ".rustup")),
        "CARGO_HOME": os.environ.get("CARGO_HOME", str(Path.home() / ".cargo")),
        "CARGO_TARGET_DIR": str(ROOT / "reachy_mini_core_rs" / "target"),
        "npm_config_cache": str(Path.home() / ".npm"),
        "ROS_DOMAIN_ID": os.environ["ROS_DOMAIN_ID"],
        "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
        "RMW_IMPLEMENTATION": os.environ.get("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "LANG": "C.UTF-8",
    }
    for key in ("PIP_FIND_LINKS", "PIP_CERT", "SSL_CERT_FILE", "PIP_INDEX_URL"):
        if key in os.environ:
            env[key] = os.environ[key]
    done = subprocess.run(
        ["bash", str(tmp_path / "steps.sh")],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=1400,
        check=False,
    )
    log = done.stdout + done.stderr
    (tmp_path / "steps.log").write_text(log)
    assert done.returncode == 0, log[-6000:]
    workspace = home / "reachy_ws"
    prefix = workspace / "install" / PACKAGE
    # The pip line's packages came from PyPI into the venv, not from the stand-in.
    venv_site = workspace / "venv" / "lib" / SITE.name / "site-packages"
    for name in ("fastapi", "maturin", "sqlalchemy"):
        assert any(p.name.lower().startswith(name) for p in venv_site.iterdir()), name
    # colcon built the core and installed the dashboard with the package.
    installed = list(
        (prefix / "lib" / SITE.name / "site-packages" / "reachy_mini_core_rs").glob("_core*.so")
    )
    assert installed, sorted(p.name for p in prefix.rglob("*"))[:50]
    assert (prefix / "share" / PACKAGE / "web" / "dist" / "index.html").is_file()
    # Each executable printed its usage and its ROS parameters.
    for node in NODES:
        if node.package != PACKAGE:
            continue
        part = log.split(f"== {node.executable}", 1)[1]
        assert f"usage: ros2 run {PACKAGE} {node.executable}" in part, part[:2000]
        assert f"\n{node.executable}:\n" in part, part[:2000]
