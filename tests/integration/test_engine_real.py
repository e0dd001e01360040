"""The engine on the real default pair: streaming, token counts against llama.cpp's counters, stop, errors."""

import shutil

import pytest

from gui.core.backend import EngineError
from gui.core.engine import LlamaEngine
from gui.core.metrics import StopReason
from gui.core.params import LoadParams, SamplingParams

pytestmark = pytest.mark.integration
GREEDY = SamplingParams(temperature=0.0, max_tokens=24, seed=7)
QUESTION = [{"role": "user", "content": "Name three colours of the rainbow."}]


@pytest.fixture
def engine():
    made = LlamaEngine()
    yield made
    made.close()


def drain(stream, stop_after: int | None = None, flag: list | None = None):
    """Consume a generate() stream; returns (texts, outcome)."""
    texts = []
    while True:
        try:
            texts.append(next(stream))
        except StopIteration as end:
            return texts, end.value
        if stop_after is not None and len(texts) == stop_after:
            flag.append(True)


@pytest.mark.parametrize("index", [0, 1], ids=["smollm2", "gemma3"])
def test_streams_tokens_that_match_llama_cpp_counters(engine, default_pair, index):
    progress = []
    model = engine.load(default_pair[index], LoadParams(n_ctx=512, n_threads=1), lambda f: progress.append(f) or True)
    assert progress and progress[-1] == pytest.approx(1.0)
    assert model.context_bytes > 0 and model.model_bytes > 0
    texts, outcome = drain(engine.generate(QUESTION, GREEDY, 1, lambda: False))
    assert "".join(texts).strip()
    assert outcome.prompt_tokens > 0
    # Every token but the last is decoded to sample the next; an end-of-text token is sampled after the last.
    decoded_last = outcome.stop_reason is StopReason.END_OF_TEXT
    assert outcome.counter_eval_tokens == len(texts) - (0 if decoded_last else 1)
    assert outcome.stop_reason in (StopReason.MAX_TOKENS, StopReason.END_OF_TEXT)


@pytest.mark.parametrize("index", [0, 1], ids=["smollm2", "gemma3"])
def test_greedy_answers_are_the_tokens_llama_cpps_greedy_sampler_picks(engine, default_pair, index):
    import llama_cpp

    engine.load(default_pair[index], LoadParams(n_ctx=512, n_threads=1), lambda f: True)
    plain = SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=24)
    texts, outcome = drain(engine.generate(QUESTION, plain, 1, lambda: False, reuse_prefix=False))
    # The same prompt decoded again, each token picked by llama.cpp's own greedy sampler.
    llm = engine._llm
    prompt, _stops = engine._prompt_tokens(QUESTION)
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    sampler = llama_cpp.llama_sampler_init_greedy()
    picked = []
    try:
        llm.reset()
        llm.eval(prompt)
        while len(picked) < plain.max_tokens:
            token = llama_cpp.llama_sampler_sample(sampler, llm.ctx, -1)
            if llama_cpp.llama_vocab_is_eog(vocab, token):
                break
            picked.append(token)
            llm.eval([token])
    finally:
        llama_cpp.llama_sampler_free(sampler)
    assert len(texts) == len(picked)
    assert "".join(texts) + outcome.tail == llm.detokenize(picked).decode("utf-8", errors="replace")


def test_stop_takes_effect_within_one_token(engine, default_pair):
    engine.load(default_pair[0], LoadParams(n_ctx=512, n_threads=1), lambda f: True)
    flag = []
    texts, outcome = drain(
        engine.generate(QUESTION, SamplingParams(temperature=0.0, max_tokens=200), 1, lambda: bool(flag)),
        stop_after=5,
        flag=flag,
    )
    assert len(texts) == 5
    assert outcome.stop_reason is StopReason.STOPPED_BY_USER


def test_a_full_context_stops_with_context_full(engine, default_pair):
    model = engine.load(default_pair[0], LoadParams(n_ctx=64, n_threads=1), lambda f: True)
    sampling = SamplingParams(temperature=0.0, max_tokens=1000, repeat_penalty=1.0)
    story = [{"role": "user", "content": "Write a very long story about a dragon."}]
    texts, outcome = drain(engine.generate(story, sampling, 1, lambda: False))
    if outcome.stop_reason is StopReason.END_OF_TEXT:
        pytest.fail(f"the model ended after {len(texts)} tokens, before its context of {model.n_ctx} was full")
    assert outcome.stop_reason is StopReason.CONTEXT_FULL
    # llama.cpp rounds a small context up (here to 256): the figure reported is the real one,
    # and every slot of it was used.
    assert outcome.prompt_tokens + outcome.counter_eval_tokens == model.n_ctx


def test_without_prefix_reuse_every_answer_processes_its_whole_prompt(engine, default_pair):
    engine.load(default_pair[0], LoadParams(n_ctx=512, n_threads=1), lambda f: True)
    sampling = SamplingParams(temperature=0.0, max_tokens=4)
    _texts, first = drain(engine.generate(QUESTION, sampling, 1, lambda: False))
    _texts, cached = drain(engine.generate(QUESTION, sampling, 1, lambda: False))
    _texts, fresh = drain(engine.generate(QUESTION, sampling, 1, lambda: False, reuse_prefix=False))
    assert cached.prompt_tokens < first.prompt_tokens  # the chat's way: the shared prefix stays cached
    assert fresh.prompt_tokens == first.prompt_tokens


def test_gemma_without_template_uses_the_gemma_format(engine, default_pair):
    model = engine.load(default_pair[1], LoadParams(n_ctx=512, n_threads=1), lambda f: True)
    assert model.chat_format.name == "gemma"
    assert "gemma" in model.chat_format.note


def test_a_cancelled_load_says_so(engine, default_pair):
    with pytest.raises(EngineError, match="cancelled"):
        engine.load(default_pair[1], LoadParams(n_ctx=512), lambda fraction: fraction < 0.2)
    assert engine.loaded is None


def test_a_truncated_file_gets_a_clear_error(engine, default_pair, tmp_path):
    cut = tmp_path / "cut.gguf"
    with open(default_pair[0], "rb") as source, open(cut, "wb") as target:
        target.write(source.read(40_000_000))
    with pytest.raises(EngineError, match="truncated"):
        engine.load(str(cut), LoadParams(n_ctx=512), lambda f: True)


def test_an_architecture_llama_cpp_does_not_know_is_named(engine, default_pair, tmp_path):
    renamed = tmp_path / "alien.gguf"
    shutil.copyfile(default_pair[0], renamed)
    data = bytearray(renamed.read_bytes()[:4096])
    at = data.find(b"llama", data.find(b"general.architecture"))
    with open(renamed, "r+b") as patched:  # same length keeps every offset valid
        patched.seek(at)
        patched.write(b"zzzzz")
    with pytest.raises(EngineError, match="zzzzz"):
        engine.load(str(renamed), LoadParams(n_ctx=512), lambda f: True)


def test_a_template_that_does_not_parse_is_named_as_the_cause(engine, default_pair, tmp_path):
    broken = tmp_path / "broken-template.gguf"
    shutil.copyfile(default_pair[0], broken)
    with open(broken, "rb") as source:
        at = source.read(8 * 2**20).find(b"{% endfor %}")  # the template sits after the vocabulary
    assert at > 0
    with open(broken, "r+b") as patched:  # same length keeps every offset valid
        patched.seek(at)
        patched.write(b"{% endfxr %}")
    with pytest.raises(EngineError, match="chat template inside broken-template.gguf does not parse"):
        engine.load(str(broken), LoadParams(n_ctx=512, n_threads=1), lambda f: True)
