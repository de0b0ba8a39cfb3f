"""The explorer's HTTP API (Starlette TestClient), its limits and errors, a load test over a real
loopback server, and the ``wordvec explore`` command."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import warnings
from importlib import resources

import httpx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import add_fillers, keyed_vectors, royal_words
from wordvec import KeyedVectors
from wordvec.cli import main
from wordvec.web import Explorer, create_app, running

with warnings.catch_warnings():
    # Starlette >= 1.x asks for the httpx2 fork and warns at import when it finds plain httpx;
    # both work, and the warning is about packaging, not about this code
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient


def toy_vectors() -> KeyedVectors:
    """A small vocabulary where man:king::woman:queen holds exactly (axes: 0 male, 1 female,
    2 person, 3 royal, 4 heir, 5 young, 6-7 fruit and vehicles; fillers are random in 8-11)."""
    e = np.eye(12, dtype=np.float32)
    words = {
        "the": e[8] + e[9] + e[10] + e[11],
        **royal_words(e),
        "kingdom": e[3] + 0.8 * e[8],
        "kind": e[9] + 0.3 * e[2],
        "apple": e[6] + 0.1 * e[8],
        "banana": e[6] + 0.2 * e[9],
        "cherry": e[6] + 0.2 * e[10],
        "car": e[7] + 0.1 * e[8],
        "bus": e[7] + 0.2 * e[9],
        "train": e[7] + 0.2 * e[11],
    }
    return keyed_vectors(add_fillers(words, 30, dim=12, split=8, scale=0.1, seed=7))


@pytest.fixture(scope="module")
def kv() -> KeyedVectors:
    return toy_vectors()


@pytest.fixture(scope="module")
def client(kv):
    with TestClient(create_app(kv, name="toy", max_topn=50, max_points=40, cache_size=4)) as c:
        yield c


# -- the page and the API document -------------------------------------------------------------
def test_page_is_self_contained(client):
    r = client.get("/")
    assert r.status_code == 200
    assert "default-src 'self'" in r.headers["content-security-policy"]
    # every script and stylesheet the page names is served here
    refs = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert "/static/app.js" in refs
    for ref in refs:
        if ref.startswith("/static/"):
            assert client.get(ref).status_code == 200, ref
        else:
            assert not ref.startswith(("http:", "https:", "//")), ref
    # nothing in the static files loads from another host at run time
    static = resources.files("wordvec.web") / "static"
    for f in static.iterdir():
        if f.name.endswith((".js", ".css", ".html")):
            assert not re.search(r"https?://", f.read_text("utf-8")), f.name


def test_openapi_documents_every_api_route(client):
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    app = client.app
    routes = {r.path: r.methods for r in app.routes if getattr(r, "path", "").startswith("/api/")}
    assert set(spec["paths"]) == set(routes)
    for path, methods in routes.items():
        documented = {m.upper() for m in spec["paths"][path]}
        assert documented <= methods, path
    # the limits it states are the ones the server enforces
    topn = spec["components"]["schemas"]["AnalogyRequest"]["properties"]["topn"]
    assert topn["maximum"] == 50
    for path in spec["paths"].values():
        for op in path.values():
            for resp in op["responses"].values():
                ref = resp["content"]["application/json"]["schema"]["$ref"]
                assert ref.split("/")[-1] in spec["components"]["schemas"]


def test_info(client, kv):
    info = client.get("/api/info").json()
    assert info["words"] == len(kv) and info["dims"] == 12 and info["name"] == "toy"
    assert info["methods"]["pca"] is True
    assert info["index"] is None


def _spoil(path, damage: str) -> None:
    """Damage the index file at ``path``: a flipped byte in the middle, cut short, or garbage."""
    data = path.read_bytes()
    mid = len(data) // 2
    path.write_bytes(
        {
            "flipped": data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1 :],
            "truncated": data[: len(data) // 3],
            "garbage": b"not an index\n" * 40,
        }[damage]
    )


@pytest.mark.parametrize("damage", ["flipped", "truncated", "garbage"])
def test_damaged_index_beside_the_model_answers_exactly(tmp_path, damage):
    """The explorer's vectors as ``wordvec explore`` attaches them: a damaged index beside the
    model is left unused with one line, and the app answers by exact search."""
    from wordvec.ann import AnnIndex, index_path, use_index_beside

    model = tmp_path / "toy.wv"
    toy_vectors().save(model)
    loaded = KeyedVectors.load(model)
    AnnIndex.build(loaded, "flat").save(index_path(model))
    _spoil(index_path(model), damage)
    notes: list[str] = []
    assert use_index_beside(loaded, model, notify=notes.append) is None
    assert len(notes) == 1 and "not used" in notes[0] and f"wordvec index {model}" in notes[0]
    exact = Explorer(toy_vectors())
    with TestClient(create_app(loaded)) as c:
        assert c.get("/api/info").json()["index"] is None
        got = c.get("/api/neighbours", params={"word": "king", "topn": 5}).json()
        assert got == exact.neighbours("king", 5)
        an = c.post("/api/analogy", json={"a": "man", "b": "king", "c": "woman", "topn": 3})
        assert an.json() == exact.analogy("man", "king", "woman", 3)


def test_index_found_stale_while_serving_is_dropped_once(capsys):
    """Vectors changed under an attached index: the index's guard refuses the rows it would
    answer from; the explorer drops the index with one line and answers exactly."""
    from wordvec.ann import AnnIndex

    kv = toy_vectors()
    kv.indexer = AnnIndex.build(kv, "flat")
    exact = Explorer(toy_vectors())
    with TestClient(create_app(kv)) as c:
        kv.vectors[kv.key_to_index["queen"]] *= 2.0  # other bits, the same direction
        for _ in range(2):
            r = c.get("/api/neighbours", params={"word": "king", "topn": 5})
            assert r.status_code == 200 and r.json() == exact.neighbours("king", 5)
        assert c.get("/api/info").json()["index"] is None
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "index not used" in err and "searching exactly" in err


def test_opening_picture_is_ready_before_the_first_request(client):
    opening = client.get("/api/info").json()["opening"]
    assert opening == {"top": 40, "method": "pca", "dims": 2}  # max_points=40 < 47 words
    r = client.post("/api/projection", json=opening).json()
    assert r["cached"] is True and len(r["coords"]) == 40
    ex = Explorer(toy_vectors(), opening=0)
    assert ex.info()["opening"] is None and not ex._cache


def test_neighbours_and_analogies_through_an_index():
    from wordvec.ann import AnnIndex

    kv = toy_vectors()
    index = AnnIndex.build(kv, "flat")

    class Counting:
        calls = 0

        def most_similar(self, vector, n):
            Counting.calls += 1
            return index.most_similar(vector, n)

        def __repr__(self):
            return "counting " + repr(index)

    exact = Explorer(kv)
    want_nb, want_an = exact.neighbours("king", 5), exact.analogy("man", "king", "woman", 5)
    kv.indexer = Counting()
    with TestClient(create_app(kv)) as c:
        assert c.get("/api/info").json()["index"].startswith("counting AnnIndex(Flat")
        calls = Counting.calls
        got = c.get("/api/neighbours", params={"word": "king", "topn": 5}).json()
        assert Counting.calls == calls + 1
        assert [d["word"] for d in got["neighbours"]] == [d["word"] for d in want_nb["neighbours"]]
        an = c.post("/api/analogy", json={"a": "man", "b": "king", "c": "woman", "topn": 5}).json()
        assert Counting.calls > calls + 1
        # a flat index is exact: both methods give exact search's words, 3CosMul its scores too
        assert [d["word"] for d in an["cosadd"]] == [d["word"] for d in want_an["cosadd"]]
        assert [d["word"] for d in an["cosmul"]] == [d["word"] for d in want_an["cosmul"]]
        for got_d, want_d in zip(an["cosmul"], want_an["cosmul"], strict=True):
            assert got_d["score"] == pytest.approx(want_d["score"], abs=1e-5)


# -- autocomplete --------------------------------------------------------------------------------
def test_autocomplete_prefix_frequency_order(client):
    r = client.get("/api/autocomplete", params={"prefix": "kin"})
    assert r.status_code == 200
    assert r.json()["words"] == ["king", "kingdom", "kind"]  # row (frequency) order
    assert client.get("/api/autocomplete?prefix=KIN").json()["words"] == ["king", "kingdom", "kind"]
    assert client.get("/api/autocomplete?prefix=kind").json()["words"] == ["kind"]
    assert client.get("/api/autocomplete?prefix=zz").json()["words"] == []
    assert client.get("/api/autocomplete?prefix=&limit=3").json()["words"] == [
        "the",
        "man",
        "woman",
    ]


@pytest.mark.parametrize("limit", ["0", "-3", "101", "ten", "1e9"])
def test_autocomplete_bad_limit(client, limit):
    r = client.get("/api/autocomplete", params={"prefix": "k", "limit": limit})
    assert r.status_code == 422
    assert "limit" in r.json()["error"]


def test_autocomplete_matches_brute_force():
    rng = np.random.default_rng(3)
    alphabet = [*"abcé", "ß", "Ä", "ж", "中"]
    words = sorted({"".join(rng.choice(alphabet, size=rng.integers(1, 6))) for _ in range(3000)})
    rng.shuffle(words)  # rows are not in alphabetical order
    ex = Explorer(KeyedVectors(words, rng.normal(size=(len(words), 4)).astype(np.float32)))
    for prefix in ["", "a", "ab", "é", "É", "ss", "SS", "ä", "中", "ж", "abca", "zz", "c" * 7]:
        for limit in (1, 7, 100):
            folded = prefix.casefold()
            want = [w for w in words if w.casefold().startswith(folded)][:limit]
            if prefix in words:
                want = [prefix, *[w for w in want if w != prefix][: limit - 1]]
            assert ex.autocomplete(prefix, limit) == want, (prefix, limit)


# -- neighbours, vectors, analogies --------------------------------------------------------------
def test_neighbours_match_keyedvectors(client, kv):
    r = client.get("/api/neighbours", params={"word": "king", "topn": 5})
    assert r.status_code == 200
    got = [(d["word"], d["score"]) for d in r.json()["neighbours"]]
    want = kv.most_similar("king", topn=5)
    assert [w for w, _ in got] == [w for w, _ in want]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in want], atol=1e-6)


def test_unknown_word_is_404_naming_it(client):
    r = client.get("/api/neighbours", params={"word": "zebra"})
    assert r.status_code == 404
    assert r.json() == {"error": "word 'zebra' not in vocabulary", "word": "zebra"}
    r = client.post("/api/analogy", json={"a": "man", "b": "king", "c": "unicorn"})
    assert r.status_code == 404 and r.json()["word"] == "unicorn"
    r = client.get("/api/vector", params={"word": "dragon"})
    assert r.status_code == 404 and "dragon" in r.json()["error"]


@pytest.mark.parametrize("topn", ["0", "-1", "51", "1000000000000", "ten", "2.5"])
def test_absurd_topn_is_422(client, topn):
    r = client.get("/api/neighbours", params={"word": "king", "topn": topn})
    assert r.status_code == 422
    assert "topn" in r.json()["error"]


def test_missing_word_is_422(client):
    for path in ("/api/neighbours", "/api/vector"):
        r = client.get(path)
        assert r.status_code == 422 and "word" in r.json()["error"]


def test_vector(client, kv):
    data = client.get("/api/vector", params={"word": "queen"}).json()
    assert data["index"] == kv.get_index("queen")
    np.testing.assert_array_equal(np.array(data["vector"], np.float32), kv["queen"])
    assert data["norm"] == pytest.approx(np.sqrt(2.0))


def test_analogy_both_methods(client):
    r = client.post("/api/analogy", json={"a": "man", "b": "king", "c": "woman", "topn": 3})
    assert r.status_code == 200
    data = r.json()
    assert data["cosadd"][0]["word"] == "queen"
    assert data["cosadd"][0]["score"] == pytest.approx(1.0, abs=1e-5)
    assert data["cosmul"][0]["word"] == "queen"
    assert len(data["cosadd"]) == len(data["cosmul"]) == 3
    assert not {"man", "king", "woman"} & {d["word"] for d in data["cosadd"] + data["cosmul"]}


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (b'{"a": "man", "b": ', 400, "malformed JSON"),
        (b"\xff\xfe not utf-8", 400, "malformed JSON"),
        (b"", 400, "malformed JSON"),
        (b'["man", "king", "woman"]', 400, "JSON object"),
        (b'{"a": "man", "b": "king"}', 422, "word"),
        (b'{"a": "man", "b": "king", "c": 7}', 422, "word"),
        (b'{"a": "man", "b": "king", "c": "woman", "topn": 0}', 422, "topn"),
        (b'{"a": "man", "b": "king", "c": "woman", "topn": true}', 422, "topn"),
        (b'{"a": "man", "b": "king", "c": "woman", "topn": 9e99}', 422, "topn"),
    ],
)
def test_analogy_bad_bodies(client, body, status, fragment):
    r = client.post("/api/analogy", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == status
    assert fragment in r.json()["error"]


def test_body_over_limit_is_413(kv):
    app = create_app(kv, max_body=1000)
    with TestClient(app) as c:
        big = {"a": "man", "b": "king", "c": "woman", "pad": "x" * 2000}
        r = c.post("/api/analogy", json=big)
        assert r.status_code == 413
        assert "1000 bytes" in r.json()["error"]

        # without a Content-Length (chunked), the limit holds while reading
        def chunks():
            for _ in range(50):
                yield b" " * 100

        r = c.post("/api/projection", content=chunks())
        assert r.status_code == 413
        r = c.post("/api/analogy", json={"a": "man", "b": "king", "c": "woman"})
        assert r.status_code == 200


def test_wrong_method_and_unknown_route_are_json(client):
    r = client.get("/api/analogy")
    assert r.status_code == 405 and "error" in r.json()
    r = client.get("/api/nothing-here")
    assert r.status_code == 404 and "error" in r.json()


# -- projections ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dims", [2, 3])
def test_projection_neighbourhood_and_cache(kv, dims):
    with TestClient(create_app(kv, cache_size=2)) as c:
        body = {"neighbours_of": "king", "topn": 6, "dims": dims}
        first = c.post("/api/projection", json=body).json()
        assert first["centre"] == "king" and first["words"][0] == "king"
        assert first["words"][1:] == [w for w, _ in kv.most_similar("king", topn=6)]
        assert np.array(first["coords"]).shape == (7, dims)
        assert first["cached"] is False
        again = c.post("/api/projection", json=body).json()
        assert again["cached"] is True and again["coords"] == first["coords"]
        # two other projections push the first out of a cache of two (least recently used)
        c.post("/api/projection", json={"top": 10, "dims": dims})
        c.post("/api/projection", json={"words": ["man", "woman", "king"], "dims": dims})
        assert c.post("/api/projection", json=body).json()["cached"] is False


def test_projection_pca_matches_numpy(client, kv):
    words = ["man", "woman", "king", "queen", "apple", "car"]
    coords = np.array(client.post("/api/projection", json={"words": words}).json()["coords"])
    from wordvec.viz.project import project

    want = project(np.stack([kv[w] for w in words]), "pca", 2)
    np.testing.assert_allclose(coords, want, atol=1e-4)


def test_projection_tsne(client):
    r = client.post("/api/projection", json={"top": 20, "method": "tsne"})
    assert r.status_code == 200
    assert np.isfinite(np.array(r.json()["coords"])).all()


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({}, 422, "exactly one"),
        ({"top": 5, "words": ["man"]}, 422, "exactly one"),
        ({"top": 0}, 422, "top"),
        ({"top": 41}, 422, "top"),
        ({"words": "man woman"}, 422, "list of strings"),
        ({"words": [f"filler{k:02d}" for k in range(30)] + list("abcdefghijk")}, 422, "at most"),
        ({"words": ["man", "griffin"]}, 404, "griffin"),
        ({"neighbours_of": "king", "topn": 40}, 422, "topn"),
        ({"top": 5, "method": "lda"}, 422, "method"),
        ({"top": 5, "dims": 4}, 422, "dims"),
        ({"top": 5, "dims": True}, 422, "dims"),
        ({"top": 5, "dims": 2.0}, 422, "dims"),
        ({"words": ["man", "king"], "method": "tsne"}, 422, "at least"),
    ],
)
def test_projection_bad_requests(client, body, status, fragment):
    r = client.post("/api/projection", json=body)
    assert r.status_code == status, r.text
    assert fragment in r.json()["error"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
fields = st.sampled_from(
    ["a", "b", "c", "topn", "words", "top", "neighbours_of", "method", "dims", "x"]
)
words_or_junk = st.sampled_from(["man", "king", "woman", "zebra", ""]) | json_values


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(["/api/analogy", "/api/projection"]),
    body=st.dictionaries(fields, words_or_junk, max_size=5) | json_values,
)
def test_no_input_gives_a_500(client, path, body):
    r = client.post(path, content=json.dumps(body))
    assert r.status_code < 500, (body, r.text)
    assert isinstance(r.json(), dict)


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=12), st.text(max_size=6))
def test_no_query_string_gives_a_500(word, topn):
    with TestClient(create_app(toy_vectors())) as c:
        for path in ("/api/neighbours", "/api/vector", "/api/autocomplete"):
            r = c.get(path, params={"word": word, "topn": topn, "prefix": word, "limit": topn})
            assert r.status_code < 500, (path, word, topn, r.text)


# -- a real server on loopback -------------------------------------------------------------------
def test_concurrent_load_on_loopback(kv):
    """200 mixed requests from 50 threads at once against uvicorn: no errors, every one answered
    well within its timeout (issue #11: with a BLAS thread team per request, 11-96 timed out)."""
    app = create_app(kv, workers=2)
    requests = []
    words = kv.index_to_key
    for k in range(200):
        w = words[k % len(words)]
        kind = k % 4
        if kind == 0:
            requests.append(("GET", f"/api/neighbours?word={w}&topn=10", None))
        elif kind == 1:
            requests.append(("GET", f"/api/autocomplete?prefix={w[:2]}", None))
        elif kind == 2:
            requests.append(("POST", "/api/analogy", {"a": "man", "b": "king", "c": w}))
        else:
            requests.append(("POST", "/api/projection", {"neighbours_of": w, "topn": 8}))
    errors: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()
    n_threads = 50
    barrier = threading.Barrier(n_threads)
    with running(app) as url:

        def worker(part):
            with httpx.Client(base_url=url, timeout=10.0) as http:
                barrier.wait()  # all 50 start together
                for method, path, body in part:
                    t0 = time.perf_counter()
                    try:
                        r = http.request(method, path, json=body)
                        ok = r.status_code == 200
                    except httpx.HTTPError as e:
                        ok, r = False, e
                    with lock:
                        latencies.append(time.perf_counter() - t0)
                        if not ok:
                            errors.append(f"{method} {path}: {r!r}")

        start = time.perf_counter()
        threads = [
            threading.Thread(target=worker, args=(requests[i::n_threads],))
            for i in range(n_threads)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        elapsed = time.perf_counter() - start
    latencies.sort()
    p50, p99 = latencies[len(latencies) // 2], latencies[int(0.99 * (len(latencies) - 1))]
    print(
        f"200 requests, 50 threads: {elapsed:.2f} s, p50 {p50 * 1e3:.0f} ms, p99 {p99 * 1e3:.0f} ms"
    )
    assert errors == []
    assert len(latencies) == 200
    assert p99 < 8.0, f"p99 latency {p99:.1f} s"


def test_queries_run_on_a_bounded_pool_with_one_blas_thread(kv):
    from threadpoolctl import threadpool_info

    def blas_threads() -> set[tuple[str, int]]:
        # NumPy's BLAS (every product and SVD the queries do) and any OpenMP runtime (faiss's
        # OpenMP-built BLAS follows it); scipy's own OpenBLAS, when t-SNE loaded it during the
        # app's life, was seen to keep its count: no query of the explorer goes through it
        return {
            (os.path.basename(i["filepath"]), i["num_threads"])
            for i in threadpool_info()
            if "numpy" in i["filepath"] or i["internal_api"] == "openmp"
        }

    ex = Explorer(kv, workers=2)
    app = create_app(ex)
    active, most = 0, 0
    lock = threading.Lock()

    def slow(seen: list) -> None:
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        seen.append(blas_threads())
        time.sleep(0.05)
        with lock:
            active -= 1

    async def many(seen):
        import asyncio

        await asyncio.gather(*(ex.run(slow, seen) for _ in range(12)))

    before = blas_threads()
    with TestClient(app) as c:  # the lifespan: BLAS held to one thread while the app runs
        assert c.get("/api/info").json()["workers"] == 2
        seen: list[set[int]] = []
        c.portal.call(many, seen)
        assert most == 2  # never more queries at once than workers
        assert all(n == 1 for s in seen for _, n in s), seen
    assert blas_threads() == before  # restored at shutdown
    assert ex._pool is None  # the workers were stopped


def test_running_stops_the_server(kv):
    with running(create_app(kv)) as url:
        assert httpx.get(f"{url}/api/info").status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/api/info", timeout=2.0)


# -- the command ---------------------------------------------------------------------------------
def test_explore_port_in_use_is_one_line(tmp_path, capsys, kv):
    model = tmp_path / "toy.txt"
    kv.save_word2vec_format(model)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        code = main(["explore", str(model), "--port", str(port)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].startswith("wordvec explore: error: cannot listen on 127.0.0.1:")


def test_explore_bad_port(tmp_path, capsys, kv):
    model = tmp_path / "toy.txt"
    kv.save_word2vec_format(model)
    assert main(["explore", str(model), "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err


def test_explore_serves_until_stopped(tmp_path, kv):
    """The real command in a subprocess: binds loopback, answers, and opens no browser."""
    model = tmp_path / "toy.txt"
    kv.save_word2vec_format(model)
    with subprocess.Popen(
        [sys.executable, "-m", "wordvec.cli", "explore", str(model), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "BROWSER": "false"},
    ) as proc:
        try:
            line = proc.stdout.readline()
            m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
            assert m, (line, proc.stderr.read() if proc.poll() is not None else "")
            r = httpx.get(f"{m.group(0)}/api/neighbours?word=king&topn=1", timeout=10.0)
            assert r.json()["neighbours"][0]["word"] in {"prince", "queen", "man"}
        finally:
            proc.terminate()
            proc.wait(10)


def test_explore_builds_and_uses_the_index(tmp_path, kv):
    """``--index build`` saves MODEL.ann beside the model and the explorer answers through it;
    a stale one is not used (a line on stderr says so)."""
    model = tmp_path / "toy.wv"
    kv.save(model)

    def serve(*extra):
        return subprocess.Popen(
            [sys.executable, "-m", "wordvec.cli", "explore", str(model), "--port", "0", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "BROWSER": "false"},
        )

    def info(proc) -> dict:
        line = proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert m, (line, proc.stderr.read() if proc.poll() is not None else "")
        return httpx.get(f"{m.group(0)}/api/info", timeout=10.0).json()

    with serve("--index", "build") as proc:
        try:
            assert info(proc)["index"].startswith("AnnIndex(Flat")
        finally:
            proc.terminate()
            proc.wait(10)
    assert (tmp_path / "toy.wv.ann").exists()
    KeyedVectors(kv.index_to_key, kv.vectors[::-1].copy()).save(model)  # other vectors
    with serve() as proc:
        try:
            assert info(proc)["index"] is None
        finally:
            proc.terminate()
            _, err = proc.communicate(timeout=10)
    assert "not used" in err and "rebuild" in err


def test_explore_answers_exactly_beside_a_damaged_index(tmp_path, kv):
    """``wordvec explore`` with a damaged MODEL.ann: serves exact answers, one line says the
    index is not used and how to rebuild it."""
    from wordvec.ann import AnnIndex, index_path

    model = tmp_path / "toy.wv"
    kv.save(model)
    AnnIndex.build(kv, "flat").save(index_path(model))
    _spoil(index_path(model), "flipped")
    with subprocess.Popen(
        [sys.executable, "-m", "wordvec.cli", "explore", str(model), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "BROWSER": "false"},
    ) as proc:
        try:
            line = proc.stdout.readline()
            m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
            assert m, (line, proc.stderr.read() if proc.poll() is not None else "")
            assert httpx.get(f"{m.group(0)}/api/info", timeout=10.0).json()["index"] is None
            r = httpx.get(f"{m.group(0)}/api/neighbours?word=king&topn=5", timeout=10.0)
            assert r.json() == Explorer(toy_vectors()).neighbours("king", 5)
        finally:
            proc.terminate()
            _, err = proc.communicate(timeout=10)
    notes = [x for x in err.splitlines() if "not used" in x]
    assert len(notes) == 1 and f"wordvec index {model}" in notes[0], err


def test_commands_import_nothing_heavy():
    code = (
        "import sys; from wordvec.cli import build_parser; build_parser(); import wordvec; "
        "heavy = [m for m in ('matplotlib', 'sklearn', 'umap', 'starlette', 'uvicorn', 'faiss') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
