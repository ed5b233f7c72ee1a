"""Report figures as the day happens: the center's calendar (business days, intervals) and the
interval book the engine fills (``acd.reporting.book``)."""
