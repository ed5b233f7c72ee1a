"""Live reconfiguration of campaigns (the engine reloads queues and agents)."""

from __future__ import annotations

from collections import deque

from acd.config.schema import Config
from acd.errors import ConfigError
from dialer.campaign import CampaignRuntime, campaign_queue
from dialer.center.base import CenterBase
from dialer.leadsource import LeadSource, SyntheticLeads, book_leads, configure


class ReconfigureMixin(CenterBase):
    def reconfigure(self, config: Config, now: float) -> dict[str, list[str]]:
        """Apply a new config live, campaigns included (docs/dialer.md: reload rules).

        A changed campaign takes its new rules (mode, pacing, abandonment target, window,
        caller id, messages, retries, dispositions, skills, ...) from now on; a new one starts
        dialing; a removed one stops dialing and its calls finish. Refused, changing nothing:
        a campaign's ``leads`` file or ``dnc_files`` (read once at start: the lead book holds
        attempts and callbacks; add leads and numbers over the API instead)."""
        old = {c.name: c for c in self.config.campaigns}
        for c in config.campaigns:
            o = old.get(c.name)
            if o is None:
                if c.leads is not None or c.dnc_files:
                    raise ConfigError(
                        f"new campaign {c.name!r} names a leads or dnc_files file: files are "
                        "read at start; add it without them and post its leads to "
                        f"/v1/campaigns/{c.name}/leads, or restart"
                    )
                continue
            for key in ("leads", "dnc_files"):
                if getattr(c, key) != getattr(o, key):
                    raise ConfigError(
                        f"campaign {c.name!r}: {key} changed ({getattr(o, key)!r} -> "
                        f"{getattr(c, key)!r}); files are read once at start and the lead book "
                        "holds attempts and callbacks: post leads to /v1/campaigns/"
                        f"{c.name}/leads and numbers to /v1/dnc, or restart",
                        field=f"campaigns.{c.name}.{key}",
                    )
        changes: dict[str, list[str]] = {"added": [], "changed": [], "removed": []}
        new = {c.name: c for c in config.campaigns}
        for name in [n for n in self.campaigns if n not in new]:
            rt = self.campaigns.pop(name)
            self.timers.cancel(("pace", name))
            for aid in [a for a, r in self._previewing.items() if r is rt]:
                self._withdraw(aid, now)
                self.engine.release_agent(aid, now)
            self._draining[name] = rt
            changes["removed"].append(f"campaign {name}")
        for c in config.campaigns:
            rt = self.campaigns.get(c.name) or self._draining.pop(c.name, None)
            if rt is None:
                leads: LeadSource = (
                    SyntheticLeads()
                    if self.dnc is None
                    else book_leads(c, self.dnc, self.lead_epoch)
                )
                rt = CampaignRuntime(c, leads)
                rt.book = self.engine.book
                rt.id_prefix = self.call_prefix
                changes["added"].append(f"campaign {c.name}")
            elif rt.cfg != c or c.name not in self.campaigns:
                if c.mode != "preview":
                    for aid in [a for a, r in self._previewing.items() if r is rt]:
                        self._withdraw(aid, now)
                        self.engine.release_agent(aid, now)
                rt.reconfigure(c)
                configure(rt.leads, c)
                changes["changed"].append(f"campaign {c.name}")
            if c.name not in self.campaigns:
                self.campaigns[c.name] = rt
                self.timers.set(("pace", c.name), now)
        # Removed campaigns keep their queue until their calls have ended.
        for name, rt in list(self._draining.items()):
            if not (rt.inflight or rt.answered or rt.targeted):
                del self._draining[name]
        queues = [
            *config.queues,
            *(campaign_queue(c) for c in config.campaigns),
            *(campaign_queue(rt.cfg) for rt in self._draining.values()),
        ]
        for q in config.queues:
            self._arrivals.setdefault(q.name, deque())
        engine_changes = self.engine.reconfigure(config.model_copy(update={"queues": queues}), now)
        for k, v in engine_changes.items():
            changes[k] += [x for x in v if not x.startswith("queue campaign:")]
        self.config = config
        self._index_campaigns()
        return changes
