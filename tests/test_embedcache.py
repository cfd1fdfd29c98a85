"""The embedding cache: template text embedded once per corpus, and checkpoints that let a killed build resume."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import DATA, ROOT, run_cli
from klimatgraf.embed import CACHE_FILE, E5Embedder, EmbeddingCache, embed_passages_cached
from klimatgraf.index import build_index, load_index, read_manifest
from klimatgraf.models import Document, Municipality, Paragraph
from klimatgraf.templatekey import embedding_texts, mask_own_name
from search_fixtures import CountingEmbedder

TEMPLATE = "{name} kommun avser att tillsammans med Viable Cities arbeta för klimatneutralitet till 2030."
GENITIVE = "{name}s klimatarbete leds av {name} kommuns kommunstyrelse."


def _corpus(names: list[str], own: dict[str, str] | None = None) -> tuple[list[Paragraph], list[Document]]:
    """One small contract per municipality: the two template paragraphs and (optionally) a paragraph of its own."""
    documents, paragraphs = [], []
    for i, name in enumerate(names):
        doc_id = f"{name.lower()}-klimatkontrakt"
        texts = [TEMPLATE.format(name=name), GENITIVE.format(name=name)] + ([own[name]] if own and name in own else [])
        documents.append(
            Document(
                doc_id=doc_id,
                file_name=f"{doc_id}.txt",
                sha256=f"{i:064d}",
                text="\n\n".join(texts),
                pages=(),
                municipality=Municipality(kommunkod=f"{i:04d}", name=name, lanskod="07", lan="Kronobergs län"),
                doc_type="klimatkontrakt",
                title=f"Klimatkontrakt {name}",
            )
        )
        paragraphs += [Paragraph(doc_id, n, t, boilerplate=n <= 2) for n, t in enumerate(texts, start=1)]
    return paragraphs, documents


# ----------------------------------------------------------------------------- masking the own name


def test_every_form_of_the_own_name_is_masked_in_any_case() -> None:
    text = "ALVESTA KOMMUN och Alvesta kommuns mål. I Alvesta, Alvestas plan; alvesta Kommun."
    assert mask_own_name(text, "Alvesta") == "Kommunen och kommunens mål. I kommunen, kommunen plan; alvesta Kommun."
    assert mask_own_name("Mellan Upplands Väsby kommun och staten", "Upplands Väsby") == "Mellan kommunen och staten"
    assert mask_own_name("Avesta kommun avser", "Alvesta") == "Avesta kommun avser"  # only the own name


def test_names_that_are_ordinary_words_inside_other_words_are_not_masked() -> None:
    assert mask_own_name("Markanvändning och markens kol i Marks kommun.", "Mark") == (
        "Markanvändning och markens kol i kommunen."
    )
    assert mask_own_name("Det ska vara varaktigt i Vara.", "Vara") == "Det ska vara varaktigt i kommunen."
    assert mask_own_name("Alerna och alert, www.ale.se", "Ale") == "Alerna och alert, www.ale.se"
    assert mask_own_name("Klimatneutrala Växjö-Alvesta", "Alvesta") == "Klimatneutrala Växjö-Alvesta"


def test_only_copies_that_differ_by_name_share_a_text_and_own_text_is_embedded_as_it_is() -> None:
    texts = [TEMPLATE.format(name="Alvesta"), TEMPLATE.format(name="Avesta"), "Alvesta kommun bygger en cykelväg."]
    names = ["Alvesta", "Avesta", "Alvesta"]
    assert embedding_texts(texts, names) == [
        TEMPLATE.format(name="Kommunen").replace("Kommunen kommun", "Kommunen"),
        TEMPLATE.format(name="Kommunen").replace("Kommunen kommun", "Kommunen"),
        "Alvesta kommun bygger en cykelväg.",  # no copy elsewhere: embedded with its name
    ]
    assert embedding_texts(texts, None) == texts


# ----------------------------------------------------------------------------- one embedding per template


def test_two_documents_with_one_template_paragraph_embed_it_once(tmp_path: Path) -> None:
    own = {"Alvesta": "Alvesta kommun bygger ut laddinfrastrukturen.", "Avesta": "Avesta satsar på fjärrvärme."}
    paragraphs, documents = _corpus(["Alvesta", "Avesta"], own)
    fake = CountingEmbedder()
    manifest = build_index(paragraphs, documents, tmp_path / "index", fake, cache_dir=tmp_path / "cache")
    assert len(fake.embedded) == 4 == manifest.embedded  # two shared templates + two own paragraphs, not six
    assert len([t for t in fake.embedded if "avser att tillsammans" in t]) == 1
    assert not any("Alvesta" in t or "Avesta" in t for t in fake.embedded if "avser" in t or "klimatarbete" in t)
    assert set(own.values()) <= set(fake.embedded)
    index = load_index(tmp_path / "index")
    assert manifest.passages == 6  # BM25 and the shown text keep every document's own wording
    assert {e["text"] for e in index.entries} >= {TEMPLATE.format(name=n) for n in ("Alvesta", "Avesta")}


def test_a_third_municipality_with_the_same_template_embeds_nothing_new_for_it(tmp_path: Path) -> None:
    paragraphs, documents = _corpus(["Alvesta", "Avesta"])
    build_index(paragraphs, documents, tmp_path / "index", CountingEmbedder(), cache_dir=tmp_path / "cache")
    paragraphs, documents = _corpus(["Alvesta", "Avesta", "Kristinehamn"])
    fake = CountingEmbedder()
    manifest = build_index(paragraphs, documents, tmp_path / "index", fake, cache_dir=tmp_path / "cache")
    assert fake.embedded == [] and manifest.embedded == 0 and manifest.from_cache == 2


def test_vectors_do_not_depend_on_build_order_or_on_what_the_cache_held(tmp_path: Path) -> None:
    own = {"Alvesta": "Alvesta kommun bygger ut laddinfrastrukturen."}
    paragraphs, documents = _corpus(["Alvesta", "Avesta"], own)
    # the cache first sees Alvesta alone, whose template text is then its own (unmasked) text
    alone_p, alone_d = _corpus(["Alvesta"], own)
    build_index(alone_p, alone_d, tmp_path / "a", CountingEmbedder(), cache_dir=tmp_path / "warm")
    warm = build_index(paragraphs, documents, tmp_path / "b", CountingEmbedder(), cache_dir=tmp_path / "warm")
    clean = build_index(paragraphs, documents, tmp_path / "c", CountingEmbedder(), cache_dir=tmp_path / "empty")
    build_index(paragraphs[::-1], documents[::-1], tmp_path / "d", CountingEmbedder(), cache_dir=tmp_path / "empty2")
    assert warm.embedded < clean.embedded

    def by_text(path: Path) -> dict[str, bytes]:
        index = load_index(path)
        rows = index.vectors.reconstruct_n(0, index.vectors.ntotal)
        return {index.entries[o]["text"]: rows[i].tobytes() for i, o in enumerate(index.owners)}

    assert by_text(tmp_path / "b") == by_text(tmp_path / "c") == by_text(tmp_path / "d")
    assert warm.files == clean.files


@pytest.mark.slow
def test_the_real_model_embeds_a_shared_template_once_as_its_masked_text(tmp_path: Path) -> None:
    class CountingE5(E5Embedder):
        def __init__(self) -> None:
            super().__init__(num_threads=2)
            self.embedded: list[str] = []

        def embed_passages(self, texts):  # type: ignore[no-untyped-def]
            self.embedded.extend(texts)
            return super().embed_passages(texts)

    paragraphs, documents = _corpus(["Alvesta", "Skellefteå"])
    e5 = CountingE5()
    build_index(paragraphs, documents, tmp_path / "index", e5, cache_dir=tmp_path / "cache")
    assert len(e5.embedded) == 2  # two template paragraphs, each once for both municipalities
    index = load_index(tmp_path / "index")
    rows = index.vectors.reconstruct_n(0, index.vectors.ntotal)
    template_rows = [i for i, o in enumerate(index.owners) if "avser att" in index.entries[o]["text"]]
    assert len(template_rows) == 2 and np.array_equal(rows[template_rows[0]], rows[template_rows[1]])
    masked = E5Embedder(num_threads=2).embed_passages([mask_own_name(TEMPLATE.format(name="Alvesta"), "Alvesta")])[0]
    assert np.allclose(rows[template_rows[0]], masked, atol=1e-5)
    query = E5Embedder(num_threads=2).embed_query("vilka kommuner ska bli klimatneutrala till 2030")
    assert rows[template_rows[0]] @ query > rows[next(i for i in range(len(rows)) if i not in template_rows)] @ query


# ----------------------------------------------------------------------------- checkpoints


class Interrupting(CountingEmbedder):
    """Hits Ctrl-C on its `stop_at`-th call; on every call records how many vectors the cache file holds."""

    def __init__(self, cache_dir: Path, stop_at: int) -> None:
        super().__init__()
        self.cache_dir, self.stop_at, self.calls, self.on_disk = cache_dir, stop_at, 0, []

    def embed_passages(self, texts):  # type: ignore[no-untyped-def]
        self.calls += 1
        self.on_disk.append(len(EmbeddingCache(self.cache_dir, self.model_id, self.dim)))
        if self.calls == self.stop_at:
            raise KeyboardInterrupt
        return super().embed_passages(texts)


def test_the_cache_is_saved_every_checkpoint_interval_while_embedding(tmp_path: Path) -> None:
    texts = [f"stycke nummer {i} om klimatet" for i in range(100)]
    fake = Interrupting(tmp_path, stop_at=0)
    embed_passages_cached(fake, texts, tmp_path, checkpoint_every=32)  # batches of 16: a save every 2nd batch
    assert fake.on_disk == [0, 0, 32, 32, 64, 64, 96]
    assert len(EmbeddingCache(tmp_path, fake.model_id, fake.dim)) == 100


def test_ctrl_c_keeps_what_was_embedded_and_the_next_run_embeds_only_the_rest(tmp_path: Path) -> None:
    texts = [f"stycke nummer {i} om klimatet" for i in range(100)]
    with pytest.raises(KeyboardInterrupt):
        embed_passages_cached(Interrupting(tmp_path, stop_at=4), texts, tmp_path, checkpoint_every=1000)
    assert len(EmbeddingCache(tmp_path, "test:hashed-bow", 64)) == 48  # three batches of 16, saved on the way out
    again = CountingEmbedder()
    result = embed_passages_cached(again, texts, tmp_path)
    assert result.embedded == 52 and result.from_cache == 48 and again.embedded == texts[48:]
    assert np.array_equal(result.vectors, embed_passages_cached(CountingEmbedder(), texts, None).vectors)


def test_a_cache_of_the_old_format_is_not_read(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, "test:hashed-bow", 64)
    cache.dir.mkdir(parents=True)
    (cache.dir / "keys.json").write_text('{"model_id": "test:hashed-bow", "keys": []}')
    np.save(cache.dir / "vectors.npy", np.zeros((0, 64), np.float32))
    fake = CountingEmbedder()
    assert embed_passages_cached(fake, ["ett stycke"], tmp_path).embedded == 1
    assert (cache.dir / CACHE_FILE).is_file()


def test_a_checkpoint_interval_below_one_is_refused(tmp_path: Path) -> None:
    result = run_cli("build", "--data-dir", str(DATA), "--build-dir", str(tmp_path), "--checkpoint-every", "0")
    assert result.returncode == 2 and "Traceback" not in result.stderr and "checkpoint-every" in result.stderr


# ----------------------------------------------------------------------------- a real build, killed and resumed


# bm25s numbers its vocabulary in set order, which follows the process's string hash seed: fixed, so
# that two builds of one corpus give byte-identical BM25 files and the whole index can be compared
ENV = {**os.environ, "PYTHONHASHSEED": "0", "HF_HUB_OFFLINE": "1"}


def _build(*args: str) -> subprocess.CompletedProcess[str]:
    """`klimatgraf build` with a long timeout: a few hundred passages take minutes on a loaded 2-core machine."""
    exe = Path(sys.executable).parent / "klimatgraf"
    return subprocess.run([str(exe), "build", *args], capture_output=True, text=True, timeout=3600, env=ENV)


def _summary(stderr: str) -> tuple[int, int]:
    match = re.search(r"(\d+)\s+passages\s+embedded\s+\((\d+)\s+from\s+cache\)", stderr)
    assert match, stderr
    return int(match.group(1)), int(match.group(2))


@pytest.mark.slow
@pytest.mark.reliability
def test_a_build_killed_after_a_checkpoint_resumes_and_ends_as_a_clean_build(tmp_path: Path) -> None:
    made = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "make_corpus.py"), "3", str(tmp_path / "data"), "--seed", "3"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr
    data = ["--data-dir", str(tmp_path / "data")]
    clean = _build(*data, "--build-dir", str(tmp_path / "clean"))
    assert clean.returncode == 0, clean.stderr
    total, none_cached = _summary(clean.stderr)
    assert none_cached == 0 and total > 150

    build = tmp_path / "build"
    exe = Path(sys.executable).parent / "klimatgraf"
    cache_dir = build / "cache" / "embeddings"
    model_id = read_manifest(tmp_path / "clean" / "index").model_id
    started = time.monotonic()
    builder = subprocess.Popen(
        [str(exe), "build", *data, "--build-dir", str(build), "--checkpoint-every", "48"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=ENV,
    )
    while not list(cache_dir.glob(f"*/{CACHE_FILE}")) and builder.poll() is None:
        time.sleep(0.05)
    to_first_checkpoint = time.monotonic() - started
    builder.send_signal(signal.SIGKILL)
    builder.wait()
    assert builder.returncode == -signal.SIGKILL, "the build ended before it could be killed"
    assert not (build / "index").exists()  # nothing half-written: no index before the commit
    kept = len(EmbeddingCache(cache_dir, model_id, 384))
    assert 48 <= kept < total

    # Ctrl-C with no checkpoint due: what was embedded since the kill is saved on the way out
    builder = subprocess.Popen(
        [str(exe), "build", *data, "--build-dir", str(build), "--checkpoint-every", "100000"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    time.sleep(to_first_checkpoint + 5)
    builder.send_signal(signal.SIGINT)
    _, stderr = builder.communicate(timeout=300)
    assert builder.returncode == 130 and "Traceback" not in stderr, stderr
    assert not (build / "index").exists()
    assert kept < len(EmbeddingCache(cache_dir, model_id, 384)) < total
    kept = len(EmbeddingCache(cache_dir, model_id, 384))

    resumed = _build(*data, "--build-dir", str(build), "--checkpoint-every", "48")
    assert resumed.returncode == 0, resumed.stderr
    assert _summary(resumed.stderr) == (total - kept, kept)  # only the rest was embedded
    assert read_manifest(build / "index").files == read_manifest(tmp_path / "clean" / "index").files
    for name in ("graph.ttl", "graph.nt"):
        assert (build / name).read_bytes() == (tmp_path / "clean" / name).read_bytes()
