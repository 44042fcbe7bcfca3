"""What works, for whom and where (domain.md §11): pure aggregates for commissioners,
the minimum-wage feed, cohort charts and the what-if replay.

No I/O and no clock: populations come in as values (the read model's rows), "today" is
an argument. Counts below ``MIN_SHOWN`` are suppressed when shown.
"""
