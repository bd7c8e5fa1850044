"""The vendor SDK's protocol, served by the bridge: what Reachy Mini apps talk to."""
