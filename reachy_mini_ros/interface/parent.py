"""A node ends with the process that started it: launch, `ros2 run`, bringup or a shell.

`ros2 launch` exits at once on SIGTERM without stopping the processes it started, which then
run on as orphans: the bridge holding its port, the hardware node the serial bus. Each node
asks Linux at start for SIGTERM when its parent goes, and stops as for Ctrl-C.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def stop_with_parent() -> bool:
    """Have this process get SIGTERM when its parent ends; return whether it was set.

    A process whose parent is init (a service started by systemd itself) has nobody to follow.
    """
    if not sys.platform.startswith("linux") or os.getppid() == 1:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM) == 0)
