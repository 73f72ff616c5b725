#!/usr/bin/env python3
"""SimPy peer of drillsim's drill D4 (Shahe whole site lost, Art. 21 Exception 1).

A small, independent model of the same drill, kept beside drillsim to compare
speed and results on the same parameters. It reads the parameters from the
topology file itself (the runbook that moves the lost site to the standby and
the DNS failover mechanism of the entry points), then simulates, in each trial:

- the fault: the whole site is lost at t = 0;
- the runbook as one process whose steps run one after another, each a timeout
  drawn from its distribution (uniform, triangular or fixed);
- each entry point's DNS failover as one process: the entry is taken out after
  its health checks fail and the record's TTL has passed, and its users come
  back when the switchover completes.

Only the decisive events are simulated (one timeout per detection or step), not
every health check. The recovery time of a trial is the time the runbook's last
step completes: every payment fails from t = 0 until then.

Usage: whole_site_loss.py [--runs N] [--seed S] [--topology FILE] [--runbook ID]
Prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import simpy

REPO = Path(__file__).resolve().parents[2]
DEFAULT_TOPOLOGY = REPO / "topologies" / "tenpay.toml"
DEFAULT_RUNBOOK = "shahe-to-tengda"

# --------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------

_UNIT_SECONDS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "min": 60.0, "s": 1.0, "ms": 0.001}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|min|d|h|m|s)")


def parse_duration(text: str) -> float:
    """Seconds in a duration written as "30s", "7m", "1h30m" or "2m 30s"."""
    rest = text.strip()
    if not rest:
        raise ValueError(f'empty duration "{text}"')
    seconds = 0.0
    pos = 0
    while pos < len(rest):
        if rest[pos].isspace():
            pos += 1
            continue
        match = _PART.match(rest, pos)
        if match is None:
            raise ValueError(f'"{text}" is not a duration such as "30s", "5m" or "1h30m"')
        seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    return seconds


@dataclass(frozen=True)
class Dist:
    """A delay that varies from one trial to the next [seconds]."""

    kind: str
    low: float
    mode: float
    high: float

    @classmethod
    def parse(cls, raw: object) -> "Dist":
        if isinstance(raw, str):
            value = parse_duration(raw)
            return cls("fixed", value, value, value)
        if not isinstance(raw, dict) or "dist" not in raw:
            raise ValueError(f"not a duration or a distribution: {raw!r}")
        kind = raw["dist"]
        if kind == "uniform":
            low, high = parse_duration(raw["min"]), parse_duration(raw["max"])
            return cls("uniform", low, (low + high) / 2.0, high)
        if kind == "triangular":
            low, mode, high = (parse_duration(raw[k]) for k in ("min", "mode", "max"))
            return cls("triangular", low, mode, high)
        if kind == "fixed":
            value = parse_duration(raw["value"])
            return cls("fixed", value, value, value)
        raise ValueError(f'distribution "{kind}" is not modelled by the peer')

    def sampler(self, rng: random.Random):
        """A zero-argument function drawing one delay."""
        if self.kind == "fixed" or self.high <= self.low:
            value = self.mode if self.kind == "triangular" else self.low
            return lambda: value
        if self.kind == "uniform":
            low, high, uniform = self.low, self.high, rng.uniform
            return lambda: uniform(low, high)
        # random.triangular takes (low, high, mode): the mode comes last
        low, high, mode, triangular = self.low, self.high, self.mode, rng.triangular
        return lambda: triangular(low, high, mode)

    def __str__(self) -> str:
        if self.kind == "uniform":
            return f"uniform {self.low:g}-{self.high:g} s"
        if self.kind == "triangular":
            return f"triangular {self.low:g}/{self.mode:g}/{self.high:g} s"
        return f"{self.low:g} s"


@dataclass(frozen=True)
class DnsFailover:
    """An entry-failover mechanism: periodic health checks, then the record's TTL."""

    interval: float
    timeout: float
    failures: int
    retry_delay: float
    ttl: float

    def fixed_part(self) -> float:
        """Detection time less the random phase of the first check [seconds]."""
        return (
            self.timeout
            + (self.failures - 1) * (self.retry_delay + self.timeout)
            + self.ttl
        )


@dataclass(frozen=True)
class Params:
    site: str
    standby: str
    steps: list[tuple[str, Dist]]
    entries: list[tuple[str, DnsFailover]]


