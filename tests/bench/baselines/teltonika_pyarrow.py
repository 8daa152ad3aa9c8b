"""What a data engineer would write instead of dataplace: a straightforward Python decoder of a
Teltonika Codec 8 / 8E session file (login + AVL packets, CRC checked) writing the same narrow
observation table with pyarrow (zstd Parquet). Idiomatic, not sabotaged: struct.unpack_from,
a table-driven CRC, columnar lists, one pyarrow write at the end.

Run with: python teltonika_pyarrow.py <session.bin> <out.parquet>   (prints rows written)
"""
import struct
import sys

import pyarrow as pa
import pyarrow.parquet as pq

CRC_TABLE = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0xA001 if c & 1 else c >> 1
    CRC_TABLE.append(c)


def crc16(data):
    crc = 0
    for b in data:
        crc = (crc >> 8) ^ CRC_TABLE[(crc ^ b) & 0xFF]
    return crc


SIGNALS = {
    239: "Vehicle.LowVoltageSystemState",
    240: "Vehicle.IsMoving",
    66: "Vehicle.LowVoltageBattery.CurrentVoltage",
    16: "Vehicle.TraveledDistance",
    199: "Vehicle.TraveledDistanceSinceStart",
    36: "Vehicle.Powertrain.CombustionEngine.Speed",
    37: "Vehicle.OBD.Speed",
    31: "Vehicle.OBD.EngineLoad",
    32: "Vehicle.Powertrain.CombustionEngine.EngineCoolant.Temperature",
    48: "Vehicle.Powertrain.FuelSystem.RelativeLevel",
    30: "Vehicle.Diagnostics.DTCCount",
}


def decode(path):
    data = open(path, "rb").read()
    vehicle, pos = "unknown", 0
    (n,) = struct.unpack_from(">H", data, 0)
    if n:
        vehicle, pos = data[2 : 2 + n].decode("ascii"), 2 + n
    rows = {"vehicle_id": [], "time": [], "signal": [], "value_double": [], "value_int": [], "value_bool": [], "value_text": []}

    def emit(t, signal, d=None, i=None, b=None, s=None):
        rows["vehicle_id"].append(vehicle)
        rows["time"].append(t)
        rows["signal"].append(signal)
        rows["value_double"].append(d)
        rows["value_int"].append(i)
        rows["value_bool"].append(b)
        rows["value_text"].append(s)

    while pos + 8 <= len(data):
        (length,) = struct.unpack_from(">I", data, pos + 4)
        field = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack_from(">I", data, pos + 8 + length)
        pos += 12 + length
        if crc != crc16(field):
            continue
        codec, count = field[0], field[1]
        wide = codec == 0x8E
        p = 2
        for _ in range(count):
            ts, _prio, lon, lat, alt, angle, sats, speed = struct.unpack_from(">QBiihHBH", field, p)
            p += 24
            t = ts * 1000
            if sats:
                emit(t, "Vehicle.CurrentLocation.Latitude", d=lat / 1e7)
                emit(t, "Vehicle.CurrentLocation.Longitude", d=lon / 1e7)
                emit(t, "Vehicle.CurrentLocation.Altitude", d=float(alt))
                emit(t, "Vehicle.Speed", d=float(speed))
                emit(t, "Vehicle.CurrentLocation.Heading", d=float(angle))
            fmt, size = (">H", 2) if wide else (">B", 1)
            p += 2 * size  # event id, total count
            for width in (1, 2, 4, 8, 0) if wide else (1, 2, 4, 8):
                (n,) = struct.unpack_from(fmt, field, p)
                p += size
                for _ in range(n):
                    (io,) = struct.unpack_from(fmt, field, p)
                    p += size
                    if width == 0:
                        (w,) = struct.unpack_from(">H", field, p)
                        p += 2
                    else:
                        w = width
                    raw = int.from_bytes(field[p : p + w], "big")
                    value = field[p : p + w]
                    p += w
                    if io == 256:
                        emit(t, "Vehicle.VehicleIdentification.VIN", s=value.decode("ascii"))
                        continue
                    signal = SIGNALS.get(io)
                    if signal is None:
                        continue
                    if io == 239:
                        emit(t, signal, s="ON" if raw else "OFF")
                    elif io == 240:
                        emit(t, signal, b=bool(raw))
                    elif io == 66:
                        emit(t, signal, d=raw * 0.001)
                    elif io == 36:
                        emit(t, signal, d=float(raw))
                        emit(t, "Vehicle.Powertrain.CombustionEngine.IsRunning", b=raw > 0)
                    elif io == 32:
                        emit(t, signal, d=float(raw - (1 << (8 * w)) if raw >> (8 * w - 1) else raw))
                    elif io in (16, 199, 48, 30):
                        emit(t, signal, i=raw)
                    else:
                        emit(t, signal, d=float(raw))
    return rows


def main(path, out):
    rows = decode(path)
    table = pa.table(
        {
            "vehicle_id": pa.array(rows["vehicle_id"], pa.string()),
            "time": pa.array(rows["time"], pa.timestamp("us", tz="UTC")),
            "signal": pa.array(rows["signal"], pa.string()).dictionary_encode(),
            "value_double": pa.array(rows["value_double"], pa.float64()),
            "value_int": pa.array(rows["value_int"], pa.int64()),
            "value_bool": pa.array(rows["value_bool"], pa.bool_()),
            "value_text": pa.array(rows["value_text"], pa.string()),
        }
    )
    pq.write_table(table, out, compression="zstd", compression_level=3)
    print(table.num_rows)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
