"""Live reload: apply a new config without dropping a waiting caller or an agent's state."""

from __future__ import annotations

from typing import Any

from acd import events as ev
from acd.config.schema import Config
from acd.engine.base import MV, ORDER_SIGN, A, EngineBase, requirement_levels
from acd.entities import AgentRt, QueueRt


class ReconfigureMixin(EngineBase):
    def _add_queue(self, cfg: Any) -> None:
        q = QueueRt(cfg)
        q.book = self.book
        for alts, _ in requirement_levels(dict(cfg.skills), cfg.escalation):
            q.levels.append(tuple(self._pool(a, cfg.strategy, cfg.name) for a in alts))
        self.queues[cfg.name] = q

    def reconfigure(self, config: Config, now: float) -> dict[str, list[str]]:
        """Apply a new config without dropping a waiting caller or an agent's state.

        Queues: added; changed (waiting calls re-evaluated under the new rules); removed (closed
        to new calls, drained). Agents: added; skills or name changed; removed (logged out at
        once if idle, else when their call and wrap-up end).
        """
        changes: dict[str, list[str]] = {"added": [], "changed": [], "removed": []}
        new_agents = {a.id: a for a in config.agents}
        for aid, a in list(self.agents.items()):
            if aid not in new_agents:
                changes["removed"].append(f"agent {aid}")
                a.retiring = True
                if a.state in (A.READY, A.PAUSED, A.WRAP_UP, A.RESERVED):
                    if a.state is A.WRAP_UP:
                        self._end_wrap(a, now, MV.LOGOUT)
                    else:
                        self._move(a, MV.LOGOUT, now)
                if a.state is A.LOGGED_OUT:
                    del self.agents[aid]
        for ac in config.agents:
            rt = self.agents.get(ac.id)
            if rt is None:
                rt = AgentRt(len(self.router.members), ac.id, ac.name, dict(ac.skills))
                rt.book = self.book
                self.agents[ac.id] = rt
                self.router.add_member(rt)
                changes["added"].append(f"agent {ac.id}")
            elif dict(ac.skills) != rt.skills or ac.name != rt.name:
                rt.name = ac.name
                if dict(ac.skills) != rt.skills:
                    self._on_set_skills(ev.SetAgentSkills(ac.id, dict(ac.skills)), now)
                changes["changed"].append(f"agent {ac.id}")
        self.config = config
        self.contacts.window = config.fcr.window_hours * 3600.0
        self._order = [(k, ORDER_SIGN[k]) for k in config.routing.call_order]
        new_queues = {q.name: q for q in config.queues}
        for name, q in self.queues.items():
            if name not in new_queues and not q.closed:
                q.closed = True
                changes["removed"].append(f"queue {name}")
        for qc in config.queues:
            q = self.queues.get(qc.name)
            if q is None:
                self._add_queue(qc)
                changes["added"].append(f"queue {qc.name}")
                continue
            if q.cfg == qc and not q.closed:
                continue
            q.cfg = qc
            q.closed = False
            q.base.configure(qc)
            q.levels = [
                tuple(self._pool(a, qc.strategy, qc.name) for a in alts)
                for alts, _ in requirement_levels(dict(qc.skills), qc.escalation)
            ]
            changes["changed"].append(f"queue {qc.name}")
        # Waiting calls: re-evaluate requirement, order and timers under the new rules.
        for c in list(self.calls.values()):
            if not c.present:
                continue
            cfg = c.queue.cfg
            was_waiting = c.waiting
            self.router.dequeue(c)
            self._set_level(c, min(c.esc_level, len(cfg.escalation)))
            for kind in ("maxwait", "esc"):
                self.timers.cancel((kind, c.id))
            if cfg.max_wait_seconds is not None:
                self.timers.set(("maxwait", c.id), max(now, c.entered + cfg.max_wait_seconds))
            if c.esc_level < len(cfg.escalation):
                due = c.entered + cfg.escalation[c.esc_level].after_seconds
                self.timers.set(("esc", c.id), max(now, due))
            if was_waiting:
                self._route_call(c, now)
        return changes
