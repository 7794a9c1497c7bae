#!/usr/bin/python3
"""Prints the SQL-check figures table from bench_sql_check's JSON output.

    build/<dir>/bench/bench_sql_check --benchmark_repetitions=5 \
        --benchmark_report_aggregates_only=true --benchmark_out=sql.json
    /usr/bin/python3 bench/sql_report.py sql.json

For every statement: the median CPU time of the agentos check (full kernel
path, three-rule policy) and of pg_query_parse, their ratio, and the heap
allocations per check. Exits 1 if one of these targets is missed: median
<= 100 ns for statements <= 150 bytes, >= 20x faster than pg_query_parse on
every statement, 0 allocations per check for statements <= 4 KB.
"""
import json
import sys

TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def medians(path):
    with open(path) as f:
        doc = json.load(f)
    out = {}
    for b in doc["benchmarks"]:
        if b.get("aggregate_name", "median") != "median" or b.get("error_occurred"):
            continue
        name = b.get("run_name", b["name"]).replace("_median", "")
        side, _, case = name.partition("/")
        out.setdefault(case, {})[side] = b
    return out


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    rows = medians(sys.argv[1])
    ok = True
    print(f"{'statement':<20}{'bytes':>8}{'agentos ns':>13}{'pg_query ns':>14}{'ratio':>9}{'allocs/check':>14}  targets")
    for case, sides in rows.items():
        a, p = sides.get("AgentosCheck"), sides.get("PgQueryParse")
        if a is None or p is None:
            continue
        a_ns = a["cpu_time"] * TO_NS[a["time_unit"]]
        p_ns = p["cpu_time"] * TO_NS[p["time_unit"]]
        size = int(a.get("bytes", 0))
        allocs = a.get("allocs_per_check", 0.0)
        ratio = p_ns / a_ns
        notes = []
        if ratio < 20:
            notes.append("ratio < 20x")
        if size <= 150 and a_ns > 100:
            notes.append("> 100 ns")
        if size <= 4096 and allocs > 0:
            notes.append("allocates")
        ok &= not notes
        print(f"{case:<20}{size:>8}{a_ns:>13.1f}{p_ns:>14.1f}{ratio:>8.1f}x{allocs:>14.2f}  "
              f"{'ok' if not notes else ', '.join(notes)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
