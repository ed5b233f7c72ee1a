"""The outbound dialer: campaigns, lead lists and pacing."""
