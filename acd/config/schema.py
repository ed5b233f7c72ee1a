"""The configuration format: one YAML schema for the daemon and for scenarios.

A scenario is a config plus a ``simulation:`` section. Unknown keys are errors, so a typo is
caught rather than silently ignored.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from acd.config.announce import Announce
from acd.config.callback import Callback, LanguageSkills, Window
from acd.config.people import Auth, Desk, check_people
from acd.config.reporting import Center, Fcr, QueueCode, Reporting, Survey
from acd.config.simchecks import check_sim_dispositions
from acd.config.simulation import Shift, Simulation, check_shifts
from acd.config.types import (
    FieldProblem,
    FrequencyCap,
    Name,
    Percent,
    PositiveSeconds,
    Ratio,
    Seconds,
    Skills,
    Strict,
    _duplicates,
    hhmm_seconds,
)
from routing.strategies import Strategy


class ServiceLevel(Strict):
    threshold_seconds: PositiveSeconds = 20.0
    target: Ratio = 0.8


class EscalationStep(Strict):
    """After ``after_seconds`` of waiting in the queue, widen who may take the call."""

    after_seconds: PositiveSeconds
    lower_levels_by: Annotated[int, Field(ge=0, le=9)] = 0
    min_levels: Skills = Field(default_factory=dict)
    add_alternative: Skills | None = None
    raise_priority: Annotated[int, Field(ge=0)] = 0

    @model_validator(mode="after")
    def _does_something(self) -> EscalationStep:
        if not (
            self.lower_levels_by or self.min_levels or self.add_alternative or self.raise_priority
        ):
            raise ValueError(
                "an escalation step must change something: lower_levels_by, min_levels, "
                "add_alternative or raise_priority"
            )
        return self


class Queue(Strict):
    name: Name
    skills: Skills = Field(default_factory=dict)
    strategy: Strategy = Strategy.LONGEST_IDLE
    priority: int = 0
    wrap_up_seconds: Seconds = 0.0
    ring_timeout_seconds: PositiveSeconds = 15.0
    retry_seconds: PositiveSeconds = 5.0
    max_no_answer: Annotated[int, Field(ge=0)] = 3
    max_wait_seconds: PositiveSeconds | None = None
    overflow_queue: Name | None = None
    max_length: Annotated[int, Field(ge=1)] | None = None
    join_when_empty: bool = True
    leave_when_empty: bool = False
    service_level: ServiceLevel = ServiceLevel()
    extra_thresholds_seconds: list[PositiveSeconds] = Field(default_factory=list)
    short_abandon_seconds: Seconds = 5.0
    escalation: list[EscalationStep] = Field(default_factory=list)
    auto_answer: bool = False  # agents' lines answer offers at once (dialer campaigns)
    # The codes agents pick: names, or {name, resolved: false} for codes that leave the matter
    # open (first-contact resolution).
    dispositions: Annotated[list[Name | QueueCode], Field(max_length=100)] = []
    survey: Survey | None = None  # a post-call survey when the agent ends the call (CSAT)
    announce: Announce | None = None  # what waiting callers hear (acd.config.announce)
    callback: Callback | None = None  # virtual hold: callers keep their place, called back
    languages: LanguageSkills = {}  # the IVR's ACD_LANGUAGE -> the skill a call then needs

    @field_validator("escalation")
    @classmethod
    def _increasing(cls, steps: list[EscalationStep]) -> list[EscalationStep]:
        times = [s.after_seconds for s in steps]
        if times != sorted(set(times)):
            raise ValueError("escalation steps must have strictly increasing after_seconds")
        return steps


class Agent(Strict):
    id: Name
    name: str = ""
    skills: Skills = Field(default_factory=dict)
    # When the simulated agents log this agent in and out (every day; none: all day).
    shifts: Annotated[list[Shift], Field(max_length=48)] = []

    @model_validator(mode="after")
    def _shifts(self) -> Agent:
        check_shifts(self.shifts)
        return self


CallOrderKey = Literal["queue_priority", "call_priority", "wait"]


class Routing(Strict):
    # How an agent who becomes ready picks among waiting calls of several queues.
    call_order: list[CallOrderKey] = Field(
        default_factory=lambda: ["queue_priority", "call_priority", "wait"]
    )

    @field_validator("call_order")
    @classmethod
    def _order(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v) or "wait" not in v:
            raise ValueError("call_order lists each key at most once and must include 'wait'")
        return v


DispositionKind = Literal["success", "contact", "not_contacted", "final", "callback", "do_not_call"]


class CampaignDisposition(Strict):
    name: Name
    kind: DispositionKind


class RetryRuleConfig(Strict):
    delay_seconds: Seconds
    max_attempts: Annotated[int, Field(ge=1)]


class Retries(Strict):
    """Retry rules per outcome; an omitted one keeps its default (see Dialer compliance)."""

    no_answer: RetryRuleConfig | None = None
    busy: RetryRuleConfig | None = None
    machine: RetryRuleConfig | None = None
    abandoned: RetryRuleConfig | None = None
    failed: RetryRuleConfig | None = None
    not_contacted: RetryRuleConfig | None = None
    max_attempts: Annotated[int, Field(ge=1)] = 10
    max_attempts_per_day: Annotated[int, Field(ge=1)] | None = 3


def _default_dispositions() -> list[CampaignDisposition]:
    return [
        CampaignDisposition(name=n, kind=k)  # type: ignore[arg-type]
        for n, k in (
            ("sale", "success"),
            ("not_interested", "contact"),
            ("no_contact", "not_contacted"),
            ("wrong_number", "final"),
            ("callback", "callback"),
            ("do_not_call", "do_not_call"),
        )
    ]


class Campaign(Strict):
    name: Name
    mode: Literal["preview", "progressive", "power", "predictive"] = "predictive"
    power_ratio: Annotated[float, Field(ge=1.0, le=5.0)] = 2.0
    leads: str | None = None  # CSV file, relative to the config file
    caller_id: str = ""
    skills: Skills = Field(default_factory=dict)  # which agents serve it
    priority: int = 100  # answered outbound calls go ahead of inbound: they have 2 s
    wrap_up_seconds: Seconds = 15.0
    ring_seconds: Annotated[float, Field(ge=15.0, le=120.0)] = 25.0  # the rules: >= 15 s
    connect_within_seconds: Annotated[float, Field(gt=0, le=2.0)] = 2.0  # FTC: 2 s of greeting
    # What the pacer aims at (2.5%: half a point of margin under the legal maximum, 3%).
    abandonment_target: Annotated[float, Field(gt=0, le=0.03), Percent] = 0.025
    safe_harbor_message: str = ""
    # Answering-machine detection (off: compliance first, every answer goes to an agent at once
    # with no detection delay, and agents meet the machines).
    amd: bool = True
    machine: Literal["hang_up", "leave_message"] = "hang_up"
    machine_message: str = ""
    calling_window: Window = Window()
    inbound_reserve: bool = True  # blended agents: keep enough free for inbound service level
    # Agents' wrap-up codes, each marked with what it means for the lead and the figures.
    dispositions: list[CampaignDisposition] = Field(default_factory=_default_dispositions)
    dnc_files: list[str] = Field(default_factory=list)  # registry files, relative to the config
    uk_72h_rule: bool = False  # Ofcom: no redial within 72 h of an abandoned call
    # US debt collection (Regulation F): at most `calls` attempts per account (every lead of
    # it; `per: lead` counts each lead alone) in `days` days, none for `days` days after a
    # conversation on any of them; {calls: 7, days: 7} is the rule's presumption.
    frequency_cap: FrequencyCap | None = None
    retries: Retries = Retries()
    # Preview mode: dial by itself this long after showing a lead (none: wait for the agent).
    preview_timeout_seconds: PositiveSeconds | None = None
    # A skipped preview: back in the list after preview_skip_delay_seconds, or closed (final).
    preview_skip: Literal["requeue", "close"] = "requeue"
    preview_skip_delay_seconds: Seconds = 0.0
    # A callback for a given agent waits for that agent; if the agent is not logged in this
    # long after the callback came due, anyone on the campaign may take it.
    callback_grace_seconds: Seconds = 900.0
    # The lead file's columns the agent desktop shows for a call (empty: every column).
    screen_pop: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=50)] = []

    @model_validator(mode="after")
    def _rules(self) -> Campaign:
        if self.mode in ("power", "predictive") and not self.safe_harbor_message:
            raise ValueError(
                f"campaign {self.name!r}: {self.mode} mode needs safe_harbor_message "
                "(seller name and a call-back number, played when no agent is free)"
            )
        if self.machine == "leave_message" and not self.machine_message:
            raise ValueError(
                f"campaign {self.name!r}: machine: leave_message needs machine_message"
            )
        return self


class Token(Strict):
    """An API bearer token, stored as its SHA-256 hex digest (never the token itself)."""

    name: Annotated[str, Field(min_length=1, max_length=64)]
    role: Literal["agent", "supervisor", "admin"]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    agent_id: Name | None = None  # required for the agent role: the only agent it may act as

    @model_validator(mode="after")
    def _agent(self) -> Token:
        if self.role == "agent" and self.agent_id is None:
            raise ValueError("an agent token needs agent_id")
        return self


class Api(Strict):
    tokens: list[Token] = Field(default_factory=list)


class Daemon(Strict):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] = 8080
    drain_seconds: Seconds = 30.0  # on SIGTERM, how long calls in progress may take to finish
    # After the drain, how long the rest of the stop may take before the daemon logs what it
    # is stuck on and exits with status 70.
    stop_seconds: Annotated[float, Field(gt=0, le=3600)] = 15.0
    metrics_open: bool = True  # serve /metrics without a token (for Prometheus)
    log_format: Literal["text", "json"] = "text"
    mask_numbers: bool = True  # mask phone numbers in logs


def _asterisk_settings(value: Any) -> Any:
    # Imported when validated: telephony_adapters imports this module, so not at the top.
    from telephony_adapters.asterisk.settings import AsteriskSettings as Model

    return value if value is None or isinstance(value, Model) else Model.model_validate(value)


def _asterisk_model() -> type[Any]:
    from telephony_adapters.asterisk.settings import AsteriskSettings as Model

    return Model


_asterisk_settings.model = _asterisk_model  # type: ignore[attr-defined]  # for "did you mean"

if TYPE_CHECKING:
    from telephony_adapters.asterisk.settings import AsteriskSettings
else:
    AsteriskSettings = Annotated[Any, BeforeValidator(_asterisk_settings)]


class Adapter(Strict):
    type: Literal["simulated", "asterisk"] = "simulated"
    asterisk: AsteriskSettings | None = None  # host, login, devices, contexts: see deploy/asterisk

    @model_validator(mode="after")
    def _settings_match_type(self) -> Adapter:
        if self.type == "asterisk" and self.asterisk is None:
            raise ValueError("type asterisk needs an asterisk: section (host, port, username, ...)")
        if self.type != "asterisk" and self.asterisk is not None:
            raise ValueError("an asterisk: section needs type: asterisk")
        return self


class Store(Strict):
    """Where the daemon persists its state. ``url: null`` keeps it in memory (the demo
    and simulations): nothing survives a restart.

    ``spool`` is the local file that holds batches while Redis is away; a relative path is taken
    from the directory of the config file (the working directory for the embedded demo). Each node
    of a hot-standby pair needs its own. ``retention_days`` is how long call records are kept
    (``acd-dialer cdr trim``); the default is five years.

    ``url`` is one server (``redis://host:port/0``, ``rediss://``, ``unix://``), a Sentinel set-up
    (``redis+sentinel://host:26379,host:26379/master-name``) or a Redis Cluster
    (``redis+cluster://host:6379,host:6379``, seed nodes). Each center needs its own ``prefix``;
    on a cluster it is its hash tag (``{acd:paris}:``; one without a tag is tagged whole:
    ``acd:`` names keys ``{acd}:...``), so that a center's keys share one slot.
    """

    url: str | None = None
    prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:{}-]{0,64}$")] = "acd:"
    spool: Annotated[str, Field(min_length=1)] = "acd-spool.jsonl"
    retention_days: Annotated[int, Field(ge=1)] = 1827

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not re.match(r"^(redis|rediss|unix|redis\+sentinel|redis\+cluster)://.+", v):
            raise ValueError(
                "url must start with redis://, rediss://, unix://, redis+sentinel:// or "
                f"redis+cluster://, got {v!r}"
            )
        if v.startswith("redis+sentinel://") and not re.match(r"^[^/]+//[^/]+/[^/]+", v):
            raise ValueError(f"a redis+sentinel:// url names the master after the hosts: {v!r}")
        return v

    @model_validator(mode="after")
    def _cluster_prefix(self) -> Store:
        # On a cluster the prefix is the hash tag that keeps a center's keys on one slot.
        if (self.url or "").startswith("redis+cluster://") and not self.prefix.strip(":"):
            raise ValueError("a redis+cluster:// store needs a prefix, such as '{acd:center}:'")
        return self


class Ha(Strict):
    """Hot standby: the node holding the lease in the store is the one that acts."""

    enabled: bool = False
    lease_seconds: Annotated[float, Field(ge=0.5, le=60.0)] = 3.0
    # Take over from a leader whose connections to Redis are gone (it died) without waiting
    # for the lease to lapse; the lease remains for a host that vanished.
    crash_detection: bool = True
    node: Name | None = None  # default: the host name


class Config(Strict):
    name: str = "acd-dialer"
    center: Center = Center()
    reporting: Reporting = Reporting()
    fcr: Fcr = Fcr()
    agents: list[Agent] = Field(default_factory=list)
    queues: list[Queue] = Field(default_factory=list)
    campaigns: list[Campaign] = Field(default_factory=list)
    routing: Routing = Routing()
    daemon: Daemon = Daemon()
    api: Api = Api()
    auth: Auth = Auth()
    desk: Desk = Desk()
    adapter: Adapter = Adapter()
    store: Store = Store()
    ha: Ha = Ha()
    simulation: Simulation | None = None

    @model_validator(mode="after")
    def _references(self) -> Config:
        if not self.queues and not self.campaigns:
            raise ValueError("give at least one queue or campaign")
        if self.ha.enabled and self.store.url is None:
            raise ValueError("ha.enabled needs store.url: the lease lives in Redis")
        if hhmm_seconds(self.center.day_starts) % (self.reporting.interval_minutes * 60):
            raise FieldProblem(
                ("center", "day_starts"),
                f"the day must start on an interval start ({self.reporting.interval_minutes}"
                f"-minute intervals), got {self.center.day_starts!r}",
            )
        ids = [a.id for a in self.agents]
        for i in _duplicates(ids)[:1]:
            raise FieldProblem(("agents", i, "id"), f"duplicate agent id {ids[i]!r}")
        names = [q.name for q in self.queues]
        for i in _duplicates(names)[:1]:
            raise FieldProblem(("queues", i, "name"), f"duplicate queue name {names[i]!r}")
        known = set(names)
        for i, q in enumerate(self.queues):
            if q.overflow_queue is not None:
                where = ("queues", i, "overflow_queue")
                if q.overflow_queue not in known:
                    raise FieldProblem(
                        where,
                        f"queue {q.name!r}: overflow_queue {q.overflow_queue!r} is not a queue",
                    )
                if q.overflow_queue == q.name:
                    raise FieldProblem(where, f"queue {q.name!r} cannot overflow to itself")
        camps = [c.name for c in self.campaigns]
        for i in _duplicates(camps)[:1]:
            raise FieldProblem(("campaigns", i, "name"), f"duplicate campaign name {camps[i]!r}")
        if self.simulation is not None:
            unknown = sorted(set(self.simulation.traffic) - set(names))
            if unknown:
                raise ValueError(f"simulation.traffic names unknown queues: {unknown}")
            check_sim_dispositions(self)
            agent_ids = {a.id for a in self.agents}
            for i, aid in enumerate(self.simulation.agents.people):
                if aid not in agent_ids:
                    where = ("simulation", "agents", "people", i)
                    raise FieldProblem(where, f"{aid!r} is not an agent")
            people = set(self.simulation.agents.people)
            for i, a in enumerate(self.agents):
                if a.shifts and a.id in people:
                    raise FieldProblem(
                        ("agents", i, "shifts"),
                        f"{a.id!r} is worked by a person (simulation.agents.people), who logs in"
                        " from the desktop: simulated shifts do not apply",
                    )
        check_people(self.auth, {a.id for a in self.agents})
        return self

    def queue(self, name: str) -> Queue:
        for q in self.queues:
            if q.name == name:
                return q
        raise KeyError(name)
