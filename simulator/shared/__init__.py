"""Run-time state that several worker processes share through Redis (SIM_STORE=redis://…).

With the in-memory store (the default) none of this runs: the Runtime, the Clock and
the SimState hold everything in the one process. With Redis, each piece has a shared
counterpart here, chosen by `simulator.runtime.open_runtime`:

- generations.py: which seeded store is current (a reset points every process at a
  new one at once), the first worker seeding an empty Redis while the others wait;
- clock.py: the simulator clock's offset and frozen time;
- simulation.py: the simulation config in force, fault streams under a fault seed,
  and stats (each worker counts its own, a reader merges them);
- lease.py: which worker runs the background work (churn, sweeps, webhook delivery);
- runtime.py: the Runtime that ties them together and catches up once per request.
"""
