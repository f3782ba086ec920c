"""Performance assessment (绩效考核) of handling units: pure functions over plain facts.

`facts` (what happened, as of a moment) -> `compute.classify` (one explanation line per order and item)
-> `compute.score` (figures under a dated formula version) -> `ranking` (rankings, lists, trends).
Nothing here reads the clock, the database or a file.
"""
