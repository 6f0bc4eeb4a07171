"""Benchmark of the real app under Xvfb (not a test; figures go in
docs/benchmarks.md): start to first paint, idle memory of the process tree,
and the size of the .deb bundle.

Run: `make bench-app` (builds the release app and .deb, then runs this with
BANTER_APP=target/release/banter).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import conftest  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

RUNS = 3
IDLE_SECONDS = 10


def tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    out = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split()
        for child in children:
            out.extend(tree(int(child)))
    return out


def memory_kib(pids: list[int]) -> tuple[int, int]:
    """Summed RSS and PSS (shared pages split between sharers) in KiB."""
    rss = pss = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except FileNotFoundError:
            pass
    return rss, pss


def app_pid(app_path: Path) -> int:
    """The newest running app process."""
    return max(conftest.app_pids(app_path))


def main() -> None:
    app_path = Path(os.environ.get("BANTER_APP", conftest.APP)).resolve()
    conftest.APP = app_path
    paints, visibles, rsss, psss = [], [], [], []
    with conftest_mock() as mock_url:
        for _ in range(RUNS):
            with tempfile.TemporaryDirectory() as data:
                app = conftest.App(Path(data), mock_url)
                start = time.time()
                driver = app.launch()
                try:
                    for handle in driver.window_handles:
                        driver.switch_to.window(handle)
                        if "window=quick" not in driver.current_url:
                            break
                    while not driver.find_elements(By.CSS_SELECTOR, "[data-testid=credit-badge]"):
                        time.sleep(0.01)
                    visibles.append((time.time() - start) * 1000)
                    origin, paint = driver.execute_script(
                        "const p = performance.getEntriesByType('paint');"
                        "return [performance.timeOrigin, p.length ? p[0].startTime : null];"
                    )
                    if paint is not None:
                        paints.append(origin + paint - start * 1000)
                    time.sleep(IDLE_SECONDS)
                    rss, pss = memory_kib(tree(app_pid(app_path)))
                    rsss.append(rss / 1024)
                    psss.append(pss / 1024)
                finally:
                    app.close()
    print(f"app: {app_path}")
    if paints:
        print(f"start → first paint: median {statistics.median(paints):.0f} ms  (runs: {', '.join(f'{p:.0f}' for p in paints)})")
    print(f"start → balance shown: median {statistics.median(visibles):.0f} ms  (runs: {', '.join(f'{v:.0f}' for v in visibles)})")
    print(f"idle process tree after {IDLE_SECONDS} s: RSS median {statistics.median(rsss):.0f} MiB, PSS median {statistics.median(psss):.0f} MiB")
    debs = sorted(Path(conftest.ROOT / "target/release/bundle/deb").glob("*.deb"))
    for deb in debs:
        print(f".deb: {deb.name} {deb.stat().st_size / 1e6:.1f} MB")


class conftest_mock:
    """The mock server outside pytest."""

    def __enter__(self) -> str:
        self.proc = subprocess.Popen(
            [str(conftest.MOCK), "--port", "0", "--slow-ms", "15"], stdout=subprocess.PIPE, text=True
        )
        line = self.proc.stdout.readline().strip() if self.proc.stdout else ""
        return line.removeprefix("listening on ")

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


if __name__ == "__main__":
    main()
