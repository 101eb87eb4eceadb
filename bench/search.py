"""Benchmark the docs library: import against sqlite-utils, query latency three ways.

Generates a corpus of Markdown files with a Zipf word distribution, then:

1. Imports it alternately with ``socialhub.search.docs_import`` (the same code as
   ``socialhub docs import``) and with sqlite-utils' bulk ``insert_all`` plus an FTS5
   index built once at the end (``enable_fts``), each run in a fresh process into a
   fresh file, with the same connection PRAGMAs; wall time and CPU-seconds of each.
2. Runs a fixed mix of queries — rare, mid-frequency and common words, phrases,
   prefixes — against:

  (a) raw ``sqlite3``: the exact SQL the API runs, no HTTP — the limit;
  (b) socialhub's HTTP API, as ``socialhub search serve`` in its own process;
  (c) Datasette serving the same file, running the same SQL through its
      ``?sql=`` JSON endpoint (the same work, so the difference is the server).

Raw and Datasette get the sidecar's own read PRAGMAs (``READ_PRAGMAS``, imported from
socialhub; Datasette through the ``prepare_connection`` plugin in
bench/datasette_plugins). Both HTTP servers are called over one keep-alive connection
with ``http.client``, so client overhead is the same for both, and the three ways run
interleaved query by query (their order rotating) so background load hits them alike.
The machine's load
(``uptime``) is printed before and after. Figures, not a test.

Usage: .venv/bin/python bench/search.py --docs 100000
The last line holds the goals: api/raw p50, api vs Datasette per class, common-word
p99, import speed over sqlite-utils.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from socialhub.search.docs_import import import_directory  # noqa: E402
from socialhub.search.docs_store import RANK_CANDIDATES, SEARCH_SQL, DocsStore  # noqa: E402
from socialhub.search.fts import build_match  # noqa: E402
from socialhub.search.sidecar import apply_read_pragmas, set_bulk_journal  # noqa: E402

PLUGINS_DIR = Path(__file__).resolve().parent / "datasette_plugins"

SYLLABLES = [c + v for c in "bcdfghjklmnprstvwz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]
CLASSES = ("rare", "mid", "common", "phrase", "prefix")


def make_vocabulary(size: int, rng: random.Random) -> list[str]:
    """Distinct pronounceable words; index 0 is the most frequent."""
    words: set[str] = set()
    out: list[str] = []
    while len(out) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((1, 2, 2, 3, 3, 4))))
        if word not in words:
            words.add(word)
            out.append(word)
    return out


def write_corpus(directory: Path, n_docs: int, vocab: list[str], rng: random.Random) -> float:
    """Write ``n_docs`` Markdown files (Zipf s=1.07, ~120 words each); return mean words."""
    cum: list[float] = list(itertools.accumulate(1 / (r ** 1.07) for r in range(1, len(vocab) + 1)))
    total_words = 0
    for i in range(n_docs):
        sub = directory / f"{i // 1000:04d}"
        if i % 1000 == 0:
            sub.mkdir(parents=True, exist_ok=True)
        length = max(5, int(rng.lognormvariate(4.6, 0.6)))  # median ~100 words, long tail
        words = rng.choices(vocab, cum_weights=cum, k=length + 6)
        title = " ".join(words[:rng.randint(3, 6)]).capitalize()
        body_words = words[6:]
        total_words += len(body_words)
        paras = [" ".join(body_words[j:j + 40]) + "." for j in range(0, len(body_words), 40)]
        head = f"---\ntitle: {title}\ntags: [bench, t{i % 50}]\n---\n" if i % 10 == 0 \
            else f"# {title}\n\n"
        (sub / f"doc{i}.md").write_text(head + "\n\n".join(paras) + "\n", encoding="utf-8")
    return total_words / max(1, n_docs)


def pick_queries(vocab: list[str], corpus: Path, per_class: int,
                 rng: random.Random) -> list[tuple[str, str, str]]:
    """(class, query, mode) for the fixed mix."""
    n = len(vocab)
    queries: list[tuple[str, str, str]] = []
    for word in rng.sample(vocab[n // 3: n], per_class):
        queries.append(("rare", word, "plain"))
    for word in rng.sample(vocab[200:2000], per_class):
        queries.append(("mid", word, "plain"))
    for word in rng.sample(vocab[0:40], per_class):
        queries.append(("common", word, "plain"))
    files = sorted(corpus.rglob("*.md"))
    for path in rng.sample(files, per_class):
        words = path.read_text(encoding="utf-8").strip().splitlines()[-1].split()
        j = rng.randrange(0, max(1, len(words) - 2))
        queries.append(("phrase", '"' + " ".join(w.strip(".") for w in words[j:j + 2]) + '"',
                        "raw"))
    for word in rng.sample([w for w in vocab[100:5000] if len(w) >= 5], per_class):
        queries.append(("prefix", word[:4] + "*", "raw"))
    return queries


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(port: int, path: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early with code {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not start")


def http_timer(port: int) -> Callable[[str], float]:
    """A function that GETs a path over one keep-alive connection and returns ms."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def run(path: str) -> float:
        start = time.perf_counter()
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        elapsed = (time.perf_counter() - start) * 1000
        if resp.status != 200:
            raise SystemExit(f"GET {path} → {resp.status}: {body[:300]!r}")
        return elapsed

    return run


