"""The daemon: the aiohttp edge around the core (API, WebSocket hub, metrics, live driver)."""
