"""The Center: the ACD engine with campaigns (see :mod:`dialer.center.dispatch`)."""

from dialer.center.dispatch import Center
from dialer.center.views import lead_view

__all__ = ["Center", "lead_view"]
