"""Serve the protocol of the robot's app SDK: its WebSocket `/ws/sdk` and REST routes."""
