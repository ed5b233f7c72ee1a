"""Telephony adapters: the simulated trunk (and its driver) and the Asterisk AMI adapter."""

from telephony_adapters.base import Adapter
from telephony_adapters.simdriver import SimulationDriver
from telephony_adapters.simulated import SimulatedTrunk

__all__ = ["Adapter", "SimulatedTrunk", "SimulationDriver"]
