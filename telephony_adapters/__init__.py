"""Telephony adapters: the simulated trunk (and its driver) and the Asterisk AMI adapter.

Nothing is imported here, so each adapter loads only what it needs: the sans-I/O AMI codec
(``telephony_adapters.ami``) loads neither the engine nor asyncio. Import from the modules:
``base.Adapter`` (the protocol), ``simulated.SimulatedTrunk``, ``simdriver.SimulationDriver``,
``ami`` (codec and messages; ``ami.client`` is the asyncio client), ``asterisk`` (call flows and
settings; ``asterisk.adapter`` is the asyncio adapter) and ``testing`` (the AMI emulator).
"""
