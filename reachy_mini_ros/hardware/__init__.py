"""Drive the motor bus: the lifecycle hardware node and what only it uses."""
