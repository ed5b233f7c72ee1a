"""Drivers: what feeds a core its events and wakes it at its deadlines.

virtual   the simulation's clock: jumps to the next trunk happening or core timer (pure)
live      the daemon's: the event loop's clock, one ``loop.call_at`` at the next deadline
"""
