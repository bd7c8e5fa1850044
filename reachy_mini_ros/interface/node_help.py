"""Answer ``--help`` for a node's entry point without starting the node.

``ros2 run reachy_mini bridge_node --help`` must print how to run the node and what it takes,
not open a port or a serial bus. The parameters are shown as the shipped parameter file gives
them, comments included, so the help cannot drift from the defaults.
"""

from __future__ import annotations

import sys

from reachy_mini_ros.interface.share import default_params_file

HELP_FLAGS = frozenset({"-h", "--help"})


def wants_help(args: list[str] | None) -> bool:
    """Return whether the arguments before any ``--ros-args`` ask for help."""
    argv = list(sys.argv[1:] if args is None else args[1:])
    if "--ros-args" in argv:
        argv = argv[: argv.index("--ros-args")]
    return any(arg in HELP_FLAGS for arg in argv)


def node_section(node_name: str) -> str:
    """Return the node's section of the shipped parameter file, with its comments."""
    lines = default_params_file().read_text(encoding="utf-8").splitlines()
    section: list[str] = []
    for line in lines:
        if line.startswith(f"{node_name}:"):
            section = [line]
        elif section:
            if line and not line.startswith((" ", "#")):
                break
            section.append(line)
    return "\n".join(section).rstrip()


def print_help(node_name: str, summary: str) -> None:
    """Print the node's usage and its parameters with their defaults."""
    print(
        f"usage: ros2 run reachy_mini {node_name} [--ros-args -p NAME:=VALUE ...]\n\n"
        f"{summary}\n\n"
        f"Parameters, with the defaults of {default_params_file()}:\n\n"
        f"{node_section(node_name)}"
    )
