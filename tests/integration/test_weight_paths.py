"""The weight buffers each CPU gets, on the real models: two decoding at once in a child, so a native crash fails with its reason."""

import json
import signal
import subprocess
import sys

import pytest

from gui.core.cpu import REPACK_AUTOMATIC, REPACK_OFF, build_has_amx, choose_weight_path, cpu_info
from gui.core.engine import LlamaEngine, system_info
from gui.core.params import LoadParams
from processes import ROOT

pytestmark = pytest.mark.integration

# Both default models decode at once through the engine, each on its own thread, as a Race round does.
# On an AMX CPU with llama.cpp's AMX buffers, this is where the process died (llama.cpp #20824).
TWO_AT_ONCE = """
import json, sys, threading
from gui.core.engine import LlamaEngine, system_info
from gui.core.params import LoadParams, SamplingParams
paths, repack = sys.argv[1:3], sys.argv[3]
engines = [LlamaEngine() for _ in paths]
models = [e.load(p, LoadParams(n_ctx=512, n_threads=1, weight_repack=repack), lambda f: True)
          for e, p in zip(engines, paths)]
results = [None, None]
sampling = SamplingParams(temperature=0.0, max_tokens=48, seed=1)

def answer(index):
    stream = engines[index].generate([{"role": "user", "content": "Count from one to twenty."}], sampling, 1,
                                     lambda: False)
    tokens = 0
    try:
        while True:
            next(stream)
            tokens += 1
    except StopIteration as end:
        results[index] = {"tokens": tokens, "decoded": end.value.counter_eval_tokens}

for rounds in range(3):
    threads = [threading.Thread(target=answer, args=(i,)) for i in (0, 1)]
    for t in threads: t.start()
    for t in threads: t.join()
print(json.dumps({"runtimes": [m.runtime for m in models],
                  "results": results}))
"""


@pytest.mark.parametrize("repack", [REPACK_AUTOMATIC, REPACK_OFF])
def test_two_models_decode_at_once_without_a_native_crash(default_pair, repack):
    done = subprocess.run([sys.executable, "-X", "faulthandler", "-c", TWO_AT_ONCE, *default_pair, repack], cwd=ROOT,
                          capture_output=True, text=True, timeout=240)
    if done.returncode < 0:
        pytest.fail(f"the child died of {signal.Signals(-done.returncode).name} with weight repacking {repack} on "
                    f"{cpu_info().model} (features {cpu_info().features()}):\n{done.stderr[-3000:]}")
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert all(result["tokens"] > 0 for result in report["results"])
    expected = choose_weight_path(repack, cpu_info(), build_has_amx(system_info()))
    smollm2, gemma = report["runtimes"]
    # SmolLM2's Q4_1 tensors have no repacked layout; Gemma's Q4_K ones do, where repacking is allowed.
    assert smollm2 == {"weight_path": "plain", "weight_buffers": ["CPU_Mapped"]}
    assert gemma["weight_path"] == ("repacked" if expected.extra_buffers and "REPACK = 1" in system_info() else "plain")
    assert "AMX" not in gemma["weight_buffers"]


@pytest.fixture
def engine():
    made = LlamaEngine()
    yield made
    made.close()


def test_off_keeps_every_weight_in_the_file_mapping(engine, default_pair):
    model = engine.load(default_pair[1], LoadParams(n_ctx=512, n_threads=1, weight_repack=REPACK_OFF), lambda f: True)
    assert model.runtime == {"weight_path": "plain", "weight_buffers": ["CPU_Mapped"]}
    assert model.unmapped_weight_bytes == 0


def test_automatic_repacks_gemma_where_the_cpu_allows_it(engine, default_pair):
    system = system_info()
    model = engine.load(default_pair[1], LoadParams(n_ctx=512, n_threads=1), lambda f: True)
    expected = choose_weight_path(REPACK_AUTOMATIC, cpu_info(), build_has_amx(system))
    if not expected.extra_buffers:
        # An AMX CPU: no AMX buffer, and no repacking either (llama.cpp has no switch for AMX alone).
        assert model.runtime == {"weight_path": "plain", "weight_buffers": ["CPU_Mapped"]}
    elif "REPACK = 1" in system:
        # Gemma's Q4_K tensors repack into llama.cpp's interleaved layout; the copy is outside the mapping.
        assert model.runtime == {"weight_path": "repacked", "weight_buffers": ["CPU_Mapped", "CPU_REPACK"]}
        assert model.unmapped_weight_bytes > 0

