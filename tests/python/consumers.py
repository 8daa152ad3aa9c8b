"""Read a dataplace output root the way consumers do, with DuckDB and pyarrow only.

Run with: python consumers.py <output-root>   (prints one JSON document of query results)
"""
import collections
import json
import sys

import duckdb
import pyarrow.dataset as ds

root = sys.argv[1].rstrip("/")
data = f"read_parquet('{root}/provider=*/**/*.parquet', hive_partitioning = true)"
quarantine = f"read_parquet('{root}/_quarantine/**/*.parquet', hive_partitioning = true)"
catalogue = f"read_parquet('{root}/_catalogue/**/catalogue.parquet')"
con = duckdb.connect()


def rows(sql):
    return con.execute(sql).fetchall()


out = {}
out["latest_odometer"] = {
    v: [t.isoformat(), m]
    for v, t, m in rows(
        f"""SELECT vehicle_id, max(time), arg_max(value_int, time)
            FROM {data} WHERE signal = 'Vehicle.TraveledDistance' GROUP BY vehicle_id"""
    )
}
n, lo, hi = rows(
    f"""SELECT count(*), min(value_double), max(value_double) FROM {data}
        WHERE signal = 'Vehicle.Speed'
          AND time >= TIMESTAMPTZ '2024-05-01 08:00:00+00' AND time < TIMESTAMPTZ '2024-05-01 09:00:00+00'"""
)[0]
out["speed_8_to_9"] = {"count": n, "min": lo, "max": hi}
out["quarantined_by_reason"] = dict(rows(f"SELECT reason, count(*) FROM {quarantine} GROUP BY reason"))
out["quarantined_by_provider"] = dict(rows(f"SELECT provider, count(*) FROM {quarantine} GROUP BY provider"))
joined = rows(
    f"""SELECT o.signal, any_value(c.unit), any_value(c.core), count(*)
        FROM {data} o LEFT JOIN {catalogue} c ON o.signal = c.id GROUP BY o.signal ORDER BY o.signal"""
)
out["catalogue_join"] = {s: {"unit": u, "core": c, "rows": k} for s, u, c, k in joined}
out["duckdb_types"] = {r[0]: r[1] for r in rows(f"DESCRIBE SELECT * FROM {data}")}

# pyarrow: a hive-partitioned dataset of the root skips `_`-prefixed folders by itself.
dataset = ds.dataset(root, format="parquet", partitioning="hive")
table = dataset.to_table()
out["pyarrow_rows_by_provider"] = dict(collections.Counter(table.column("provider").to_pylist()))
out["pyarrow_schema"] = {f.name: str(f.type) for f in dataset.schema}
print(json.dumps(out, default=str, sort_keys=True))
