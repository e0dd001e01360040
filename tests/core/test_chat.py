"""Chat formats, same-role merging, system-prompt folding, stop strings and the conversation."""

from gui.core.chat import Conversation, StopStringFilter, choose_format, fold_system_prompt, merge_consecutive


def test_the_files_own_template_wins_unless_overridden():
    assert choose_format("llama", True, None).name is None
    assert choose_format("llama", True, "chatml").name == "chatml"


def test_no_template_picks_the_architectures_format_and_says_so():
    choice = choose_format("gemma3", False, None)
    assert choice.name == "gemma"
    assert "No chat template" in choice.note and "gemma" in choice.note


def test_unknown_architecture_without_template_is_a_stated_guess():
    choice = choose_format("frobnicator", False, None)
    assert choice.name == "chatml"
    assert "frobnicator" in choice.note and "guessing" in choice.note


def test_consecutive_same_role_messages_are_merged():
    merged = merge_consecutive(
        [
            {"role": "user", "content": "a"},
            {"role": "user", "content": "b"},
            {"role": "assistant", "content": "c"},
            {"role": "user", "content": "d"},
        ]
    )
    assert merged == [
        {"role": "user", "content": "a\n\nb"},
        {"role": "assistant", "content": "c"},
        {"role": "user", "content": "d"},
    ]


def test_system_prompt_is_folded_into_the_first_user_turn():
    folded = fold_system_prompt([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}])
    assert folded == [{"role": "user", "content": "Be brief.\n\nHi"}]


def test_conversation_keeps_turns_and_a_failed_answer_keeps_only_the_question():
    chat = Conversation()
    chat.record("q1", "a1")
    chat.record("q2", None)
    messages = chat.messages("sys", "q3")
    assert messages == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "q1"},
        {"role": "assistant", "content": "a1"},
        {"role": "user", "content": "q2\n\nq3"},
    ]
    chat.clear()
    assert chat.messages("", "x") == [{"role": "user", "content": "x"}]


def test_stop_string_split_over_tokens_is_held_back_then_cut():
    stop = StopStringFilter(["<end_of_turn>"])
    shown = stop.feed("Hello <end") + stop.feed("_of") + stop.feed("_turn> trailing")
    assert shown == "Hello "
    assert stop.hit


def test_held_text_that_was_no_stop_string_comes_back():
    stop = StopStringFilter(["<end_of_turn>"])
    shown = stop.feed("a <en") + stop.feed("d of story")
    assert shown == "a <end of story"
    assert not stop.hit
    assert stop.feed("<e") == "" and stop.flush() == "<e"
