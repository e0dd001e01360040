"""The one builder of a round record: each screen side's parts land on its own fields, stamped with a fresh id."""

from gui.core.records import ShownAnswer, round_record

LEFT = ShownAnswer(model={"label": "a"}, output="left text", metrics={"tokens": 3},
                   params={"sampling": {"seed": 1}, "load": {"n_ctx": 512}}, checks=[{"kind": "json", "passed": True}])
RIGHT = ShownAnswer(model={"label": "b"}, output="right text", metrics=None, params={"sampling": {"seed": 1}, "load": {}})


def test_each_side_lands_on_its_own_fields():
    record = round_record(LEFT, RIGHT, prompt="Q", mode="parallel", swapped=True, environment={"cpu": "x"},
                          chat_id="chat", turn=2)
    assert (record.left_model, record.right_model) == ({"label": "a"}, {"label": "b"})
    assert (record.left_output, record.right_output) == ("left text", "right text")
    assert (record.left_metrics, record.right_metrics) == ({"tokens": 3}, None)
    assert (record.left_checks, record.right_checks) == ([{"kind": "json", "passed": True}], None)
    assert record.params == {"left": LEFT.params, "right": RIGHT.params}
    assert (record.prompt, record.mode, record.swapped, record.chat_id, record.turn) == ("Q", "parallel", True, "chat", 2)
    assert (record.batch_id, record.category, record.control) == ("", "", False)


def test_batch_rounds_carry_their_plan_entry_and_every_round_a_new_id():
    first, second = (round_record(LEFT, RIGHT, prompt="Q", mode="sequential", swapped=False, environment={},
                                  chat_id="c", turn=1, category="math", batch_id="b1", batch_key="k1", item_id="i1",
                                  control=True) for _ in range(2))
    assert (first.batch_id, first.batch_key, first.item_id, first.control, first.category) == (
        "b1", "k1", "i1", True, "math")
    assert first.id != second.id and first.created_at <= second.created_at
