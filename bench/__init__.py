"""`make bench` / `python -m bench`: the figures behind the performance targets.

Sections (each a module with `run(quick) -> SectionResult`):

- seeding  simulator.seed speed, and its ratio to the naive Faker loop
- export   NDJSON catalog export throughput over HTTP on loopback
- http     requests/s of product detail as a ratio to a bare Flask endpoint (wrk)
- memory   resident memory of the server worker holding the catalog
- pricing  price_basket in process: 50 lines x 200 promotion rules (and 10 x 20)
- basket   requests/s of guest basket adds as a ratio to a bare Flask endpoint (wrk)
- login    requests/s of customer login as a ratio to a bare Flask endpoint (wrk), fast and secure hash
- contention  product read p99 on one connection while NDJSON exports and secure logins run
- latency  100 ms injected on every request, 200 connections: req/s against Little's-law bound
- load     the Locust default mix: req/s and percentiles per scenario, users while basket updates stay fast
- checkout complete checkouts/s (8 calls each) against the bare endpoint's req/s per call
- catalog  requests/s of filtered browse, two-word search and the category tree as ratios to a bare Flask endpoint (wrk)

The machine is small and noisy, so targets are ratios against a baseline measured
in the same run, or absolute figures taken as the best of several runs. Every
section prints its figures, the target verdicts and the commands that reproduce
them; `bench/results/latest.json` gets the figures of the last run.
"""
