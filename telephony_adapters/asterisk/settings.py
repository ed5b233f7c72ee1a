"""The Asterisk adapter's settings: where the PBX is, how to log in, and the names it must match.

A pydantic model, frozen and strict like the rest of the configuration: the daemon's YAML carries
it under ``adapter: {type: asterisk, asterisk: {...}}``. Nothing here does I/O.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from telephony_adapters.asterisk.pins import is_pin_hash

Context = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,79}$")]
_SOUND = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./-]*$")
_CODE_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Contexts(_Strict):
    """The dialplan contexts of ``deploy/asterisk/extensions.conf``; rename them here if needed."""

    hold: Context = "acd-hold"  # callers wait here (music on hold) until bridged or redirected
    agent: Context = "acd-agent"  # an agent's answered leg bridges to the caller here
    outbound: Context = "acd-outbound"  # an answered outbound call runs AMD() here
    play: Context = "acd-play"  # Playback(${ACD_MESSAGE}), then back to hold or hang up
    spy: Context = "acd-spy"  # a supervisor's device: ChanSpy(${ACD_SPY_TARGET},${ACD_SPY_OPTS})
    survey: Context = "acd-survey"  # the caller once the agent ends: one digit (AcdSurvey)
    announce: Context = "acd-announce"  # position, wait (SayNumber) and message, then hold


def _digit_map(value: dict[str, str], what: str) -> dict[str, str]:
    for digit, name in value.items():
        if len(digit) != 1 or not digit.isdigit():
            raise ValueError(f"{what}: key {digit!r} must be one digit 0-9 (the n of the code)")
        if not _CODE_NAME.match(name):
            raise ValueError(
                f"{what}: name for {digit!r} must be 1-64 letters, digits or _.:- (got {name!r})"
            )
    return value


class Features(_Strict):
    """Agents' phone feature codes ([acd-features] in extensions.conf): ``*45`` log in/out,
    ``*46`` pause/unpause, ``*46<n>`` pause with the reason of digit n, ``*47<n>`` the
    disposition of digit n for the last call."""

    pause_reasons: dict[str, str] = Field(default_factory=dict)  # digit -> pause reason
    dispositions: dict[str, str] = Field(default_factory=dict)  # digit -> disposition code
    pause_reason: Annotated[str, Field(pattern=_CODE_NAME.pattern)] = "break"  # plain *46
    # agent_id -> scrypt hash of the agent's PIN (python -m telephony_adapters.asterisk.pins);
    # an agent listed here must key it in (the dialplan asks when ACD_FEATURE_PIN=yes).
    pins: dict[str, str] = Field(default_factory=dict)

    @field_validator("pause_reasons")
    @classmethod
    def _reasons(cls, value: dict[str, str]) -> dict[str, str]:
        return _digit_map(value, "pause_reasons")

    @field_validator("dispositions")
    @classmethod
    def _dispositions(cls, value: dict[str, str]) -> dict[str, str]:
        return _digit_map(value, "dispositions")

    @field_validator("pins")
    @classmethod
    def _pins(cls, value: dict[str, str]) -> dict[str, str]:
        for agent, stored in value.items():
            if not is_pin_hash(stored):
                raise ValueError(
                    f"PIN of {agent!r} must be a scrypt hash (scrypt$n$r$p$salt$hash, made by "
                    "python -m telephony_adapters.asterisk.pins), never the digits themselves"
                )
        return value


class Reconnect(_Strict):
    """Back-off between reconnection attempts: ``initial * multiplier**(n-1)``, capped, ±jitter."""

    initial: Annotated[float, Field(ge=0)] = 0.5
    maximum: Annotated[float, Field(gt=0)] = 30.0
    multiplier: Annotated[float, Field(ge=1)] = 2.0
    jitter: Annotated[float, Field(ge=0, le=1)] = 0.5

    @model_validator(mode="after")
    def _ordered(self) -> Reconnect:
        if self.maximum < self.initial:
            raise ValueError("maximum must be at least initial")
        return self


class AsteriskSettings(_Strict):
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 5038
    username: Annotated[str, Field(min_length=1)] = "acd"
    secret: SecretStr = SecretStr("")
    auth: Literal["md5", "plain"] = "md5"
    # The Login Events mask. VarSet is class "dialplan": add it to see AMDSTATUS as it is set
    # (the adapter also reads the AcdAmd UserEvent and channelvars, which need no dialplan class).
    events: str = "system,call,user"
    # The agent's device: a template with {agent_id}, and per-agent overrides.
    agent_device: str = "PJSIP/{agent_id}"
    agent_devices: dict[str, str] = Field(default_factory=dict)
    # Supervisors' devices by name, for POST /v1/agents/{id}/monitor {"device": name}.
    supervisor_devices: dict[str, str] = Field(default_factory=dict)
    # Set on an agent's leg when the offer is to be auto-answered (a dialer's agents), e.g.
    # {"PJSIP_HEADER(add,Call-Info)": "answer-after=0"}.
    auto_answer_variables: dict[str, str] = Field(default_factory=dict)
    # Outbound calls: the channel to originate (a template with {number}) and a default caller id.
    outbound_channel: str = "PJSIP/{number}@trunk"
    outbound_caller_id: str = ""
    # Wait for AMD's verdict before reporting an answered outbound call (false: human at once).
    amd: bool = True
    # PlayMessage: message name or text -> sound file (without extension); unmapped messages
    # that are valid sound names are played as they are.
    messages: dict[str, str] = Field(default_factory=dict)
    contexts: Contexts = Contexts()
    features: Features = Features()
    reconnect: Reconnect = Reconnect()
    action_timeout: Annotated[float, Field(gt=0)] = 10.0
    connect_timeout: Annotated[float, Field(gt=0)] = 5.0
    ping_interval: Annotated[float, Field(gt=0)] | None = 20.0
    # How often the daemon's view of the connection (readiness, acd_adapter_up) is refreshed.
    health_interval: Annotated[float, Field(gt=0, le=10)] = 0.25

    @field_validator("agent_device")
    @classmethod
    def _agent_template(cls, value: str) -> str:
        if "{agent_id}" not in value or "/" not in value:
            raise ValueError(
                "must be a channel template containing {agent_id}, e.g. PJSIP/{agent_id}"
            )
        return _check_template(value, "agent_id")

    @field_validator("outbound_channel")
    @classmethod
    def _outbound_template(cls, value: str) -> str:
        if "{number}" not in value or "/" not in value:
            raise ValueError(
                "must be a channel template containing {number}, e.g. PJSIP/{number}@trunk"
            )
        return _check_template(value, "number")

    @field_validator("agent_devices", "supervisor_devices")
    @classmethod
    def _devices(cls, value: dict[str, str]) -> dict[str, str]:
        for agent, device in value.items():
            if "/" not in device or any(c in device for c in "\r\n&,"):
                raise ValueError(f"device of {agent!r} must be one channel like PJSIP/1001")
        return value

    @field_validator("messages")
    @classmethod
    def _sounds(cls, value: dict[str, str]) -> dict[str, str]:
        for message, sound in value.items():
            if not is_sound_name(sound):
                raise ValueError(f"sound for {message!r} must be a file name like custom/hello")
        return value

    def device_for(self, agent_id: str) -> str:
        """The channel to ring for ``agent_id``."""
        return self.agent_devices.get(agent_id) or self.agent_device.format(agent_id=agent_id)

    def backoff_args(self) -> dict[str, float]:
        r = self.reconnect
        return {
            "initial": r.initial,
            "maximum": r.maximum,
            "multiplier": r.multiplier,
            "jitter": r.jitter,
        }


def is_sound_name(value: str) -> bool:
    """A sound file Playback() can take: no spaces, no option separators, no ``..``."""
    return bool(_SOUND.match(value)) and ".." not in value


def _check_template(value: str, name: str) -> str:
    try:
        value.format(**{name: "x"})
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"only {{{name}}} may be substituted: {exc}") from None
    if any(c in value for c in "\r\n&,"):
        raise ValueError("must be a single channel (no '&', ',' or line breaks)")
    return value
