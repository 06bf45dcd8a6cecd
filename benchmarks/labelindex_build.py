"""Time the label index build (``ddkb.labelindex.build_from_store``) of a store, by stage.

The build ``ddkb show`` / ``search`` / ``map`` / ``path`` pay once for a new
``--data``. Give it the ``oxigraph`` folder of a store that ddkb cached, e.g.::

    python -c "import sys; sys.path.insert(0, 'benchmarks'); import scale; \\
        from pathlib import Path; scale.generate(Path('/tmp/2m.nt'), 2000000)"
    DDKB_CACHE_DIR=/tmp/c ddkb --data /tmp/2m.nt query 'ASK {}'   # builds the store only
    python benchmarks/labelindex_build.py /tmp/c/stores/*/oxigraph

Prints wall and CPU seconds (CPU of every thread: pyoxigraph decodes in a
background thread) of each build stage and in total, the peak RSS (VmHWM) and
the index size. The machine may be shared: compare CPU seconds, and runs made
under the same ``uptime`` load.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

STAGES = ("stage", "stage_from_store", "assemble", "word_index", "finish")


def _timed_stages(builder_class: type, times: dict[str, tuple[float, float]]) -> None:
    """Wrap each stage method of ``builder_class`` to record its (wall, CPU) seconds."""
    for name in STAGES:
        if not hasattr(builder_class, name):
            continue
        method = getattr(builder_class, name)

        def timed(self, *args, _method=method, _name=name, **kwargs):
            wall, cpu = time.perf_counter(), time.process_time()
            result = _method(self, *args, **kwargs)
            times[_name] = (time.perf_counter() - wall, time.process_time() - cpu)
            return result

        setattr(builder_class, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", type=Path, help="the oxigraph folder of a cached store")
    args = parser.parse_args()

    import pyoxigraph as ox

    import ddkb.labelindex as labelindex

    times: dict[str, tuple[float, float]] = {}
    _timed_stages(labelindex._Builder, times)
    store = ox.Store.read_only(str(args.store))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "labels.sqlite"
        wall, cpu = time.perf_counter(), time.process_time()
        with labelindex.build_from_store(store, path) as index:
            resources = len(index)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        size = path.stat().st_size
    peak = int(re.search(r"VmHWM:\s*(\d+) kB", Path("/proc/self/status").read_text()).group(1))
    print("| stage | wall (s) | CPU (s) |\n|---|---:|---:|")
    for name, (w, c) in times.items():
        print(f"| {name} | {w:.2f} | {c:.2f} |")
    print(f"| total | {wall:.2f} | {cpu:.2f} |")
    print(f"\n{resources} labelled resources, peak RSS {peak // 1024} MB, "
          f"index {size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
