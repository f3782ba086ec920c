"""Duban's core: work orders, deadlines, the BPMN runtime and the exactly-once timer store.

Nothing in this package imports Flask, Twilio, APScheduler or a document library.
"""