def raw_timer(db: Path) -> Callable[[dict[str, object]], float]:
    """A function that runs the API's SQL directly with ``sqlite3`` and returns ms."""
    conn = sqlite3.connect(db)
    apply_read_pragmas(conn)  # the API's sidecar PRAGMAs, imported so they cannot drift

    def run(params: dict[str, object]) -> float:
        start = time.perf_counter()
        conn.execute(SEARCH_SQL, params).fetchall()
        return (time.perf_counter() - start) * 1000

    return run


def _cpu_seconds() -> float:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def import_socialhub(corpus: Path, db: Path) -> int:
    """``socialhub docs import`` of ``corpus`` into a new sidecar; returns documents added."""
    store = DocsStore(db)
    try:
        summary = import_directory(store, corpus)
    finally:
        store.close()
    return summary.added


def import_sqlite_utils(corpus: Path, db: Path) -> int:
    """sqlite-utils' bulk insert of the same files, then its FTS5 index built once.

    Each file is read as text; the first line (without ``# ``) is the title and
    the rest the body — less work than socialhub's import, which also hashes
    each file, parses front matter and records size and mtime. The connection
    gets the same PRAGMAs as socialhub's first load (``set_bulk_journal`` and the
    read PRAGMAs); FTS5's ``hashsize`` option is socialhub's own tuning and is not
    given.
    """
    import sqlite_utils

    conn = sqlite3.connect(db, isolation_level=None)
    apply_read_pragmas(conn)
    set_bulk_journal(conn, on=True)
    database = sqlite_utils.Database(conn)
    docs = database.table("docs")
    docs.create({"id": int, "title": str, "body": str, "tags": str,
                             "source": str}, pk="id")

    def records() -> Iterable[dict[str, object]]:
        for dirpath, dirnames, filenames in os.walk(corpus):
            dirnames.sort()
            for name in sorted(filenames):
                if name.endswith(".md"):
                    path = os.path.join(dirpath, name)
                    with open(path, encoding="utf-8") as f:
                        title, _, body = f.read().partition("\n")
                    yield {"title": title.lstrip("# ").strip(), "body": body, "tags": "[]",
                           "source": path}

    conn.execute("BEGIN")  # one transaction for the load, as socialhub's import
    docs.insert_all(records(), batch_size=1000)
    conn.execute("COMMIT")
    docs.enable_fts(["title", "body", "tags"],
                                tokenize="unicode61 remove_diacritics 2")
    count = docs.count
    set_bulk_journal(conn, on=False)
    conn.close()
    return count


IMPORTERS: dict[str, Callable[[Path, Path], int]] = {
    "socialhub": import_socialhub, "sqlite-utils": import_sqlite_utils}


def import_child(which: str, corpus: Path, db: Path) -> None:
    """In a fresh process: run one import, print wall and CPU-seconds as JSON."""
    for leftover in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"),
                     db.with_name(db.name + "-journal")):
        leftover.unlink(missing_ok=True)
    cpu0, t0 = _cpu_seconds(), time.perf_counter()
    docs = IMPORTERS[which](corpus, db)
    print(json.dumps({"wall": time.perf_counter() - t0, "cpu": _cpu_seconds() - cpu0,
                      "docs": docs}))


