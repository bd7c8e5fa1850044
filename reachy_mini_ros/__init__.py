"""ROS 2 nodes, web bridge and launcher of the Reachy Mini desktop robot."""

__version__ = "0.1.0"
