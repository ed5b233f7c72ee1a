"""VICIdial's adaptive dial level (ADAPT_TAPERED at default settings), as a pacer.

A port of the control law as VICIdial's AST_VDadapt.pl and AST_VDauto_dial.pl describe it
(facts from the project's shared notes; no code of theirs): every second sample ready agents,
live calls waiting for an agent and logged-in agents, keeping 15 samples; every 15 s set
m = (mean ready - mean waiting + diff_target) / mean logged-in and DL = DL * (1 + m), clamped to
[1, 3]; halve DL when more than 50% of the last minute's calls dropped (over 20 calls); once
today's drop percentage (drops / live answers, refreshed each minute) exceeds 3% after 50
calls, multiply DL by min(1, minutes left / 1000) every 15 s while over; every 2.5 s place
round(DL * (ready + in-call agents)) - calls in progress. Start at DL 1.
"""

from __future__ import annotations

from collections import deque

from dialer.pacing import PacingInput


class VicidialAdaptTapered:
    cadence = 1.0

    def __init__(self, diff_target: float = 0.0, max_level: float = 3.0) -> None:
        self.diff_target = diff_target
        self.max_level = max_level
        self.dl = 1.0
        self.samples: deque[tuple[int, int, int]] = deque(maxlen=15)
        self.last_adapt: float | None = None
        self.last_place: float | None = None
        self.last_drop_check: float | None = None
        self.drop_pct = 0.0

    def launch(self, inp: PacingInput) -> int:
        now = inp.now
        self.samples.append((inp.ready, inp.waiting, inp.logged_in))
        if self.last_drop_check is None or now - self.last_drop_check >= 60:
            self.drop_pct = 100.0 * inp.day_drops / inp.day_answers if inp.day_answers else 0.0
            self.last_drop_check = now
        if self.last_adapt is None:
            self.last_adapt = now
        elif now - self.last_adapt >= 15:
            self.last_adapt = now
            n = len(self.samples)
            ready = sum(s[0] for s in self.samples) / n
            waiting = sum(s[1] for s in self.samples) / n
            logged = sum(s[2] for s in self.samples) / n
            if logged > 0:
                m = (ready - waiting + self.diff_target) / logged
                self.dl *= 1 + m
            if inp.minute_calls > 20 and inp.minute_drops / inp.minute_calls > 0.5:
                self.dl /= 2
            if inp.day_answers >= 50 and self.drop_pct > 3.0:
                self.dl *= min(1.0, inp.minutes_left / 1000)  # TAPERED
            self.dl = min(max(self.dl, 1.0), self.max_level)
        if self.last_place is not None and now - self.last_place < 2.5:
            return 0
        self.last_place = now
        in_call = len(inp.busy_elapsed)  # agents on a campaign call (talk or wrap-up)
        goal = round(self.dl * (inp.ready + in_call))
        in_progress = len(inp.inflight_elapsed) + inp.waiting + in_call
        return max(0, goal - in_progress)