def run_import(which: str, corpus: Path, db: Path) -> dict[str, float]:
    """Run :func:`import_child` in a new interpreter (clean page cache of Python objects,
    worker processes counted); returns its figures."""
    out = subprocess.run([sys.executable, __file__, "--import-child", which, str(corpus),
                          str(db)], check=True, capture_output=True, text=True, cwd=ROOT)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def uptime() -> str:
    """The machine's load as ``uptime`` prints it (other jobs slow every figure)."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def by_class(times: list[float], classes: list[str], p: float = 50) -> dict[str, float]:
    out: dict[str, float] = {}
    for name in CLASSES:
        picked = [t for t, c in zip(times, itertools.cycle(classes), strict=False) if c == name]
        out[name] = pct(picked, p)
    return out


def _datasette() -> str:
    """The datasette command beside this interpreter or on PATH; exits saying how to get it."""
    found = shutil.which("datasette", path=str(Path(sys.executable).parent)) \
        or shutil.which("datasette")
    if found is None:
        raise SystemExit("datasette is not installed: pip install -e '.[bench]' "
                         "(or run with --no-datasette)")
    return found


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--import-child":
        import_child(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=100_000, help="corpus size")
    ap.add_argument("--per-class", type=int, default=20, help="queries per class")
    ap.add_argument("--repeats", type=int, default=5, help="timed runs of the mix")
    ap.add_argument("--limit", type=int, default=20, help="results per query")
    ap.add_argument("--vocab", type=int, default=50_000, help="vocabulary size")
    ap.add_argument("--import-pairs", type=int, default=3,
                    help="alternated socialhub / sqlite-utils import pairs (0: import once)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it")
    ap.add_argument("--no-datasette", action="store_true")
    args = ap.parse_args()
    if not args.no_datasette:
        _datasette()  # before anything starts: say at once what is missing

    print(f"load at start: {uptime()}", file=sys.stderr)
    rng = random.Random(args.seed)
    work = args.keep or Path(tempfile.mkdtemp(prefix="socialhub-bench-"))
    corpus, db = work / "corpus", work / "docs.sqlite"
    vocab = make_vocabulary(args.vocab, rng)
    if not corpus.is_dir() or sum(1 for _ in corpus.rglob("*.md")) != args.docs:
        shutil.rmtree(corpus, ignore_errors=True)
        t0 = time.perf_counter()
        mean = write_corpus(corpus, args.docs, vocab, rng)
        print(f"corpus: {args.docs} files, {mean:.0f} words/doc on average, "
              f"written in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    queries = pick_queries(vocab, corpus, args.per_class, random.Random(args.seed + 1))
    classes = [c for c, _, _ in queries]

    # Imports: socialhub and sqlite-utils alternated (who goes first alternates too), each
    # in a fresh process into a fresh file. The last socialhub file is the one searched.
    ours: list[dict[str, float]] = []
    theirs: list[dict[str, float]] = []
    other_db = work / "sqlite-utils.sqlite"
    for pair in range(max(1, args.import_pairs)):
        order = ["socialhub", "sqlite-utils"] if pair % 2 == 0 else ["sqlite-utils", "socialhub"]
        if not args.import_pairs:
            order = ["socialhub"]
        for which in order:
            figures = run_import(which, corpus, db if which == "socialhub" else other_db)
            assert figures["docs"] == args.docs, (which, figures)
            (ours if which == "socialhub" else theirs).append(figures)
            print(f"import {pair + 1} {which:12} {figures['wall']:6.2f} s wall "
                  f"{figures['cpu']:6.2f} CPU-s  {args.docs / figures['wall']:8,.0f} docs/s  "
                  f"load {os.getloadavg()[0]:.1f}", file=sys.stderr)
    other_db.unlink(missing_ok=True)
    ours_wall = statistics.median(f["wall"] for f in ours)
    ours_cpu = statistics.median(f["cpu"] for f in ours)
    import_rate = args.docs / ours_wall
    import_ratio = float("nan")
    if theirs:
        su_wall = statistics.median(f["wall"] for f in theirs)
        su_cpu = statistics.median(f["cpu"] for f in theirs)
        import_ratio = su_wall / ours_wall
        pairs = ", ".join(f"{t['wall'] / o['wall']:.2f}" for o, t in zip(ours, theirs,
                                                                          strict=False))
        print(f"import medians: socialhub {ours_wall:.2f} s wall / {ours_cpu:.2f} CPU-s "
              f"({import_rate:,.0f} docs/s); sqlite-utils {su_wall:.2f} s wall / "
              f"{su_cpu:.2f} CPU-s ({args.docs / su_wall:,.0f} docs/s); socialhub is "
              f"{import_ratio:.2f}x sqlite-utils by wall (pairs {pairs}), "
              f"{su_cpu / ours_cpu:.2f}x by CPU-s", file=sys.stderr)
    print(f"sidecar {db.stat().st_size / 1e6:.0f} MB; {os.cpu_count()} CPUs; "
          f"load: {uptime()}", file=sys.stderr)

    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALHUB_")}
    env.update(SOCIALHUB_HOME=str(work / "home"), SOCIALHUB_SEARCH_DOCS_PATH=str(db))
    api_port, ds_port = free_port(), free_port()
    # The same app and uvicorn settings as `socialhub search serve`, started without the
    # CLI so the figure does not depend on every other command module importing cleanly.
    launcher = ("import sys, uvicorn; from socialhub.services.settings import load_config; "
                "from socialhub.search.api import create_app; "
                "uvicorn.run(create_app(load_config()), host='127.0.0.1', "
                "port=int(sys.argv[1]), log_level='warning', access_log=False)")
    servers = [subprocess.Popen([sys.executable, "-c", launcher, str(api_port)], env=env,
                                cwd=ROOT, stderr=subprocess.DEVNULL)]
    if not args.no_datasette:
        datasette = _datasette()
        servers.append(subprocess.Popen(
            [datasette, "serve", str(db), "--port", str(ds_port),
             "--plugins-dir", str(PLUGINS_DIR),
             "--setting", "sql_time_limit_ms", "60000", "--setting", "max_returned_rows",
             "1000"], stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL, cwd=ROOT))
    sql = " ".join(SEARCH_SQL.split())
    raw_params: list[dict[str, object]] = [
        {"q": build_match(q, m), "limit": args.limit + 1, "offset": 0,
         "candidates": RANK_CANDIDATES, "hl_start": "<mark>", "hl_end": "</mark>"}
        for _, q, m in queries]
    # The same SQL with no bound on the candidates: every match ranked, as before the bound.
    unbounded_params = [{**p, "candidates": 2**62} for p in raw_params]
    api_paths = ["/search?" + urllib.parse.urlencode({"q": q, "mode": m, "limit": args.limit})
                 for _, q, m in queries]
    ds_paths = ["/docs.json?" + urllib.parse.urlencode({"sql": sql, "_shape": "array", **p})
                for p in raw_params]
    raw: list[float] = []
    api_times: list[float] = []
    ds_times: list[float] = []
    unbounded: list[float] = []
    try:
        wait_http(api_port, "/healthz", servers[0])
        if not args.no_datasette:
            wait_http(ds_port, "/-/versions.json", servers[1])
            check_plugin(ds_port)
        time_raw, time_api = raw_timer(db), http_timer(api_port)
        time_ds = http_timer(ds_port) if not args.no_datasette else None
        # Interleaved query by query, so a burst of other load on the machine hits all
        # the ways alike; the first pass warms caches and is not counted. The order of the
        # ways rotates from query to query: on a loaded machine the way
        # timed right after another process ran pays for waking up, so no way always goes
        # first or always follows the same one.
        step = 0
        for rep in range(args.repeats + 1):
            for params, api_path, ds_path, all_params in zip(
                    raw_params, api_paths, ds_paths, unbounded_params, strict=True):
                timed: dict[str, float] = {}
                ways: list[tuple[str, Callable[[], float]]] = [
                    ("raw", partial(time_raw, params)), ("api", partial(time_api, api_path)),
                    ("unbounded", partial(time_raw, all_params))]
                if time_ds is not None:
                    ways.append(("ds", partial(time_ds, ds_path)))
                step += 1
                for name, run in ways[step % len(ways):] + ways[:step % len(ways)]:
                    timed[name] = run()
                if rep:
                    unbounded.append(timed["unbounded"])
                    raw.append(timed["raw"])
                    api_times.append(timed["api"])
                    if "ds" in timed:
                        ds_times.append(timed["ds"])
    finally:
        for server in servers:
            server.terminate()
            server.wait(10)

    print(f"\nload after the queries: {uptime()}")
    print(f"{'class':8} {'raw p50':>8} {'p99':>8} {'api p50':>8} {'p99':>8} "
          f"{'ds p50':>8} {'p99':>8}   {'api/raw':>7} {'api/ds':>7}  (ms; ratios of p50)")
    raw_c, api_c = by_class(raw, classes), by_class(api_times, classes)
    raw_c99, api_c99 = by_class(raw, classes, 99), by_class(api_times, classes, 99)
    ds_c = by_class(ds_times, classes) if ds_times else {}
    ds_c99 = by_class(ds_times, classes, 99) if ds_times else {}
    nan = float("nan")
    for name in CLASSES:
        print(f"{name:8} {raw_c[name]:8.2f} {raw_c99[name]:8.2f} {api_c[name]:8.2f} "
              f"{api_c99[name]:8.2f} {ds_c.get(name, nan):8.2f} {ds_c99.get(name, nan):8.2f}"
              f"   {api_c[name] / raw_c[name]:7.2f} {api_c[name] / ds_c.get(name, nan):7.2f}")
    raw_p50, api_p50 = pct(raw, 50), pct(api_times, 50)
    ds_p50 = pct(ds_times, 50) if ds_times else nan
    print(f"{'all':8} {raw_p50:8.2f} {pct(raw, 99):8.2f} {api_p50:8.2f} "
          f"{pct(api_times, 99):8.2f} {ds_p50:8.2f} "
          f"{pct(ds_times, 99) if ds_times else nan:8.2f}"
          f"   {api_p50 / raw_p50:7.2f} {api_p50 / ds_p50:7.2f}")
    un_c, un_c99 = by_class(unbounded, classes), by_class(unbounded, classes, 99)
    print(f"raw SQL ranking every match (no bound of {RANK_CANDIDATES:,} candidates), same run: "
          + ", ".join(f"{n} p50 {un_c[n]:.2f} p99 {un_c99[n]:.2f}" for n in CLASSES))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)

    print(f"docs={args.docs} import_docs_per_s={import_rate:.0f} import_cpu_s={ours_cpu:.2f} "
          f"api_p50_ms={api_p50:.3f} api_p99_ms={pct(api_times, 99):.3f} "
          f"raw_p50_ms={raw_p50:.3f} datasette_p50_ms={ds_p50:.3f} "
          f"api_over_raw={api_p50 / raw_p50:.2f} api_over_datasette={api_p50 / ds_p50:.2f}")
    slower = [n for n in CLASSES if not ds_c or api_c[n] >= ds_c[n]]

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    common99 = api_c99["common"]
    print(f"goals: api/raw p50 {api_p50 / raw_p50:.2f} (<= 1.5: "
          f"{verdict(api_p50 / raw_p50 <= 1.5)}); api faster than datasette on every class: "
          f"{verdict(not slower)}" + (f" (not on: {', '.join(slower)})" if slower else "")
          + f"; common p99 {common99:.1f} ms at {args.docs} docs (< 50: "
          f"{verdict(common99 < 50)}); import {import_ratio:.2f}x sqlite-utils (>= 1.2: "
          f"{verdict(import_ratio >= 1.2)}); load {os.getloadavg()[0]:.1f}")


def check_plugin(port: int) -> None:
    """Stop unless Datasette loaded the PRAGMA plugin (else the comparison is unfair)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/-/plugins.json")
    names = [p.get("name", "") for p in json.loads(conn.getresponse().read())]
    if not any("sidecar_pragmas" in n for n in names):
        raise SystemExit(f"datasette did not load bench/datasette_plugins: {names}")


if __name__ == "__main__":
    main()
