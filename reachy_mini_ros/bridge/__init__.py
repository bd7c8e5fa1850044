"""The bridge's web side: app factory, routes, WebSocket hub, security and metrics."""
