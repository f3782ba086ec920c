"""Hotspot warning (热点预警) and monthly themes (每月一题): pure statistics over counts of work orders, no database.

`detect` flags surges of a category in an area over a sliding window against a baseline; `themes` ranks candidate
themes of a month by volume, growth and dissatisfaction; `areas` turns a district or coordinates into an area.
"""
