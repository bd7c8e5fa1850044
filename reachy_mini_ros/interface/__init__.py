"""The contract between the hardware node and the bridge: the robot table and its names."""