def load_params(topology: Path, runbook_id: str) -> Params:
    with topology.open("rb") as f:
        data = tomllib.load(f)
    books = {b["id"]: b for b in data.get("runbook", [])}
    if runbook_id not in books:
        known = ", ".join(sorted(books)) or "none"
        raise SystemExit(f"{topology}: no runbook '{runbook_id}' (runbooks: {known})")
    book = books[runbook_id]
    steps = [(s["id"], Dist.parse(s["duration"])) for s in book.get("step", [])]
    if not steps:
        raise SystemExit(f"{topology}: runbook '{runbook_id}' has no steps")

    mechanisms = {m["id"]: m for m in data.get("mechanism", [])}
    entries = []
    for entry in data.get("entry", []):
        mech = mechanisms.get(entry.get("failover", ""))
        if mech is None or mech.get("kind") != "entry-failover":
            continue
        interval = parse_duration(mech["check_interval"])
        entries.append(
            (
                entry["id"],
                DnsFailover(
                    interval=interval,
                    timeout=parse_duration(mech.get("check_timeout", "0s")),
                    failures=int(mech.get("failures", 1)),
                    retry_delay=parse_duration(mech["retry_delay"])
                    if "retry_delay" in mech
                    else interval,
                    ttl=parse_duration(mech["ttl"]),
                ),
            )
        )
    return Params(
        site=book["trigger"],
        standby=book["switch"]["to"],
        steps=steps,
        entries=entries,
    )


# --------------------------------------------------------------------------
# The SimPy model
# --------------------------------------------------------------------------


class Trial:
    """One simulated drill: its environment, its processes and its outcome."""

    def __init__(self, params: Params, draw_steps, draw_phase):
        self.env = simpy.Environment()
        self.params = params
        self.draw_steps = draw_steps
        self.draw_phase = draw_phase
        self.site_lost = self.env.event()
        self.switched = self.env.event()
        self.entries_out = 0
        self.recovery = math.nan

    def run(self) -> float:
        env = self.env
        env.process(self.fault())
        env.process(self.runbook())
        for _, dns in self.params.entries:
            env.process(self.entry_failover(dns))
        env.run()
        return self.recovery

    def fault(self):
        # the whole site is lost at t = 0: every payment fails from now on
        self.site_lost.succeed()
        yield self.env.timeout(0)

    def runbook(self):
        yield self.site_lost
        for draw in self.draw_steps:
            yield self.env.timeout(draw())
        # the last step moves every layer and entry point to the standby site
        self.recovery = self.env.now
        self.switched.succeed()

    def entry_failover(self, dns: DnsFailover):
        yield self.site_lost
        # the first failed check starts at a random phase of the check cycle
        yield self.env.timeout(self.draw_phase(dns.interval) + dns.fixed_part())
        self.entries_out += 1
        yield self.switched
        self.entries_out -= 1


def nearest_rank(sorted_values: list[float], p: float) -> float:
    """The smallest value with at least a share p of the sample at or below it."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p * len(sorted_values)))
    return sorted_values[rank - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10_000, help="trials (default 10000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random stream")
    parser.add_argument("--topology", type=Path, default=DEFAULT_TOPOLOGY)
    parser.add_argument("--runbook", default=DEFAULT_RUNBOOK)
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    params = load_params(args.topology, args.runbook)
    rng = random.Random(args.seed)
    draw_steps = [dist.sampler(rng) for _, dist in params.steps]
    uniform = rng.uniform

    def draw_phase(interval: float) -> float:
        return uniform(0.0, interval) if interval > 0 else 0.0

    recoveries = []
    start = time.perf_counter()
    for _ in range(args.runs):
        recoveries.append(Trial(params, draw_steps, draw_phase).run())
    seconds = time.perf_counter() - start

    recoveries.sort()
    out = {
        "model": "simpy",
        "simpy_version": simpy.__version__,
        "python": sys.version.split()[0],
        "topology": str(args.topology),
        "runbook": args.runbook,
        "steps": {name: str(dist) for name, dist in params.steps},
        "entry_points": len(params.entries),
        "runs": args.runs,
        "seed": args.seed,
        "seconds": round(seconds, 6),
        "trials_per_second": round(args.runs / seconds, 1) if seconds > 0 else None,
        "recovery_time_s": {
            "p50": round(nearest_rank(recoveries, 0.50), 3),
            "p95": round(nearest_rank(recoveries, 0.95), 3),
        },
    }
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
