"""`make bench`: speed and memory of the pipeline on a generated zhwiki-like dump, beside its peers.

generate.py writes the dumps, loops.py holds the baseline loops (floor, reader, mwparserfromhell),
measure.py runs and measures commands, profile.py attributes CPU time to our stages, report.py
writes results.json and BENCHMARKS.md; __main__.py is the command line that ties them together.
"""
